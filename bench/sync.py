"""Sync speed (issue 6): pull of 100 new changes against 1,000 and 100,000 older ones, and one
push of 1,000 mutations.

    .venv/bin/python bench/sync.py

For each size, a fresh SQLite database (WAL) in a temporary folder gets `older` item rows
spread over 100 families (this family's list among them) with server sequence numbers 1…older,
then 100 new changes to this family's list made by the service functions. A logged-in parent
pulls from the cursor before the 100 changes, 30 times, over HTTP in the same process (httpx's
ASGI transport: the app's whole stack, no network). Then one POST /api/sync/push carries 1,000
ticks (item.mark), each applied in its own transaction with its op log entry, and is timed.
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid

from fractional_indexing import generate_n_keys_between
from inprocess import CSRF_RE, app_with_a_family

from pwa.lists import services as lists
from pwa.models import ChangeCounter, Family, ListItem, OpLog, ShoppingList


async def older_changes(family: Family, shopping_list: ShoppingList, count: int) -> None:
    """Rows written straight in (no per-row sequence work), numbered 1…count."""
    families = [family] + [
        await Family.create(name=f"F{n}", code=f"BENCH{n:03d}") for n in range(99)
    ]
    list_of = {family.id: shopping_list}
    for other in families[1:]:
        list_of[other.id] = await ShoppingList.create(id=uuid.uuid4(), family=other, name="Old")
    keys = generate_n_keys_between(None, None, count)
    rows = [
        ListItem(
            id=uuid.uuid4(),
            family_id=families[n % 100].id,
            list_id=list_of[families[n % 100].id].id,
            pictogram="1F34E",
            area="fruit_veg",
            position=keys[n],
            change_seq=n + 1,
        )
        for n in range(count)
    ]
    await ListItem.bulk_create(rows, batch_size=2000)
    await ChangeCounter.update_or_create(id=1, defaults={"value": count})


async def run(older: int) -> tuple[float, float, float]:
    async with app_with_a_family() as bench:
        family, http = bench.family, bench.http
        shopping_list = await lists.create_list(
            family, list_id=uuid.uuid4(), name="Bench", person_id=""
        )
        await older_changes(family, shopping_list, older)
        new = [
            await lists.add_item(shopping_list, item_id=uuid.uuid4(), pictogram="1F95B", quantity=1)
            for _ in range(100)
        ]
        await bench.log_in()
        token = CSRF_RE.search((await http.get("/help")).text).group(1)  # type: ignore[union-attr]
        client_id = str(uuid.uuid4())
        params = {"client_id": client_id, "cursor": older, "family_id": str(family.id)}
        times = []
        for _ in range(30):
            started = time.perf_counter()
            answer = (await http.get("/api/sync/pull", params=params)).json()
            times.append(time.perf_counter() - started)
            assert len(answer["rows"]["items"]) == 100, answer["rows"]["items"][:1]
        mutations = [
            {
                "mutation_id": n + 1,
                "name": "item.mark",
                "args": {
                    "id": str(uuid.uuid4()),
                    "item_id": str(new[n % 100].id),
                    "state": "ticked" if n % 2 == 0 else "cleared",
                },
            }
            for n in range(1000)
        ]
        body = {"client_id": client_id, "family_id": str(family.id), "mutations": mutations}
        started = time.perf_counter()
        response = await http.post("/api/sync/push", json=body, headers={"X-CSRF-Token": token})
        push_seconds = time.perf_counter() - started
        assert response.status_code == 200 and response.json()["last_mutation_id"] == 1000
        assert await OpLog.filter(error="").count() == 1000
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], push_seconds


async def main() -> None:
    for older in (1_000, 100_000):
        median, p95, push_seconds = await run(older)
        print(
            f"{older:>7} older changes: pull of 100 new ones median {median * 1000:.1f} ms, "
            f"p95 {p95 * 1000:.1f} ms; push of 1,000 ticks {push_seconds:.2f} s"
        )


if __name__ == "__main__":
    asyncio.run(main())
