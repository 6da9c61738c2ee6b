"""Ids that name nothing, however they are written, get a 404 (or a translated 400 in a form)
on the programme's, merchants' and shops' pages: never a 500, also on PostgreSQL where an
integer id is an int4 (issue 17 review)."""

from __future__ import annotations

from tests.conftest import Client
from tests.factories import PASSWORD, make_programme_staff

HUGE = ("9999999999", "99999999999999999999", str(2**31), str(2**63))


async def test_huge_ids_in_paths_and_queries_are_not_found(client: Client) -> None:
    staff = await make_programme_staff()
    await client.log_in(staff.email or "", PASSWORD)
    for number in HUGE:
        for path in (
            f"/programme/statements/{number}",
            f"/programme/statements/{number}.csv",
            f"/programme/statements/merchants/{number}",
            f"/programme/organisations/{number}",
            f"/programme/organisations/{number}/end",
            f"/shops/{number}",
        ):
            answer = await client.get(path)
            assert answer.status_code == 404, (path, answer.status_code)
        for path in (
            f"/programme/organisations/1/staff/{number}/remove",
            f"/programme/statements/payments/{number}/reverse",
            f"/programme/shops/{number}/approve",
        ):
            answer = await client.submit(path)
            assert answer.status_code == 404, (path, answer.status_code)
        audit = await client.get(f"/programme/audit?organisation={number}&before={number}")
        assert audit.status_code == 200, audit.status_code
