"""The points ledger: append-only entries, one per award; a balance is their sum.

The task-board feature writes the entries (exactly once per approved assignee); this module
owns the collection and how balances are read.
"""

from __future__ import annotations

from collections.abc import Sequence

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, IndexModel

from neighbor_api.core.mongo import Database, Document, register_indexes

COLLECTION = "points_ledger"

register_indexes(
    COLLECTION,
    [
        IndexModel([("user_id", ASCENDING), ("at", DESCENDING)], name="user_at"),
        IndexModel([("community_id", ASCENDING), ("user_id", ASCENDING)], name="community_user"),
    ],
)


async def balances(db: Database, user_ids: Sequence[ObjectId]) -> dict[ObjectId, int]:
    """Each user's total points over every community (one round trip for all of them)."""
    pipeline: list[Document] = [
        {"$match": {"user_id": {"$in": list(user_ids)}}},
        {"$group": {"_id": "$user_id", "points": {"$sum": "$points"}}},
    ]
    rows = await (await db[COLLECTION].aggregate(pipeline)).to_list()
    return {row["_id"]: int(row["points"]) for row in rows}
