"""The shopping pictogram catalogue in pwa/pictograms.json."""

from __future__ import annotations

import gzip
import json
import re

from pwa import i18n
from pwa.core.pictograms import CATALOGUE_FILE, catalogue
from pwa.plans.services import TEMPLATES_FILE
from pwa.templating import OPENMOJI_DIR
from tests.conftest import Client
from tests.factories import make_family, make_list


def test_the_catalogue_has_400_pictures_with_both_names_words_and_a_file() -> None:
    items = catalogue().items
    assert len(items) >= 400
    # No picture twice: each picture has one meaning (the file, not just the loaded catalogue,
    # which would keep only the last of two entries in by_code).
    codes = [item["code"] for item in json.loads(CATALOGUE_FILE.read_text())["items"]]
    assert len(codes) == len(set(codes)) == len(items)
    area_ids = {a.id for a in catalogue().areas}
    for picture in items:
        assert picture.en.strip() and picture.zh.strip(), picture.code
        assert picture.words_en and picture.words_zh, picture.code
        assert all(w.strip() for w in (*picture.words_en, *picture.words_zh)), picture.code
        assert picture.area in area_ids, picture.code
        # The very file the app serves at /openmoji/<code>.svg after `npm ci`.
        assert (OPENMOJI_DIR / f"{picture.code}.svg").is_file(), picture.code
    for area in catalogue().areas:
        assert area.en and area.zh and (OPENMOJI_DIR / f"{area.code}.svg").is_file()
        assert len(catalogue().in_area(area.id)) >= 5, area.id


def test_search_in_chinese_and_english() -> None:
    assert catalogue().search("面包")[0].en == "Bread"
    assert catalogue().search("牛奶")[0].en == "Milk"
    assert catalogue().search("bread")[0].zh == "面包"
    assert catalogue().search("MILK")[0].code == "1F95B"
    # A search word, not a label: "cookies" finds biscuits.
    assert "Biscuits" in [p.en for p in catalogue().search("cookies")]
    assert catalogue().search("   ") == []


def test_search_finds_synonyms_in_both_languages() -> None:
    def found(query: str) -> list[str]:
        return [p.code for p in catalogue().search(query)]

    yoghurt = "1F963"
    for query in ("酸奶", "yoghurt", "yogurt", "Yoghurts", "优酸乳", "酸牛奶", "YOGURT"):
        assert found(query)[:1] == [yoghurt], query
    toilet_paper = "1F9FB"
    for query in ("卫生纸", "手纸", "toilet roll", "loo rolls", "Toilet paper"):
        assert toilet_paper in found(query)[:3], query
    # Chinese anywhere in a name; English from the start of a word only.
    assert {"1F95B", yoghurt} <= set(found("奶"))
    assert found("ice")[0] == "1F9CA"
    assert "1F35A" not in found("ice")  # rice
    assert "1F9C8" not in found("bus")  # butter
    # Plurals and possessives: the word as written on a list.
    assert found("tomatoes")[0] == "1F345"
    assert found("knives")[:1] == ["1F374"]
    assert found("mens toilet") == ["1F6B9"]
    assert found("zzzz") == []


def test_every_trip_step_picture_is_in_the_catalogue() -> None:
    steps = json.loads(TEMPLATES_FILE.read_text())["step_pictures"]
    for step in steps:
        picture = catalogue().get(step["code"])
        # The same picture with the same name in a plan's step and on a list.
        assert picture is not None and (picture.en, picture.zh) == (step["en"], step["zh"]), step
    words = ("公交车", "走路", "篮子", "购物车", "排队", "付钱", "购物袋", "门", "厕所", "等待")
    words += ("bus", "walk", "basket", "trolley", "queue", "pay", "bag", "door", "toilet", "home")
    for word in words:
        assert catalogue().search(word), word
    going_out = catalogue().area("going_out")
    assert going_out is not None and going_out.zh == "出门"
    assert catalogue().get("1F6BB") in catalogue().in_area("going_out")


def test_labels_follow_the_page_language() -> None:
    bread = catalogue().get("1F35E")
    assert bread is not None
    i18n.set_locale("en")
    assert bread.label == "Bread"
    i18n.set_locale("zh_Hans")
    assert bread.label == "面包"


async def test_the_picker_shows_one_area_at_a_time_with_lazy_pictures(client: Client) -> None:
    """The parent's picker shows one shop area's pictures, never all 400 at once."""
    family = await make_family()
    shopping_list = await make_list(family)
    await client.log_in(family.email, family.password)
    for area in catalogue().areas:
        page = await client.get(f"/lists/{shopping_list.id}/add", params={"area": area.id})
        tiles = re.findall(r'<img src="/openmoji/[^"]+"[^>]*>', page.text)
        assert len(tiles) == len(catalogue().in_area(area.id)), area.id
        assert all('loading="lazy"' in t and 'width="64"' in t for t in tiles), area.id
        # The largest area (about 70 pictures) is about 5 KB of HTML over the wire; the
        # pictures below the first screen load only when scrolled to.
        assert len(gzip.compress(page.content)) < 10_000, area.id
    for query in ("酸奶", "yoghurt", "优酸乳"):
        page = await client.get(f"/lists/{shopping_list.id}/add", params={"q": query})
        first = re.search(r'name="pictogram" value="([^"]+)"', page.text)
        assert first is not None and first.group(1) == "1F963", query
