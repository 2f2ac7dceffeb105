"""Step 7: the dashboards' escalation and resolution counts in the report rollups.

Each rollup document (`report_rollups`, one per community and local day, Asia/Shanghai) gains
`escalated` (of the reports created that day, how many were ever escalated beyond their
community: `escalated_to` not empty) and `resolved` (the resolutions made that day: the
reports' timeline entries of action RESOLVED, or `resolved_at` for a report whose timeline
records none). Report writes keep both from this release on; this step counts what is stored.
Every document is `$set` to what the reports say (days with a resolution but no report created
get a rollup of their own), so running it again changes nothing.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from pymongo import UpdateOne

from neighbor_api.core.migrations import Step
from neighbor_api.core.mongo import Database

ZONE = ZoneInfo("Asia/Shanghai")
BATCH = 1000


def _day(at: datetime) -> datetime:
    return datetime.combine(at.astimezone(ZONE).date(), time(), tzinfo=ZONE)


async def apply(db: Database) -> None:
    escalated: Counter[tuple[Any, datetime]] = Counter()
    resolved: Counter[tuple[Any, datetime]] = Counter()
    paths: dict[Any, list[Any]] = {}
    fields = {
        "community_id": 1, "place_path": 1, "created_at": 1, "escalated_to": 1,
        "resolved_at": 1, "timeline.action": 1, "timeline.at": 1,
    }  # fmt: skip
    async for report in db["reports"].find({}, fields):
        community = report["community_id"]
        paths[community] = report["place_path"]
        escalated[community, _day(report["created_at"])] += 0
        if report.get("escalated_to"):
            escalated[community, _day(report["created_at"])] += 1
        times = [e["at"] for e in report.get("timeline", []) if e.get("action") == "RESOLVED"]
        if not times and report.get("resolved_at") is not None:
            times = [report["resolved_at"]]
        for at in times:
            resolved[community, _day(at)] += 1
    writes = [
        UpdateOne(
            {"_id": f"{community}:{day.date().isoformat()}"},
            {
                "$set": {
                    "escalated": escalated.get((community, day), 0),
                    "resolved": resolved.get((community, day), 0),
                },
                "$setOnInsert": {
                    "community_id": community,
                    "place_path": paths[community],
                    "day": day,
                },
            },
            upsert=True,
        )
        for community, day in {*escalated, *resolved}
    ]
    for start in range(0, len(writes), BATCH):
        await db["report_rollups"].bulk_write(writes[start : start + BATCH], ordered=False)


STEP = Step(7, "rollup_milestones", apply)
