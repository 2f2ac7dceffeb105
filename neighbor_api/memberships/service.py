"""Joining a community, deciding join requests, appointing staff; who may see which."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bson import ObjectId
from pymongo.errors import DuplicateKeyError

from neighbor_api.core import events
from neighbor_api.core.deps import Deps
from neighbor_api.core.errors import DomainError, ErrorCode, Problem
from neighbor_api.core.events import EventKind
from neighbor_api.core.mongo import Session, in_transaction
from neighbor_api.core.pagination import Page
from neighbor_api.core.policy import (
    COMMUNITY_GRANTABLE_ROLES,
    Actor,
    Need,
    PhoneNeed,
    Role,
    can_manage_members,
    can_see_membership,
    ensure,
    is_system,
)
from neighbor_api.core.validation import Checks
from neighbor_api.memberships import repository
from neighbor_api.memberships.models import OPEN_STATUSES, Membership, MembershipStatus
from neighbor_api.places import service as places
from neighbor_api.places.models import PlaceLevel

MAX_ADDRESS_LENGTH = 120
MAX_HOUSEHOLD_CODE_LENGTH = 40
MAX_REASON_LENGTH = 200


async def join_community(
    deps: Deps,
    actor: Actor,
    *,
    community_id: ObjectId,
    address: str | None,
    household_code: str | None,
) -> Membership:
    """Ask to join a community; a community worker decides."""
    checks = Checks()
    address = checks.text(address, "address", max_length=MAX_ADDRESS_LENGTH)
    household = checks.text(
        household_code, "householdCode", max_length=MAX_HOUSEHOLD_CODE_LENGTH, required=False
    )
    community = await places.get_place_or_raise(
        deps, community_id, level=PlaceLevel.COMMUNITY, field=("input", "communityId")
    )
    checks.done()
    membership = Membership(
        user_id=actor.user_id,
        place_id=community.id,
        place_path=community.path,
        community_id=community.id,
        status=MembershipStatus.PENDING,
        address=address,
        household_code=household or None,
        created_at=deps.clock.now(),
    )

    async def insert(session: Session) -> None:
        await repository.insert(deps.db, membership, session=session)
        await events.record(
            deps,
            kind=EventKind.MEMBERSHIP_REQUESTED,
            subject_id=membership.id,
            actor_id=actor.user_id,
            place_path=community.path,
            session=session,
        )

    try:
        await in_transaction(deps.client, insert)
    except DuplicateKeyError:
        raise DomainError.of(ErrorCode.ALREADY_MEMBER, field=("input", "communityId")) from None
    # The viewer's memberships changed: this instance's sessions of theirs are re-read.
    deps.sessions.forget_user(actor.user_id)
    return membership


async def decide_membership(
    deps: Deps,
    actor: Actor,
    *,
    membership_id: ObjectId,
    approve: bool,
    roles: Sequence[Role] | None = None,
    reason: str | None = None,
    owned_floor_area: float | None = None,
    grid_id: ObjectId | None = None,
    household_confirmed: bool = False,
) -> Membership:
    """Approve (with roles, default RESIDENT) or reject a pending request to join.
    `household_confirmed`: staff checked the household code the applicant gave (only then does
    it count for household votes)."""
    found = await repository.by_ids(deps.db, [membership_id])
    membership = found[0] if found else None
    if membership is None or not can_see_membership(
        actor, membership.user_id, membership.place_path
    ):
        raise DomainError.of(
            ErrorCode.NOT_FOUND, "membership.not_found", field=("input", "membershipId")
        )
    ensure(can_manage_members(actor, membership.place_path), "membership.decide_forbidden")
    checks = Checks()
    reason = checks.text(reason, "reason", max_length=MAX_REASON_LENGTH, required=False)
    granted = sorted(set(roles or [Role.RESIDENT]))
    if approve and not set(granted) <= COMMUNITY_GRANTABLE_ROLES:
        checks.fail("roles", "roles.not_grantable")
    if owned_floor_area is not None and owned_floor_area < 0:
        checks.fail("ownedFloorArea", "number.positive")
    checks.done()
    if membership.status is not MembershipStatus.PENDING:
        raise DomainError.of(ErrorCode.INVALID_TRANSITION, "membership.already_decided")
    now = deps.clock.now()
    changes: dict[str, object] = {
        "status": (MembershipStatus.ACTIVE if approve else MembershipStatus.REJECTED).value,
        "decided_at": now,
        "decided_by": None if is_system(actor) else actor.user_id,
        "reason": reason or None,
    }
    if approve:
        changes["roles"] = [role.value for role in granted]
        changes["owned_floor_area"] = owned_floor_area or None
        changes["grid_id"] = grid_id
        changes["household_confirmed"] = household_confirmed and bool(membership.household_code)
    else:
        changes["open"] = None

    async def apply(session: Session) -> Membership:
        decided = await repository.decide(deps.db, membership.id, changes, session=session)
        if decided is None:  # decided by someone else meanwhile
            raise DomainError.of(ErrorCode.INVALID_TRANSITION, "membership.already_decided")
        await events.record(
            deps,
            kind=EventKind.MEMBERSHIP_DECIDED,
            subject_id=decided.id,
            actor_id=changes["decided_by"],  # type: ignore[arg-type]
            place_path=decided.place_path,
            data={"status": decided.status.value, "user_id": decided.user_id},
            session=session,
        )
        return decided

    decided = await in_transaction(deps.client, apply)
    deps.sessions.forget_user(decided.user_id)
    return decided


async def appoint(
    deps: Deps,
    actor: Actor,
    *,
    user_id: ObjectId,
    place_id: ObjectId,
    roles: Sequence[Role],
    grid_id: ObjectId | None = None,
    address: str | None = None,
) -> Membership:
    """Give a user roles on a place directly (staff, admins above), by the system or staff."""
    place = await places.get_place_or_raise(deps, place_id, field=("input", "placeId"))
    ensure(is_system(actor) or actor.is_staff(place.path), "membership.appoint_forbidden")
    membership = Membership(
        user_id=user_id,
        place_id=place.id,
        place_path=place.path,
        community_id=place.ancestor_at(PlaceLevel.COMMUNITY),
        grid_id=grid_id,
        status=MembershipStatus.ACTIVE,
        roles=sorted(set(roles)),
        address=address,
        created_at=deps.clock.now(),
        decided_at=deps.clock.now(),
    )

    async def insert(session: Session) -> None:
        await repository.insert(deps.db, membership, session=session)
        await events.record(
            deps,
            kind=EventKind.MEMBERSHIP_APPOINTED,
            subject_id=membership.id,
            actor_id=None if is_system(actor) else actor.user_id,
            place_path=place.path,
            data={"roles": [r.value for r in membership.roles], "user_id": user_id},
            session=session,
        )

    try:
        await in_transaction(deps.client, insert)
    except DuplicateKeyError:
        raise DomainError.of(ErrorCode.ALREADY_MEMBER) from None
    deps.sessions.forget_user(user_id)
    return membership


async def place_memberships(
    deps: Deps,
    actor: Actor,
    *,
    place_id: ObjectId,
    status: MembershipStatus | None,
    first: int | None,
    after: str | None,
    role: Role | None = None,
) -> Page[Membership] | None:
    """A place's memberships (the join queue with status=PENDING; its workers with status=ACTIVE
    and a role): its staff only, else None."""
    place = await places.get_place(deps, place_id)
    if place is None or not can_manage_members(actor, place.path):
        return None
    return await repository.page_of_place(
        deps.db, place.id, status=status, role=role, first=first, after=after
    )


async def actor_for(deps: Deps, user_id: ObjectId) -> Actor:
    """The actor a user is, from their active memberships (for fixtures, jobs and the CLI)."""
    memberships = await repository.of_users(deps.db, [user_id])
    grants = tuple(g for m in memberships if (g := m.grant()) is not None)
    return Actor(user_id=user_id, grants=grants)


async def active_of_place(deps: Deps, place_id: ObjectId) -> list[Membership]:
    """Every active membership held on a place (a community's members), oldest first."""
    return await repository.active_of_place(deps.db, place_id)


async def resident_count(deps: Deps, place_ids: Sequence[ObjectId]) -> int:
    """How many people are active residents of these places (communities)."""
    return len(await repository.resident_ids(deps.db, place_ids))


async def active_membership(deps: Deps, user_id: ObjectId, place_id: ObjectId) -> Membership | None:
    """The user's active membership held on this place, if any."""
    found = await repository.of_users(deps.db, [user_id])
    return next(
        (m for m in found if m.place_id == place_id and m.status is MembershipStatus.ACTIVE), None
    )


async def erase_member_data(deps: Deps, user_id: ObjectId) -> None:
    """The erasure of a deleted account's memberships (see repository.erase_user), and of the
    addresses and household codes their audit entries recorded."""
    await repository.erase_user(deps.db, user_id, now=deps.clock.now())
    await events.redact(
        deps,
        kind=EventKind.MEMBERSHIP_UPDATED,
        subject_ids=await repository.ids_of_user(deps.db, user_id),
        paths=[f"data.changes.{field}" for field in PERSONAL_FIELDS],
    )
    deps.sessions.forget_user(user_id)


def member_need(membership: Membership) -> Need:
    """Why the community's staff may call a member: the membership, while it is pending or
    active. Who may is `core/policy.phone_disclosure`'s rule."""
    return Need(
        why=PhoneNeed.MEMBERSHIP,
        object_id=membership.id,
        community_id=membership.community_id,
        place_path=tuple(membership.place_path),
        current=membership.status in OPEN_STATUSES,
    )


# --- Leaving, and staff keeping memberships up to date -------------------------------------

# What a membership's audit entry may not keep once its holder's account is erased.
PERSONAL_FIELDS = ("address", "household_code", "owned_floor_area")


def _membership_not_found() -> DomainError:
    return DomainError.of(
        ErrorCode.NOT_FOUND, "membership.not_found", field=("input", "membershipId")
    )


async def leave_community(deps: Deps, actor: Actor, *, membership_id: ObjectId) -> Membership:
    """A resident moves away (or withdraws a request): their pending or active membership
    ends (LEFT), with its roles. Only its holder leaves; INVALID_TRANSITION once it ended."""
    found = await repository.by_ids(deps.db, [membership_id])
    membership = found[0] if found else None
    if membership is None or not can_see_membership(
        actor, membership.user_id, membership.place_path
    ):
        raise _membership_not_found()
    ensure(membership.user_id == actor.user_id, "membership.leave_forbidden")
    if membership.status not in OPEN_STATUSES:
        raise DomainError.of(ErrorCode.INVALID_TRANSITION, "membership.not_open")

    async def apply(session: Session) -> Membership:
        left = await repository.leave(deps.db, membership.id, now=deps.clock.now(), session=session)
        if left is None:
            raise DomainError.of(ErrorCode.INVALID_TRANSITION, "membership.not_open")
        await events.record(
            deps,
            kind=EventKind.MEMBERSHIP_LEFT,
            subject_id=left.id,
            actor_id=actor.user_id,
            place_path=left.place_path,
            data={"user_id": left.user_id},
            session=session,
        )
        return left

    left = await in_transaction(deps.client, apply)
    deps.sessions.forget_user(left.user_id)
    return left


async def update_membership(
    deps: Deps,
    actor: Actor,
    *,
    membership_id: ObjectId,
    roles: Sequence[Role] | None = None,
    address: str | None = None,
    household_code: str | None = None,
    owned_floor_area: float | None = None,
    building_id: ObjectId | None = None,
    grid_id: ObjectId | None = None,
) -> Membership:
    """The community's staff correct an active membership: roles, address, household code
    (which setting confirms), owned floor area (0 clears it), building and grid. A field left
    out (None) is unchanged. Every change is audited (a `membership.updated` event with each
    field's old and new value) in the transaction that makes it; a membership changed
    meanwhile by someone else is VERSION_CONFLICT, nothing applied."""
    found = await repository.by_ids(deps.db, [membership_id])
    membership = found[0] if found else None
    if membership is None or not can_see_membership(
        actor, membership.user_id, membership.place_path
    ):
        raise _membership_not_found()
    ensure(
        membership.community_id is not None and can_manage_members(actor, membership.place_path),
        "membership.update_forbidden",
    )
    checks = Checks()
    new: dict[str, Any] = {}
    if roles is not None:
        granted = sorted(set(roles))
        if not granted:
            checks.fail("roles", "text.required")
        elif not set(granted) <= COMMUNITY_GRANTABLE_ROLES:
            checks.fail("roles", "roles.not_grantable")
        new["roles"] = [r.value for r in granted]
    if address is not None:
        new["address"] = checks.text(address, "address", max_length=MAX_ADDRESS_LENGTH)
    if household_code is not None:
        code = checks.text(
            household_code, "householdCode", max_length=MAX_HOUSEHOLD_CODE_LENGTH, required=False
        )
        new["household_code"] = code or None
        new["household_confirmed"] = bool(code)
    if owned_floor_area is not None:
        if owned_floor_area < 0 or owned_floor_area > MAX_FLOOR_AREA:
            checks.fail("ownedFloorArea", "membership.floor_area_range", max=MAX_FLOOR_AREA)
        new["owned_floor_area"] = owned_floor_area or None
    places_under = await _places_under(deps, membership, building_id, grid_id, checks)
    new.update(places_under)
    checks.done()
    if membership.status is not MembershipStatus.ACTIVE:
        raise DomainError.of(ErrorCode.INVALID_TRANSITION, "membership.not_active")
    current = membership.to_document()
    changed = {k: v for k, v in new.items() if current.get(k) != v}
    if not changed:
        return membership
    expected = {k: current.get(k) for k in changed}

    async def apply(session: Session) -> Membership:
        updated = await repository.update_if_unchanged(
            deps.db, membership.id, expected=expected, changes=changed, session=session
        )
        if updated is None:
            raise DomainError.of(ErrorCode.VERSION_CONFLICT)
        await events.record(
            deps,
            kind=EventKind.MEMBERSHIP_UPDATED,
            subject_id=updated.id,
            actor_id=None if is_system(actor) else actor.user_id,
            place_path=updated.place_path,
            data={
                "user_id": updated.user_id,
                "changes": {k: {"old": expected[k], "new": changed[k]} for k in changed},
            },
            session=session,
        )
        return updated

    updated = await in_transaction(deps.client, apply)
    deps.sessions.forget_user(updated.user_id)
    return updated


MAX_FLOOR_AREA = 100_000.0


async def _places_under(
    deps: Deps,
    membership: Membership,
    building_id: ObjectId | None,
    grid_id: ObjectId | None,
    checks: Checks,
) -> dict[str, Any]:
    """The building and grid fields to set: each a place of its level in the membership's
    community; a building alone sets its grid too, and a building must be in the grid given."""
    fields: dict[str, Any] = {}
    building = grid = None
    if building_id is not None:
        building = await places.get_place(deps, building_id)
        if (
            building is None
            or building.level is not PlaceLevel.BUILDING
            or membership.community_id not in building.path
        ):
            checks.fail("buildingId", "membership.building_not_in_community")
            building = None
        else:
            fields["building_id"] = building.id
            fields["grid_id"] = building.parent_id
    if grid_id is not None:
        grid = await places.get_place(deps, grid_id)
        if (
            grid is None
            or grid.level is not PlaceLevel.GRID
            or membership.community_id not in grid.path
        ):
            checks.fail("gridId", "membership.grid_not_in_community")
        elif building is not None and building.parent_id != grid.id:
            checks.fail("buildingId", "membership.building_not_in_grid")
        else:
            fields["grid_id"] = grid.id
    return fields


# --- The owners' register (业主名册) ---------------------------------------------------------


@dataclass(frozen=True)
class OwnerRow:
    """One row of an owners' register, its phone already resolved to an account."""

    line: int
    household_code: str
    user_id: ObjectId | None  # None: no account has this phone
    floor_area: float


REGISTER_FIELD = ("input", "file")


def row_problem(line: int, column: str, message: str, **params: object) -> Problem:
    """A bad row of an uploaded register: INVALID_INPUT at ["input", "file", line, column]."""
    return Problem(ErrorCode.INVALID_INPUT, message, (*REGISTER_FIELD, str(line), column), params)


async def apply_owners_register(
    deps: Deps,
    actor: Actor,
    *,
    community_id: ObjectId,
    rows: Sequence[OwnerRow],
    problems: Sequence[Problem],
    dry_run: bool,
) -> int:
    """Apply a community's owners' register, all or nothing: each row's account must hold an
    active membership of the community, which gets the row's household code (confirmed) and
    owned floor area, audited as updateMembership's changes are. Every bad row (those found
    while reading, `problems`, and these) is reported and nothing is written; a dry run writes
    nothing either. How many memberships it changed (0 for a dry run)."""
    community = await places.get_place(deps, community_id)
    if community is None or community.level is not PlaceLevel.COMMUNITY:
        raise DomainError.of(
            ErrorCode.NOT_FOUND, "community.not_found", field=("input", "communityId")
        )
    ensure(can_manage_members(actor, community.path), "membership.register_forbidden")
    members = {m.user_id: m for m in await repository.active_of_place(deps.db, community.id)}
    found = list(problems)
    planned: list[tuple[Membership, dict[str, Any]]] = []
    for row in rows:
        membership = members.get(row.user_id) if row.user_id else None
        if membership is None:
            found.append(row_problem(row.line, "phone", "register.not_a_member"))
            continue
        planned.append(
            (
                membership,
                {
                    "household_code": row.household_code,
                    "household_confirmed": True,
                    "owned_floor_area": row.floor_area,
                },
            )
        )
    if found:
        raise DomainError(sorted(found, key=_line_of))
    if dry_run:
        return 0

    async def apply(session: Session) -> int:
        changed = 0
        for membership, new in planned:
            current = membership.to_document()
            changes = {k: v for k, v in new.items() if current.get(k) != v}
            if not changes:
                continue
            expected = {k: current.get(k) for k in changes}
            updated = await repository.update_if_unchanged(
                deps.db, membership.id, expected=expected, changes=changes, session=session
            )
            if updated is None:
                raise DomainError.of(ErrorCode.VERSION_CONFLICT)
            await events.record(
                deps,
                kind=EventKind.MEMBERSHIP_UPDATED,
                subject_id=updated.id,
                actor_id=None if is_system(actor) else actor.user_id,
                place_path=updated.place_path,
                data={
                    "user_id": updated.user_id,
                    "source": "owners_register",
                    "changes": {k: {"old": expected[k], "new": changes[k]} for k in changes},
                },
                session=session,
            )
            changed += 1
        return changed

    changed = await in_transaction(deps.client, apply)
    for membership, _ in planned:
        deps.sessions.forget_user(membership.user_id)
    return changed


def _line_of(problem: Problem) -> int:
    field = problem.field or ()
    return int(field[2]) if len(field) > 2 and field[2].isdigit() else 0
