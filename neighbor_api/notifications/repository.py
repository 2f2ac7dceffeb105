"""Every MongoDB query about notifications and the notifier's progress."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.errors import BulkWriteError, DuplicateKeyError

from neighbor_api.core import events
from neighbor_api.core.mongo import Database, Document, register_indexes
from neighbor_api.core.pagination import Page, keyset_page
from neighbor_api.councils.repository import ELECTORS
from neighbor_api.notifications.models import Notification

NOTIFICATIONS = "notifications"
# The notifier's watermark (one document) and the events it has finished (ids, kept a day).
NOTIFIER_STATE = "notifier_state"
NOTIFIED_EVENTS = "notified_events"
STATE_ID = "notifier"
DUPLICATE_KEY = 11000
NOTIFIED_EVENTS_KEPT_SECONDS = 24 * 3600

FEED_SORT = [("created_at", DESCENDING), ("_id", DESCENDING)]

register_indexes(
    NOTIFICATIONS,
    [
        # Exactly once per (event, recipient), however many notifiers run.
        IndexModel(
            [("event_id", ASCENDING), ("user_id", ASCENDING)],
            name="one_per_event_and_user",
            unique=True,
        ),
        IndexModel(
            [("user_id", ASCENDING), ("created_at", DESCENDING), ("_id", DESCENDING)],
            name="feed",
        ),
        IndexModel(
            [
                ("user_id", ASCENDING),
                ("read", ASCENDING),
                ("created_at", DESCENDING),
                ("_id", DESCENDING),
            ],
            name="feed_by_read",
        ),
    ],
)
register_indexes(
    NOTIFIED_EVENTS,
    [
        IndexModel(
            [("at", ASCENDING)], name="expire", expireAfterSeconds=NOTIFIED_EVENTS_KEPT_SECONDS
        )
    ],
)
# The notifier reads the event log in (at, _id) order from its watermark.
register_indexes(
    events.COLLECTION, [IndexModel([("at", ASCENDING), ("_id", ASCENDING)], name="at_id")]
)


# --- The notifier's progress ----------------------------------------------------------------


async def watermark(db: Database) -> datetime | None:
    state = await db[NOTIFIER_STATE].find_one({"_id": STATE_ID})
    value = state.get("watermark") if state else None
    return value if isinstance(value, datetime) else None


async def raise_watermark(db: Database, to: datetime) -> None:
    """Move the watermark forward (never back: `$max`, so racing notifiers agree)."""
    await db[NOTIFIER_STATE].update_one({"_id": STATE_ID}, {"$max": {"watermark": to}}, upsert=True)


async def events_since(
    db: Database, since: datetime, kinds: Sequence[str], *, after: tuple[datetime, ObjectId] | None,
    limit: int,
) -> list[Document]:  # fmt: skip
    """Events of `kinds` at or after `since`, in (at, _id) order, after the key `after`."""
    condition: Document = {"kind": {"$in": list(kinds)}, "at": {"$gte": since}}
    if after is not None:
        at, event_id = after
        condition = {
            "$and": [
                condition,
                {"$or": [{"at": {"$gt": at}}, {"at": at, "_id": {"$gt": event_id}}]},
            ]
        }
    cursor = db[events.COLLECTION].find(
        condition, sort=[("at", ASCENDING), ("_id", ASCENDING)], limit=limit
    )
    return await cursor.to_list()


async def notified(db: Database, event_ids: Sequence[ObjectId]) -> set[ObjectId]:
    """Which of these events the notifier has finished."""
    cursor = db[NOTIFIED_EVENTS].find({"_id": {"$in": list(event_ids)}}, projection={"_id": 1})
    return {d["_id"] async for d in cursor}


async def mark_notified(db: Database, event_id: ObjectId, at: datetime) -> None:
    with contextlib.suppress(DuplicateKeyError):  # another notifier finished it too
        await db[NOTIFIED_EVENTS].insert_one({"_id": event_id, "at": at})


async def electors_user_ids(db: Database, proposal_id: ObjectId) -> list[ObjectId]:
    """Everyone in the electorate fixed when voting opened (each member of a household)."""
    cursor = db[ELECTORS].find({"proposal_id": proposal_id}, projection={"user_ids": 1})
    found: list[ObjectId] = []
    async for document in cursor:
        found.extend(document.get("user_ids", []))
    return list(dict.fromkeys(found))


# --- Notifications --------------------------------------------------------------------------


async def insert_many(db: Database, notifications: Sequence[Notification]) -> int:
    """Insert, skipping those already written (the unique index): how many were new."""
    if not notifications:
        return 0
    try:
        result = await db[NOTIFICATIONS].insert_many(
            [n.to_document() for n in notifications], ordered=False
        )
        return len(result.inserted_ids)
    except BulkWriteError as error:
        details: Any = error.details
        if any(e.get("code") != DUPLICATE_KEY for e in details.get("writeErrors", [])):
            raise
        inserted: int = details.get("nInserted", 0)
        return inserted


def _feed_query(user_id: ObjectId, unread_only: bool) -> Document:
    query: Document = {"user_id": user_id}
    if unread_only:
        query["read"] = False
    return query


async def feed(
    db: Database, user_id: ObjectId, *, unread_only: bool, first: int | None, after: str | None
) -> Page[Notification]:
    page = await keyset_page(
        db[NOTIFICATIONS], _feed_query(user_id, unread_only), sort=FEED_SORT, first=first,
        after=after,
    )  # fmt: skip
    return page.map(Notification.from_document)


async def unread_count(db: Database, user_id: ObjectId) -> int:
    count: int = await db[NOTIFICATIONS].count_documents({"user_id": user_id, "read": False})
    return count


async def by_id_of_user(
    db: Database, notification_id: ObjectId, user_id: ObjectId
) -> Notification | None:
    document = await db[NOTIFICATIONS].find_one({"_id": notification_id, "user_id": user_id})
    return Notification.from_document(document) if document else None


async def mark_read(
    db: Database, user_id: ObjectId, ids: Sequence[ObjectId] | None, at: datetime
) -> int:
    """Mark the user's unread notifications read (`ids` None: all of them); how many changed.
    Ids of anyone else's notifications match nothing."""
    query: Document = {"user_id": user_id, "read": False}
    if ids is not None:
        query["_id"] = {"$in": list(ids)}
    result = await db[NOTIFICATIONS].update_many(query, {"$set": {"read": True, "read_at": at}})
    return result.modified_count


async def delete_of_user(db: Database, user_id: ObjectId) -> int:
    """A deleted account's feed (its titles and bodies were written for that person)."""
    result = await db[NOTIFICATIONS].delete_many({"user_id": user_id})
    return result.deleted_count
