"""The care record (关爱档案) as CSV: one row per step of every trip. Read by its page's download
(pwa/review/routes.py) and by the family's archive (pwa/family/export.py), so both say the same."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

from pwa.core.csv_cells import safe_row
from pwa.i18n import _
from pwa.models import Person, Trip
from pwa.plans import services as plans
from pwa.trips import services as trips

LOCAL_TIME = ZoneInfo("Asia/Shanghai")
# A byte order mark, so spreadsheet programs read the Chinese as UTF-8.
BOM = "\ufeff"


async def person_records(person: Person, limit: int = 200) -> list[trips.TripRecord]:
    """The person's trips, newest first, each with what happened."""
    found = await Trip.filter(person=person).order_by("-started_at").limit(limit)
    for trip in found:
        trip.person = person  # the summary names the person; no query per trip for it
    return await trips.trip_records(list(found))


def _local(when: datetime | None) -> str:
    return when.astimezone(LOCAL_TIME).isoformat(timespec="seconds") if when else ""


def care_record_header() -> list[object]:
    return safe_row(
        [
            _("Trip"),
            _("Plan"),
            _("Trip started"),
            _("Step"),
            _("Sentence"),
            _("Done at"),
            _("Seconds"),
            _("Help card shown"),
            _("How much help"),
            _("Feeling before"),
            _("Feeling after"),
        ]
    )


def care_record_rows(records: list[trips.TripRecord]) -> Iterator[list[object]]:
    """The rows of these trips, in the order given. Plan names and step texts are written by
    people: safe_row keeps them from being formulas."""
    feelings = trips.feeling_words()
    levels = dict(plans.prompt_level_options())
    for record in records:
        for step in record.steps:
            yield safe_row(
                [
                    str(record.trip.id),
                    record.trip.plan_name,
                    _local(record.trip.started_at),
                    step.number,
                    step.text,
                    _local(step.done_at),
                    "" if step.seconds is None else step.seconds,
                    _("yes") if step.help_uses else _("no"),
                    levels.get(step.prompt_level, ""),
                    feelings.get(record.feeling_before, ""),
                    feelings.get(record.feeling_after, ""),
                ]
            )


def care_record_csv(records: list[trips.TripRecord]) -> str:
    """The whole file for trips given newest first (as person_records reads them): oldest
    first, with its byte order mark."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(care_record_header())
    writer.writerows(care_record_rows(list(reversed(records))))
    return BOM + out.getvalue()
