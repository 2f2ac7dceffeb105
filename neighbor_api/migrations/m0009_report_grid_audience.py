"""Step 9: the workers of a report's grid may see it (audience key `grid:<grid_id>`).

Grid workers now handle first what lies in their grid, so `reports.models.Report.audience`
holds `grid:<grid_id>` when the report has a grid. Reports written before carry a grid only
when they were assigned to a grid worker (the grid of the assignee); this step adds the key to
each report with a `grid_id`. `$addToSet`, so running it again changes nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from pymongo import UpdateOne

from neighbor_api.core.migrations import Step, write_in_batches
from neighbor_api.core.mongo import Database


async def apply(db: Database) -> None:
    await write_in_batches(db["reports"], _updates(db))


async def _updates(db: Database) -> AsyncIterator[UpdateOne]:
    async for report in db["reports"].find({"grid_id": {"$type": "objectId"}}, {"grid_id": 1}):
        key = f"grid:{report['grid_id']}"
        yield UpdateOne({"_id": report["_id"]}, {"$addToSet": {"audience": key}})


STEP = Step(9, "report_grid_audience", apply)
