"""Nobody is offered a form they may not use (issue 14): a caregiver and the person's phone go
through every page they can reach by following links, and every form on every page posts to a
route whose declared action the one rule allows them. A caregiver reads; a phone whose person
may not plan is offered no way to change a list."""

from __future__ import annotations

import re
from collections import deque
from contextlib import AsyncExitStack
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import pytest
from starlette.routing import Match, Mount

from pwa.auth import rules
from pwa.auth.rules import Action, Role
from tests.conftest import Client
from tests.test_routes import caller, family_with_everything

# Pages that are not the family's: following them adds nothing to check.
SKIP = ("/static/", "/openmoji/", "/photos/", "/logout", "/sw.js", "/manifest", "/offline/")


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self._forms: list[tuple[str, str]] = []
        self.in_template = 0
        self._in_form: int | None = None
        self._form_ids: dict[str, int] = {}
        self._own_submit: set[int] = set()
        # Submit buttons that send another form to their own formaction (the list page's rows).
        self._outside: list[tuple[str, str]] = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "template":
            self.in_template -= 1
        if tag == "form":
            self._in_form = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "template":
            self.in_template += 1
        if self.in_template:
            # A <template> is not shown: the page's script fills it from the data, under the
            # same can_tick as the cards the server drew (checked there).
            return
        if tag == "a" and found.get("href", "").startswith("/"):
            self.links.append(found["href"])
        if tag == "form":
            self._in_form = len(self._forms)
            self._forms.append((found.get("method", "get").upper(), found.get("action", "")))
            if found.get("id"):
                self._form_ids[found["id"]] = self._in_form
        submits = (tag == "button" and found.get("type", "submit") == "submit") or (
            tag == "input" and found.get("type") in ("submit", "image")
        )
        if submits and found.get("form") and "formaction" in found:
            self._outside.append((found["form"], found["formaction"]))
        elif submits and self._in_form is not None:
            self._own_submit.add(self._in_form)

    @property
    def forms(self) -> list[tuple[str, str]]:
        """What the page can post, as a browser would: each form with a submit button of its
        own (or none sent by other buttons), and each button that sends another form to its own
        formaction, with that form's method."""
        sent_by_others = {
            self._form_ids[owner] for owner, _ in self._outside if owner in self._form_ids
        }
        own = [
            form
            for n, form in enumerate(self._forms)
            if n not in sent_by_others or n in self._own_submit
        ]
        by_buttons = [
            (self._forms[self._form_ids[owner]][0] if owner in self._form_ids else "GET", action)
            for owner, action in self._outside
        ]
        return own + by_buttons


def declared_action(app: Any, method: str, path: str) -> Action | None:
    """The action the app's route table declares for a request, as the router matches it."""
    scope = {"type": "http", "method": method, "path": path, "root_path": ""}
    for route in app.routes:
        if isinstance(route, Mount):
            continue
        match, _child = route.matches(scope)
        if match == Match.FULL:
            return route.actions.get("GET" if method == "HEAD" else method)
    return None


async def crawl(
    http: Client, start: str, refused: list[str], limit: int = 250
) -> dict[str, list[tuple[str, str]]]:
    """Every page reachable from start by links (GET only): its forms, by page. A link that
    leads to a refusal (403 or 404) is a button the caller should not have been offered."""
    seen: dict[str, list[tuple[str, str]]] = {}
    queue = deque([(start, start)])
    while queue and len(seen) < limit:
        url, came_from = queue.popleft()
        path = urlsplit(url).path
        if url in seen or path.startswith(SKIP):
            continue
        response = await http.get(url)
        if response.status_code in (403, 404):
            refused.append(f"{came_from}: a link to {url} answers {response.status_code}")
        if response.status_code != 200 or "text/html" not in response.headers["content-type"]:
            seen[url] = []
            continue
        page = _Page()
        page.feed(response.text)
        seen[url] = [(m, a or path) for m, a in page.forms]
        queue.extend((link.split("#")[0], url) for link in page.links if link.split("#")[0])
    return seen


def offered(app: Any, pages: dict[str, list[tuple[str, str]]], roles: frozenset[Role], person):
    wrong, count = [], 0
    for url, forms in pages.items():
        for method, action_url in forms:
            path = urlsplit(action_url).path
            action = declared_action(app, method, path)
            count += 1
            if action is None:
                wrong.append(f"{url}: a form to {method} {path}, which no route takes")
            elif action in rules.NOT_FAMILY:
                continue  # the caller's own session or language, or a public page
            elif not rules.allowed(roles, action, person):
                wrong.append(f"{url}: a form to {method} {path} ({action})")
    return wrong, count


@pytest.mark.parametrize("can_plan", [False, True])
async def test_a_caregiver_and_a_phone_are_offered_only_forms_they_may_use(
    app, client: Client, can_plan: bool
) -> None:
    mine = await family_with_everything(client)
    person = mine["family"].person
    await person.refresh_from_db()
    person.settings = {**person.settings, "can_plan": can_plan}
    await person.save(update_fields=["settings"])
    stack = AsyncExitStack()
    problems = []
    for name, start, roles in (
        ("caregiver", "/home", frozenset({Role.CAREGIVER})),
        ("phone", "/me", frozenset({Role.PERSON})),
    ):
        http = await caller(stack, app, mine, name)
        refused: list[str] = []
        pages = await crawl(http, start, refused)
        problems += [f"{name}: {r}" for r in refused]
        reached = [url for url, forms in pages.items() if forms]
        # The crawl went somewhere: the family's pages, each with at least the language form.
        assert len(pages) >= 6, (name, list(pages))
        wrong, count = offered(app, pages, roles, person)
        assert count >= len(reached)
        problems += [f"{name}: {w}" for w in wrong]
    await stack.aclose()
    assert not problems, "\n".join(problems)


async def test_the_check_sees_a_form_that_would_be_refused(app, client: Client) -> None:
    """The comparison above is not empty: a parent's list page offers forms a caregiver may
    not use, and the check names them."""
    mine = await family_with_everything(client)
    page = await client.get(f"/lists/{mine['params']['list_id']}")
    parsed = _Page()
    parsed.feed(page.text)
    forms = [(m, a) for m, a in parsed.forms]
    wrong, _count = offered(app, {"parent's list page": forms}, frozenset({Role.CAREGIVER}), None)
    assert wrong and all(re.search(r"\((list|photo)\.", w) for w in wrong), wrong
    # The rows' buttons too, which send the page's one form to their own formaction.
    assert any(re.search(r"POST /lists/[^/]+/items/[^/]+/remove \(", w) for w in wrong), wrong
