"""Browser fixtures: a live server, Debian's Chromium through Playwright at a phone viewport,
and the axe and tap-target checks from UX.md.

Sync Playwright fixtures are module-scoped: a session-scoped sync_playwright() breaks the
pytest-asyncio tests that run after it.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from pwa import ROOT
from tests import databases
from tests.browser.chromium import CHROMIUM, CHROMIUM_ARGS, PHONE

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
LOCALES = {"en": "en-GB", "zh": "zh-CN"}

pytestmark = pytest.mark.browser


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    """`python -m pwa serve` in its own process, with its own data folder and demo data."""

    data_dir: Path
    port: int = 0
    process: subprocess.Popen | None = None
    # Empty: SQLite in data_dir. A PostgreSQL URL: that (empty) database.
    database_url: str = ""
    # More settings for this server (e.g. SMS_ENDPOINT of a stand-in provider).
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def db_url(self) -> str:
        """The database the server uses, for tests that read it (tests/databases.fetch)."""
        return self.database_url or f"sqlite://{self.data_dir / 'startrip.sqlite3'}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _env(self) -> dict[str, str]:
        env = {**os.environ, "DATA_DIR": str(self.data_dir), "PYTHONUNBUFFERED": "1"}
        env["DATABASE_URL"] = self.db_url
        env.update(self.extra_env)
        return env

    def prepare(self) -> None:
        for command in ("migrate", "demo"):
            subprocess.run(
                [sys.executable, "-m", "pwa", command],
                cwd=ROOT,
                env=self._env(),
                check=True,
                capture_output=True,
            )

    def start(self) -> None:
        self.port = self.port or free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pwa", "serve", "--port", str(self.port)],
            cwd=ROOT,
            env=self._env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError("the live server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


# The demo, migrated and loaded once per run (about 20 s), then copied for each module's server:
# a file copy on SQLite, CREATE DATABASE … TEMPLATE on PostgreSQL.
_demo: LiveServer | None = None


def _demo_template() -> LiveServer:
    global _demo
    if _demo is None:
        folder = Path(tempfile.mkdtemp(prefix="startrip-demo-"))
        database_url = databases.empty(folder) if databases.ON_POSTGRES else ""
        template = LiveServer(folder, database_url=database_url)
        template.prepare()
        _demo = template
        atexit.register(shutil.rmtree, folder, True)
        if database_url:
            atexit.register(databases.drop, database_url)
    return _demo


def _copy_demo(folder: Path) -> str:
    """The demo's data folder copied into folder (its secret key too); the database's URL,
    empty for SQLite (in the folder)."""
    template = _demo_template()
    folder.mkdir(parents=True, exist_ok=True)
    for item in template.data_dir.iterdir():
        if item.is_file():
            shutil.copy2(item, folder / item.name)
        elif item.is_dir():
            # A folder the server keeps (the demo's shop photos are in the database since
            # issue 19, pwa/core/blobs.py; older releases kept them here).
            shutil.copytree(item, folder / item.name, dirs_exist_ok=True)
    if databases.ON_POSTGRES:
        return databases.copy_of(template.db_url, folder)
    return ""


@contextmanager
def serving(folder: Path, extra_env: dict[str, str] | None = None) -> Iterator[LiveServer]:
    """A live server with the demo data; extra_env adds settings (a module that needs stand-in
    SMS or mail servers overrides `live_server` with this)."""
    # On the PostgreSQL run (tests/databases.py) the server gets its own database there.
    database_url = _copy_demo(folder)
    server = LiveServer(folder, database_url=database_url, extra_env=dict(extra_env or {}))
    server.start()
    try:
        yield server
    finally:
        server.stop()
        if database_url:
            databases.drop(database_url)


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with serving(tmp_path_factory.mktemp("live")) as server:
        yield server


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def new_context(
    browser: Browser, live_server: LiveServer
) -> Iterator[Callable[..., BrowserContext]]:
    """Open a phone-sized browser context in a language ("en" or "zh")."""
    contexts: list[BrowserContext] = []

    def make(lang: str = "en", **options: object) -> BrowserContext:
        context = browser.new_context(
            **{**PHONE, **options}, locale=LOCALES[lang], base_url=live_server.url
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def phone(new_context: Callable[..., BrowserContext]) -> Callable[[str], Page]:
    """A page in a new phone-sized context, in a language."""

    def make(lang: str = "en") -> Page:
        return new_context(lang).new_page()

    return make


_axe = Axe()


def axe_violations(page: Page) -> list[str]:
    """axe-core with the WCAG 2.2 AA tags; target-size raised to 44 px as UX.md asks."""
    page.evaluate(_axe.axe_script)
    page.evaluate("axe.configure({checks: [{id: 'target-size', options: {minSize: 44}}]})")
    results = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
    )
    return [
        f"{v['id']}: {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results["violations"]
    ]


CONTROLS = "a[href], button, input:not([type=hidden]), select, textarea, label.choice, summary"
SMALL_TARGETS_JS = """
selector => [...document.querySelectorAll(selector)]
  .filter(el => !el.disabled && el.getClientRects().length)
  .map(el => [el, el.getBoundingClientRect()])
  .filter(([el, r]) => r.width < 44 || r.height < 44)
  .map(([el, r]) => `${el.outerHTML.slice(0, 80)} ${Math.round(r.width)}x${Math.round(r.height)}`)
"""


def small_targets(page: Page) -> list[str]:
    """Every enabled control at least 44×44, a radio button and a checkbox too (issue 18: they
    were 27×27, counted by their label)."""
    return page.evaluate(SMALL_TARGETS_JS, CONTROLS)


def log_in(page: Page, email: str, password: str = "startrip-demo") -> None:
    page.goto("/login")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(password)
    page.locator("form.form button[type=submit]").click()
    page.wait_for_load_state()


def link_phone(parent: Page, phone: Page) -> None:
    """The parent (logged in) shows a one-time code; the phone types it and confirms."""
    parent.goto("/home")
    parent.locator("a.card").first.click()
    parent.goto(f"{parent.url}/phone")
    parent.locator("main form button.button-main").click()
    code = parent.locator(".link-code .code-text").inner_text().strip()
    phone.goto("/link")
    phone.locator("input[name=code]").fill(code)
    phone.locator("main form button[type=submit]").click()
    phone.locator("main form button[type=submit]").click()
    phone.wait_for_url("**/me")
