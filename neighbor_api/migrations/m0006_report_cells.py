"""Step 6: reports carry the map cell of their point.

From this release a circle on the map (nearby reports, a new report's possible duplicates) is
read through `reports.cell`, the integer naming the square of `core.geo.CELL_DEGREES` holding
the report's point, on an ordinary index (SecantusDB takes about a second per 2dsphere circle
at 10k reports). This step gives the reports already stored their cell; running it again
changes nothing. The cell's formula is the stored data's (`core.geo.cell_of`): changing it
needs a new step.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from pymongo import UpdateOne

from neighbor_api.core.geo import cell_of
from neighbor_api.core.migrations import Step, write_in_batches
from neighbor_api.core.mongo import Database


async def apply(db: Database) -> None:
    await write_in_batches(db["reports"], _updates(db))


async def _updates(db: Database) -> AsyncIterator[UpdateOne]:
    async for report in db["reports"].find({}, {"location": 1}):
        lng, lat = report["location"]["coordinates"]
        yield UpdateOne({"_id": report["_id"]}, {"$set": {"cell": cell_of(lng, lat)}})


STEP = Step(6, "report_cells", apply)
