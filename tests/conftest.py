"""Shared fixtures: the app on a fresh database (SQLite, or PostgreSQL: tests/databases.py), an
HTTP client, factories."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from starlette.applications import Starlette

from pwa.app import create_app, install_urls
from pwa.auth import passwords
from pwa.i18n import compile_catalogues
from pwa.settings import Settings
from tests import databases

# Services that name a page (a photo's or a step's link) build it from the route table, also
# where a test calls them without an app.
install_urls()

BASE_URL = "http://127.0.0.1"


# Cheap password hashes in the tests' own process: the app's argon2 settings cost about 50 ms
# a hash, and the tests make thousands of accounts and logins. Verifying reads the settings from
# each hash, so logging in works the same; the live servers of the browser tests keep the real
# settings.
passwords.hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def pytest_sessionstart(session: pytest.Session) -> None:
    # The app refuses to start without compiled catalogues; compile what is checked out.
    compile_catalogues()


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One database with every migration applied (its URL); each test gets a copy of it."""
    url = databases.make_template(tmp_path_factory.mktemp("template"))
    yield url
    databases.drop(url)


@pytest.fixture
def database_url(tmp_path: Path, migrated_db: str) -> Iterator[str]:
    """A fresh copy of the migrated database, on SQLite or PostgreSQL (tests/databases.py)."""
    url = databases.copy_of(migrated_db, tmp_path)
    yield url
    databases.drop(url)


@pytest.fixture
def empty_database_url(tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all, for the migration tests."""
    url = databases.empty(tmp_path)
    yield url
    databases.drop(url)


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        port=0,
        database_url=database_url,
        secret_key="test-secret-key",
        debug=False,
        default_locale="zh_Hans",
        data_dir=tmp_path,
    )


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[Starlette]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[Client]:
    async with Client(app) as http:
        yield http


@pytest.fixture
async def other_client(app: Starlette) -> AsyncIterator[Client]:
    """A second browser: another family, a caregiver, or the person's phone."""
    async with Client(app) as http:
        yield http


CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


class Client(httpx.AsyncClient):
    """An HTTP client that sends forms the way the pages do: with the session's CSRF token."""

    def __init__(self, app: Starlette, locale: str = "en") -> None:
        super().__init__(
            transport=httpx.ASGITransport(app=app),
            base_url=BASE_URL,
            headers={"Accept-Language": locale},
        )

    async def csrf(self) -> str:
        page = await self.get("/help")
        match = CSRF_RE.search(page.text)
        assert match, "every page carries the CSRF token for its forms"
        return match.group(1)

    async def submit(self, url: str, data: dict[str, str] | None = None) -> httpx.Response:
        fields = {"csrf_token": await self.csrf(), **(data or {})}
        return await self.post(url, data=fields)

    async def push(self, name: str, args: dict[str, Any], family_id: Any = None) -> dict[str, Any]:
        """Send one change through the sync outbox's endpoint, as the next mutation of this
        client; returns its result ({"status": "applied" | "refused" | "skipped", …})."""
        if not hasattr(self, "sync_client_id"):
            self.sync_client_id, self.next_mutation = str(uuid.uuid4()), 1
        mutation = {"mutation_id": self.next_mutation, "name": name, "args": args}
        response = await self.post(
            "/api/sync/push",
            json={
                "client_id": self.sync_client_id,
                "family_id": str(family_id or ""),
                "mutations": [mutation],
            },
            headers={"X-CSRF-Token": await self.csrf()},
        )
        assert response.status_code == 200, response.text
        self.next_mutation += 1
        return response.json()["results"][0]

    async def link_phone(self, code: str) -> None:
        """Be the person's phone, linked with a one-time code."""
        response = await self.submit(f"/link/{code}", {"confirm": "yes"})
        assert response.status_code == 303 and response.headers["location"] == "/me"

    async def log_in(self, email: str, password: str) -> httpx.Response:
        response = await self.submit("/login", {"email": email, "password": password})
        assert response.status_code == 303, response.text
        return response
