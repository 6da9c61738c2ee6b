"""Shopping lists through the pages, as a parent and as the person's phone."""

from __future__ import annotations

import uuid

from pwa.models import ItemMark, ListItem, ShoppingList
from tests.conftest import Client
from tests.factories import link_phone, make_caregiver, make_family, make_list
from tests.html import find_form


async def make_list_in_page(client: Client, family_id: str, name: str) -> str:
    page = await client.get(f"/families/{family_id}/lists/new")
    form = find_form(page.text, f"/families/{family_id}/lists/new")
    response = await client.post(
        f"/families/{family_id}/lists/new", data={**form.fields, "name": name, "budget": "50"}
    )
    assert response.status_code == 303, response.text
    return form.fields["id"]


async def tap(client: Client, list_id: str, page_url: str, code: str) -> None:
    """Tap a picture tile on the picker page, as it is on the page now."""
    page = await client.get(page_url)
    form = find_form(page.text, f"/lists/{list_id}/items", pictogram=code)
    response = await client.post(form.action, data=form.fields)
    assert response.status_code == 303


async def test_parent_makes_a_list_by_tapping_pictures(client: Client) -> None:
    family = await make_family()
    await client.log_in(family.email, family.password)
    list_id = await make_list_in_page(client, str(family.family.id), "Saturday shop")
    milk_eggs = f"/lists/{list_id}/add?area=milk_eggs"
    await tap(client, list_id, milk_eggs, "1F95B")
    await tap(client, list_id, milk_eggs, "1F95B")
    fruit = f"/lists/{list_id}/add?area=fruit_veg"
    for _ in range(3):
        await tap(client, list_id, fruit, "1F34E")
    page = await client.get(f"/lists/{list_id}")
    assert 'aria-label="Milk × 2"' in page.text
    assert 'aria-label="Apple × 3"' in page.text
    # Grouped by shop area, in the shop's order: fruit before milk.
    assert page.text.index("Fruit and vegetables") < page.text.index("Milk and eggs")
    apple = await ListItem.get(list_id=list_id, pictogram="1F34E")
    assert apple.quantity == 3


async def test_sending_the_same_form_twice_changes_once(client: Client) -> None:
    family = await make_family()
    await client.log_in(family.email, family.password)
    page = await client.get(f"/families/{family.family.id}/lists/new")
    form = find_form(page.text, f"/families/{family.family.id}/lists/new")
    for _ in range(2):
        await client.post(form.action, data={**form.fields, "name": "Twice"})
    assert await ShoppingList.filter(family=family.family).count() == 1
    list_id = form.fields["id"]
    picker = await client.get(f"/lists/{list_id}/add?area=bread_rice")
    tile = find_form(picker.text, f"/lists/{list_id}/items", pictogram="1F35E")
    for _ in range(3):
        await client.post(tile.action, data=tile.fields)
    items = await ListItem.filter(list_id=list_id)
    assert [(i.pictogram, i.quantity) for i in items] == [("1F35E", 1)]


async def test_search_finds_pictures_in_either_language(client: Client) -> None:
    family = await make_family()
    shopping_list = await make_list(family)
    await client.log_in(family.email, family.password)
    english = await client.get(f"/lists/{shopping_list.id}/add", params={"q": "bread"})
    assert find_form(english.text, f"/lists/{shopping_list.id}/items", pictogram="1F35E")
    # Chinese words work on an English page too, and the other way round.
    chinese = await client.get(f"/lists/{shopping_list.id}/add", params={"q": "牛奶"})
    assert find_form(chinese.text, f"/lists/{shopping_list.id}/items", pictogram="1F95B")
    nothing = await client.get(f"/lists/{shopping_list.id}/add", params={"q": "zzzz"})
    assert "No picture is called “zzzz”" in nothing.text


async def test_bought_before_offers_pictures_of_earlier_lists(client: Client) -> None:
    family = await make_family()
    await make_list(family, "Last week", {"1F34C": 2})
    new = await make_list(family, "This week")
    await client.log_in(family.email, family.password)
    page = await client.get(f"/lists/{new.id}/add")
    assert "Bought before" in page.text
    assert find_form(page.text, f"/lists/{new.id}/items", pictogram="1F34C")


