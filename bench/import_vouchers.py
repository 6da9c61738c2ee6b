"""How long the centre's CSV import of 6,000 vouchers takes (issue 5: "in seconds").

    .venv/bin/python bench/import_vouchers.py [rows]

Makes a fresh SQLite database in a temporary folder, a centre with rows/2 families, a CSV of
`rows` vouchers (two per family), and times pwa.vouchers.import_csv: the check of every row and
the insert of the vouchers and their ledger entries in one transaction.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

from tortoise.context import TortoiseContext

from pwa.budgets import services as budgets
from pwa.db import migrate, tortoise_config
from pwa.models import CentreFamily, Family, LedgerEntry, Organisation, OrgKind, Voucher
from pwa.vouchers import services as vouchers


async def main(rows: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite://{Path(folder) / 'bench.sqlite3'}"
        await migrate(url)
        async with TortoiseContext() as ctx:
            await ctx.init(config=tortoise_config(url))
            centre = await Organisation.create(kind=OrgKind.CENTRE, name="Bench", city="Hangzhou")
            # Issuing takes from the centre's budget (issue 17): ¥40 a row is plenty.
            await budgets.grant(
                centre, amount=str(40 * rows), take_back=False, note="bench", actor="bench"
            )
            codes = [f"B{n:07d}" for n in range(rows // 2)]
            await Family.bulk_create([Family(name=c, code=c) for c in codes], batch_size=1000)
            ids = dict(await Family.all().values_list("code", "id"))
            await CentreFamily.bulk_create(
                [CentreFamily(centre=centre, family_id=ids[c]) for c in codes], batch_size=1000
            )
            lines = ["family_code,amount,valid_until"] + [
                f"{code},{amount},2027-12-31" for code in codes for amount in (50, 30)
            ]
            data = ("\n".join(lines) + "\n").encode()
            started = time.perf_counter()
            count = await vouchers.import_csv(centre, data)
            seconds = time.perf_counter() - started
            assert count == rows == await Voucher.all().count()
            assert await LedgerEntry.all().count() == rows
            assert await budgets.money_problems() == []
            print(f"{count} vouchers imported in {seconds:.2f} s")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 6000))
