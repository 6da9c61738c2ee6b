"""The list page's rows, written once and kept (issue 19, pwa/lists/rows.py): a row holds
nothing of the session (its buttons send the page's one form, with that session's CSRF token),
a thing that changes shows its change, each language its own words, and what a worker keeps is
bounded. Also the template environment the rows
rely on, and the compression of a long page."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
import starlette.middleware.gzip as gzip_middleware
from starlette.applications import Starlette

from pwa.app import FAST_LEVEL
from pwa.lists import rows
from pwa.lists import services as lists
from pwa.models import ListItem
from pwa.templating import templates
from tests.conftest import Client
from tests.factories import make_family, make_list
from tests.html import find_form, forms
from tests.test_long_lists import fill

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


async def test_each_session_takes_a_thing_off_with_its_own_token(app: Starlette) -> None:
    family = await make_family()
    shopping_list = await make_list(family, name="Saturday")
    milk = await lists.add_item(shopping_list, item_id=uuid.uuid4(), pictogram="1F95B")
    eggs = await lists.add_item(shopping_list, item_id=uuid.uuid4(), pictogram="1F95A")
    async with Client(app) as first, Client(app) as second:
        await first.log_in(family.email, family.password)
        await second.log_in(family.email, family.password)
        pages = [await c.get(f"/lists/{shopping_list.id}") for c in (first, second)]
        tokens = [set(TOKEN.findall(page.text)) for page in pages]
        # Every form of a page, the rows' too, has that session's token, and no other's.
        assert len(tokens[0]) == len(tokens[1]) == 1
        assert tokens[0] != tokens[1]

        for client, page, item in ((first, pages[0], milk), (second, pages[1], eggs)):
            form = find_form(page.text, f"/lists/{shopping_list.id}/items/{item.id}/remove")
            answer = await client.post(form.action, data=form.fields)
            assert answer.status_code == 303
        assert await ListItem.filter(list_id=shopping_list.id, deleted_at=None).count() == 0


async def test_a_row_holds_no_form_and_nothing_of_the_session(client: Client) -> None:
    family = await make_family()
    await client.log_in(family.email, family.password)
    shopping_list = await make_list(family, name="Saturday")
    item = await lists.add_item(shopping_list, item_id=uuid.uuid4(), pictogram="1F95B")
    await lists.update_item(item, {"note": "<csrf-token> <form>"}, writer="test")
    page = await client.get(f"/lists/{shopping_list.id}")
    (token,) = set(TOKEN.findall(page.text))
    row = page.text[page.text.index(f'id="item-{item.id}"') :]
    row = row[: row.index("</li>")]
    assert "&lt;csrf-token&gt; &lt;form&gt;" in row
    assert token not in row and "<form" not in row
    # Its buttons send the page's form: Take off the list, and Move … only where there is room.
    assert f'formaction="/lists/{shopping_list.id}/items/{item.id}/remove"' in row
    assert 'form="row-actions"' in row and "Move up" not in row
    assert find_form(page.text, f"/lists/{shopping_list.id}/items/{item.id}/remove").fields == {
        "csrf_token": token
    }


async def test_a_row_shows_the_thing_as_it_is_now_in_the_page_language(client: Client) -> None:
    family = await make_family()
    await client.log_in(family.email, family.password)
    shopping_list = await make_list(family, name="Saturday")
    item = await lists.add_item(shopping_list, item_id=uuid.uuid4(), pictogram="1F95B")
    url = f"/lists/{shopping_list.id}"

    before = await client.get(url)
    assert "Milk" in before.text and "Milk × 1" in before.text
    await lists.update_item(item, {"label": "Oat milk", "quantity": "3"}, writer="test")
    after = await client.get(url)
    assert "Oat milk × 3" in after.text
    assert 'aria-label="Milk × 1"' not in after.text

    answer = await client.submit("/lang", {"locale": "zh_Hans", "next": url})
    assert answer.status_code == 303
    chinese = await client.get(url)
    row = chinese.text[chinese.text.index(f'id="item-{item.id}"') :]
    row = row[: row.index("</li>")]
    assert "Take off the list" not in row and "Move up" not in row
    assert "Oat milk" in row


async def test_the_rows_a_worker_keeps_are_bounded(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rows, "ROWS_KEPT", 20)
    rows._buttons.cache_clear()
    family = await make_family()
    await client.log_in(family.email, family.password)
    shopping_list = await make_list(family, name="Everything")
    items = await fill(shopping_list, 60)
    page = await client.get(f"/lists/{shopping_list.id}")
    # All 60 shown, only the last 20 written kept.
    assert len(re.findall(r'<li class="item-row"', page.text)) == len(items)
    assert len(rows._kept) <= 20
    again = await client.get(f"/lists/{shopping_list.id}")
    assert len(re.findall(r'<li class="item-row"', again.text)) == len(items)
    assert len(rows._kept) <= 20
    # A list's rows in one language have at most four sets of buttons (first, last, both or
    # neither of their area), each written once.
    assert rows._buttons.cache_info().currsize <= 4
    # Each row still has its own buttons: Take off the list for each, Move up for all but the
    # first of each area.
    assert again.text.count("/remove") == len(items)
    areas = len(re.findall(r'<section class="area-group"', again.text))
    assert again.text.count('value="up"') == len(items) - areas


async def test_a_long_page_arrives_compressed_and_whole(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    levels: list[int] = []
    made = gzip_middleware.zlib.compressobj

    def compressobj(level: int, *args: int) -> Any:
        levels.append(level)
        return made(level, *args)

    monkeypatch.setattr(gzip_middleware.zlib, "compressobj", compressobj)
    family = await make_family()
    await client.log_in(family.email, family.password)
    shopping_list = await make_list(family, name="Everything")
    await fill(shopping_list, lists.LIST_PAGE)
    levels.clear()
    page = await client.get(f"/lists/{shopping_list.id}", headers={"Accept-Encoding": "gzip"})
    assert page.headers["content-encoding"] == "gzip"
    assert int(page.headers["content-length"]) < len(page.content) / 5
    assert len(re.findall(r'<li class="item-row"', page.text)) == lists.LIST_PAGE
    assert page.text.rstrip().endswith("</html>")
    assert len(forms(page.text)) > lists.LIST_PAGE
    # Compressed faster than a page of the usual size, which stays at zlib's default level.
    small = await client.get("/help", headers={"Accept-Encoding": "gzip"})
    assert small.headers["content-encoding"] == "gzip"
    assert levels == [FAST_LEVEL, 6]


def test_a_template_from_a_file_takes_no_globals_of_its_own() -> None:
    env = templates.env
    with pytest.raises(TypeError):
        env.get_template("base.html", globals={"title": "Not mine"})
    made = env.from_string("{{ word }}", globals={"word": "own"})
    assert made.render() == "own"
    assert "word" not in env.globals
