"""Step 11: reports carry their fine map cell, and open reports their live cell.

From this release `ReportsNearby` reads ring by ring of fine cells around its point
(`reports.fine_cell`, the square of `core.geo.FINE_CELL_DEGREES` holding the point), and the
possible duplicates and similar reports read only the open reports' cells (`reports.live_cell`:
the report's fine cell while its status is SUBMITTED, ACCEPTED, ASSIGNED or IN_PROGRESS,
absent otherwise, on a sparse index). This step gives the reports already stored both; running it
again changes nothing. The fine cell's formula is the stored data's (`core.geo.fine_cell_of`):
changing it needs a new step.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from pymongo import UpdateOne

from neighbor_api.core.geo import fine_cell_of
from neighbor_api.core.migrations import Step, write_in_batches
from neighbor_api.core.mongo import Database, Document

# The open statuses as this step is written (reports.models.OPEN_STATUSES today).
OPEN = frozenset({"SUBMITTED", "ACCEPTED", "ASSIGNED", "IN_PROGRESS"})


async def apply(db: Database) -> None:
    await write_in_batches(db["reports"], _updates(db))


async def _updates(db: Database) -> AsyncIterator[UpdateOne]:
    async for report in db["reports"].find({}, {"location": 1, "status": 1}):
        lng, lat = report["location"]["coordinates"]
        fine_cell = fine_cell_of(lng, lat)
        update: Document = {"$set": {"fine_cell": fine_cell}}
        if report.get("status") in OPEN:
            update["$set"]["live_cell"] = fine_cell
        else:
            update["$unset"] = {"live_cell": ""}
        yield UpdateOne({"_id": report["_id"]}, update)


STEP = Step(11, "report_live_cells", apply)
