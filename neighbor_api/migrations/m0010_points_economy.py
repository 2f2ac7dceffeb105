"""Step 10: the points economy (积分明细, 爱心超市, open tasks listed soonest first).

From this release every user's points are also held by an account (`point_accounts`, the sum
of their ledger entries, moved in the transaction that appends each entry), each ledger entry
carries the running `balance` after it, the ledger's unique key of awards becomes a partial
index on entries that name a task (`one_task_award`; spendings and refunds name a redemption
instead), and each task carries `soonest` (its start, else its due time, else never) and
`joinable` (claimable with a place free) for `openTasks`. This step does the same for what is
stored: it drops the old `one_award` index (the start-up created its successor), recomputes
each user's running balances in ledger order and `$set`s them with the account's total, and
sets `soonest` and `joinable` on every task; running it again writes the same values.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import UTC, datetime
from typing import Any

from pymongo import UpdateOne
from pymongo.errors import OperationFailure

from neighbor_api.core.migrations import Step
from neighbor_api.core.mongo import Database

BATCH = 1000
NO_DATE = datetime(9999, 12, 31, tzinfo=UTC)
CLAIMABLE = ("OPEN", "IN_PROGRESS")


async def _write(db: Database, collection: str, writes: list[UpdateOne]) -> None:
    if writes:
        await db[collection].bulk_write(writes, ordered=False)
        writes.clear()


async def apply(db: Database) -> None:
    existing = {index["name"] async for index in await db["points_ledger"].list_indexes()}
    if "one_award" in existing:
        with suppress(OperationFailure):  # dropped meanwhile by another instance
            await db["points_ledger"].drop_index("one_award")

    totals: dict[Any, int] = {}
    entries: list[UpdateOne] = []
    async for entry in db["points_ledger"].find(
        {}, {"user_id": 1, "points": 1}, sort=[("user_id", 1), ("at", 1), ("_id", 1)]
    ):
        user_id = entry["user_id"]
        totals[user_id] = totals.get(user_id, 0) + int(entry["points"])
        entries.append(UpdateOne({"_id": entry["_id"]}, {"$set": {"balance": totals[user_id]}}))
        if len(entries) >= BATCH:
            await _write(db, "points_ledger", entries)
    await _write(db, "points_ledger", entries)
    accounts = [
        UpdateOne({"_id": user_id}, {"$set": {"balance": total}}, upsert=True)
        for user_id, total in totals.items()
    ]
    for start in range(0, len(accounts), BATCH):
        await db["point_accounts"].bulk_write(accounts[start : start + BATCH], ordered=False)

    tasks: list[UpdateOne] = []
    async for task in db["tasks"].find(
        {}, {"due_at": 1, "starts_at": 1, "status": 1, "assignees": 1, "capacity": 1}
    ):
        soonest = task.get("starts_at") or task.get("due_at") or NO_DATE
        joinable = task.get("status") in CLAIMABLE and len(task.get("assignees") or []) < int(
            task.get("capacity") or 1
        )
        tasks.append(
            UpdateOne({"_id": task["_id"]}, {"$set": {"soonest": soonest, "joinable": joinable}})
        )
        if len(tasks) >= BATCH:
            await _write(db, "tasks", tasks)
    await _write(db, "tasks", tasks)


STEP = Step(10, "points_economy", apply)
