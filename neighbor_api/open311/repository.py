"""Every MongoDB query about Open311 API keys (their request counters: core/rate_limit.py)."""

from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING, IndexModel, ReturnDocument

from neighbor_api.core.mongo import Database, register_indexes
from neighbor_api.open311.models import ApiKey

KEYS = "open311_keys"

register_indexes(
    KEYS,
    [
        IndexModel([("key_hash", ASCENDING)], name="key_hash_unique", unique=True),
        # One live key per partner name (a revoked one may be replaced by a new one).
        IndexModel(
            [("name", ASCENDING)],
            name="live_name_unique",
            unique=True,
            partialFilterExpression={"revoked_at": None},
        ),
    ],
)


async def insert(db: Database, key: ApiKey) -> None:
    """Raises DuplicateKeyError when a live key of that name exists."""
    await db[KEYS].insert_one(key.to_document())


async def live_by_hash(db: Database, key_hash: str) -> ApiKey | None:
    document = await db[KEYS].find_one({"key_hash": key_hash, "revoked_at": None})
    return ApiKey.from_document(document) if document else None


async def latest_by_name(db: Database, name: str) -> ApiKey | None:
    document = await db[KEYS].find_one({"name": name}, sort=[("created_at", -1), ("_id", -1)])
    return ApiKey.from_document(document) if document else None


async def revoke(db: Database, name: str, *, now: datetime) -> ApiKey | None:
    document = await db[KEYS].find_one_and_update(
        {"name": name, "revoked_at": None},
        {"$set": {"revoked_at": now}},
        return_document=ReturnDocument.AFTER,
    )
    return ApiKey.from_document(document) if document else None


async def all_keys(db: Database) -> list[ApiKey]:
    cursor = db[KEYS].find({}, sort=[("name", ASCENDING), ("created_at", ASCENDING)])
    return [ApiKey.from_document(d) async for d in cursor]
