"""The shopping pictogram catalogue in pwa/pictograms.json."""

from __future__ import annotations

from pwa import i18n
from pwa.core.pictograms import catalogue
from pwa.templating import OPENMOJI_DIR


def test_the_catalogue_has_150_pictures_with_both_labels_and_a_file() -> None:
    items = catalogue().items
    assert len(items) >= 150
    assert len({p.code for p in items}) == len(items)
    area_ids = {a.id for a in catalogue().areas}
    for picture in items:
        assert picture.en and picture.zh, picture.code
        assert picture.area in area_ids, picture.code
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


def test_labels_follow_the_page_language() -> None:
    bread = catalogue().get("1F35E")
    assert bread is not None
    i18n.set_locale("en")
    assert bread.label == "Bread"
    i18n.set_locale("zh_Hans")
    assert bread.label == "面包"
