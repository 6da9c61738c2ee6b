"""The shopping pictogram catalogue (pwa/pictograms.json): OpenMoji pictures grouped by shop
area, each with a Chinese and an English label and search words in both languages.

OpenMoji (CC BY-SA 4.0) is installed by `npm ci`; the SVGs are served from /openmoji/.
"""

from __future__ import annotations

import json
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import cache

from pwa import ROOT, i18n

CATALOGUE_FILE = ROOT / "pwa" / "pictograms.json"


def pictogram_url(code: str) -> str:
    # OpenMoji files never change within an installed version; the path is the cache key.
    return f"/openmoji/{code}.svg"


def _label(en: str, zh: str) -> str:
    return zh if i18n.current_locale().startswith("zh") else en


@dataclass(frozen=True)
class Area:
    id: str
    code: str
    en: str
    zh: str

    @property
    def label(self) -> str:
        return _label(self.en, self.zh)


@dataclass(frozen=True)
class Pictogram:
    code: str
    area: str
    en: str
    zh: str
    words_en: tuple[str, ...]
    words_zh: tuple[str, ...]

    @property
    def label(self) -> str:
        return _label(self.en, self.zh)

    # Folded once with the picture, not at each search (the picker searches all of them).
    _index: _Index = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self,
            "_index",
            _Index((self.en, self.zh), (*self.words_en, *self.words_zh)),
        )

    def search_rank(self, query: str | _Text) -> int | None:
        """Lower is better; None when the query does not match at all.

        0: the query is a name; 1: a name starts with it; 2: it is in a name; 3: it is a search
        word; 4: it is in a search word. English words are also compared without their plural
        ending and in one spelling (yoghurts, yogurt), and match only from the start of a word
        ("ice" finds ice cream, not rice); Chinese matches anywhere (奶 finds 牛奶 and 酸奶)."""
        wanted = query if isinstance(query, _Text) else _Text(query)
        if not wanted.folded:
            return None
        index = self._index
        if not index.may_match(wanted):
            return None
        # One pass over the names, then one over the words (plain loops: this runs for every
        # picture that may match, hundreds for a one-letter search).
        rank: int | None = None
        for label in index.labels:
            if wanted.equals(label):
                return 0
            if wanted.starts(label):
                rank = 1
            elif rank is None and wanted.within(label):
                rank = 2
        if rank is not None:
            return rank
        for word in index.words:
            if wanted.equals(word):
                return 3
            if rank is None and wanted.within(word):
                rank = 4
        return rank


@dataclass(frozen=True)
class Catalogue:
    areas: tuple[Area, ...]
    items: tuple[Pictogram, ...]
    # Made once with the catalogue. (A functools.cache on a method took the catalogue itself as
    # its key: every get() hashed all 181 pictures, a fifth of the server's time, issue 19.)
    by_code: dict[str, Pictogram] = field(init=False, repr=False, compare=False, hash=False)
    # Likewise the search's haystack: searching is on the picker's every keystroke-and-submit.
    _haystack: _Haystack = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_code", {p.code: p for p in self.items})
        object.__setattr__(self, "_haystack", _Haystack([p._index for p in self.items]))

    def area(self, area_id: str) -> Area | None:
        return next((a for a in self.areas if a.id == area_id), None)

    def get(self, code: str) -> Pictogram | None:
        return self.by_code.get(code)

    def in_area(self, area_id: str) -> list[Pictogram]:
        return [p for p in self.items if p.area == area_id]

    def search(self, query: str, limit: int = 40) -> list[Pictogram]:
        """Find pictures by label or search word, in Chinese or English, whatever the page."""
        wanted = _Text(query)
        if not wanted.folded:
            return []
        ranked = [
            (rank, i, self.items[i])
            for i in self._haystack.candidates(wanted)
            if (rank := self.items[i].search_rank(wanted)) is not None
        ]
        return [p for _rank, _i, p in sorted(ranked)[:limit]]

    def area_order(self) -> dict[str, int]:
        return {a.id: i for i, a in enumerate(self.areas)}


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().casefold()


# One spelling for words written two ways (British and American, or common variants).
_SPELLINGS = {
    "yoghurt": "yogurt",
    "yoghourt": "yogurt",
    "colour": "color",
    "colouring": "coloring",
    "grey": "gray",
    "chilli": "chili",
    "doughnut": "donut",
    "jewellery": "jewelry",
    "pyjama": "pajama",
    "aluminium": "aluminum",
    "centre": "center",
    "whiskey": "whisky",
    "cafetière": "cafetiere",
    "mum": "mom",
    "favourite": "favorite",
    "flavour": "flavor",
    "mould": "mold",
    "tyre": "tire",
    "racquet": "racket",
    "catsup": "ketchup",
}
# Plurals that dropping an "s" does not undo.
_IRREGULAR = {
    "knives": "knife",
    "leaves": "leaf",
    "loaves": "loaf",
    "halves": "half",
    "teeth": "tooth",
    "feet": "foot",
    "mice": "mouse",
    "geese": "goose",
    "children": "child",
    "women": "woman",
    "men": "man",
    "people": "person",
    "tomatoes": "tomato",
    "potatoes": "potato",
    "mangoes": "mango",
}
_NOT_PLURAL = ("ss", "us", "is", "ous")