async def test_bad_input_is_refused_with_words_and_changes_nothing(client: Client) -> None:
    family = await make_family()
    shopping_list = await make_list(family, pictures={"1F34E": 1})
    item = await ListItem.get(list=shopping_list)
    await client.log_in(family.email, family.password)
    response = await client.submit(
        f"/lists/{shopping_list.id}/items/{item.id}",
        {"label": "Apple", "quantity": "11", "note": "", "price": "abc", "area": "fruit_veg"},
    )
    assert response.status_code == 400
    assert "Choose a number from 1 to 10." in response.text
    assert "Write an amount in yuan, like 30 or 12.50." in response.text
    assert (await ListItem.get(id=item.id)).quantity == 1
    empty = await client.submit(
        f"/families/{family.family.id}/lists/new", {"id": str(uuid.uuid4()), "name": ""}
    )
    assert empty.status_code == 400
    assert "Write a name for the list." in empty.text
    assert await ShoppingList.filter(family=family.family).count() == 1


async def test_item_note_price_and_estimated_total(client: Client) -> None:
    family = await make_family()
    shopping_list = await make_list(family, pictures={"1F34E": 3})
    item = await ListItem.get(list=shopping_list)
    await client.log_in(family.email, family.password)
    response = await client.submit(
        f"/lists/{shopping_list.id}/items/{item.id}",
        {
            "label": "Green apple",
            "quantity": "3",
            "note": "the small ones",
            "price": "2.50",
            "area": "fruit_veg",
        },
    )
    assert response.status_code == 303
    page = await client.get(f"/lists/{shopping_list.id}")
    assert "Green apple" in page.text and "the small ones" in page.text
    assert "Estimated total: CN¥7.50." in page.text


async def test_move_up_and_down_inside_a_shop_area(client: Client) -> None:
    family = await make_family()
    shopping_list = await make_list(family, pictures={"1F34E": 1, "1F34C": 1, "1F347": 1})
    await client.log_in(family.email, family.password)
    grapes = await ListItem.get(list=shopping_list, pictogram="1F347")
    await client.submit(f"/lists/{shopping_list.id}/items/{grapes.id}/move", {"direction": "up"})
    await client.submit(f"/lists/{shopping_list.id}/items/{grapes.id}/move", {"direction": "up"})
    page = (await client.get(f"/lists/{shopping_list.id}")).text
    assert page.index("Grapes") < page.index("Apple") < page.index("Banana")
    await client.submit(f"/lists/{shopping_list.id}/items/{grapes.id}/move", {"direction": "down"})
    page = (await client.get(f"/lists/{shopping_list.id}")).text
    assert page.index("Apple") < page.index("Grapes") < page.index("Banana")


async def test_duplicate_archive_delete_and_undo(client: Client) -> None:
    family = await make_family()
    shopping_list = await make_list(family, pictures={"1F34E": 2, "1F95B": 1})
    await client.log_in(family.email, family.password)
    page = await client.get(f"/lists/{shopping_list.id}")
    copy_form = find_form(page.text, f"/lists/{shopping_list.id}/duplicate")
    copied = await client.post(copy_form.action, data=copy_form.fields)
    await client.post(copy_form.action, data=copy_form.fields)  # pressed twice: one copy
    copy = await ShoppingList.get(id=copy_form.fields["new_id"])
    assert copied.headers["location"] == f"/lists/{copy.id}"
    assert copy.name == "Saturday shop (copy)"
    assert await ListItem.filter(list=copy).count() == 2
    assert await ShoppingList.filter(family=family.family).count() == 2

    await client.submit(f"/lists/{copy.id}/archive")
    index = await client.get(f"/families/{family.family.id}/lists")
    assert "Archive" in index.text and "Put back with the lists" in index.text

    confirm = await client.get(f"/lists/{shopping_list.id}/delete")
    assert "Yes, delete the list" in confirm.text
    assert (await ShoppingList.get(id=shopping_list.id)).deleted_at is None
    await client.submit(f"/lists/{shopping_list.id}/delete")
    assert (await client.get(f"/lists/{shopping_list.id}")).status_code == 404
    index = await client.get(f"/families/{family.family.id}/lists")
    undo = find_form(index.text, f"/lists/{shopping_list.id}/restore")
    await client.post(undo.action, data=undo.fields)
    page = await client.get(f"/lists/{shopping_list.id}")
    assert page.status_code == 200 and 'aria-label="Apple × 2"' in page.text


async def test_take_off_and_put_back_an_item(client: Client) -> None:
    family = await make_family()
    shopping_list = await make_list(family, pictures={"1F34E": 2})
    item = await ListItem.get(list=shopping_list)
    await client.log_in(family.email, family.password)
    await client.submit(f"/lists/{shopping_list.id}/items/{item.id}/remove")
    page = await client.get(f"/lists/{shopping_list.id}")
    assert "Apple × 2" not in page.text
    undo = find_form(page.text, f"/lists/{shopping_list.id}/items/{item.id}/restore")
    restored = await client.post(undo.action, data=undo.fields, follow_redirects=True)
    assert "“Apple” is back on the list." in restored.text
    assert "Apple × 2" in restored.text


