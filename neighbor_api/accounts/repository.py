"""Every MongoDB query about users, sessions and refresh tokens (login attempts are counted by
`core/rate_limit.py`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bson import ObjectId
from pymongo import ASCENDING, IndexModel, ReturnDocument
from pymongo.asynchronous.change_stream import AsyncChangeStream

from neighbor_api.accounts.models import RefreshToken, Session, User
from neighbor_api.core.mongo import Database, Document, register_indexes
from neighbor_api.core.mongo import Session as DbSession

USERS = "users"
SESSIONS = "sessions"
REFRESH_TOKENS = "refresh_tokens"

register_indexes(USERS, [IndexModel([("phone", ASCENDING)], name="phone_unique", unique=True)])
register_indexes(SESSIONS, [IndexModel([("user_id", ASCENDING)], name="user")])
register_indexes(
    REFRESH_TOKENS,
    [
        IndexModel([("token_hash", ASCENDING)], name="token_hash_unique", unique=True),
        IndexModel([("session_id", ASCENDING)], name="session"),
        # Expired tokens are removed by the server (TTL).
        IndexModel([("expires_at", ASCENDING)], name="expires_ttl", expireAfterSeconds=0),
    ],
)


async def insert_user(db: Database, user: User, *, session: DbSession | None = None) -> None:
    """Raises DuplicateKeyError when the phone is taken (the unique index decides)."""
    await db[USERS].insert_one(user.to_document(), session=session)


async def user_by_phone(db: Database, phone: str) -> User | None:
    document = await db[USERS].find_one({"phone": phone})
    return User.from_document(document) if document else None


async def users_by_ids(db: Database, ids: Sequence[ObjectId]) -> list[User]:
    return [User.from_document(d) async for d in db[USERS].find({"_id": {"$in": list(ids)}})]


async def insert_session(db: Database, session: Session) -> None:
    await db[SESSIONS].insert_one(session.to_document())


async def insert_refresh_token(db: Database, token: RefreshToken) -> None:
    await db[REFRESH_TOKENS].insert_one(token.to_document())


async def use_refresh_token(db: Database, token_hash: str, *, now: datetime) -> RefreshToken | None:
    """Mark an unused, unexpired token used, atomically: of two racing uses only one wins."""
    document = await db[REFRESH_TOKENS].find_one_and_update(
        {"token_hash": token_hash, "used_at": None, "expires_at": {"$gt": now}},
        {"$set": {"used_at": now}},
        return_document=ReturnDocument.AFTER,
    )
    return RefreshToken.from_document(document) if document else None


async def refresh_token_by_hash(db: Database, token_hash: str) -> RefreshToken | None:
    document = await db[REFRESH_TOKENS].find_one({"token_hash": token_hash})
    return RefreshToken.from_document(document) if document else None


async def revoke_session(db: Database, session_id: ObjectId, *, now: datetime) -> None:
    """End a session: its access tokens stop working and its refresh tokens with it."""
    await db[SESSIONS].update_one(
        {"_id": session_id, "revoked_at": None}, {"$set": {"revoked_at": now}}
    )


async def live_session(db: Database, session_id: ObjectId) -> Session | None:
    document = await db[SESSIONS].find_one({"_id": session_id, "revoked_at": None})
    return Session.from_document(document) if document else None


async def session_with_user_and_memberships(
    db: Database, *, session_id: ObjectId, user_id: ObjectId, memberships: str
) -> Document | None:
    """In one round trip: the live session, its user and the user's memberships."""
    pipeline: list[Document] = [
        {"$match": {"_id": session_id, "user_id": user_id, "revoked_at": None}},
        {"$lookup": {"from": USERS, "localField": "user_id", "foreignField": "_id", "as": "user"}},
        {
            "$lookup": {
                "from": memberships,
                "localField": "user_id",
                "foreignField": "user_id",
                "as": "memberships",
            }
        },
    ]
    documents: list[Document] = await (await db[SESSIONS].aggregate(pipeline)).to_list()
    return documents[0] if documents and documents[0]["user"] else None


# How long one getMore of the change stream waits on the server (the watcher's wake-up period).
WATCH_MAX_AWAIT_MS = 500


async def watch_changes(db: Database, collections: Sequence[str]) -> AsyncChangeStream[Document]:
    """A change stream on the writes to `collections` (of this database), each change with its
    document's `user_id` as it is now (`updateLookup`), so a membership's change names its user
    (nothing else of the documents travels: no password hashes)."""
    pipeline: list[Document] = [
        {"$match": {"ns.coll": {"$in": list(collections)}}},
        {"$project": {"operationType": 1, "ns": 1, "documentKey": 1, "fullDocument.user_id": 1}},
    ]
    return await db.watch(
        pipeline, full_document="updateLookup", max_await_time_ms=WATCH_MAX_AWAIT_MS
    )


async def any_user(db: Database) -> bool:
    return await db[USERS].find_one({}, projection={"_id": 1}) is not None
