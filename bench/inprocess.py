"""The whole app in one process for a bench (bench/sync.py, profile_cycle.py, first_pull.py):
a fresh SQLite file (WAL) in a temporary folder, the app's lifespan, one family whose parent
has agreed to the privacy notice, and an httpx client over the ASGI transport (no network)
logged in as that parent."""

from __future__ import annotations

import re
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from pwa.accounts import consent
from pwa.accounts import services as accounts
from pwa.app import create_app
from pwa.db import migrate
from pwa.models import Family, Person
from pwa.settings import Settings

PASSWORD = "bench-password-1"
EMAIL = "bench@example.test"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Bench:
    family: Family
    person: Person
    http: httpx.AsyncClient

    async def log_in(self) -> None:
        """The parent logs in through the page, as a browser does."""
        page = await self.http.get("/login")
        token = CSRF_RE.search(page.text).group(1)  # type: ignore[union-attr]
        await self.http.post(
            "/login", data={"csrf_token": token, "email": EMAIL, "password": PASSWORD}
        )


@asynccontextmanager
async def app_with_a_family() -> AsyncIterator[Bench]:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite://{Path(folder) / 'bench.sqlite3'}"
        await migrate(url)
        settings = Settings(
            port=0,
            database_url=url,
            secret_key="bench",
            debug=False,
            default_locale="en",
            data_dir=Path(folder),
        )
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            guardian = await accounts.sign_up_parent(
                email=EMAIL,
                password=PASSWORD,
                name="Bench",
                phone="",
                person_name="Ming",
                locale="en",
            )
            family = await Family.get(memberships__account_id=guardian.id)
            person = await Person.get(family=family)
            await consent.record(
                guardian, occasion="sign_up", family_id=family.id, person_id=person.id
            )
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
                yield Bench(family=family, person=person, http=http)
