"""Step 0006_points_economy on a first-edition ledger: running balances, accounts, the old
`one_award` index dropped, `soonest` on tasks; a second run writes the same."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bson import ObjectId
from pymongo import ASCENDING

from neighbor_api.core.deps import Deps
from neighbor_api.migrations import m0010_points_economy

AT = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


async def test_balances_accounts_index_and_soonest(deps: Deps) -> None:
    db = deps.db
    ledger = db["points_ledger"]
    await ledger.create_index(
        [("task_id", ASCENDING), ("user_id", ASCENDING), ("reason", ASCENDING)],
        name="one_award", unique=True,
    )  # fmt: skip
    lin, chen = ObjectId(), ObjectId()
    for user, points, minutes in ((lin, 20, 0), (chen, 5, 1), (lin, 15, 2), (lin, 10, 3)):
        await ledger.insert_one({
            "user_id": user, "community_id": ObjectId(), "points": points, "task_id": ObjectId(),
            "reason": "task.approved", "at": AT + timedelta(minutes=minutes),
        })  # fmt: skip
    due = AT + timedelta(days=3)
    await db["tasks"].insert_many([
        {"_id": 1, "due_at": due, "status": "OPEN", "assignees": [lin], "capacity": 2},
        {"_id": 2, "status": "IN_PROGRESS", "assignees": [lin], "capacity": 1},
    ])  # fmt: skip

    for _ in range(2):
        await m0010_points_economy.apply(db)

        names = {i["name"] async for i in await ledger.list_indexes()}
        assert "one_award" not in names
        balances = [e["balance"] async for e in ledger.find({"user_id": lin}).sort("at", 1)]
        assert balances == [20, 35, 45]
        accounts = {a["_id"]: a["balance"] async for a in db["point_accounts"].find()}
        assert accounts == {lin: 45, chen: 5}
        tasks = {t["_id"]: (t["soonest"], t["joinable"]) async for t in db["tasks"].find()}
        assert tasks == {1: (due, True), 2: (m0010_points_economy.NO_DATE, False)}
