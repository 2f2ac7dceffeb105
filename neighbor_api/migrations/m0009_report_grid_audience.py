"""Step 9: the workers of a report's grid may see it (audience key `grid:<grid_id>`).

Grid workers now handle first what lies in their grid, so `reports.models.Report.audience`
holds `grid:<grid_id>` when the report has a grid. Reports written before carry a grid only
when they were assigned to a grid worker (the grid of the assignee); this step adds the key to
each report with a `grid_id`. `$addToSet`, so running it again changes nothing.
"""

from __future__ import annotations

from pymongo import UpdateOne

from neighbor_api.core.migrations import Step
from neighbor_api.core.mongo import Database

BATCH = 1000


async def apply(db: Database) -> None:
    cursor = db["reports"].find({"grid_id": {"$type": "objectId"}}, {"grid_id": 1})
    batch: list[UpdateOne] = []
    async for report in cursor:
        key = f"grid:{report['grid_id']}"
        batch.append(UpdateOne({"_id": report["_id"]}, {"$addToSet": {"audience": key}}))
        if len(batch) >= BATCH:
            await db["reports"].bulk_write(batch, ordered=False)
            batch = []
    if batch:
        await db["reports"].bulk_write(batch, ordered=False)


STEP = Step(9, "report_grid_audience", apply)
