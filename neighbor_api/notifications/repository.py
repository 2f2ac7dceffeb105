"""Every MongoDB query about notifications and the notifier's progress."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, IndexModel, ReturnDocument, UpdateOne
from pymongo.errors import BulkWriteError, DuplicateKeyError

from neighbor_api.core import events
from neighbor_api.core.mongo import Database, Document, Session, register_indexes
from neighbor_api.core.pagination import Page, keyset_page
from neighbor_api.councils.repository import ELECTORS, PARTICIPATIONS
from neighbor_api.notifications.models import (
    Notification,
    Preferences,
    PushDevice,
    PushMessage,
    PushStatus,
)

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


async def mark_notified(
    db: Database, event_ids: Sequence[ObjectId], at: datetime, *, session: Session
) -> None:
    """Mark events finished, in the transaction that writes their notifications
    (DuplicateKeyError when another notifier finished one of them)."""
    with _duplicates_refused():
        await db[NOTIFIED_EVENTS].insert_many(
            [{"_id": event_id, "at": at} for event_id in event_ids], session=session
        )


async def electors_user_ids(
    db: Database, proposal_id: ObjectId, *, not_voted: bool = False
) -> list[ObjectId]:
    """Everyone in the electorate fixed when voting opened (each member of a household);
    `not_voted`: only the electors whose vote has not been cast (by anyone of the household)."""
    voted: set[str] = set()
    if not_voted:
        cast = db[PARTICIPATIONS].find({"proposal_id": proposal_id}, projection={"voter_key": 1})
        voted = {d["voter_key"] async for d in cast}
    cursor = db[ELECTORS].find(
        {"proposal_id": proposal_id}, projection={"user_ids": 1, "voter_key": 1}
    )
    found: list[ObjectId] = []
    async for document in cursor:
        if document.get("voter_key") not in voted:
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
        if not _only_duplicates(error):
            raise
        inserted: int = error.details.get("nInserted", 0)
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


# --- Preferences ------------------------------------------------------------------------------

PREFERENCES = "notification_preferences"


async def preferences_of(db: Database, user_ids: Sequence[ObjectId]) -> dict[ObjectId, Preferences]:
    cursor = db[PREFERENCES].find({"_id": {"$in": list(user_ids)}})
    return {d["_id"]: Preferences.from_document(d) async for d in cursor}


async def save_preferences(db: Database, preferences: Preferences) -> None:
    document = preferences.to_document()
    await db[PREFERENCES].replace_one({"_id": document["_id"]}, document, upsert=True)


# --- Reminders (time-based notices): one document per reminder ever recorded ----------------

REMINDERS = "reminders"


async def reminded(db: Database, keys: Sequence[str]) -> set[str]:
    cursor = db[REMINDERS].find({"_id": {"$in": list(keys)}}, projection={"_id": 1})
    return {d["_id"] async for d in cursor}


async def insert_reminder(db: Database, key: str, at: datetime, *, session: Session) -> None:
    """Raises DuplicateKeyError if this reminder was recorded already (by any instance)."""
    await db[REMINDERS].insert_one({"_id": key, "at": at}, session=session)


# --- Push devices -------------------------------------------------------------------------------

DEVICES = "push_devices"
register_indexes(
    DEVICES,
    [
        # One token belongs to one user: registering it again moves it (an upsert on it).
        IndexModel([("token", ASCENDING)], name="one_per_token", unique=True),
        IndexModel([("user_id", ASCENDING), ("created_at", ASCENDING)], name="user"),
    ],
)


async def register_device(
    db: Database, user_id: ObjectId, token: str, platform: str, at: datetime
) -> PushDevice:
    """The device of `token`, now the user's (created, or moved from whoever had it). Racing
    upserts of one new token: the unique index lets one insert; the others update it."""
    update = {
        "$set": {"user_id": user_id, "platform": platform, "updated_at": at},
        "$setOnInsert": {"created_at": at},
    }
    for _ in range(3):
        try:
            document = await db[DEVICES].find_one_and_update(
                {"token": token}, update, upsert=True, return_document=ReturnDocument.AFTER
            )
        except DuplicateKeyError:  # another upsert inserted it first: update that one
            continue
        if document is not None:
            return PushDevice.from_document(document)
    document = await db[DEVICES].find_one_and_update(
        {"token": token}, update, return_document=ReturnDocument.AFTER
    )
    if document is None:
        raise RuntimeError("a push device could not be registered")
    return PushDevice.from_document(document)


async def unregister_device(db: Database, user_id: ObjectId, device_id: ObjectId) -> bool:
    result = await db[DEVICES].delete_one({"_id": device_id, "user_id": user_id})
    return bool(result.deleted_count)


async def remove_device(db: Database, device_id: ObjectId) -> None:
    await db[DEVICES].delete_one({"_id": device_id})


async def devices_of(db: Database, user_ids: Sequence[ObjectId]) -> list[PushDevice]:
    cursor = db[DEVICES].find(
        {"user_id": {"$in": list(user_ids)}}, sort=[("created_at", ASCENDING), ("_id", ASCENDING)]
    )
    return [PushDevice.from_document(d) async for d in cursor]


async def devices_by_ids(db: Database, ids: Sequence[ObjectId]) -> list[PushDevice]:
    cursor = db[DEVICES].find({"_id": {"$in": list(ids)}})
    return [PushDevice.from_document(d) async for d in cursor]


# --- The push outbox ----------------------------------------------------------------------------

OUTBOX = "push_outbox"
register_indexes(
    OUTBOX,
    [
        # Never twice to one device: one message per (notification, device).
        IndexModel(
            [("notification_id", ASCENDING), ("device_id", ASCENDING)],
            name="one_per_device",
            unique=True,
        ),
        # The worker's claim: the pending messages due now, earliest first.
        IndexModel([("status", ASCENDING), ("next_at", ASCENDING)], name="due"),
    ],
)


async def existing_recipients(
    db: Database, event_id: ObjectId, *, session: Session
) -> set[ObjectId]:
    cursor = db[NOTIFICATIONS].find(
        {"event_id": event_id}, projection={"user_id": 1}, session=session
    )
    return {d["user_id"] async for d in cursor}


@contextlib.contextmanager
def _duplicates_refused() -> Iterator[None]:
    """A batch insert refused by a unique index raises DuplicateKeyError, as one insert does."""
    try:
        yield
    except BulkWriteError as error:
        if not _only_duplicates(error):
            raise
        raise DuplicateKeyError(str(error), DUPLICATE_KEY, error.details) from error


def _only_duplicates(error: BulkWriteError) -> bool:
    """Whether every write a batch had refused was refused by a unique index."""
    details: Any = error.details
    return all(e.get("code") == DUPLICATE_KEY for e in details.get("writeErrors", []))


async def insert_written(
    db: Database, notifications: Sequence[Notification], messages: Sequence[PushMessage],
    *, session: Session,
) -> None:  # fmt: skip
    """The notifications and their push messages, in the caller's transaction
    (DuplicateKeyError when a recipient was told of the event already)."""
    with _duplicates_refused():
        if notifications:
            await db[NOTIFICATIONS].insert_many(
                [n.to_document() for n in notifications], session=session
            )
        if messages:
            await db[OUTBOX].insert_many([m.to_document() for m in messages], session=session)


async def claim_pushes(
    db: Database, now: datetime, lease: timedelta, limit: int
) -> list[PushMessage]:
    """Take up to `limit` pending messages due now, earliest first, for `lease`: their
    `next_at` moves past the lease, so no other worker takes them meanwhile (each is taken by
    an update that matches it only while it is still due: of two workers racing, one takes
    it); a worker that dies leaves them to be retried."""
    due = db[OUTBOX].find(
        {"status": PushStatus.PENDING.value, "next_at": {"$lte": now}},
        projection={"_id": 1}, sort=[("next_at", ASCENDING)], limit=limit,
    )  # fmt: skip
    ids = [d["_id"] async for d in due]
    if not ids:
        return []
    claim = ObjectId()
    await db[OUTBOX].update_many(
        {"_id": {"$in": ids}, "status": PushStatus.PENDING.value, "next_at": {"$lte": now}},
        {"$set": {"next_at": now + lease, "claim": claim}, "$inc": {"attempts": 1}},
    )
    taken = db[OUTBOX].find({"_id": {"$in": ids}, "claim": claim}, sort=[("next_at", ASCENDING)])
    return [PushMessage.from_document(d) async for d in taken]


async def finish_pushes(db: Database, changes: Sequence[tuple[ObjectId, Document]]) -> None:
    """Each message's outcome (`$set` of its changes), in one command."""
    if changes:
        await db[OUTBOX].bulk_write(
            [UpdateOne({"_id": i}, {"$set": c}) for i, c in changes],
            ordered=False,
        )


async def delete_of_user(db: Database, user_id: ObjectId) -> int:
    """A deleted account's feed (its titles and bodies were written for that person), its
    push devices and their messages, its preferences."""
    result = await db[NOTIFICATIONS].delete_many({"user_id": user_id})
    await db[OUTBOX].delete_many({"user_id": user_id})
    await db[DEVICES].delete_many({"user_id": user_id})
    await db[PREFERENCES].delete_one({"_id": user_id})
    return result.deleted_count
