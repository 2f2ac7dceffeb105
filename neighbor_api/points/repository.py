"""The points ledger: append-only entries, one per award; a balance is their sum.

The task-board feature writes the entries (exactly once per approved assignee); this module
owns the collection and how balances are read.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, IndexModel

from neighbor_api.core.events import EventKind
from neighbor_api.core.mongo import Database, Document, Session, register_indexes

COLLECTION = "points_ledger"

register_indexes(
    COLLECTION,
    [
        IndexModel([("user_id", ASCENDING), ("at", DESCENDING)], name="user_at"),
        IndexModel([("community_id", ASCENDING), ("user_id", ASCENDING)], name="community_user"),
        # Exactly once: one entry per task, user and reason, whatever retries or races.
        IndexModel(
            [("task_id", ASCENDING), ("user_id", ASCENDING), ("reason", ASCENDING)],
            name="one_award",
            unique=True,
        ),
    ],
)

# Why points were given (part of an entry's unique key): the kind of the event that gave them.
TASK_APPROVED: str = EventKind.TASK_APPROVED.value


async def balances(db: Database, user_ids: Sequence[ObjectId]) -> dict[ObjectId, int]:
    """Each user's total points over every community (one round trip for all of them)."""
    pipeline: list[Document] = [
        {"$match": {"user_id": {"$in": list(user_ids)}}},
        {"$group": {"_id": "$user_id", "points": {"$sum": "$points"}}},
    ]
    rows = await (await db[COLLECTION].aggregate(pipeline)).to_list()
    return {row["_id"]: int(row["points"]) for row in rows}


async def award(
    db: Database,
    *,
    task_id: ObjectId,
    community_id: ObjectId,
    place_path: Sequence[ObjectId],
    awards: Sequence[tuple[ObjectId, int]],
    at: datetime,
    reason: str = TASK_APPROVED,
    session: Session | None = None,
) -> None:
    """Append one entry per (user, points). A second entry for the same task, user and reason
    raises DuplicateKeyError (the unique index decides, under any concurrency)."""
    if awards:
        await db[COLLECTION].insert_many(
            [
                {
                    "user_id": user_id,
                    "community_id": community_id,
                    "place_path": list(place_path),
                    "points": points,
                    "task_id": task_id,
                    "reason": reason,
                    "at": at,
                }
                for user_id, points in awards
            ],
            ordered=True,
            session=session,
        )


async def awards_for(
    db: Database, task_id: ObjectId, *, reason: str = TASK_APPROVED
) -> list[tuple[ObjectId, int]]:
    """The entries a task gave, in the order they were written."""
    cursor = db[COLLECTION].find({"task_id": task_id, "reason": reason}, sort=[("_id", ASCENDING)])
    return [(d["user_id"], int(d["points"])) async for d in cursor]


async def leaderboard(db: Database, community_id: ObjectId, *, limit: int) -> list[Document]:
    """The community's top `limit` balances, most points first (ties by user id): one
    aggregation led by the (community_id, user_id) index."""
    pipeline: list[Document] = [
        {"$match": {"community_id": community_id}},
        {"$group": {"_id": "$user_id", "points": {"$sum": "$points"}}},
        {"$sort": {"points": -1, "_id": 1}},
        {"$limit": limit},
    ]
    return await (await db[COLLECTION].aggregate(pipeline)).to_list()
