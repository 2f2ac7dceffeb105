"""Step 5: reporters and endorsers follow their reports.

From this release a report's reporter, and everyone who endorses it, follow it
(`report_follows`, one document per report and user) and the report counts them
(`follower_count`). This step does the same for the reports already stored: an upsert per
(report, user), then each report's `follower_count` `$set` to the count of its follows, so
running it again changes nothing.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from pymongo import UpdateOne

from neighbor_api.core.migrations import Step
from neighbor_api.core.mongo import Database

BATCH = 1000


async def _write(db: Database, collection: str, writes: list[UpdateOne]) -> None:
    if writes:
        await db[collection].bulk_write(writes, ordered=False)
        writes.clear()


async def apply(db: Database) -> None:
    follows: list[UpdateOne] = []
    pairs: list[tuple[Any, Any, Any]] = []
    async for report in db["reports"].find({}, {"reporter_id": 1, "created_at": 1}):
        pairs.append((report["_id"], report["reporter_id"], report["created_at"]))
    async for endorsement in db["report_endorsements"].find(
        {}, {"report_id": 1, "user_id": 1, "created_at": 1}
    ):
        pairs.append((endorsement["report_id"], endorsement["user_id"], endorsement["created_at"]))
    for report_id, user_id, at in pairs:
        follows.append(
            UpdateOne(
                {"report_id": report_id, "user_id": user_id},
                {"$setOnInsert": {"created_at": at}},
                upsert=True,
            )
        )
        if len(follows) >= BATCH:
            await _write(db, "report_follows", follows)
    await _write(db, "report_follows", follows)

    counts: Counter[Any] = Counter()
    async for follow in db["report_follows"].find({}, {"report_id": 1}):
        counts[follow["report_id"]] += 1
    counted: list[UpdateOne] = []
    async for report in db["reports"].find({}, {"_id": 1}):
        counted.append(
            UpdateOne({"_id": report["_id"]}, {"$set": {"follower_count": counts[report["_id"]]}})
        )
        if len(counted) >= BATCH:
            await _write(db, "reports", counted)
    await _write(db, "reports", counted)


STEP = Step(5, "report_follows", apply)
