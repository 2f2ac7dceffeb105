"""Every MongoDB query about memberships."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, IndexModel, ReturnDocument

from neighbor_api.core.mongo import Database, Session, register_indexes
from neighbor_api.core.pagination import Page, keyset_page
from neighbor_api.core.policy import STAFF_ROLES, Role
from neighbor_api.memberships.models import Membership, MembershipStatus

COLLECTION = "memberships"

register_indexes(
    COLLECTION,
    [
        # One open membership per user and place, decided by the database under any race.
        IndexModel(
            [("user_id", ASCENDING), ("place_id", ASCENDING)],
            name="one_open_per_place",
            unique=True,
            partialFilterExpression={"open": {"$eq": True}},
        ),
        IndexModel([("user_id", ASCENDING), ("created_at", ASCENDING)], name="user"),
        IndexModel(
            [("place_id", ASCENDING), ("status", ASCENDING), ("created_at", ASCENDING)],
            name="place_status_created",
        ),
        IndexModel([("grid_id", ASCENDING), ("roles", ASCENDING)], name="grid_roles"),
        # A community's members holding a role (its workers, whom to assign to), oldest first.
        IndexModel(
            [
                ("place_id", ASCENDING),
                ("roles", ASCENDING),
                ("status", ASCENDING),
                ("created_at", ASCENDING),
            ],
            name="place_role_status_created",
        ),
    ],
)


async def insert(db: Database, membership: Membership, *, session: Session | None = None) -> None:
    """Raises DuplicateKeyError if the user already has an open membership of the place."""
    await db[COLLECTION].insert_one(membership.to_document(), session=session)


async def by_ids(db: Database, ids: Sequence[ObjectId]) -> list[Membership]:
    cursor = db[COLLECTION].find({"_id": {"$in": list(ids)}})
    return [Membership.from_document(d) async for d in cursor]


async def of_users(db: Database, user_ids: Sequence[ObjectId]) -> list[Membership]:
    cursor = db[COLLECTION].find(
        {"user_id": {"$in": list(user_ids)}}, sort=[("created_at", ASCENDING), ("_id", ASCENDING)]
    )
    return [Membership.from_document(d) async for d in cursor]


async def grid_workers(db: Database, grid_ids: Sequence[ObjectId]) -> list[Membership]:
    cursor = db[COLLECTION].find(
        {
            "grid_id": {"$in": list(grid_ids)},
            "roles": Role.GRID_WORKER.value,
            "status": MembershipStatus.ACTIVE.value,
        },
        sort=[("created_at", ASCENDING), ("_id", ASCENDING)],
    )
    return [Membership.from_document(d) async for d in cursor]


async def page_of_place(
    db: Database,
    place_id: ObjectId,
    *,
    status: MembershipStatus | None,
    first: int | None,
    after: str | None,
    role: Role | None = None,
) -> Page[Membership]:
    query: dict[str, Any] = {"place_id": place_id}
    if role is not None:
        query["roles"] = role.value  # equalities on place_role_status_created's prefix
    if status is not None:
        query["status"] = status.value
    page = await keyset_page(
        db[COLLECTION],
        query,
        sort=[("created_at", ASCENDING), ("_id", ASCENDING)],
        first=first,
        after=after,
    )
    return page.map(Membership.from_document)


async def decide(
    db: Database,
    membership_id: ObjectId,
    changes: dict[str, Any],
    *,
    session: Session | None = None,
) -> Membership | None:
    """Apply a decision to a membership that is still PENDING (None if it no longer is)."""
    document = await db[COLLECTION].find_one_and_update(
        {"_id": membership_id, "status": MembershipStatus.PENDING.value},
        {"$set": changes},
        return_document=ReturnDocument.AFTER,
        session=session,
    )
    return Membership.from_document(document) if document else None


async def active_of_place(db: Database, place_id: ObjectId) -> list[Membership]:
    """Every active membership held on a place (e.g. a community's members)."""
    cursor = db[COLLECTION].find(
        {"place_id": place_id, "status": MembershipStatus.ACTIVE.value},
        sort=[("created_at", ASCENDING), ("_id", ASCENDING)],
    )
    return [Membership.from_document(d) async for d in cursor]


async def resident_ids(db: Database, place_ids: Sequence[ObjectId]) -> list[ObjectId]:
    """The users with an active RESIDENT membership of these places (communities): ids only,
    one indexed query however many (a district's survey tells every resident). Filtered
    here: the embedded server scans the whole collection for a `$in` followed by more
    conditions, and uses `place_status_created` for the `$in` alone."""
    cursor = db[COLLECTION].find(
        {"place_id": {"$in": list(place_ids)}},
        projection={"user_id": 1, "status": 1, "roles": 1},
    )
    return list(
        dict.fromkeys(
            [
                d["user_id"]
                async for d in cursor
                if d.get("status") == MembershipStatus.ACTIVE.value
                and Role.RESIDENT.value in (d.get("roles") or [])
            ]
        )
    )


async def staff_of_places(db: Database, place_ids: Sequence[ObjectId]) -> list[Membership]:
    """The active staff memberships (community workers, admins) held on exactly these places."""
    cursor = db[COLLECTION].find(
        {
            "place_id": {"$in": list(place_ids)},
            "status": MembershipStatus.ACTIVE.value,
            "roles": {"$in": sorted(r.value for r in STAFF_ROLES)},
        },
        sort=[("created_at", ASCENDING), ("_id", ASCENDING)],
    )
    return [Membership.from_document(d) async for d in cursor]


async def erase_user(db: Database, user_id: ObjectId, *, now: datetime) -> int:
    """An erased account's memberships: open ones end (LEFT), and none keeps the address,
    household code or floor area. What remains says only that someone held roles there."""
    result = await db[COLLECTION].update_many(
        {"user_id": user_id},
        {
            "$set": {
                "address": None,
                "household_code": None,
                "household_confirmed": False,
                "owned_floor_area": None,
                "reason": None,
            }
        },
    )
    await db[COLLECTION].update_many(
        {"user_id": user_id, "open": True},
        {"$set": {"status": MembershipStatus.LEFT.value, "open": None, "left_at": now}},
    )
    return result.modified_count


async def leave(
    db: Database, membership_id: ObjectId, *, now: datetime, session: Session | None = None
) -> Membership | None:
    """End a pending or active membership (None if it no longer is open)."""
    document = await db[COLLECTION].find_one_and_update(
        {"_id": membership_id, "open": True},
        {"$set": {"status": MembershipStatus.LEFT.value, "open": None, "left_at": now}},
        return_document=ReturnDocument.AFTER,
        session=session,
    )
    return Membership.from_document(document) if document else None


async def update_if_unchanged(
    db: Database,
    membership_id: ObjectId,
    *,
    expected: dict[str, Any],
    changes: dict[str, Any],
    session: Session | None = None,
) -> Membership | None:
    """Apply `changes` to an active membership whose fields still hold `expected` (what the
    audit entry says they were); None if it changed meanwhile or is no longer active."""
    document = await db[COLLECTION].find_one_and_update(
        {"_id": membership_id, "status": MembershipStatus.ACTIVE.value, **expected},
        {"$set": changes},
        return_document=ReturnDocument.AFTER,
        session=session,
    )
    return Membership.from_document(document) if document else None


async def ids_of_user(db: Database, user_id: ObjectId) -> list[ObjectId]:
    cursor = db[COLLECTION].find({"user_id": user_id}, projection={"_id": 1})
    return [d["_id"] async for d in cursor]
