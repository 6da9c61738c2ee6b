"""The shopping pictogram catalogue (pwa/pictograms.json): OpenMoji pictures grouped by shop
area, each with a Chinese and an English label and search words in both languages.

OpenMoji (CC BY-SA 4.0) is installed by `npm ci`; the SVGs are served from /openmoji/.
"""

from __future__ import annotations

import json
import unicodedata
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

    def search_rank(self, query: str) -> int | None:
        """Lower is better; None when the query does not match at all."""
        labels = (_fold(self.en), _fold(self.zh))
        if query in labels:
            return 0
        if any(label.startswith(query) for label in labels):
            return 1
        if any(query in label for label in labels):
            return 2
        words = [_fold(w) for w in (*self.words_en, *self.words_zh)]
        if query in words:
            return 3
        if any(query in word for word in words):
            return 4
        return None


@dataclass(frozen=True)
class Catalogue:
    areas: tuple[Area, ...]
    items: tuple[Pictogram, ...]
    # Made once with the catalogue. (A functools.cache on a method took the catalogue itself as
    # its key: every get() hashed all 181 pictures, a fifth of the server's time, issue 19.)
    by_code: dict[str, Pictogram] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_code", {p.code: p for p in self.items})

    def area(self, area_id: str) -> Area | None:
        return next((a for a in self.areas if a.id == area_id), None)

    def get(self, code: str) -> Pictogram | None:
        return self.by_code.get(code)

    def in_area(self, area_id: str) -> list[Pictogram]:
        return [p for p in self.items if p.area == area_id]

    def search(self, query: str, limit: int = 40) -> list[Pictogram]:
        """Find pictures by label or search word, in Chinese or English, whatever the page."""
        folded = _fold(query)
        if not folded:
            return []
        ranked = [
            (rank, i, p)
            for i, p in enumerate(self.items)
            if (rank := p.search_rank(folded)) is not None
        ]
        return [p for _rank, _i, p in sorted(ranked)[:limit]]

    def area_order(self) -> dict[str, int]:
        return {a.id: i for i, a in enumerate(self.areas)}


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().casefold()


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
