"""What `python -m pwa serve` runs in each worker (pwa/app.py, create_served_app): once
started, what the worker holds is out of the garbage collector's full rounds (issue 19: such a
round took 70 ms under load, a pause for every request in flight); an app made for a test is
not frozen, so one test's app does not outlive it."""

from __future__ import annotations

import gc
import logging

import pytest

from pwa import templating
from pwa.app import create_app, create_served_app
from pwa.settings import Settings


async def test_a_served_worker_freezes_what_it_holds_once_started(settings: Settings) -> None:
    application = create_app(settings, freeze_after_start=True)
    gc.unfreeze()
    try:
        async with application.router.lifespan_context(application):
            # The app's routes and templates are among what is frozen.
            assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()


async def test_an_app_made_for_a_test_freezes_nothing(settings: Settings) -> None:
    gc.unfreeze()
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        assert gc.get_freeze_count() == 0


def test_a_served_worker_reads_each_template_file_once_unless_debugging(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A served worker does not look at a template file's time again for every page; with
    DEBUG=true an edited template shows on the next page, as in development."""
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setattr(templating.templates.env, "auto_reload", True)
    for switch in ("_srcfile", "logThreads", "logProcesses", "logMultiprocessing"):
        monkeypatch.setattr(logging, switch, getattr(logging, switch))  # set back afterwards
    monkeypatch.setenv("DEBUG", "true")
    create_served_app()
    assert templating.templates.env.auto_reload
    monkeypatch.setenv("DEBUG", "false")
    create_served_app()
    assert not templating.templates.env.auto_reload
