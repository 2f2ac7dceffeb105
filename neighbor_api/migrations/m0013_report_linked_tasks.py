"""Step 13: reports count the tasks made from them.

From this release a report's `linkedTasks` reads the tasks made from it only when its
`linked_task_count` says there are some (`createTask` with `sourceReportId` counts each, in the
task's transaction). This step counts them for the reports already stored (a report no task was
made from keeps no count: 0); running it again changes nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator

from bson import ObjectId
from pymongo import UpdateOne

from neighbor_api.core.migrations import Step, write_in_batches
from neighbor_api.core.mongo import Database


async def apply(db: Database) -> None:
    await write_in_batches(db["reports"], _updates(db))


async def _updates(db: Database) -> AsyncIterator[UpdateOne]:
    """An update for each report whose count is not yet right (none the second time)."""
    made: Counter[ObjectId] = Counter()
    async for task in db["tasks"].find(
        {"source_report_id": {"$ne": None}}, {"source_report_id": 1}
    ):
        made[task["source_report_id"]] += 1
    for report_id, count in made.items():
        yield UpdateOne(
            {"_id": report_id, "linked_task_count": {"$ne": count}},
            {"$set": {"linked_task_count": count}},
        )


STEP = Step(13, "report_linked_tasks", apply)
