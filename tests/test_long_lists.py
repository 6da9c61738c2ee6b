"""A very long list (issue 19): the list page and a first pull come in pages the client
follows, every thing exactly once, in the order a short list shows them."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

from fractional_indexing import generate_n_keys_between

from pwa import i18n
from pwa.core.pictograms import catalogue
from pwa.lists import services as lists
from pwa.models import ChangeCounter, ItemMark, ListItem, MarkState
from pwa.sync.routes import PULL_PAGE
from tests.conftest import Client
from tests.factories import make_family, make_list
from tests.html import find_form

ITEM_ID = re.compile(r'<li class="item-row" id="item-([0-9a-f-]{36})"')


async def fill(shopping_list, count: int, *, marks: bool = False) -> list[ListItem]:
    """`count` things on the list, in every area of the catalogue, written at once (the
    service adds one at a time: 10,000 would take minutes); with `marks`, each ticked once."""
    codes = list(catalogue().items[::10])[:40]
    keys = generate_n_keys_between(None, None, count)
    base = (await ChangeCounter.get_or_none(id=1)).value if await ChangeCounter.exists() else 0
    items = [
        ListItem(
            id=uuid.uuid4(),
            family_id=shopping_list.family_id,
            list_id=shopping_list.id,
            pictogram=codes[n % len(codes)].code,
            area=codes[n % len(codes)].area,
            position=keys[(n * 7919) % count],  # not in the order they were written
            price=100 if n % 3 == 0 else None,
            quantity=1 + n % 2,
            change_seq=base + n + 1,
        )
        for n in range(count)
    ]
    await ListItem.bulk_create(items, batch_size=1000)
    seq = base + count
    if marks:
        now = datetime.now(UTC)
        await ItemMark.bulk_create(
            [
                ItemMark(
                    id=uuid.uuid4(),
                    family_id=shopping_list.family_id,
                    item_id=item.id,
                    state=MarkState.TICKED,
                    client_time=now,
                    change_seq=seq + n + 1,
                )
                for n, item in enumerate(items)
            ],
            batch_size=1000,
        )
        seq += count
    await ChangeCounter.update_or_create(id=1, defaults={"value": seq})
    return items


async def test_the_list_page_of_a_long_list_comes_in_pages_each_thing_once(client: Client) -> None:
    family = await make_family()
    await client.log_in(family.email, family.password)
    shopping_list = await make_list(family, name="Everything")
    items = await fill(shopping_list, 2 * lists.LIST_PAGE + 17)
    expected = [str(i.id) for i in lists.sorted_items(items)]

    seen: list[str] = []
    url = f"/lists/{shopping_list.id}"
    pages = 0
    while url:
        page = await client.get(url)
        assert page.status_code == 200
        pages += 1
        shown = ITEM_ID.findall(page.text)
        assert len(shown) <= lists.LIST_PAGE
        # The whole list's count and total on every page, not the page's.
        assert f"{len(items)} things on the list." in page.text
        i18n.set_locale("en")
        total = i18n.format_money(sum(100 * i.quantity for i in items if i.price is not None))
        assert f"Estimated total: {total}." in page.text
        seen += shown
        following = re.search(
            r'href="(/lists/[^"]+\?page=\d+)"[^>]*>\s*(?:<[^>]+>\s*)*Show the next things',
            page.text,
        )
        url = following.group(1) if following else ""
        if pages > 1:
            assert "The things before" in page.text
    assert pages == 3
    assert "Things 401 to 417 of 417." in page.text
    # Every thing once, in the order a list that fits on one page shows them.
    assert seen == expected


async def test_a_first_pull_of_ten_thousand_things_comes_in_pages(client: Client) -> None:
    family = await make_family()
    await client.log_in(family.email, family.password)
    shopping_list = await make_list(family, name="Everything")
    items = await fill(shopping_list, 10_000, marks=True)
    client_id = str(uuid.uuid4())
    cursor, answers = 0, 0
    got_items: list[str] = []
    got_marks: list[str] = []
    while True:
        answer = await client.get(
            "/api/sync/pull",
            params={"client_id": client_id, "cursor": cursor, "family_id": str(family.family.id)},
        )
        assert answer.status_code == 200
        data = answer.json()
        answers += 1
        assert len(data["rows"]["items"]) <= PULL_PAGE and len(data["rows"]["marks"]) <= PULL_PAGE
        got_items += [row["id"] for row in data["rows"]["items"]]
        got_marks += [row["item_id"] for row in data["rows"]["marks"]]
        assert data["cursor"] >= cursor
        cursor = data["cursor"]
        if not data["more"]:
            break
    # 20,000 rows in pages of at most PULL_PAGE of a kind, each row exactly once.
    assert answers >= 20_000 // (2 * PULL_PAGE)
    assert sorted(got_items) == sorted(str(i.id) for i in items)
    assert len(set(got_marks)) == len(got_marks) == 10_000


async def test_a_button_on_a_later_page_brings_the_parent_back_to_that_page(
    client: Client,
) -> None:
    family = await make_family()
    await client.log_in(family.email, family.password)
    shopping_list = await make_list(family, name="Everything")
    items = await fill(shopping_list, lists.LIST_PAGE + 30)
    page = await client.get(f"/lists/{shopping_list.id}?page=2")
    shown = ITEM_ID.findall(page.text)
    assert len(shown) == 30
    form = find_form(page.text, f"/lists/{shopping_list.id}/items/{shown[3]}/remove")
    answer = await client.post(form.action, data=form.fields)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/lists/{shopping_list.id}?page=2"
    again = await client.get(answer.headers["location"])
    assert shown[3] not in ITEM_ID.findall(again.text)
    assert f"{len(items) - 1} things on the list." in again.text
    # A page past the end shows the last one; a page number int() cannot read, the first.
    last = await client.get(f"/lists/{shopping_list.id}?page=99")
    assert last.status_code == 200 and "Things 201 to 229 of 229." in last.text
    odd = await client.get(f"/lists/{shopping_list.id}?page=²")
    assert (
        odd.status_code == 200
        and ITEM_ID.findall(odd.text)[:3] == [str(i.id) for i in lists.sorted_items(items)][:3]
    )


async def test_things_added_at_the_same_moment_can_still_be_moved(client: Client) -> None:
    """Two adds at once both go after the same last thing and get the same position; moving
    the thing below them up needs a place between the two, and there is none (fractional
    indexing refused: a 500). It moves now."""
    family = await make_family()
    await client.log_in(family.email, family.password)
    shopping_list = await make_list(family, name="Fruit", pictures={"1F34E": 1})
    first = await ListItem.get(list=shopping_list)
    await ListItem.create(
        id=uuid.uuid4(),
        family_id=family.family.id,
        list=shopping_list,
        pictogram="1F34C",
        area=first.area,
        position=first.position,
    )
    await lists.add_item(shopping_list, item_id=uuid.uuid4(), pictogram="1F347")
    before = [str(i.id) for i in lists.sorted_items(await ListItem.filter(list=shopping_list))]
    page = await client.get(f"/lists/{shopping_list.id}")
    form = find_form(page.text, f"/lists/{shopping_list.id}/items/{before[2]}/move", direction="up")
    answer = await client.post(form.action, data=form.fields)
    assert answer.status_code == 303
    after = [str(i.id) for i in lists.sorted_items(await ListItem.filter(list=shopping_list))]
    assert after == [before[0], before[2], before[1]]
