"""Every MongoDB query about rewards and redemptions."""

from __future__ import annotations

from collections.abc import Sequence

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, IndexModel, ReturnDocument

from neighbor_api.core import idempotency
from neighbor_api.core.mongo import Database, Document, Session, register_indexes
from neighbor_api.core.pagination import Page, keyset_page
from neighbor_api.rewards.models import Redemption, RedemptionStatus, Reward

REWARDS = "rewards"
REDEMPTIONS = "redemptions"

register_indexes(
    REWARDS,
    [IndexModel([("community_id", ASCENDING), ("retired", ASCENDING), ("_id", ASCENDING)],
                name="community_retired")],
)  # fmt: skip
register_indexes(
    REDEMPTIONS,
    [
        IndexModel(
            [("community_id", ASCENDING), ("status", ASCENDING), ("_id", DESCENDING)],
            name="community_status_newest",
        ),
        IndexModel([("community_id", ASCENDING), ("_id", DESCENDING)], name="community_newest"),
        IndexModel([("user_id", ASCENDING), ("_id", DESCENDING)], name="user_newest"),
        idempotency.unique_index(),
    ],
)


async def insert_reward(db: Database, reward: Reward, *, session: Session | None = None) -> None:
    await db[REWARDS].insert_one(reward.to_document(), session=session)


async def rewards_by_ids(
    db: Database, ids: Sequence[ObjectId], *, session: Session | None = None
) -> list[Reward]:
    cursor = db[REWARDS].find({"_id": {"$in": list(ids)}}, session=session)
    return [Reward.from_document(d) async for d in cursor]


async def rewards_of(db: Database, community_id: ObjectId, *, retired: bool) -> list[Reward]:
    """A community's rewards on offer (or, `retired`, also those withdrawn), oldest first."""
    query: Document = {"community_id": community_id}
    if not retired:
        query["retired"] = False
    cursor = db[REWARDS].find(query, sort=[("_id", ASCENDING)])
    return [Reward.from_document(d) async for d in cursor]


async def update_reward(
    db: Database, reward_id: ObjectId, *, condition: Document, update: Document,
    session: Session | None = None,
) -> Reward | None:  # fmt: skip
    found = await db[REWARDS].find_one_and_update(
        {"_id": reward_id, **condition}, update, return_document=ReturnDocument.AFTER,
        session=session,
    )  # fmt: skip
    return Reward.from_document(found) if found else None


async def take_one(db: Database, reward_id: ObjectId, *, session: Session) -> Reward | None:
    """One unit of a reward on offer, only if one is left (never below zero): the reward after,
    or None."""
    return await update_reward(
        db, reward_id, condition={"retired": False, "stock": {"$gte": 1}},
        update={"$inc": {"stock": -1}}, session=session,
    )  # fmt: skip


async def put_back(db: Database, reward_id: ObjectId, *, session: Session) -> None:
    await db[REWARDS].update_one({"_id": reward_id}, {"$inc": {"stock": 1}}, session=session)


async def insert_redemption(
    db: Database, redemption: Redemption, *, session: Session | None = None
) -> None:
    await db[REDEMPTIONS].insert_one(redemption.to_document(), session=session)


async def redemptions_by_ids(
    db: Database, ids: Sequence[ObjectId], *, session: Session | None = None
) -> list[Redemption]:
    cursor = db[REDEMPTIONS].find({"_id": {"$in": list(ids)}}, session=session)
    return [Redemption.from_document(d) async for d in cursor]


async def settle(
    db: Database,
    redemption_id: ObjectId,
    *,
    to: RedemptionStatus,
    changes: Document,
    session: Session | None = None,
) -> Redemption | None:
    """Move a PENDING redemption to FULFILLED or CANCELLED (None if it is no longer pending:
    of two racing settlements one wins)."""
    found = await db[REDEMPTIONS].find_one_and_update(
        {"_id": redemption_id, "status": RedemptionStatus.PENDING.value},
        {"$set": {"status": to.value, **changes}},
        return_document=ReturnDocument.AFTER,
        session=session,
    )
    return Redemption.from_document(found) if found else None


NEWEST = [("_id", DESCENDING)]


async def redemptions_page(
    db: Database,
    query: Document,
    *,
    first: int | None,
    after: str | None,
) -> Page[Redemption]:
    page = await keyset_page(db[REDEMPTIONS], query, sort=NEWEST, first=first, after=after)
    return page.map(Redemption.from_document)