async def test_untick_everything_for_the_next_trip(client: Client) -> None:
    family = await make_family()
    shopping_list = await make_list(family, pictures={"1F34E": 1, "1F95B": 1})
    apple = await ListItem.get(list=shopping_list, pictogram="1F34E")
    from pwa.lists import services as lists

    await lists.mark_item(apple, mark_id=uuid.uuid4(), state="ticked")
    await client.log_in(family.email, family.password)
    assert "1 of 2 in the basket." in (await client.get(f"/lists/{shopping_list.id}/shop")).text
    page = await client.get(f"/lists/{shopping_list.id}")
    form = find_form(page.text, f"/lists/{shopping_list.id}/start-again")
    for _ in range(2):
        await client.post(form.action, data=form.fields)
    assert "0 of 2 in the basket." in (await client.get(f"/lists/{shopping_list.id}/shop")).text
    assert await ItemMark.filter(state="cleared").count() == 2


async def test_quantities_over_five_show_one_picture_and_the_number(client: Client) -> None:
    family = await make_family()
    shopping_list = await make_list(family, pictures={"1F95A": 5, "1F34B": 8})
    await client.log_in(family.email, family.password)
    page = (await client.get(f"/lists/{shopping_list.id}/shop")).text
    eggs = page.split('aria-label="Eggs × 5"', 1)[1].split("</span>", 1)[0]
    assert eggs.count("<img") == 5
    lemons = page.split('aria-label="Lemon × 8"', 1)[1].split("</span>", 1)[0]
    assert lemons.count("<img") == 1 and "× 8" in page


async def test_ticks_are_recorded_once_and_undo_is_a_new_event(
    client: Client, other_client: Client
) -> None:
    family = await make_family()
    shopping_list = await make_list(family, pictures={"1F34E": 1, "1F95B": 1})
    apple = await ListItem.get(list=shopping_list, pictogram="1F34E")
    code = await link_phone(family)
    await other_client.link_phone(code)
    page = await other_client.get(f"/lists/{shopping_list.id}/shop")
    assert page.status_code == 200 and "0 of 2 in the basket." in page.text
    mark = {"id": str(uuid.uuid4()), "item_id": str(apple.id), "state": "ticked"}
    for _ in range(3):
        assert (await other_client.push("item.mark", mark))["status"] == "applied"
    assert await ItemMark.filter(item=apple).count() == 1
    assert (
        "1 of 2 in the basket." in (await other_client.get(f"/lists/{shopping_list.id}/shop")).text
    )
    undo = {"id": str(uuid.uuid4()), "item_id": str(apple.id), "state": "cleared"}
    assert (await other_client.push("item.mark", undo))["status"] == "applied"
    assert await ItemMark.filter(item=apple).count() == 2
    assert (
        "0 of 2 in the basket." in (await other_client.get(f"/lists/{shopping_list.id}/shop")).text
    )
    bad = await other_client.push("item.mark", {**undo, "id": str(uuid.uuid4()), "state": "eaten"})
    assert bad == {
        "mutation_id": 5,
        "status": "refused",
        "error": "Choose one of the choices.",
    }


async def test_ticking_works_without_javascript(client: Client) -> None:
    family = await make_family()
    shopping_list = await make_list(family, pictures={"1F34E": 1})
    await client.log_in(family.email, family.password)
    page = await client.get(f"/lists/{shopping_list.id}/shop")
    apple = await ListItem.get(list=shopping_list)
    action = f"/lists/{shopping_list.id}/items/{apple.id}/mark"
    tick = find_form(page.text, action, state="ticked")
    await client.post(action, data=tick.fields)
    page = await client.get(f"/lists/{shopping_list.id}/shop")
    assert "1 of 1 in the basket." in page.text
    not_found = find_form(page.text, action, state="not_found")
    assert not_found  # still in the page for the template, hidden while ticked


async def test_another_family_sees_nothing(client: Client, other_client: Client) -> None:
    family = await make_family()
    shopping_list = await make_list(family, pictures={"1F34E": 1})
    item = await ListItem.get(list=shopping_list)
    stranger = await make_family()
    await other_client.log_in(stranger.email, stranger.password)
    for url in (
        f"/families/{family.family.id}/lists",
        f"/lists/{shopping_list.id}",
        f"/lists/{shopping_list.id}/shop",
        f"/lists/{shopping_list.id}/add",
        f"/lists/{shopping_list.id}/items/{item.id}",
        f"/lists/{shopping_list.id}/delete",
    ):
        assert (await other_client.get(url)).status_code == 404, url
    response = await other_client.submit(f"/lists/{shopping_list.id}/items/{item.id}/remove")
    assert response.status_code == 404
    result = await other_client.push(
        "item.mark",
        {"id": str(uuid.uuid4()), "item_id": str(item.id), "state": "ticked"},
        family_id=stranger.family.id,
    )
    assert result["status"] == "refused"
    assert await ItemMark.all().count() == 0
    # A list id made by the stranger that happens to be taken is refused, not shared.
    response = await other_client.submit(
        f"/families/{stranger.family.id}/lists/new",
        {"id": str(shopping_list.id), "name": "Mine"},
    )
    assert response.status_code == 400
    assert (await ShoppingList.get(id=shopping_list.id)).name == "Saturday shop"


