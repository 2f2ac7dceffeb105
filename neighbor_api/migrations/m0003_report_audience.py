"""Step 3: every report carries `audience`, the keys of who may see it.

Lists filter on `audience: {$in: <the viewer's keys>}` (one multikey index) instead of a
top-level `$or` that the embedded server cannot plan on an index. Reports written before this
release have no `audience`; this step computes it from the fields it is made of, as they are
stored: `place_path`, `visibility`, `reporter_id`, `assignee_id`, `entered_by_id`. Only reports
without one are touched, so running it again changes nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from pymongo import UpdateOne

from neighbor_api.core.migrations import Step, write_in_batches
from neighbor_api.core.mongo import Database, Document


def audience(report: Document) -> list[str]:
    """As `reports.models.Report.audience` computes it when this step is written."""
    path: list[Any] = report.get("place_path") or []
    keys = [f"staff:{place}" for place in path]
    if report.get("visibility") == "COMMUNITY":
        keys += [f"member:{place}" for place in path]
    people = (report.get("reporter_id"), report.get("assignee_id"), report.get("entered_by_id"))
    keys += [f"user:{person}" for person in dict.fromkeys(people) if person is not None]
    return keys


async def apply(db: Database) -> None:
    await write_in_batches(db["reports"], _updates(db))


async def _updates(db: Database) -> AsyncIterator[UpdateOne]:
    fields = {"place_path": 1, "visibility": 1, "reporter_id": 1, "assignee_id": 1}
    cursor = db["reports"].find({"audience": {"$exists": False}}, {**fields, "entered_by_id": 1})
    async for report in cursor:
        yield UpdateOne(
            {"_id": report["_id"], "audience": {"$exists": False}},
            {"$set": {"audience": audience(report)}},
        )


STEP = Step(3, "report_audience", apply)