def _word_key(word: str) -> str:
    """An English word without its plural ending, in one spelling: pies → pie, yoghurts → yogurt."""
    if word in _IRREGULAR:
        word = _IRREGULAR[word]
    elif len(word) > 4 and word.endswith("ies"):
        word = word[:-3] + "y"
    elif len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes", "zes")):
        word = word[:-2]
    elif len(word) > 3 and word.endswith("s") and not word.endswith(_NOT_PLURAL):
        word = _IRREGULAR.get(word[:-1], word[:-1])
    return _SPELLINGS.get(word, word)


class _Text:
    """A name, search word or query, folded once for comparing."""

    __slots__ = ("folded", "keys", "latin", "plain", "spaced", "words")

    def __init__(self, text: str) -> None:
        self.folded = _fold(text)
        # Text without Chinese characters matches from the start of a word ("ice" finds ice
        # cream, not rice); Chinese matches anywhere in a name.
        self.latin = all(ord(c) < 0x2E80 for c in self.folded)
        # Punctuation splits words (t-shirt, men's); plain is the text as words, each after a
        # space, so " ice" is in " ice cream" and not in " rice" (Chinese too: " usb" in " usb线").
        # A possessive is one word, like a plural: men's, mens and men all find "Men's toilet".
        unpossessed = self.folded.replace("'s", "s").replace("’s", "s")
        cleaned = "".join(c if c.isalnum() else " " for c in unpossessed).split()
        self.plain = " " + " ".join(cleaned)
        self.words = tuple(cleaned) if self.latin else ()
        self.keys = tuple(_word_key(w) for w in self.words)
        self.spaced = " " + " ".join(self.keys) + " "

    def equals(self, other: _Text) -> bool:
        return self.folded == other.folded or (bool(self.keys) and self.keys == other.keys)

    def starts(self, other: _Text) -> bool:
        if other.folded.startswith(self.folded):
            return True
        # Whole words only: "yoghurt drink" starts "yogurt drinks"; "bus" does not start "butter".
        return bool(self.keys) and other.keys[: len(self.keys)] == self.keys

    def within(self, other: _Text) -> bool:
        if not self.words:
            return self.folded in other.folded
        return self.plain in other.plain or self.spaced in other.spaced


class _Index:
    """A picture's names and search words, folded, and all of them in one string each way for
    ruling the picture out with three substring tests (most pictures, at most searches)."""

    __slots__ = ("folded", "labels", "plain", "spaced", "words")

    def __init__(self, labels: tuple[str, ...], words: tuple[str, ...]) -> None:
        self.labels = tuple(_Text(t) for t in labels)
        self.words = tuple(_Text(t) for t in words)
        texts = (*self.labels, *self.words)
        # Joined by a line break: a query that spans two texts (only a made-up one could hold
        # a line break) just lets the picture through to the exact tests of search_rank.
        self.folded = "\n".join(t.folded for t in texts)
        self.plain = "\n".join(t.plain for t in texts)
        self.spaced = "\n".join(t.spaced for t in texts)

    def may_match(self, query: _Text) -> bool:
        if query.words:
            return query.plain in self.plain or query.spaced in self.spaced
        return query.folded in self.folded


class _Haystack:
    """Every picture's texts in one string per form, so that a search finds the few pictures a
    query can match with str.find (in C) rather than by testing all of them in Python."""

    __slots__ = ("forms",)

    def __init__(self, indexes: list[_Index]) -> None:
        self.forms: list[tuple[str, list[int]]] = []
        for form in ("folded", "plain", "spaced"):
            starts: list[int] = []
            offset = 0
            for index in indexes:
                starts.append(offset)
                offset += len(getattr(index, form)) + 1
            self.forms.append(("\0".join(getattr(i, form) for i in indexes), starts))

    def candidates(self, query: _Text) -> set[int]:
        """The positions of the pictures whose texts hold the query (a superset of matches)."""
        # As _Index.may_match: English by its words, anything else by its folded text.
        if query.words:
            pairs = zip(self.forms[1:], (query.plain, query.spaced), strict=True)
        else:
            pairs = zip(self.forms[:1], (query.folded,), strict=True)
        found: set[int] = set()
        for (text, starts), needle in pairs:
            at = text.find(needle)
            while at != -1:
                picture = bisect_right(starts, at) - 1
                found.add(picture)
                if picture + 1 == len(starts):
                    break
                at = text.find(needle, starts[picture + 1])
        return found


@cache
def catalogue() -> Catalogue:
    data = json.loads(CATALOGUE_FILE.read_text(encoding="utf-8"))
    return Catalogue(
        areas=tuple(Area(**area) for area in data["areas"]),
        items=tuple(
            Pictogram(
                code=item["code"],
                area=item["area"],
                en=item["en"],
                zh=item["zh"],
                words_en=tuple(item["words_en"]),
                words_zh=tuple(item["words_zh"]),
            )
            for item in data["items"]
        ),
    )
