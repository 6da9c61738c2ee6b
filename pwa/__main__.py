"""The command line: serve, migrate, demo, create-staff, check-ledger, expire-vouchers, backup,
restore, purge, vapid-key, i18n-compile."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from pwa.settings import Settings


def _with_db(work: Callable[[], Awaitable[Any]]) -> Any:
    from tortoise import Tortoise

    from pwa.app import install_urls
    from pwa.db import tortoise_config

    install_urls()

    async def run() -> Any:
        await Tortoise.init(config=tortoise_config(Settings.from_env().database_url))
        try:
            return await work()
        finally:
            await Tortoise.close_connections()

    return asyncio.run(run())


def _log_config() -> dict[str, object]:
    """uvicorn's logging, and the app's own loggers at INFO beside it: without a handler of its
    own, "pwa.messages" (an SMS code or an email's link in development, pwa/accounts/sms.py and
    mail.py) and the app's warnings would never reach the terminal."""
    import copy

    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["pwa"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    # The same line, written without uvicorn's copy of each record (pwa/core/redact.py).
    config["formatters"]["access"]["()"] = "pwa.core.redact.AccessFormatter"
    return config


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pwa", description="Startrip")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the app with uvicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument("--workers", type=int, default=1)
    commands.add_parser(
        "migrate",
        help="apply the database migrations, then move the photos, clips and shop photos an "
        "older release kept under DATA_DIR into the database",
    )
    commands.add_parser("demo", help="load the demo data (idempotent)")
    commands.add_parser(
        "check-ledger",
        help="check that every voucher's balance is the sum of its ledger, every budget the sum "
        "of its entries (granted = unissued + outstanding + spent) and every statement its lines'",
    )
    commands.add_parser(
        "expire-vouchers",
        help="give ended vouchers' unspent balances back to their centres' budgets (the app "
        "does it every EXPIRY_EVERY_SECONDS too)",
    )
    commands.add_parser(
        "purge",
        help="remove the op log, field history, failed log-ins, codes and sessions older than "
        "the settings keep them (run daily)",
    )
    commands.add_parser(
        "vapid-key",
        help="print the Web Push key this server signs with, as VAPID_PRIVATE_KEY takes it "
        "(made and kept in DATA_DIR if neither is there yet)",
    )
    commands.add_parser("i18n-compile", help="compile locales/*/LC_MESSAGES/messages.po")
    save = commands.add_parser("backup", help="copy the SQLite database while the app runs")
    save.add_argument("path", nargs="?", default=None, help="default: data/backups/…")
    load = commands.add_parser("restore", help="put a backup back (stop the app first)")
    load.add_argument("path")
    staff = commands.add_parser(
        "create-staff", help="create a programme, centre, merchant or store staff account"
    )
    # programme: the first programme account (the others are invited from /programme);
    # chain: a merchant with stores, the account its admin.
    staff.add_argument("kind", choices=["centre", "merchant", "programme", "chain"])
    staff.add_argument("--org", required=True, help="organisation name")
    staff.add_argument("--city", default="", help="needed for a centre or a store")
    staff.add_argument("--address", default="")
    staff.add_argument("--email", required=True)
    staff.add_argument("--name", required=True)
    args = parser.parse_args(argv)
    try:
        Settings.from_env()
    except ValueError as exc:
        # A setting written wrong: one line saying which, not a traceback.
        print(f"settings: {exc}", file=sys.stderr)
        return 2

    if args.command == "serve":
        import uvicorn

        if args.port:
            # The app (made in each worker from the environment) builds its links with it.
            os.environ["PORT"] = str(args.port)
        settings = Settings.from_env()
        uvicorn.run(
            "pwa.app:create_served_app",
            factory=True,
            host=args.host,
            port=args.port or settings.port,
            workers=args.workers,
            proxy_headers=False,
            # Longer than a proxy's or a phone's idle connection (nginx keeps 60 s): with
            # uvicorn's 5 s, a request sent on a connection the server was closing at that
            # moment failed ("Server disconnected", bench/load.py).
            timeout_keep_alive=75,
            log_config=_log_config(),
        )
    elif args.command == "migrate":
        from pwa.db import migrate
        from pwa.legacy_files import move_into_database

        settings = Settings.from_env()
        asyncio.run(migrate(settings.database_url))
        print("migrations applied")
        files = _with_db(lambda: move_into_database(settings.data_dir))
        if files.moved or files.left:
            print(
                f"files under {settings.data_dir}: {files.moved} moved into the database, "
                f"{files.left} left in place (no row names them)"
            )
    elif args.command == "demo":
        from pwa.demo import load_demo

        made = _with_db(load_demo)
        print("demo data: " + (", ".join(made) if made else "already there"))
    elif args.command == "check-ledger":
        from pwa.budgets.services import money_problems

        problems = _with_db(money_problems)
        for problem in problems:
            print(problem)
        print("the ledger agrees with every balance" if not problems else "the ledger disagrees")
        return 1 if problems else 0
    elif args.command == "expire-vouchers":
        from pwa.budgets.services import expire_vouchers

        returned = _with_db(expire_vouchers)
        print(f"{returned.count} ended vouchers gave {returned.total} fen back to their budgets")
    elif args.command in ("backup", "restore"):
        from pathlib import Path

        from pwa import backup

        settings = Settings.from_env()
        try:
            if args.command == "backup":
                target = args.path and Path(args.path)
                written = backup.backup(settings.database_url, target, settings.data_dir)
                print(f"backup written to {written}")
            else:
                restored = backup.restore(settings.database_url, Path(args.path))
                print(f"{restored} restored from {args.path}")
        except backup.BackupError as exc:
            print(exc, file=sys.stderr)
            return 1
    elif args.command == "purge":
        from pwa.retention import purge

        settings = Settings.from_env()
        removed = _with_db(lambda: purge(settings))
        print("removed: " + ", ".join(f"{count} {kind}" for kind, count in removed.items()))
    elif args.command == "vapid-key":
        from pwa.review.services import private_raw

        print(private_raw(Settings.from_env()))
    elif args.command == "i18n-compile":
        from pwa.i18n import compile_catalogues

        for path in compile_catalogues():
            print(f"compiled {path}")
    elif args.command == "create-staff" and not args.city and args.kind in ("centre", "merchant"):
        print("create-staff: a centre or a store needs --city", file=sys.stderr)
        return 2
    elif args.command == "create-staff":
        from pwa.accounts.services import create_staff
        from pwa.models import OrgKind

        if sys.stdin.isatty():
            password = getpass.getpass("Password for the new account: ")
        else:
            password = sys.stdin.readline().strip()

        async def make() -> None:
            await create_staff(
                kind=OrgKind(args.kind),
                org_name=args.org,
                city=args.city,
                address=args.address,
                email=args.email,
                password=password,
                name=args.name,
            )

        from pwa.core.forms import FormErrors

        try:
            _with_db(make)
        except FormErrors as exc:
            print("create-staff: " + " ".join(exc.errors.values()), file=sys.stderr)
            return 1
        print(f"staff account {args.email} is ready")
    return 0


if __name__ == "__main__":
    sys.exit(main())
