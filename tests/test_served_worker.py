"""What `python -m pwa serve` runs in each worker (pwa/app.py, create_served_app): once
started, what the worker holds is out of the garbage collector's full rounds (issue 19: such a
round took 70 ms under load, a pause for every request in flight); an app made for a test is
not frozen, so one test's app does not outlive it."""

from __future__ import annotations

import gc

from pwa.app import create_app
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
