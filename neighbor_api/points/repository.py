"""The points ledger: append-only entries, one per award, spending or refund; a balance is
their sum.

Each entry carries the user's running `balance` after it. Every write to a user's points goes
through their account (`point_accounts`, one document per user holding the same sum) inside the
transaction that appends the entry: the account's conditional `$inc` serialises one user's
writes (two transactions touching one account conflict, and the loser runs again), so the
balance written on an entry is exact, and a spending (`debit`) passes only while the account
holds enough — a balance never goes below zero, under any race. The ledger stays the truth, and
the account equals its sum (a property-based test checks it): `viewer.points` reads the
account, one document by id however long the user's ledger.

The task-board feature writes the awards (exactly once per approved assignee); the rewards
feature the spendings and refunds (exactly once per redemption); this module owns the
collections and how balances, histories and leaderboards are read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, IndexModel, ReturnDocument

from neighbor_api.core import together
from neighbor_api.core.events import EventKind
from neighbor_api.core.mongo import Database, Document, Session, register_indexes
from neighbor_api.core.pagination import Page, keyset_page

COLLECTION = "points_ledger"
ACCOUNTS = "point_accounts"

# Why points were given or taken (part of an entry's unique key): the kind of the event.
TASK_APPROVED: str = EventKind.TASK_APPROVED.value
REDEEMED: str = EventKind.REDEMPTION_REQUESTED.value
REFUNDED: str = EventKind.REDEMPTION_CANCELLED.value
# What leaderboards count: points earned, never spent or refunded.
EARNED: tuple[str, ...] = (TASK_APPROVED,)

register_indexes(
    COLLECTION,
    [
        IndexModel([("user_id", ASCENDING), ("at", DESCENDING)], name="user_at"),
        # A user's history, newest first, paged by (at, _id).
        IndexModel(
            [("user_id", ASCENDING), ("at", DESCENDING), ("_id", DESCENDING)], name="user_history"
        ),
        IndexModel([("community_id", ASCENDING), ("user_id", ASCENDING)], name="community_user"),
        # Leaderboards by period: a community's earned entries in a time range (equality on
        # community and reason, one range on `at`), 100k entries read through the index.
        IndexModel(
            [("community_id", ASCENDING), ("reason", ASCENDING), ("at", ASCENDING)],
            name="community_reason_at",
        ),
        # Exactly once: one entry per task, user and reason, whatever retries or races.
        IndexModel(
            [("task_id", ASCENDING), ("user_id", ASCENDING), ("reason", ASCENDING)],
            name="one_task_award",
            unique=True,
            partialFilterExpression={"task_id": {"$exists": True}},
        ),
        # Exactly once: one spending and at most one refund per redemption.
        IndexModel(
            [("redemption_id", ASCENDING), ("reason", ASCENDING)],
            name="one_redemption_entry",
            unique=True,
            partialFilterExpression={"redemption_id": {"$exists": True}},
        ),
    ],
)


@dataclass(frozen=True)
class Entry:
    """One ledger entry as the history shows it."""

    id: ObjectId
    user_id: ObjectId
    points: int
    balance: int
    reason: str
    at: datetime
    task_id: ObjectId | None = None
    redemption_id: ObjectId | None = None

    @classmethod
    def from_document(cls, d: Document) -> Entry:
        return cls(
            id=d["_id"],
            user_id=d["user_id"],
            points=int(d["points"]),
            balance=int(d.get("balance", 0)),
            reason=str(d["reason"]),
            at=d["at"],
            task_id=d.get("task_id"),
            redemption_id=d.get("redemption_id"),
        )


async def balances(db: Database, user_ids: Sequence[ObjectId]) -> dict[ObjectId, int]:
    """Each user's total points over every community: their account's balance, the ledger's
    sum (one read by id for all of them, with other requests' asks: `core/together.py`; a
    user with no account has none)."""
    found = await together.find_in(db, ACCOUNTS, user_ids, projection={"balance": 1})
    return {d["_id"]: int(d["balance"]) for d in found}


async def account_balance(db: Database, user_id: ObjectId) -> int:
    found = await db[ACCOUNTS].find_one({"_id": user_id})
    return int(found["balance"]) if found else 0


async def _credit(db: Database, user_id: ObjectId, points: int, session: Session | None) -> int:
    """Add to a user's account (opening it at 0 if new); the balance after."""
    found = await db[ACCOUNTS].find_one_and_update(
        {"_id": user_id},
        {"$inc": {"balance": points}},
        upsert=True,
        return_document=ReturnDocument.AFTER,
        session=session,
    )
    if found is None:  # SecantusDB may answer a racing upsert with no document: read it
        found = await db[ACCOUNTS].find_one({"_id": user_id}, session=session)
    assert found is not None
    return int(found["balance"])


