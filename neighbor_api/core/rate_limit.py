"""Fixed-window counters kept in the database, so a limit holds across every instance.

A counter is one document per (what is counted, window): `_id` names both, `count` goes up with
`$inc`, and a TTL index on `expires_at` (the window's end) removes it afterwards. Login
failures (`accounts/`) and Open311 requests per API key (`open311/`) both count this way, each
in its own collection.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING, IndexModel, ReturnDocument, UpdateOne
from pymongo.errors import DuplicateKeyError

from neighbor_api.core.mongo import Database


def ttl_index() -> IndexModel:
    """The index a counter collection needs: counters are removed when their window ends."""
    return IndexModel([("expires_at", ASCENDING)], name="expires_ttl", expireAfterSeconds=0)


def window(now: datetime, length: timedelta) -> tuple[datetime, datetime]:
    """The fixed window `now` falls in: its start and end."""
    seconds = int(length.total_seconds())
    start = datetime.fromtimestamp(int(now.timestamp()) // seconds * seconds, tz=now.tzinfo)
    return start, start + length


def key(kind: str, value: str, window_start: datetime) -> str:
    return f"{kind}:{value}:{int(window_start.timestamp())}"


async def counts(db: Database, collection: str, keys: Sequence[str]) -> dict[str, int]:
    cursor = db[collection].find({"_id": {"$in": list(keys)}})
    return {d["_id"]: int(d["count"]) async for d in cursor}


async def add(db: Database, collection: str, keys: Sequence[str], *, expires_at: datetime) -> None:
    """Count one against each key (one round trip)."""
    updates: list[Any] = [
        UpdateOne(
            {"_id": k}, {"$inc": {"count": 1}, "$setOnInsert": {"expires_at": expires_at}},
            upsert=True,
        )
        for k in keys
    ]  # fmt: skip
    await db[collection].bulk_write(updates, ordered=False)


async def hit(db: Database, collection: str, counter: str, *, expires_at: datetime) -> int:
    """Count one against `counter` and return its new count, atomically: of N concurrent hits
    each sees a different count, so exactly `limit` of them are at or under a limit.

    An `$inc` of the existing counter, else an insert of the first one (a racing insert loses
    on the `_id` and increments instead). Not one upserting find_one_and_update: under
    concurrent upserts of a new `_id`, SecantusDB applies them all but answers some with no
    document, so the caller cannot know its count (and a retry would count twice).
    """
    collection_ = db[collection]
    for _ in range(3):
        document = await collection_.find_one_and_update(
            {"_id": counter}, {"$inc": {"count": 1}}, return_document=ReturnDocument.AFTER
        )
        if document is not None:
            return int(document["count"])
        try:
            await collection_.insert_one({"_id": counter, "count": 1, "expires_at": expires_at})
        except DuplicateKeyError:  # another first hit inserted it: increment that one
            continue
        return 1
    raise RuntimeError(f"rate-limit counter {counter!r} could not be updated")
