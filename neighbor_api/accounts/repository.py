"""Every MongoDB query about users, sessions and refresh tokens (login attempts are counted by
`core/rate_limit.py`)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime

from bson import ObjectId
from pymongo import ASCENDING, IndexModel, ReturnDocument
from pymongo.asynchronous.change_stream import AsyncChangeStream
from pymongo.errors import DuplicateKeyError

from neighbor_api.accounts.models import Consent, RefreshToken, Session, User
from neighbor_api.core import rate_limit
from neighbor_api.core.mongo import Database, Document, register_indexes
from neighbor_api.core.mongo import Session as DbSession

USERS = "users"
SESSIONS = "sessions"
REFRESH_TOKENS = "refresh_tokens"
VERIFICATION_CODES = "verification_codes"
CODE_LIMITS = "verification_code_limits"
USED_CODES = "verification_codes_used"

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
# One code per (purpose, phone), `_id` naming both; removed by the server once expired.
register_indexes(VERIFICATION_CODES, [rate_limit.ttl_index()])
# Each code's one use (its hash and when it was sent, no phone), kept until the code expires.
register_indexes(USED_CODES, [rate_limit.ttl_index()])
# The code requests counters (per phone per day, per address per hour) and resend gates.
register_indexes(CODE_LIMITS, [rate_limit.ttl_index()])


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


async def use_refresh_token(
    db: Database, token_hash: str, *, now: datetime, used_by: str | None = None
) -> RefreshToken | None:
    """Mark an unused, unexpired token used (by whom), atomically: of two racing uses only one
    wins."""
    document = await db[REFRESH_TOKENS].find_one_and_update(
        {"token_hash": token_hash, "used_at": None, "expires_at": {"$gt": now}},
        {"$set": {"used_at": now, "used_by": used_by}},
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


# --- Account deletion (注销) and erasure ----------------------------------------------------

register_indexes(
    USERS,
    [IndexModel([("deletion_requested_at", ASCENDING)], name="deletion_requested")],
)
# An erased account's phone becomes this handle (the unique index needs a value, and no phone
# number normalises to it), so the number can register again.
ERASED_PHONE_PREFIX = "deleted:"


async def request_deletion(db: Database, user_id: ObjectId, *, now: datetime) -> bool:
    """Mark the account deleted, once: False if it already was (a second deleteAccount)."""
    result = await db[USERS].update_one(
        {"_id": user_id, "deletion_requested_at": None},
        {"$set": {"deletion_requested_at": now, "erasure_lease_until": now}},
    )
    return result.modified_count == 1


# The range of `deletion_requested` the erasure job reads is closed at both ends: with `$lte`
# alone SecantusDB read every account (2.4 s of its CPU per run, once a minute, over the
# benchmark city's 100,000 users); from the epoch, the index's range (2 ms). MongoDB reads the
# same range either way (a date bound stays among dates).
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


async def due_for_erasure(db: Database, *, before: datetime, limit: int) -> list[ObjectId]:
    """Accounts whose deletion was asked for at or before `before` and not yet erased."""
    cursor = db[USERS].find(
        {"deletion_requested_at": {"$gte": EPOCH, "$lte": before}, "erased_at": None},
        projection={"_id": 1},
        sort=[("deletion_requested_at", ASCENDING)],
        limit=limit,
    )
    return [d["_id"] async for d in cursor]


async def claim_erasure(db: Database, user_id: ObjectId, *, now: datetime, until: datetime) -> bool:
    """Take the erasure of one account for a while (one instance at a time; a holder that
    died lets the lease expire and another takes over)."""
    result = await db[USERS].update_one(
        {"_id": user_id, "erased_at": None, "erasure_lease_until": {"$lte": now}},
        {"$set": {"erasure_lease_until": until}},
    )
    return result.modified_count == 1


async def erase_user(db: Database, user_id: ObjectId, *, now: datetime) -> None:
    """What stays of an account: its id (reports, votes and points name it), its language,
    when it was created and deleted. Name, phone, password hash and consents are gone, with
    its sessions, refresh tokens and whatever was keyed by its phone number."""
    await db[REFRESH_TOKENS].delete_many({"user_id": user_id})
    await db[SESSIONS].delete_many({"user_id": user_id})
    user = await db[USERS].find_one({"_id": user_id}, projection={"phone": 1})
    phone = str(user["phone"]) if user else ""
    if phone.startswith("+"):
        # Keyed by the number: its codes, resend gate, daily counters and login backoff
        # (short-lived anyway: each expires within a day).
        keyed = {"_id": {"$regex": f"(^|:){re.escape(phone)}(:|$)"}}
        for collection in (VERIFICATION_CODES, CODE_LIMITS, rate_limit.COLLECTION):
            await db[collection].delete_many(keyed)
    await db[USERS].update_one(
        {"_id": user_id, "erased_at": None},
        {
            "$set": {
                "phone": f"{ERASED_PHONE_PREFIX}{user_id}",
                "display_name": "",
                "password_hash": "",
                "consents": [],
                "erased_at": now,
            },
            "$unset": {"erasure_lease_until": ""},
        },
    )


async def sessions_of_user(db: Database, user_id: ObjectId) -> list[Session]:
    cursor = db[SESSIONS].find({"user_id": user_id}, sort=[("created_at", ASCENDING)])
    return [Session.from_document(d) async for d in cursor]


# --- Profile, password, phone, consent ------------------------------------------------------


async def update_user(db: Database, user_id: ObjectId, fields: Document) -> User | None:
    """Set `fields` on the user; the user as it is now (None if there is no such user).
    Raises DuplicateKeyError for a phone another account has."""
    document = await db[USERS].find_one_and_update(
        {"_id": user_id}, {"$set": fields}, return_document=ReturnDocument.AFTER
    )
    return User.from_document(document) if document else None


async def add_consent(db: Database, user_id: ObjectId, consent: Consent) -> User | None:
    """Record one acceptance (once per version: accepting it again changes nothing)."""
    document = await db[USERS].find_one_and_update(
        {"_id": user_id, "consents.policy_version": {"$ne": consent.policy_version}},
        {"$push": {"consents": consent.model_dump()}},
        return_document=ReturnDocument.AFTER,
    )
    if document is None:
        document = await db[USERS].find_one({"_id": user_id})
    return User.from_document(document) if document else None


async def revoke_sessions_of_user(
    db: Database, user_id: ObjectId, *, now: datetime, keep: ObjectId | None = None
) -> None:
    """End every live session of the user (but `keep`)."""
    query: Document = {"user_id": user_id, "revoked_at": None}
    if keep is not None:
        query["_id"] = {"$ne": keep}
    await db[SESSIONS].update_many(query, {"$set": {"revoked_at": now}})


# --- Verification codes ---------------------------------------------------------------------


def code_id(purpose: str, phone: str) -> str:
    return f"{purpose}:{phone}"


async def store_code(
    db: Database,
    *,
    purpose: str,
    phone: str,
    code_hash: str,
    created_at: datetime,
    expires_at: datetime,
) -> None:
    """The phone's code for `purpose`, replacing any earlier one (which stops working). Only
    one request per phone passes the resend gate at a time, so no two writers race here."""
    await db[VERIFICATION_CODES].replace_one(
        {"_id": code_id(purpose, phone)},
        {
            "code_hash": code_hash,
            "created_at": created_at,
            "expires_at": expires_at,
            "attempts": 0,
        },
        upsert=True,
    )


async def delete_code(db: Database, *, purpose: str, phone: str, code_hash: str) -> None:
    """Remove this very code (not a newer one)."""
    query = {"_id": code_id(purpose, phone), "code_hash": code_hash}
    await db[VERIFICATION_CODES].delete_one(query)


async def claim_code(
    db: Database, *, code_hash: str, created_at: datetime, expires_at: datetime
) -> bool:
    """Record the one use of the code sent at `created_at`: True for the first caller of
    concurrent ones (a unique `_id` decides). Its own insert, not the delete of the code's
    document: SecantusDB 0.7.0b3 has been seen, under load, to lose that document between the
    attempt's `find_one_and_update` and its delete, and a right code must not fail for it."""
    sent = int(created_at.timestamp() * 1000)
    try:
        await db[USED_CODES].insert_one({"_id": f"{code_hash}:{sent}", "expires_at": expires_at})
    except DuplicateKeyError:
        return False
    return True


