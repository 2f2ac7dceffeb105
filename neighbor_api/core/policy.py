"""Who may do what, and where: the one place-scoped permission module.

Roles are held per place through memberships. A role applies on the place it was granted on
and on every place under it, so an ADMIN of a street, district or city covers every community
under it, and a community's COMMUNITY_WORKER covers that community's grids. Every feature asks
here; no resolver or service carries its own role checks.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from bson import ObjectId

from neighbor_api.core.errors import DomainError, ErrorCode, Unauthenticated


class Role(StrEnum):
    RESIDENT = "RESIDENT"
    COUNCIL_MEMBER = "COUNCIL_MEMBER"
    GRID_WORKER = "GRID_WORKER"
    COMMUNITY_WORKER = "COMMUNITY_WORKER"
    ADMIN = "ADMIN"


# Staff run a community: triage, decide memberships, see private and anonymous details.
STAFF_ROLES = frozenset({Role.COMMUNITY_WORKER, Role.ADMIN})
# Roles a community's staff may grant when deciding a membership (ADMIN is granted above).
COMMUNITY_GRANTABLE_ROLES = frozenset(
    {Role.RESIDENT, Role.COUNCIL_MEMBER, Role.GRID_WORKER, Role.COMMUNITY_WORKER}
)


@dataclass(frozen=True)
class Grant:
    """Roles an active membership gives on one place."""

    place_id: ObjectId
    roles: frozenset[Role]
    # The grid a GRID_WORKER looks after (their membership is on the community).
    grid_id: ObjectId | None = None


@dataclass(frozen=True)
class Actor:
    """Who is asking: a signed-in user and the roles their active memberships give them."""

    user_id: ObjectId
    grants: tuple[Grant, ...] = field(default=())

    def roles_at(self, place_path: Sequence[ObjectId]) -> frozenset[Role]:
        """Roles on the place whose `place_path` (its ancestors and itself) is given."""
        on_path = set(place_path)
        roles: set[Role] = set()
        for grant in self.grants:
            if grant.place_id in on_path:
                roles |= grant.roles
        return frozenset(roles)

    def is_staff(self, place_path: Sequence[ObjectId]) -> bool:
        return bool(self.roles_at(place_path) & STAFF_ROLES)

    def is_member(self, place_path: Sequence[ObjectId]) -> bool:
        return bool(self.roles_at(place_path))

    def grids(self) -> list[ObjectId]:
        """The grids the actor looks after as a GRID_WORKER."""
        return [
            g.grid_id for g in self.grants if g.grid_id is not None and Role.GRID_WORKER in g.roles
        ]

    def works_grid(self, grid_id: ObjectId | None) -> bool:
        """The grid's worker: the first handler of the reports in it."""
        return grid_id is not None and grid_id in self.grids()


# The system actor (fixtures, jobs): allowed everything, attributed to nobody.
SYSTEM = Actor(user_id=ObjectId("000000000000000000000000"))


def require_actor(actor: Actor | None) -> Actor:
    if actor is None:
        raise Unauthenticated("unauthenticated")
    return actor


def is_system(actor: Actor) -> bool:
    return actor is SYSTEM


def can_manage_members(actor: Actor, community_path: Sequence[ObjectId]) -> bool:
    """Decide join requests, see the member list and members' phone numbers."""
    return is_system(actor) or actor.is_staff(community_path)


def can_see_user_details(
    actor: Actor | None, user_id: ObjectId, user_place_paths: Iterable[Sequence[ObjectId]]
) -> bool:
    """A phone number and memberships: the user themself, or staff of a place they belong to."""
    if actor is None:
        return False
    if actor.user_id == user_id or is_system(actor):
        return True
    return any(actor.is_staff(path) for path in user_place_paths)


def can_see_membership(
    actor: Actor | None, user_id: ObjectId, place_path: Sequence[ObjectId]
) -> bool:
    return can_see_user_details(actor, user_id, [place_path])


