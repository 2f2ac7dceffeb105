"""Units (departments: 城管, 市政, 物业...) of a street or district, and their queues: the
receiving end of dispatch (吹哨报到: the street blows the whistle, departments report for duty).

The moves themselves (dispatch, take, return) are rows of the one transition table,
`reports.service.MOVES`; here are the units, their members and what they hold.
"""

from __future__ import annotations

from bson import ObjectId

from neighbor_api.accounts import service as accounts
from neighbor_api.core import events
from neighbor_api.core.deps import Deps
from neighbor_api.core.errors import DomainError, ErrorCode
from neighbor_api.core.events import EventKind
from neighbor_api.core.mongo import Session, in_transaction
from neighbor_api.core.pagination import Page
from neighbor_api.core.policy import Actor, is_system
from neighbor_api.core.validation import Checks
from neighbor_api.places import service as places
from neighbor_api.places.models import Place, PlaceLevel
from neighbor_api.reports import repository, service
from neighbor_api.reports.models import DUE_STATUSES, Report, ReportOrder, Unit

MAX_UNIT_NAME = 40
# The levels that have units.
UNIT_LEVELS = frozenset({PlaceLevel.STREET, PlaceLevel.DISTRICT})
_QUEUE_ORDER = service.ORDERS[ReportOrder.NEWEST]


def manages(actor: Actor, unit: Unit) -> bool:
    """The staff of the unit's street or district (and those above) manage it (and the
    system: the demo's fixtures)."""
    return is_system(actor) or actor.is_staff(unit.place_path)


def can_see_unit(actor: Actor | None, unit: Unit) -> bool:
    """Its place's staff and its own members."""
    return actor is not None and (manages(actor, unit) or actor.user_id in unit.member_ids)


async def create_unit(deps: Deps, actor: Actor, *, place_id: ObjectId, name: str) -> Unit:
    """A unit of a street or district, created by that place's staff; names are unique per
    place."""
    checks = Checks()
    name = checks.text(name, "name", max_length=MAX_UNIT_NAME)
    checks.done()
    place = await places.get_place_or_raise(deps, place_id, field=("input", "placeId"))
    if not (is_system(actor) or actor.is_staff(place.path)):
        raise DomainError.of(ErrorCode.FORBIDDEN, "unit.manage_forbidden")
    if place.level not in UNIT_LEVELS:
        raise DomainError.of(
            ErrorCode.INVALID_INPUT, "unit.place_level", field=("input", "placeId")
        )
    unit = Unit(place_id=place.id, place_path=place.path, name=name, created_at=deps.clock.now())

    async def write(session: Session) -> None:
        await repository.insert_unit(deps.db, unit, session=session)
        await events.record(
            deps, kind=EventKind.UNIT_CREATED, subject_id=unit.id, actor_id=actor.user_id,
            place_path=place.path, data={"name": name}, session=session,
        )  # fmt: skip

    try:
        await in_transaction(deps.client, write)
    except repository.UnitNameTaken:
        raise DomainError.of(
            ErrorCode.INVALID_INPUT, "unit.name_taken", field=("input", "name"), name=name
        ) from None
    return unit


async def get_unit(deps: Deps, actor: Actor | None, unit_id: ObjectId) -> Unit | None:
    found = await repository.units_by_ids(deps.db, [unit_id])
    return found[0] if found and can_see_unit(actor, found[0]) else None


async def _unit_or_raise(deps: Deps, actor: Actor, unit_id: ObjectId) -> Unit:
    unit = await get_unit(deps, actor, unit_id)
    if unit is None:
        raise DomainError.of(ErrorCode.NOT_FOUND, "unit.not_found", field=("input", "unitId"))
    return unit


async def add_unit_member(
    deps: Deps, actor: Actor, *, unit_id: ObjectId, user_id: ObjectId
) -> Unit:
    """Its place's staff add a member (a repeat changes nothing); the member sees and may
    handle what is dispatched to the unit, the reports it holds now included."""
    unit = await _unit_or_raise(deps, actor, unit_id)
    if not manages(actor, unit):
        raise DomainError.of(ErrorCode.FORBIDDEN, "unit.manage_forbidden")
    if not await accounts.users_by_ids(deps, [user_id]):
        raise DomainError.of(ErrorCode.NOT_FOUND, "unit.user_not_found", field=("input", "userId"))
    if user_id in unit.member_ids:
        return unit

    async def write(session: Session) -> Unit | None:
        added = await repository.add_unit_member(deps.db, unit.id, user_id, session=session)
        await events.record(
            deps, kind=EventKind.UNIT_MEMBER_ADDED, subject_id=unit.id, actor_id=actor.user_id,
            place_path=unit.place_path, data={"user_id": user_id}, session=session,
        )  # fmt: skip
        return added

    added = await in_transaction(deps.client, write)
    if added is None:  # cannot happen: units are never deleted
        raise DomainError.of(ErrorCode.NOT_FOUND, "unit.not_found", field=("input", "unitId"))
    return added


async def units_of_place(deps: Deps, actor: Actor, *, place_id: ObjectId) -> list[Unit]:
    """A street's or district's units: all of them for its staff, a member's own for a member,
    none for anyone else."""
    place: Place | None = await places.get_place(deps, place_id)
    if place is None or place.level not in UNIT_LEVELS:
        return []
    found = await repository.units_of_place(deps.db, place.id)
    return [unit for unit in found if can_see_unit(actor, unit)]


async def unit_queue(
    deps: Deps, actor: Actor, *, unit_id: ObjectId, first: int | None, after: str | None
) -> Page[Report] | None:
    """What a unit holds and still has to do (accepted, assigned, in progress), newest first:
    for its members and its place's staff (None for others)."""
    unit = await get_unit(deps, actor, unit_id)
    if unit is None:
        return None
    query = {"handling_unit_id": unit.id, "status": {"$in": [s.value for s in DUE_STATUSES]}}
    return await repository.page(deps.db, query, sort=_QUEUE_ORDER, first=first, after=after)
