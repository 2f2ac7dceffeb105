"""Step 4: the dashboards' report rollups, counted from the reports.

`placeStats` reads the reports created on whole days of a period from `report_rollups`: one
document per community and local day of creation (Asia/Shanghai), `_id` "<community>:<date>",
with `by_status` (the count in each status now) and `by_category`. Every report write keeps them
in step from this release on; this step counts the reports already stored. Each document is
`$set` to what the reports say, so running it again changes nothing.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from pymongo import UpdateOne

from neighbor_api.core.migrations import Step
from neighbor_api.core.mongo import Database

ZONE = ZoneInfo("Asia/Shanghai")
BATCH = 1000


async def apply(db: Database) -> None:
    statuses: defaultdict[tuple[Any, datetime], Counter[str]] = defaultdict(Counter)
    categories: defaultdict[tuple[Any, datetime], Counter[str]] = defaultdict(Counter)
    paths: dict[Any, list[Any]] = {}
    fields = {"community_id": 1, "place_path": 1, "created_at": 1, "status": 1, "category": 1}
    async for report in db["reports"].find({}, fields):
        local = report["created_at"].astimezone(ZONE)
        key = (report["community_id"], datetime.combine(local.date(), time(), tzinfo=ZONE))
        statuses[key][report["status"]] += 1
        categories[key][report["category"]] += 1
        paths[report["community_id"]] = report["place_path"]
    writes = [
        UpdateOne(
            {"_id": f"{community}:{day.date().isoformat()}"},
            {
                "$set": {
                    "community_id": community,
                    "place_path": paths[community],
                    "day": day,
                    "by_status": dict(statuses[community, day]),
                    "by_category": dict(categories[community, day]),
                }
            },
            upsert=True,
        )
        for community, day in statuses
    ]
    for start in range(0, len(writes), BATCH):
        await db["report_rollups"].bulk_write(writes[start : start + BATCH], ordered=False)


STEP = Step(4, "report_rollups", apply)