def ensure(allowed: bool, message: str) -> None:
    """Refuse with FORBIDDEN unless `allowed`. `message` (a catalogue key) says who may: each
    rule has its own, defined beside the rule."""
    if not allowed:
        raise DomainError.of(ErrorCode.FORBIDDEN, message)


def can_see_user(
    actor: Actor | None, user_id: ObjectId, user_place_paths: Iterable[Sequence[ObjectId]]
) -> bool:
    """A user's name: themself, staff of their places, and fellow members of their places."""
    if actor is None:
        return False
    if can_see_user_details(actor, user_id, user_place_paths):
        return True
    return any(actor.is_member(path) for path in user_place_paths)


# --- Contact by need: who sees a phone number in full --------------------------------------


class PhoneNeed(StrEnum):
    """Why someone may need a person's full phone number (the access log's `reason`)."""

    # Handling a report: the assignee and the community's staff call its reporter.
    REPORT_REPORTER = "REPORT_REPORTER"
    # Serving a member: the community's staff call an applicant or a member.
    MEMBERSHIP = "MEMBERSHIP"
    # Being helped: the reporter sees who handles their report, with a masked contact line.
    REPORT_HANDLER = "REPORT_HANDLER"


class Disclosure(StrEnum):
    FULL = "FULL"
    MASKED = "MASKED"  # 138****0001
    NONE = "NONE"


@dataclass(frozen=True)
class Need:
    """The object through which a person's phone is asked for: a report they filed, a
    membership they hold. `current`: the report is still being handled (not closed or
    rejected), the membership is pending or active."""

    why: PhoneNeed
    object_id: ObjectId
    community_id: ObjectId | None
    place_path: tuple[ObjectId, ...]
    current: bool
    assignee_id: ObjectId | None = None
    reporter_id: ObjectId | None = None


def is_community_staff(actor: Actor, community_id: ObjectId | None) -> bool:
    """Staff of the community itself: a grant on that very community, not on a street,
    district or city above it (whose lists are not where residents are called from)."""
    return community_id is not None and any(
        g.place_id == community_id and g.roles & STAFF_ROLES for g in actor.grants
    )


def phone_disclosure(
    actor: Actor | None,
    user_id: ObjectId,
    user_place_paths: Iterable[Sequence[ObjectId]],
    need: Need | None,
) -> Disclosure:
    """THE rule for phone numbers. In full: to the person themself; to the assignee and the
    community's own staff for the reporter of a report being handled; to the community's own
    staff for a pending or active member. Masked (138****0001): to whoever else could see the
    person's details (staff of a place they belong to, admins above included). Else nothing.
    Every FULL given for a `need` is written to the access log by the caller."""
    if actor is None:
        return Disclosure.NONE
    if actor.user_id == user_id or is_system(actor):
        return Disclosure.FULL
    if need is not None and need.current and need.why is PhoneNeed.REPORT_HANDLER:
        # The reporter of a report being handled: the handler's contact line, masked (the
        # call goes through the platform's hotline, never a private number).
        if actor.user_id == need.reporter_id:
            return Disclosure.MASKED
    elif need is not None and need.current:
        if is_community_staff(actor, need.community_id):
            return Disclosure.FULL
        if need.why is PhoneNeed.REPORT_REPORTER and actor.user_id == need.assignee_id:
            return Disclosure.FULL
    paths = [*user_place_paths]
    if need is not None:
        paths.append(need.place_path)
    if can_see_user_details(actor, user_id, paths):
        return Disclosure.MASKED
    return Disclosure.NONE


def can_read_access_log(actor: Actor, place_path: Sequence[ObjectId]) -> bool:
    """The personal-data access log of a place: its ADMINs and those above (not the
    community workers whose reveals it records)."""
    return is_system(actor) or Role.ADMIN in actor.roles_at(place_path)


def mask_phone(phone: str) -> str:
    """+8613800000001 -> 138****0001 (the national number's first three and last four)."""
    national = phone.removeprefix("+86")
    if len(national) < 8:
        return "*" * len(national)
    return f"{national[:3]}****{national[-4:]}"