async def test_caregiver_reads_lists_but_cannot_change_or_tick(
    client: Client, other_client: Client
) -> None:
    family = await make_family()
    shopping_list = await make_list(family, pictures={"1F34E": 1})
    item = await ListItem.get(list=shopping_list)
    _account, email = await make_caregiver(family)
    await other_client.log_in(email, family.password)
    assert (await other_client.get(f"/lists/{shopping_list.id}")).status_code == 200
    assert (await other_client.get(f"/lists/{shopping_list.id}/add")).status_code == 403
    response = await other_client.submit(f"/lists/{shopping_list.id}/items/{item.id}/remove")
    assert response.status_code == 403
    response = await other_client.submit(
        f"/lists/{shopping_list.id}/items/{item.id}/mark",
        {"mark_id": str(uuid.uuid4()), "state": "ticked"},
    )
    assert response.status_code == 403
    assert (await ListItem.get(id=item.id)).deleted_at is None
    assert await ItemMark.all().count() == 0


async def test_person_plans_only_when_the_guardian_allows_it(
    client: Client, other_client: Client
) -> None:
    family = await make_family()
    code = await link_phone(family)
    await other_client.link_phone(code)
    me = await other_client.get("/me")
    assert "Make a new list" not in me.text
    response = await other_client.submit("/me/lists", {"id": str(uuid.uuid4())})
    assert response.status_code == 403
    await client.log_in(family.email, family.password)
    await client.submit(f"/people/{family.person.id}/settings", {"can_plan": "on"})
    me = await other_client.get("/me")
    new = find_form(me.text, "/me/lists")
    response = await other_client.post(new.action, data=new.fields)
    list_id = new.fields["id"]
    assert response.headers["location"] == f"/lists/{list_id}/add"
    picker = await other_client.get(f"/lists/{list_id}/add")
    assert "Find a picture by its name" not in picker.text  # the simpler picker
    await tap(other_client, list_id, f"/lists/{list_id}/add?area=snacks", "1F36A")
    me = await other_client.get("/me")
    assert f"/lists/{list_id}/shop" in me.text
    # The parent sees the person's list.
    assert 'aria-label="Biscuits × 1"' in (await client.get(f"/lists/{list_id}")).text
    # Parents' pages stay closed to the phone.
    assert (await other_client.get(f"/lists/{list_id}/edit")).status_code == 403
    assert (await other_client.get(f"/lists/{list_id}/delete")).status_code == 403


async def test_an_item_shows_its_newest_mark_by_time_then_id(client: Client) -> None:
    """The state every device agrees on: the mark with the latest phone time wins, and of two
    marks made at the same time the one with the greater id (SYNC.md), on either database."""
    from datetime import UTC, datetime, timedelta

    from pwa.lists import services as lists

    family = await make_family()
    shopping_list = await make_list(family, pictures={"1F95B": 1, "1F34E": 1, "1F35E": 1})
    milk, apple, bread = [
        await ListItem.get(list=shopping_list, pictogram=code)
        for code in ("1F95B", "1F34E", "1F35E")
    ]
    t0 = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)

    async def mark(item, state: str, at: datetime, mark_id: str | None = None) -> None:
        await ItemMark.create(
            id=mark_id or uuid.uuid4(), family=family.family, item=item, state=state, client_time=at
        )

    # Milk: ticked, then cleared later (made first, so the order of rows is not the answer).
    await mark(milk, "cleared", t0 + timedelta(minutes=2))
    await mark(milk, "ticked", t0 + timedelta(minutes=1))
    # Apple: two marks at the same moment; the greater id wins.
    await mark(apple, "ticked", t0, "ffffffff-0000-4000-8000-000000000000")
    await mark(apple, "not_found", t0, "00000000-0000-4000-8000-000000000000")
    for minute in range(31):  # bread: a long history, ticked last (minute 30)
        await mark(bread, "cleared" if minute % 2 else "ticked", t0 + timedelta(minutes=minute))
    states = await lists.item_states([milk, apple, bread])
    assert states == {milk.id: "open", apple.id: "ticked", bread.id: "ticked"}
