"""Step 12: reports carry their fine map cell, and open reports their live cell.

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
    """An update for each report whose cells are not yet right (none the second time)."""
    projection = {"location": 1, "status": 1, "fine_cell": 1, "live_cell": 1}
    async for report in db["reports"].find({}, projection):
        fine_cell = fine_cell_of(*report["location"]["coordinates"])
        live_cell = fine_cell if report.get("status") in OPEN else None
        update: Document = {}
        if report.get("fine_cell") != fine_cell:
            update["$set"] = {"fine_cell": fine_cell}
        if live_cell is not None and report.get("live_cell") != live_cell:
            update.setdefault("$set", {})["live_cell"] = live_cell
        elif live_cell is None and "live_cell" in report:
            update["$unset"] = {"live_cell": ""}
        if update:
            yield UpdateOne({"_id": report["_id"]}, update)


STEP = Step(12, "report_live_cells", apply)