async def debit(db: Database, user_id: ObjectId, points: int, *, session: Session) -> int | None:
    """Take `points` from a user's account only if it holds that many: the balance after, or
    None (not enough; nothing changed). One conditional update: never below zero."""
    found = await db[ACCOUNTS].find_one_and_update(
        {"_id": user_id, "balance": {"$gte": points}},
        {"$inc": {"balance": -points}},
        return_document=ReturnDocument.AFTER,
        session=session,
    )
    return int(found["balance"]) if found else None


async def append(
    db: Database,
    *,
    user_id: ObjectId,
    community_id: ObjectId,
    place_path: Sequence[ObjectId],
    points: int,
    balance: int,
    reason: str,
    at: datetime,
    task_id: ObjectId | None = None,
    redemption_id: ObjectId | None = None,
    session: Session | None = None,
) -> None:
    """Append one entry with the balance its account holds after it (the caller moved the
    account in the same transaction: `debit`, or `credit`)."""
    entry: Document = {
        "user_id": user_id,
        "community_id": community_id,
        "place_path": list(place_path),
        "points": points,
        "balance": balance,
        "reason": reason,
        "at": at,
    }
    if task_id is not None:
        entry["task_id"] = task_id
    if redemption_id is not None:
        entry["redemption_id"] = redemption_id
    await db[COLLECTION].insert_one(entry, session=session)


async def credit(
    db: Database,
    *,
    user_id: ObjectId,
    community_id: ObjectId,
    place_path: Sequence[ObjectId],
    points: int,
    reason: str,
    at: datetime,
    task_id: ObjectId | None = None,
    redemption_id: ObjectId | None = None,
    session: Session | None = None,
) -> int:
    """Give a user points: their account and one entry; the balance after."""
    balance = await _credit(db, user_id, points, session)
    await append(
        db, user_id=user_id, community_id=community_id, place_path=place_path, points=points,
        balance=balance, reason=reason, at=at, task_id=task_id, redemption_id=redemption_id,
        session=session,
    )  # fmt: skip
    return balance


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
    for user_id, points in awards:
        await credit(
            db, user_id=user_id, community_id=community_id, place_path=place_path,
            points=points, reason=reason, at=at, task_id=task_id, session=session,
        )  # fmt: skip


async def awards_for(
    db: Database, task_id: ObjectId, *, reason: str = TASK_APPROVED
) -> list[tuple[ObjectId, int]]:
    """The entries a task gave, in the order they were written."""
    cursor = db[COLLECTION].find({"task_id": task_id, "reason": reason}, sort=[("_id", ASCENDING)])
    return [(d["user_id"], int(d["points"])) async for d in cursor]


HISTORY_ORDER = [("at", DESCENDING), ("_id", DESCENDING)]


async def history(
    db: Database, user_id: ObjectId, *, first: int | None, after: str | None
) -> Page[Entry]:
    """A user's entries, newest first (积分明细), each with its running balance."""
    page = await keyset_page(
        db[COLLECTION], {"user_id": user_id}, sort=HISTORY_ORDER, first=first, after=after,
        flat=True,
    )  # fmt: skip
    return page.map(Entry.from_document)


def _earned(community_id: ObjectId, since: datetime | None, until: datetime | None) -> Document:
    match: Document = {"community_id": community_id, "reason": TASK_APPROVED}
    window: Document = {}
    if since is not None:
        window["$gte"] = since
    if until is not None:
        window["$lt"] = until
    if window:
        match["at"] = window
    return match


async def leaderboard(
    db: Database,
    community_id: ObjectId,
    *,
    limit: int,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[Document]:
    """The community's top `limit` earners in [since, until) (None: unbounded), most points
    first (ties by user id): one aggregation led by the (community, reason, at) index."""
    pipeline: list[Document] = [
        {"$match": _earned(community_id, since, until)},
        {"$group": {"_id": "$user_id", "points": {"$sum": "$points"}}},
        {"$sort": {"points": -1, "_id": 1}},
        {"$limit": limit},
    ]
    return await (await db[COLLECTION].aggregate(pipeline)).to_list()


async def rank_of(
    db: Database,
    community_id: ObjectId,
    user_id: ObjectId,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> int | None:
    """The user's rank among the community's earners in the window (ties share a rank: one
    more than the number of users with more points); None if they earned nothing there."""
    pipeline: list[Document] = [
        {"$match": _earned(community_id, since, until)},
        {"$group": {"_id": "$user_id", "points": {"$sum": "$points"}}},
        {"$group": {"_id": "$points", "users": {"$push": "$_id"}}},
        {"$sort": {"_id": -1}},
    ]
    above = 0
    async for row in await db[COLLECTION].aggregate(pipeline):
        if user_id in row["users"]:
            return above + 1
        above += len(row["users"])
    return None