async def try_code(
    db: Database, *, purpose: str, phone: str, now: datetime, max_attempts: int
) -> Document | None:
    """Spend one attempt on the phone's live code for `purpose`, atomically, and return it
    (its hash and the attempts now spent); None when there is no live code or its attempts
    are spent. Of N concurrent tries at most `max_attempts` get the code to compare with."""
    document: Document | None = await db[VERIFICATION_CODES].find_one_and_update(
        {
            "_id": code_id(purpose, phone),
            "expires_at": {"$gt": now},
            "attempts": {"$lt": max_attempts},
        },
        {"$inc": {"attempts": 1}},
        return_document=ReturnDocument.AFTER,
    )
    return document


async def pass_gate(db: Database, gate: str, *, now: datetime, until: datetime) -> datetime | None:
    """Take the resend gate `gate` until `until` if it is open (atomically: of concurrent
    callers one passes). None when passed; else when it opens again."""
    collection = db[CODE_LIMITS]
    taken = await collection.find_one_and_update(
        {"_id": gate, "open_at": {"$lte": now}},
        {"$set": {"open_at": until, "expires_at": until}},
    )
    if taken is not None:
        return None
    try:
        await collection.insert_one({"_id": gate, "open_at": until, "expires_at": until})
        return None
    except DuplicateKeyError:
        pass
    document = await collection.find_one({"_id": gate})
    if document is None:  # removed meanwhile (expired): the caller may retry
        return now
    open_at: datetime = document["open_at"]
    return open_at if open_at.tzinfo else open_at.replace(tzinfo=now.tzinfo)


async def release_gate(db: Database, gate: str, *, until: datetime) -> None:
    """Open the gate again (a request that sent nothing), unless someone took it since."""
    await db[CODE_LIMITS].delete_one({"_id": gate, "open_at": until})


async def count_request(db: Database, counter: str, *, expires_at: datetime) -> int:
    """Count one code request against `counter` and return the new count, atomically (of N
    concurrent requests each sees a different count). An `$inc` of the existing counter, else
    the insert of the first one (a racing insert loses on `_id` and increments instead): not
    one upserting find_one_and_update, which SecantusDB answers without a document under
    concurrent upserts of a new `_id` (see core/rate_limit.py)."""
    collection = db[CODE_LIMITS]
    for _ in range(3):
        document = await collection.find_one_and_update(
            {"_id": counter}, {"$inc": {"count": 1}}, return_document=ReturnDocument.AFTER
        )
        if document is not None:
            return int(document["count"])
        try:
            await collection.insert_one({"_id": counter, "count": 1, "expires_at": expires_at})
        except DuplicateKeyError:
            continue
        return 1
    raise RuntimeError("verification code counter could not be updated")


async def users_by_phones(db: Database, phones: Sequence[str]) -> list[User]:
    if not phones:
        return []
    cursor = db[USERS].find({"phone": {"$in": list(phones)}})
    return [User.from_document(d) async for d in cursor]
