"""The rules of resident reports: who sees what, the state machine, SLAs, ratings.

Every move of the state machine is one row of MOVES (from which statuses, to which, who may);
`viewerCan` and the mutations both read it, so what the app offers is what the server allows.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError

from neighbor_api.attachments import service as attachments
from neighbor_api.core import events
from neighbor_api.core import idempotency as idempotent
from neighbor_api.core.deps import Deps
from neighbor_api.core.errors import DomainError, ErrorCode
from neighbor_api.core.events import EventKind
from neighbor_api.core.mongo import Document, Session, in_transaction
from neighbor_api.core.pagination import (
    DEFAULT_PAGE_SIZE,
    Page,
    Sort,
    offset_edges,
    offset_of,
    page_size,
)
from neighbor_api.core.policy import (
    STAFF_ROLES,
    Actor,
    Need,
    PhoneNeed,
    Role,
    is_community_staff,
)
from neighbor_api.core.validation import Checks
from neighbor_api.memberships import service as memberships
from neighbor_api.places import service as places
from neighbor_api.places.models import GeoPoint, PlaceLevel
from neighbor_api.reports import categories, repository
from neighbor_api.reports.models import (
    AUTO_CLOSE_AFTER,
    DUE_STATUSES,
    NO_DUE_DATE,
    OPEN_STATUSES,
    SLA,
    Answer,
    Comment,
    Endorsement,
    EscalationLevel,
    Report,
    ReportAction,
    ReportCategory,
    ReportOrder,
    ReportPriority,
    ReportStatus,
    ReportVisibility,
    Satisfaction,
    TimelineEntry,
    grid_key,
    member_key,
    staff_key,
    user_key,
)

LOCAL_TIME = ZoneInfo("Asia/Shanghai")
MAX_TITLE = 60
MAX_DESCRIPTION = 2000
MAX_ADDRESS = 120
MAX_NOTE = 500
MAX_COMMENT = 1000
DUPLICATE_RADIUS_METERS = 100
MAX_DUPLICATES = 5
MAX_NEARBY_RADIUS_METERS = 5000
AUTO_CLOSE_BATCH = 200
# A rating at or below this reopens the report.
REOPENING_RATING = 2
# Statuses that leave an escalation queue.
ESCALATION_DONE = frozenset(
    {ReportStatus.CLOSED, ReportStatus.REJECTED, ReportStatus.WITHDRAWN, ReportStatus.DUPLICATE}
)
MAX_SIMILAR = 10
MAX_SIMILAR_RADIUS_METERS = 1000
# How far a chain of duplicates is followed to its original.
MAX_DUPLICATE_CHAIN = 20
# Who a report can be assigned to.
WORKER_ROLES = frozenset({Role.GRID_WORKER, Role.COMMUNITY_WORKER})


# --- Who sees what ----------------------------------------------------------------------


def is_staff(actor: Actor, report: Report) -> bool:
    """Community workers of the report's community and admins above it."""
    return actor.is_staff(report.place_path)


def viewer_keys(actor: Actor, within: Collection[ObjectId] | None = None) -> list[str]:
    """The audience keys the viewer holds (see `Report.audience`): themself, staff of the places
    they are staff of, member of every place they hold a role on (of those `within` when given:
    the keys a report of a community may hold, its `place_path`), the grids they look after."""
    grants = [g for g in actor.grants if within is None or g.place_id in within]
    keys = [user_key(actor.user_id)]
    keys += [staff_key(g.place_id) for g in grants if g.roles & STAFF_ROLES]
    keys += [member_key(g.place_id) for g in grants]
    keys += [grid_key(grid) for grid in actor.grids()]
    return keys


def can_see(actor: Actor | None, report: Report) -> bool:
    """Staff of the report's places; its reporter, assignee and the worker who filed it;
    members of its places when it is COMMUNITY: a viewer's key among the report's audience."""
    if actor is None:
        return False
    return not set(viewer_keys(actor)).isdisjoint(report.audience)


def endorsed_by_anyone(report: Report) -> bool:
    """Whether anyone said "me too" to the report as it was read: its `endorsement_count`,
    counted in the transaction that adds each endorsement (`repository.add_endorsement`; none
    is ever taken back, and erasing an account's endorsements leaves the count). At 0 no one
    has, the viewer included: `viewerHasEndorsed` reads nothing."""
    return report.endorsement_count > 0


def visible_filter(actor: Actor) -> Document:
    """The MongoDB condition matching exactly the reports `can_see` allows (for lists): one
    flat `$in` on the multikey `audience`, which both servers plan on an index."""
    return {"audience": {"$in": viewer_keys(actor)}}


def public_filter() -> Document:
    """What other systems and open data may show (Open311): COMMUNITY reports, never PRIVATE
    ones (and never who reported them: `public_reports`' readers show no reporter)."""
    return {"visibility": ReportVisibility.COMMUNITY.value}


def can_see_reporter(actor: Actor | None, report: Report) -> bool:
    """An anonymous report's reporter is known only to the reporter and the staff of that
    community itself (not admins above it, not the neighbours)."""
    if not report.anonymous:
        return True
    if actor is None:
        return False
    if actor.user_id == report.reporter_id:
        return True
    return is_community_staff(actor, report.community_id)


def reporter_need(report: Report) -> Need:
    """Why a handler may call the reporter: the report, while it is being handled (not yet
    closed or rejected; a resolved one may still need a call). Who may is
    `core/policy.phone_disclosure`'s rule."""
    return Need(
        why=PhoneNeed.REPORT_REPORTER,
        object_id=report.id,
        community_id=report.community_id,
        place_path=tuple(report.place_path),
        current=report.status not in ESCALATION_DONE,
        assignee_id=report.assignee_id,
    )


async def _sees_report(deps: Deps, actor: Actor, report_id: ObjectId) -> bool:
    """A report's photos are seen by whoever sees the report."""
    return await get_report(deps, actor, report_id) is not None


attachments.register_subject_rule(_sees_report)


# --- The state machine --------------------------------------------------------------------


class Verb(StrEnum):
    ACCEPT = "accept"
    ASSIGN = "assign"
    START = "start"
    RESOLVE = "resolve"
    REJECT = "reject"
    ESCALATE = "escalate"
    RATE = "rate"
    CLOSE = "close"
    # 吹哨报到: the street or district sends an escalated report to one of its units; a member
    # of the unit takes it (through acceptReport) or sends it back to the level (returnReport).
    DISPATCH = "dispatch"
    TAKE = "take"
    RETURN = "return"
    WITHDRAW = "withdraw"
    MARK_DUPLICATE = "mark_duplicate"


# The event each move records (every verb has one: tests/test_events.py).
EVENT_OF_MOVE = {
    Verb.ACCEPT: EventKind.REPORT_ACCEPT,
    Verb.ASSIGN: EventKind.REPORT_ASSIGN,
    Verb.START: EventKind.REPORT_START,
    Verb.RESOLVE: EventKind.REPORT_RESOLVE,
    Verb.REJECT: EventKind.REPORT_REJECT,
    Verb.ESCALATE: EventKind.REPORT_ESCALATE,
    Verb.RATE: EventKind.REPORT_RATE,
    Verb.CLOSE: EventKind.REPORT_CLOSE,
    Verb.DISPATCH: EventKind.REPORT_DISPATCH,
    Verb.TAKE: EventKind.REPORT_TAKE,
    Verb.RETURN: EventKind.REPORT_RETURN,
    Verb.WITHDRAW: EventKind.REPORT_WITHDRAW,
    Verb.MARK_DUPLICATE: EventKind.REPORT_MARK_DUPLICATE,
}


def _staff(actor: Actor, report: Report) -> bool:
    return is_staff(actor, report)


def _unit_member(actor: Actor, report: Report) -> bool:
    """A member of the unit the report is dispatched to."""
    return report.handling_unit_id is not None and actor.user_id in report.unit_member_ids


def _staff_or_grid(actor: Actor, report: Report) -> bool:
    """Community staff, and the worker of the grid the report lies in (its first handler)."""
    return is_staff(actor, report) or actor.works_grid(report.grid_id)


def _assignee_or_staff(actor: Actor, report: Report) -> bool:
    """The assignee, and community staff and the grid's worker; on a report a unit holds, the
    assignee and the unit's members (its work is theirs, not the street's nor the community's)."""
    if report.handling_unit_id is not None:
        return actor.user_id == report.assignee_id or _unit_member(actor, report)
    return actor.user_id == report.assignee_id or _staff_or_grid(actor, report)


def _reporter(actor: Actor, report: Report) -> bool:
    return actor.user_id == report.reporter_id


def _reporter_or_staff(actor: Actor, report: Report) -> bool:
    return _reporter(actor, report) or is_staff(actor, report)


# The length of the place path of the level a report is at (its staff may escalate it; at the
# district, the top, they are told INVALID_TRANSITION rather than FORBIDDEN).
_LEVEL_PATH_LENGTH = {
    EscalationLevel.COMMUNITY: 4,
    EscalationLevel.STREET: 3,
    EscalationLevel.DISTRICT: 2,
}
_NEXT_LEVEL = {
    EscalationLevel.COMMUNITY: EscalationLevel.STREET,
    EscalationLevel.STREET: EscalationLevel.DISTRICT,
}


def _staff_at_level(actor: Actor, report: Report) -> bool:
    """Escalating is for the staff of the level the report is at (community, then street)."""
    length = _LEVEL_PATH_LENGTH.get(report.escalation_level)
    return length is not None and actor.is_staff(report.place_path[:length])


def level_place(report: Report) -> ObjectId:
    """The place of the level the report is at: its community, street or district."""
    return report.place_path[_LEVEL_PATH_LENGTH[report.escalation_level] - 1]


# The levels that have units to dispatch to.
_DISPATCHING_LEVELS = frozenset({EscalationLevel.STREET, EscalationLevel.DISTRICT})


@dataclass(frozen=True)
class Move:
    from_statuses: frozenset[ReportStatus]
    to_status: ReportStatus | None  # None: stays (escalate) or decided by the input (rate)
    action: ReportAction
    who: Callable[[Actor, Report], bool]
    # The FORBIDDEN message for anyone else: who may (a catalogue key).
    refusal: str


MOVES: dict[Verb, Move] = {
    Verb.ACCEPT: Move(
        frozenset({ReportStatus.SUBMITTED}), ReportStatus.ACCEPTED, ReportAction.ACCEPTED,
        _staff_or_grid, "report.accept_forbidden",
    ),
    Verb.ASSIGN: Move(
        frozenset({ReportStatus.ACCEPTED, ReportStatus.ASSIGNED, ReportStatus.IN_PROGRESS}),
        ReportStatus.ASSIGNED, ReportAction.ASSIGNED, _staff, "report.assign_forbidden",
    ),
    Verb.START: Move(
        frozenset({ReportStatus.ACCEPTED, ReportStatus.ASSIGNED}), ReportStatus.IN_PROGRESS,
        ReportAction.STARTED,
        _assignee_or_staff, "report.start_forbidden",
    ),
    Verb.RESOLVE: Move(
        frozenset({ReportStatus.IN_PROGRESS}), ReportStatus.RESOLVED, ReportAction.RESOLVED,
        _assignee_or_staff, "report.resolve_forbidden",
    ),
    Verb.REJECT: Move(
        frozenset({ReportStatus.SUBMITTED, ReportStatus.ACCEPTED}), ReportStatus.REJECTED,
        ReportAction.REJECTED, _staff, "report.reject_forbidden",
    ),
    Verb.ESCALATE: Move(
        OPEN_STATUSES, None, ReportAction.ESCALATED, _staff_at_level, "report.escalate_forbidden"
    ),
    Verb.RATE: Move(
        frozenset({ReportStatus.RESOLVED}), None, ReportAction.RATED, _reporter,
        "report.rate_forbidden",
    ),
    Verb.CLOSE: Move(
        frozenset({ReportStatus.RESOLVED}), ReportStatus.CLOSED, ReportAction.CLOSED,
        _reporter_or_staff, "report.close_forbidden",
    ),
    # 吹哨报到 (only while escalated to a street or district, and held by no unit).
    Verb.DISPATCH: Move(
        OPEN_STATUSES, ReportStatus.ACCEPTED, ReportAction.DISPATCHED, _staff_at_level,
        "report.dispatch_forbidden",
    ),
    Verb.TAKE: Move(
        frozenset({ReportStatus.ACCEPTED}), ReportStatus.ASSIGNED, ReportAction.ACCEPTED,
        _unit_member, "report.take_forbidden",
    ),
    Verb.RETURN: Move(
        DUE_STATUSES, ReportStatus.ACCEPTED, ReportAction.RETURNED, _unit_member,
        "report.return_forbidden",
    ),
    Verb.WITHDRAW: Move(
        frozenset({ReportStatus.SUBMITTED}), ReportStatus.WITHDRAWN, ReportAction.WITHDRAWN,
        _reporter, "report.withdraw_forbidden",
    ),
    Verb.MARK_DUPLICATE: Move(
        OPEN_STATUSES, ReportStatus.DUPLICATE, ReportAction.MARKED_DUPLICATE, _staff,
        "report.mark_duplicate_forbidden",
    ),
}  # fmt: skip

# The moves of a report a unit holds are the unit's (and resolving, rating, closing); the
# community's staff no longer accept, assign, reject or escalate it: one owner at a time.
_UNIT_HELD_ALLOWS = frozenset(
    {Verb.TAKE, Verb.START, Verb.RESOLVE, Verb.RETURN, Verb.RATE, Verb.CLOSE}
)
_UNIT_ONLY = frozenset({Verb.TAKE, Verb.RETURN})


def _possible(verb: Verb, report: Report) -> bool:
    """Whether the report's state allows the move at all (whoever asks)."""
    if report.status not in MOVES[verb].from_statuses:
        return False
    held = report.handling_unit_id is not None
    if held and verb not in _UNIT_HELD_ALLOWS:
        return False
    if not held and verb in _UNIT_ONLY:
        return False
    if verb is Verb.DISPATCH:
        return report.escalation_level in _DISPATCHING_LEVELS
    if verb is Verb.TAKE:
        return report.assignee_id is None
    if verb is Verb.ESCALATE:
        return report.escalation_level in _NEXT_LEVEL
    if verb is Verb.RATE:
        return not report.rated_resolution
    return True


def may(actor: Actor | None, verb: Verb, report: Report) -> bool:
    """`viewerCan`: the actor may make this move now."""
    return actor is not None and MOVES[verb].who(actor, report) and _possible(verb, report)


def may_comment(actor: Actor | None, report: Report) -> bool:
    return (
        actor is not None
        and can_see(actor, report)
        and (actor.is_member(report.place_path) or actor.user_id == report.reporter_id)
    )


def _check_move(actor: Actor, verb: Verb, report: Report) -> Move:
    move = MOVES[verb]
    if not move.who(actor, report):
        raise DomainError.of(ErrorCode.FORBIDDEN, move.refusal)
    if not _possible(verb, report):
        raise DomainError.of(ErrorCode.INVALID_TRANSITION, "report.invalid_transition")
    return move


def _entry(
    actor: Actor | None,
    action: ReportAction,
    *,
    at: datetime,
    from_status: ReportStatus | None,
    to_status: ReportStatus | None,
    note: str | None = None,
    rating: int | None = None,
) -> Document:
    return TimelineEntry(
        at=at,
        action=action,
        from_status=from_status,
        to_status=to_status,
        note=note or None,
        actor_id=actor.user_id if actor else None,
        rating=rating,
    ).model_dump()


async def _apply(
    deps: Deps,
    actor: Actor | None,
    report: Report,
    *,
    verb: Verb,
    changes: Document,
    note: str | None = None,
    then: ReportAction | None = None,
    event_data: Document | None = None,
    extra_condition: Document | None = None,
    attach: Callable[[Session], Awaitable[object]] | None = None,
    rating: int | None = None,
) -> Report:
    """Write one move in one transaction: the conditional update (only if the report is still
    where it was), its timeline entry (and the `then` entry a rating leads to: REOPENED or
    CLOSED), and its event."""
    now = deps.clock.now()
    to_status = ReportStatus(changes.get("status", report.status))
    entries = [
        _entry(actor, MOVES[verb].action, at=now, from_status=report.status,
               to_status=report.status if then else to_status, note=note, rating=rating),
    ]  # fmt: skip
    if then is not None:
        entries.append(_entry(actor, then, at=now, from_status=report.status, to_status=to_status))

    async def write(session: Session) -> Report:
        if attach is not None:
            await attach(session)
        moved = await repository.transition(
            deps.db,
            report.id,
            from_statuses=[report.status],
            changes={**changes, "updated_at": now},
            cell=report.fine_cell,
            push=entries,
            # ... and still held by whoever held it (a unit, or none): one owner at a time.
            extra_condition={
                "handling_unit_id": report.handling_unit_id,
                **(extra_condition or {}),
            },
            session=session,
        )
        if moved is None:  # someone else moved it first
            raise DomainError.of(ErrorCode.INVALID_TRANSITION, "report.invalid_transition")
        await repository.move_in_rollups(deps.db, report, moved, session=session)
        await events.record(
            deps,
            kind=EVENT_OF_MOVE[verb],
            subject_id=report.id,
            actor_id=actor.user_id if actor else None,
            place_path=report.place_path,
            data={"from": report.status.value, "to": moved.status.value, **(event_data or {})},
            session=session,
        )
        return moved

    return await in_transaction(deps.client, write, serial=repository.serial(report.community_id))


# --- Reading ------------------------------------------------------------------------------


async def get_report(deps: Deps, actor: Actor | None, report_id: ObjectId) -> Report | None:
    found = await repository.by_ids(deps.db, [report_id])
    return found[0] if found and can_see(actor, found[0]) else None


async def task_made_from(deps: Deps, report: Report, *, session: Session) -> None:
    """A task was made from the report (`boards.create_task`, in its transaction): counted on
    the report (`Report.linked_task_count`)."""
    await repository.count_linked_task(deps.db, report, session=session)


async def reports_by_ids(deps: Deps, report_ids: Sequence[ObjectId]) -> list[Report]:
    """The reports of these ids as stored, whoever may see them (one read): for a caller that
    checks its own rule (a patrol's findings: filed by its worker) or `can_see`."""
    return await repository.by_ids(deps.db, report_ids) if report_ids else []


async def visible_reports(
    deps: Deps, actor: Actor | None, report_ids: Sequence[ObjectId]
) -> list[Report]:
    """The reports of `report_ids` the viewer may see, in that order (one query)."""
    if not report_ids:
        return []
    found = {r.id: r for r in await repository.by_ids(deps.db, list(report_ids))}
    return [found[i] for i in report_ids if i in found and can_see(actor, found[i])]


async def _visible_or_raise(deps: Deps, actor: Actor, report_id: ObjectId) -> Report:
    report = await get_report(deps, actor, report_id)
    if report is None:
        raise DomainError.of(ErrorCode.NOT_FOUND, "report.not_found", field=("input", "reportId"))
    return report


@dataclass(frozen=True)
class ReportFilter:
    status: Sequence[ReportStatus] | None = None
    category: Sequence[ReportCategory] | None = None
    mine: bool = False
    assigned_to_me: bool = False
    overdue: bool = False
    # Dispatched to this unit (吹哨报到).
    unit_id: ObjectId | None = None
    # The grids the viewer looks after, or one grid.
    in_my_grids: bool = False
    grid_id: ObjectId | None = None


ORDERS: dict[ReportOrder, Sort] = {
    ReportOrder.NEWEST: [("created_at", DESCENDING), ("_id", DESCENDING)],
    ReportOrder.OLDEST: [("created_at", ASCENDING), ("_id", ASCENDING)],
    ReportOrder.MOST_ENDORSED: [("endorsement_count", DESCENDING), ("_id", DESCENDING)],
    ReportOrder.DUE_SOONEST: [("due_key", ASCENDING), ("_id", ASCENDING)],
}


def _filter_query(actor: Actor, criteria: ReportFilter, now: datetime) -> Document:
    query: Document = {}
    if criteria.status:
        query["status"] = {"$in": [s.value for s in criteria.status]}
    if criteria.category:
        query["category"] = {"$in": [c.value for c in criteria.category]}
    if criteria.mine:
        query["reporter_id"] = actor.user_id
    if criteria.assigned_to_me:
        query["assignee_id"] = actor.user_id
    if criteria.unit_id is not None:
        query["handling_unit_id"] = criteria.unit_id
    if criteria.in_my_grids:
        grids = actor.grids()
        if criteria.grid_id is not None:
            grids = [g for g in grids if g == criteria.grid_id]
        query["grid_id"] = {"$in": grids}
    elif criteria.grid_id is not None:
        query["grid_id"] = criteria.grid_id
    if criteria.overdue:
        query["due_at"] = {"$lt": now}
        due = [s.value for s in DUE_STATUSES]
        if criteria.status:
            due = [s for s in due if s in query["status"]["$in"]]
        query["status"] = {"$in": due}
    return query


async def list_reports(
    deps: Deps,
    actor: Actor | None,
    *,
    community_id: ObjectId,
    criteria: ReportFilter,
    order: ReportOrder,
    first: int | None,
    after: str | None,
    endorsed: Callable[[Mapping[ObjectId, bool]], object] | None = None,
) -> Page[Report] | None:
    """A community's reports as the viewer may see them (None for outsiders). `endorsed` is
    given whether the viewer has endorsed each report of the page that anyone has, when the
    page was read under the community's version (`viewer_endorsed`)."""
    if actor is None:
        return None
    community = await places.get_place(deps, community_id)
    if community is None or community.level is not PlaceLevel.COMMUNITY:
        return None
    if not actor.is_member(community.path):
        return None
    query: Document = {
        "community_id": community.id,
        **_filter_query(actor, criteria, deps.clock.now()),
    }
    # Staff see every report of the community, and everyone sees their own and those assigned
    # to them: those lists need no visibility condition. Every list stays one flat filter led
    # by community_id (SecantusDB plans no index for a top-level $and/$or).
    # A grid's worker sees every report of their grids (`grid_key`).
    own_grids = criteria.in_my_grids or actor.works_grid(criteria.grid_id)
    sort = ORDERS[order]
    staff = actor.is_staff(community.path)
    if staff or criteria.mine or criteria.assigned_to_me or own_grids:
        visible_to: list[str] | None = None
    else:
        visible_to = viewer_keys(actor, within=set(community.path))
    # By creation time with equalities only but the statuses: the community's totals size
    # the reads' windows of time (`repository.windowed_page`) and give the count; the whole
    # community for its staff is one read per status asked for. Other filters (category,
    # overdue) and orders are read as they are.
    status = query.get("status")
    statuses: list[str] = list(status["$in"]) if isinstance(status, dict) else []
    base = {k: v for k, v in query.items() if k != "status"}
    whole = visible_to is None and staff and base.keys() == {"community_id"}
    timed = sort[0][0] == "created_at" and not any(isinstance(v, dict) for v in base.values())
    timed = timed and (whole or visible_to is not None)
    totals = await repository.read_totals(deps.db, community.id) if timed else None
    variants = [{"status": s} for s in statuses] if timed and statuses else [{}]
    if variants == [{}]:
        base = query
    now = deps.clock.now()

    def expected(variant: Document, part: int) -> int | None:
        if totals is None:
            return None
        of = [ReportStatus(variant["status"])] if variant else None
        return totals.of(of)[part]

    async def read(
        where: Document,
        expected: int | None,
        keep: Sequence[str] = (),
        held: int | None = None,
        size: int | None = first,
    ) -> Page[Report]:
        if totals is None or expected is None:
            return await repository.page(deps.db, where, sort=sort, first=size, after=after)
        known = totals  # (for the closure)

        def load() -> Awaitable[Page[Report]]:
            return repository.windowed_page(
                deps.db, where, expected=expected, totals=known, now=now, sort=sort, first=size,
                after=after, statuses=keep, held=held,
            )  # fmt: skip

        key = ("reports.page", repr(where), order, size, after, tuple(keep), expected, held)
        return await deps.keep(key, totals.version, load)

    mine = user_key(actor.user_id)
    if visible_to is None:
        # The whole community for its staff (windows sized by its totals); a person's own
        # (mine, assigned to me) or a grid's read whole (bounded by a person's or grid's share).
        if whole:
            reads = [read({**base, **v}, expected(v, 0)) for v in variants]
        else:  # as asked (a status filter on these indexes is a field beside them: as before)
            reads = [read(query, None)]
    else:
        # A member's view: one read per audience key they hold here (windows sized by what
        # members see; their own reports in one window, whole, unless they work a grid: then
        # sized as the community's), merged. SecantusDB reads every match of a `$in` (and of
        # an index prefix) before sorting; MongoDB would merge the ranges. The statuses asked
        # for are checked on what is read (SecantusDB plans no index for the audience and the
        # status together: no index holds both). Their own are read a default page at least,
        # so that a small page holds them all for the total (`list_total`).
        if totals is None:
            reads = [read({**query, "audience": key}, None) for key in visible_to]
        else:
            wanted = sum(expected(v, 1) or 0 for v in variants)
            own = sum(expected(v, 0) or 0 for v in variants) if actor.grids() else 0
            members = expected({}, 1)  # what a member key's read holds: the COMMUNITY reports
            reads = [
                read({**base, "audience": key}, own, statuses,
                     size=max(page_size(first), DEFAULT_PAGE_SIZE))
                if key == mine
                else read({**base, "audience": key}, wanted, statuses,
                          members if key.startswith("member:") else None)
                for key in visible_to
            ]  # fmt: skip
    pages = await asyncio.gather(*reads)
    page = repository.merge(pages, sort=sort, first=first)  # (their own may read more)
    # A member's first page read every one of their own reports here (of the statuses asked
    # for) when that read has no next page: their total counts those, not a read more (only
    # for a filter of statuses alone: `list_total` counts any other on the index).
    own_reports: list[Report] | None = None
    if visible_to is not None and totals is not None and after is None:
        read_own = pages[visible_to.index(mine)]
        if not read_own.has_next_page:
            own_reports = [report for _, report in read_own.edges]

    async def count() -> int:
        return await list_total(
            deps, actor, community.id, criteria, query, visible_to, totals, own_reports
        )

    if endorsed is not None and totals is not None:
        endorsed(await viewer_endorsed(deps, actor, [r for _, r in page.edges], totals.version))
    return replace(page, count=count)


async def viewer_endorsed(
    deps: Deps, actor: Actor, reports: Sequence[Report], version: Hashable
) -> dict[ObjectId, bool]:
    """Whether the viewer has endorsed each of `reports` (of one community) that anyone has
    (`endorsed_by_anyone`), kept for the viewer under the community's `version`, which every
    endorsement counts in (`repository.add_endorsement`): a viewer opening the list again
    reads nothing more while no report of the community changed."""
    ids = tuple(report.id for report in reports if endorsed_by_anyone(report))
    if not ids:
        return {}
    key = ("reports.endorsed", actor.user_id, ids)
    found = await deps.keep(
        key, version, lambda: repository.endorsed(deps.db, actor.user_id, ids), per_viewer=True
    )
    return {i: i in found for i in ids}


async def list_total(
    deps: Deps,
    actor: Actor,
    community_id: ObjectId,
    criteria: ReportFilter,
    query: Document,
    visible_to: Sequence[str] | None,
    totals: repository.Totals | None = None,
    own: Sequence[Report] | None = None,
) -> int:
    """`totalCount` of a community list: from the community's totals (beside its rollups)
    when the list is the whole community, or what a member sees, of some statuses or all;
    else counted on the list's index (a filter by category, mine, overdue, a grid worker's
    view).

    A member (no grid) sees the COMMUNITY reports (`members` of the totals) and their own
    others: those holding their user key that are PRIVATE (a COMMUNITY one is counted once,
    in `members`): `own` when the list read them all (those of the statuses asked for), else
    read from the audience index (a person's own reports)."""
    statuses = criteria.status or None
    if criteria != ReportFilter(status=criteria.status) or (
        visible_to is not None and any(key.startswith("grid:") for key in visible_to)
    ):
        return await repository.count(deps.db, _visible(query, visible_to))
    known = totals or await repository.read_totals(deps.db, community_id)
    if known.since is None:
        # No totals: no report yet, or reports stored around the writes (a bulk load not
        # followed by step 11): counted, rather than a fast wrong 0.
        return await repository.count(deps.db, _visible(query, visible_to))
    if visible_to is None:
        return known.of(statuses)[0]
    if own is not None:
        held = [(r.status.value, r.visibility.value) for r in own]
    else:
        mine = user_key(actor.user_id)
        documents = await deps.keep(
            ("reports.held", community_id, mine), known.version,
            lambda: repository.holding_key(deps.db, community_id, mine),
        )  # fmt: skip
        held = [(str(d.get("status")), str(d.get("visibility"))) for d in documents]
    wanted = {s.value for s in statuses} if statuses else None
    private = ReportVisibility.PRIVATE.value
    return known.of(statuses)[1] + sum(
        visibility == private and (wanted is None or status in wanted)
        for status, visibility in held
    )


def _visible(query: Document, visible_to: Sequence[str] | None) -> Document:
    return query if visible_to is None else {**query, "audience": {"$in": list(visible_to)}}


# The places above a community whose staff list everything under them (placeReports).
_WIDE_LEVELS = frozenset({PlaceLevel.CITY, PlaceLevel.DISTRICT, PlaceLevel.STREET})


async def place_reports(
    deps: Deps,
    actor: Actor | None,
    *,
    place_id: ObjectId,
    criteria: ReportFilter,
    order: ReportOrder,
    first: int | None,
    after: str | None,
) -> Page[Report] | None:
    """Every report under a street, district or city, for that place's staff (and those
    above); a community's as `reports` gives them. None for a place the viewer may not list
    (nothing counted: no leak of how many there are)."""
    if actor is None:
        return None
    place = await places.get_place(deps, place_id)
    if place is None:
        return None
    if place.level is PlaceLevel.COMMUNITY:
        return await list_reports(
            deps, actor, community_id=place.id, criteria=criteria, order=order, first=first,
            after=after,
        )  # fmt: skip
    if place.level not in _WIDE_LEVELS or not actor.is_staff(place.path):
        return None
    # Staff of the place see every report under it: one equality on the multikey place_path,
    # then the filter (still one flat filter: see `list_reports`).
    query: Document = {"place_path": place.id, **_filter_query(actor, criteria, deps.clock.now())}
    return await repository.page(deps.db, query, sort=ORDERS[order], first=first, after=after)


# A map's box is capped to this many degrees of latitude and of longitude (about 55 km by
# 50 km at Xiamen: a whole city), around its centre: a box spanning the globe would otherwise
# walk every report the viewer may see.
MAX_BOX_DEGREES = 0.5


@dataclass(frozen=True)
class Box:
    south: float
    west: float
    north: float
    east: float


def capped_box(south_west: GeoPoint | None, north_east: GeoPoint | None) -> Box:
    """The box asked for (corners on the globe, south-west below and left of north-east),
    capped to MAX_BOX_DEGREES around its centre."""
    checks = Checks(prefix=("box",))
    if south_west is None:
        checks.fail("southWest", "report.box_corner")
    if north_east is None:
        checks.fail("northEast", "report.box_corner")
    checks.done()
    assert south_west is not None
    assert north_east is not None
    if south_west.lat > north_east.lat or south_west.lng > north_east.lng:
        checks.fail("northEast", "report.box_order")
        checks.done()

    def capped(low: float, high: float) -> tuple[float, float]:
        if high - low <= MAX_BOX_DEGREES:
            return low, high
        middle = (low + high) / 2
        return middle - MAX_BOX_DEGREES / 2, middle + MAX_BOX_DEGREES / 2

    south, north = capped(south_west.lat, north_east.lat)
    west, east = capped(south_west.lng, north_east.lng)
    return Box(south=south, west=west, north=north, east=east)


async def reports_in_area(
    deps: Deps,
    actor: Actor,
    *,
    box: Box,
    criteria: ReportFilter,
    first: int | None,
) -> Page[Report]:
    """The reports in a map's box (`capped_box`) that the viewer may see (the same rule as
    every list: `visible_filter`), newest first, at most a page (100)."""
    ring = [
        [box.west, box.south], [box.east, box.south], [box.east, box.north],
        [box.west, box.north], [box.west, box.south],
    ]  # fmt: skip
    query: Document = {
        **_filter_query(actor, criteria, deps.clock.now()),
        **visible_filter(actor),
        "location": {"$geoWithin": {"$geometry": {"type": "Polygon", "coordinates": [ring]}}},
    }
    return await repository.page(
        deps.db, query, sort=ORDERS[ReportOrder.NEWEST], first=first, after=None
    )


async def reports_nearby(
    deps: Deps,
    actor: Actor,
    *,
    near: GeoPoint,
    radius_meters: int,
    first: int | None,
    after: str | None,
) -> Page[tuple[Report, float]]:
    if not 1 <= radius_meters <= MAX_NEARBY_RADIUS_METERS:
        raise DomainError.of(
            ErrorCode.INVALID_INPUT, "report.radius", field=("radiusMeters",),
            max=MAX_NEARBY_RADIUS_METERS,
        )  # fmt: skip
    limit, start = page_size(first), offset_of(after)
    found = await repository.near(
        deps.db,
        near,
        radius_meters=radius_meters,
        audience=viewer_keys(actor),
        skip=start,
        limit=limit + 1,
    )

    async def count() -> int:
        return await repository.count_near(
            deps.db, near, radius_meters=radius_meters, audience=viewer_keys(actor)
        )

    return Page(offset_edges(found[:limit], start), len(found) > limit, count)


async def escalated_reports(
    deps: Deps, actor: Actor, *, place_id: ObjectId, first: int | None, after: str | None
) -> Page[Report] | None:
    """The escalation queue of a street or district: its staff only (None for others)."""
    place = await places.get_place(deps, place_id)
    if place is None or place.level not in (PlaceLevel.STREET, PlaceLevel.DISTRICT):
        return None
    if not actor.is_staff(place.path):
        return None
    query = {
        "escalated_to": place.id,
        # What the place holds: not what it escalated on (to the district) nor what it
        # dispatched to one of its units (until the unit returns it).
        "escalation_level": place.level.value,
        "handling_unit_id": None,
        # Listed as $in (not $nin CLOSED, REJECTED) so both servers bound it on the index.
        "status": {"$in": [s.value for s in ReportStatus if s not in ESCALATION_DONE]},
    }
    sort: Sort = [("created_at", DESCENDING), ("_id", DESCENDING)]
    return await repository.page(deps.db, query, sort=sort, first=first, after=after)


async def comments(
    deps: Deps, report: Report, *, first: int | None, after: str | None
) -> Page[Comment]:
    """A page of the report's comments, kept by the instance under its `comment_count` (comments
    are only ever added, each with its count in one transaction: `repository.insert_comment`)."""
    return await deps.keep(
        ("report.comments", report.id, first, after),
        report.comment_count,
        lambda: repository.comments_page(deps.db, report, first=first, after=after),
    )


# --- Submitting ----------------------------------------------------------------------------


async def report_categories(
    deps: Deps, community_id: ObjectId
) -> Sequence[categories.CategoryInfo] | None:
    """A community's catalogue of categories (public, like the places; None: no such
    community). Every community has the default catalogue today."""
    community = await places.get_place(deps, community_id)
    if community is None or community.level is not PlaceLevel.COMMUNITY:
        return None
    return categories.catalogue()


@dataclass(frozen=True)
class Submitted:
    report: Report
    possible_duplicates: list[tuple[Report, float]]


async def _community_member(deps: Deps, user_id: ObjectId, community_id: ObjectId) -> Any:
    return await memberships.active_membership(deps, user_id, community_id)


async def submit_report(
    deps: Deps,
    actor: Actor,
    *,
    community_id: ObjectId,
    category: ReportCategory,
    title: str,
    description: str,
    location: GeoPoint | None,
    address: str | None = None,
    photo_ids: Sequence[ObjectId] = (),
    anonymous: bool = False,
    visibility: ReportVisibility | None = None,
    on_behalf_of_id: ObjectId | None = None,
    idempotency_key: str | None = None,
    answers: Sequence[Answer] | None = None,
) -> Submitted:
    """File a report. Every problem with the input is reported at once (texts, location,
    the category's answers, photos), before anything is written."""
    checks = Checks()
    title = checks.text(title, "title", max_length=MAX_TITLE)
    description = checks.text(description, "description", max_length=MAX_DESCRIPTION)
    address = checks.text(address, "address", max_length=MAX_ADDRESS, required=False)
    idempotency = idempotent.parse(actor.user_id, idempotency_key, checks)
    community = await places.get_place_or_raise(
        deps, community_id, level=PlaceLevel.COMMUNITY, field=("input", "communityId")
    )
    if location is None:
        checks.fail("location", "report.location")
    elif places.outside_meters(community, location) > places.BOUNDARY_TOLERANCE_METERS:
        checks.fail("location", "report.outside_community", community=community.name)
    kept_answers, wrong_answers = categories.check_answers(category, answers)
    checks.problems += wrong_answers
    if photo_ids:
        checks.problems += await attachments.attach_problems(
            deps, actor, attachment_ids=photo_ids, field=("input", "photoIds")
        )
    checks.done()
    assert location is not None
    if earlier := await idempotent.earlier(deps, repository.REPORTS, idempotency):
        return await _with_duplicates(deps, actor, Report.from_document(earlier))
    if not actor.is_member(community.path):
        raise DomainError.of(ErrorCode.FORBIDDEN, "report.not_member")
    reporter_id = actor.user_id
    entered_by_id = None
    if on_behalf_of_id is not None and on_behalf_of_id != actor.user_id:
        roles = actor.roles_at(community.path)
        if not roles & (STAFF_ROLES | {Role.GRID_WORKER}):
            raise DomainError.of(ErrorCode.FORBIDDEN, "report.on_behalf_forbidden")
        if await _community_member(deps, on_behalf_of_id, community.id) is None:
            raise DomainError.of(
                ErrorCode.NOT_FOUND, "report.resident_not_found", field=("input", "onBehalfOfId")
            )
        reporter_id, entered_by_id = on_behalf_of_id, actor.user_id
    now = deps.clock.now()
    year = now.astimezone(LOCAL_TIME).year
    sequence = await repository.next_number(deps.db, scope=f"report:{community.id}:{year}")
    chosen = visibility or (
        ReportVisibility.PRIVATE
        if category is ReportCategory.NEIGHBOR_DISPUTE
        else ReportVisibility.COMMUNITY
    )
    grid = await places.grid_at(deps, community, location)
    report = Report(
        number=f"{community.code or 'R'}-{year}-{sequence:06d}",
        community_id=community.id,
        place_path=community.path,
        grid_id=grid.id if grid else None,
        reporter_id=reporter_id,
        entered_by_id=entered_by_id,
        category=category,
        title=title,
        description=description,
        location=location,
        address=address or None,
        photo_ids=list(dict.fromkeys(photo_ids)),
        answers=kept_answers,
        anonymous=anonymous,
        visibility=chosen,
        timeline=[
            TimelineEntry(
                at=now,
                action=ReportAction.SUBMITTED,
                to_status=ReportStatus.SUBMITTED,
                actor_id=actor.user_id,
            )
        ],
        idempotency=idempotency,
        follower_count=1,  # the reporter
        created_at=now,
        updated_at=now,
    )

    async def write(session: Session) -> None:
        if report.photo_ids:
            await attachments.attach(
                deps, actor, attachment_ids=report.photo_ids, subject_id=report.id,
                place_path=report.place_path, field=("input", "photoIds"), session=session,
            )  # fmt: skip
        await repository.insert(deps.db, report, session=session)
        # The reporter follows their report (and is counted).
        await repository.follow(
            deps.db, report, report.reporter_id, now, counted=True, session=session
        )
        await events.record(
            deps,
            kind=EventKind.REPORT_SUBMITTED,
            subject_id=report.id,
            actor_id=actor.user_id,
            place_path=report.place_path,
            data={"category": category.value, "status": report.status.value},
            session=session,
        )

    raced = await idempotent.create_once(
        deps, repository.REPORTS, idempotency, write, serial=repository.serial(community.id)
    )
    return await _with_duplicates(
        deps, actor, Report.from_document(raced) if raced is not None else report
    )


async def _with_duplicates(deps: Deps, actor: Actor, report: Report) -> Submitted:
    """The report submitted (or found again by an idempotent retry) and its possible
    duplicates: open reports of its category within 100 m the reporter may see."""
    duplicates = await repository.open_near(
        deps.db, report.location, radius_meters=DUPLICATE_RADIUS_METERS,
        community_id=report.community_id, category=report.category, exclude_id=report.id,
        limit=MAX_DUPLICATES,
    )  # fmt: skip
    return Submitted(report, [(r, d) for r, d in duplicates if can_see(actor, r)])


async def similar_reports(
    deps: Deps,
    actor: Actor,
    *,
    community_id: ObjectId,
    location: GeoPoint | None,
    category: ReportCategory | None,
    radius_meters: int | None,
) -> list[tuple[Report, float]]:
    """Before submitting: the open reports of the community (of `category` when given) within
    the radius (100 m by default) that the viewer may see, nearest first. Empty for someone
    who is not a member."""
    radius = DUPLICATE_RADIUS_METERS if radius_meters is None else radius_meters
    checks = Checks(prefix=())
    if location is None:
        checks.fail("location", "report.location")
    if not 1 <= radius <= MAX_SIMILAR_RADIUS_METERS:
        checks.fail("radiusMeters", "report.radius", max=MAX_SIMILAR_RADIUS_METERS)
    checks.done()
    assert location is not None
    community = await places.get_place(deps, community_id)
    if community is None or community.level is not PlaceLevel.COMMUNITY:
        return []
    if not actor.is_member(community.path):
        return []
    found = await repository.open_near(
        deps.db, location, radius_meters=radius, community_id=community.id, category=category,
        audience=viewer_keys(actor), limit=MAX_SIMILAR,
    )  # fmt: skip
    return [(r, d) for r, d in found if can_see(actor, r)][:MAX_SIMILAR]


# --- The staff workflow -------------------------------------------------------------------


async def accept_report(
    deps: Deps, actor: Actor, *, report_id: ObjectId, priority: ReportPriority | None
) -> Report:
    """Community staff accept a submitted report; on a report dispatched to a unit, a member of
    the unit takes it (it is assigned to them: `take_report`)."""
    report = await _visible_or_raise(deps, actor, report_id)
    if report.handling_unit_id is not None:
        return await take_report(deps, actor, report)
    _check_move(actor, Verb.ACCEPT, report)
    now = deps.clock.now()
    chosen = priority or ReportPriority.NORMAL
    due = now + SLA[chosen]
    changes = {
        "status": ReportStatus.ACCEPTED.value,
        "priority": chosen.value,
        "accepted_at": now,
        "due_at": due,
        "due_key": due,
    }
    return await _apply(deps, actor, report, verb=Verb.ACCEPT, changes=changes)


async def assign_report(
    deps: Deps,
    actor: Actor,
    *,
    report_id: ObjectId,
    assignee_id: ObjectId,
    due_at: datetime | None = None,
) -> Report:
    report = await _visible_or_raise(deps, actor, report_id)
    _check_move(actor, Verb.ASSIGN, report)
    membership = await _community_member(deps, assignee_id, report.community_id)
    if membership is None or not set(membership.roles) & WORKER_ROLES:
        raise DomainError.of(
            ErrorCode.INVALID_INPUT, "report.assignee_not_worker", field=("input", "assigneeId")
        )
    if due_at is not None and due_at.utcoffset() is None:
        # A time without an offset could be any time zone's (the contract asks for one).
        raise DomainError.of(
            ErrorCode.INVALID_INPUT, "report.due_without_offset", field=("input", "dueAt")
        )
    if due_at is not None and due_at <= deps.clock.now():
        raise DomainError.of(
            ErrorCode.INVALID_INPUT, "report.due_in_past", field=("input", "dueAt")
        )
    changes: Document = {
        "status": ReportStatus.ASSIGNED.value,
        "assignee_id": assignee_id,
        "assignee_role": _handling_role(membership.roles).value,
        # The grid its point lies in stays; an unrouted report takes the assignee's grid.
        "grid_id": report.grid_id or membership.grid_id,
        # The new assignee sees it (the former one no longer does).
        "audience": report.model_copy(
            update={"assignee_id": assignee_id, "grid_id": report.grid_id or membership.grid_id}
        ).audience,
    }
    if due_at is not None:
        changes |= {"due_at": due_at, "due_key": due_at}
    return await _apply(
        deps, actor, report, verb=Verb.ASSIGN, changes=changes,
        event_data={"assignee_id": assignee_id},
    )  # fmt: skip


async def take_report(deps: Deps, actor: Actor, report: Report) -> Report:
    """A member of the unit a report is dispatched to accepts it: it is assigned to them."""
    _check_move(actor, Verb.TAKE, report)
    changes: Document = {
        "status": ReportStatus.ASSIGNED.value,
        "assignee_id": actor.user_id,
        "audience": report.model_copy(update={"assignee_id": actor.user_id}).audience,
    }
    return await _apply(
        deps, actor, report, verb=Verb.TAKE, changes=changes,
        event_data={"assignee_id": actor.user_id, "unit_id": report.handling_unit_id},
    )  # fmt: skip


async def dispatch_report(
    deps: Deps, actor: Actor, *, report_id: ObjectId, unit_id: ObjectId, note: str | None
) -> Report:
    """吹哨报到: staff of the street or district a report is escalated to send it to one of that
    place's units. The unit holds it from then on (the level's queue no longer lists it): it is
    ACCEPTED, waiting for a member of the unit to take it, and nobody else is assigned."""
    report = await _visible_or_raise(deps, actor, report_id)
    _check_move(actor, Verb.DISPATCH, report)
    checks = Checks()
    note = checks.text(note, "note", max_length=MAX_NOTE, required=False)
    found = await repository.units_by_ids(deps.db, [unit_id])
    level = level_place(report)
    if not found or found[0].place_id != level:
        # Not a unit of this street or district (another street's, or none): say whose.
        place = await places.get_place(deps, level)
        checks.fail("unitId", "report.unit_not_of_level", place=place.name if place else "")
    elif not found[0].member_ids:
        checks.fail("unitId", "report.unit_has_no_members")
    checks.done()
    unit = found[0]
    now = deps.clock.now()
    chosen = report.priority or ReportPriority.NORMAL
    changes: Document = {
        "status": ReportStatus.ACCEPTED.value,
        "priority": chosen.value,
        "handling_unit_id": unit.id,
        "unit_member_ids": unit.member_ids,
        "assignee_id": None,
        "audience": report.model_copy(
            update={"assignee_id": None, "unit_member_ids": unit.member_ids}
        ).audience,
    }
    if report.accepted_at is None:
        changes["accepted_at"] = now
    if report.due_at is None:
        due = now + SLA[chosen]
        changes |= {"due_at": due, "due_key": due}
    return await _apply(
        deps, actor, report, verb=Verb.DISPATCH, changes=changes, note=note,
        event_data={"unit_id": unit.id, "place_id": level, "note": note},
    )  # fmt: skip


async def return_report(
    deps: Deps, actor: Actor, *, report_id: ObjectId, reason: str | None
) -> Report:
    """A member of the unit holding a report sends it back, with the reason, to the level that
    dispatched it (its escalation queue lists it again; it is ACCEPTED, assigned to nobody)."""
    report = await _visible_or_raise(deps, actor, report_id)
    _check_move(actor, Verb.RETURN, report)
    checks = Checks()
    reason = checks.text(reason, "reason", max_length=MAX_NOTE)
    checks.done()
    changes: Document = {
        "status": ReportStatus.ACCEPTED.value,
        "handling_unit_id": None,
        "unit_member_ids": [],
        "assignee_id": None,
        "audience": report.model_copy(
            update={"assignee_id": None, "unit_member_ids": [], "handling_unit_id": None}
        ).audience,
    }
    return await _apply(
        deps, actor, report, verb=Verb.RETURN, changes=changes, note=reason,
        event_data={
            "unit_id": report.handling_unit_id, "place_id": level_place(report), "reason": reason,
        },
    )  # fmt: skip


def _handling_role(roles: Iterable[Role]) -> Role:
    """The role a worker handles a report in, as the reporter is told it."""
    held = set(roles)
    for role in (Role.GRID_WORKER, Role.COMMUNITY_WORKER, Role.ADMIN):
        if role in held:
            return role
    return Role.COMMUNITY_WORKER


def handler_need(report: Report) -> Need:
    """Why the reporter may see their handler's contact line (masked): the report, while it is
    handled. Who sees what is `core/policy.phone_disclosure`'s rule."""
    return Need(
        why=PhoneNeed.REPORT_HANDLER,
        object_id=report.id,
        community_id=report.community_id,
        place_path=tuple(report.place_path),
        current=report.status not in ESCALATION_DONE,
        assignee_id=report.assignee_id,
        reporter_id=report.reporter_id,
    )


async def start_report(deps: Deps, actor: Actor, *, report_id: ObjectId) -> Report:
    report = await _visible_or_raise(deps, actor, report_id)
    _check_move(actor, Verb.START, report)
    changes: Document = {"status": ReportStatus.IN_PROGRESS.value}
    if report.assignee_id is None:
        # Started straight from ACCEPTED (the grid's worker taking it on): the starter owns it.
        role = Role.GRID_WORKER if actor.works_grid(report.grid_id) else None
        changes |= {
            "assignee_id": actor.user_id,
            "assignee_role": (role or _handling_role(actor.roles_at(report.place_path))).value,
            "audience": report.model_copy(update={"assignee_id": actor.user_id}).audience,
        }
    return await _apply(deps, actor, report, verb=Verb.START, changes=changes)


async def resolve_report(
    deps: Deps,
    actor: Actor,
    *,
    report_id: ObjectId,
    note: str | None,
    photo_ids: Sequence[ObjectId] = (),
) -> Report:
    report = await _visible_or_raise(deps, actor, report_id)
    _check_move(actor, Verb.RESOLVE, report)
    checks = Checks()
    note = checks.text(note, "note", max_length=MAX_NOTE)
    checks.done()
    photos = list(dict.fromkeys(photo_ids))

    async def attach(session: Session) -> object:
        if not photos:
            return None
        return await attachments.attach(
            deps, actor, attachment_ids=photos, subject_id=report.id,
            place_path=report.place_path, field=("input", "photoIds"), session=session,
        )  # fmt: skip

    changes = {
        "status": ReportStatus.RESOLVED.value,
        "resolved_at": deps.clock.now(),
        "resolution_note": note,
        "resolution_photo_ids": photos,
        # A new resolution waits for its own rating (earlier ones stay in `ratings`).
        "satisfaction": None,
        # Nothing is due any more: it sorts after the open ones (a reopening sets it again).
        "due_key": NO_DUE_DATE,
        "rated_resolution": False,
    }
    return await _apply(
        deps, actor, report, verb=Verb.RESOLVE, changes=changes, note=note, attach=attach
    )


async def reject_report(
    deps: Deps, actor: Actor, *, report_id: ObjectId, reason: str | None
) -> Report:
    report = await _visible_or_raise(deps, actor, report_id)
    _check_move(actor, Verb.REJECT, report)
    checks = Checks()
    reason = checks.text(reason, "reason", max_length=MAX_NOTE)
    checks.done()
    changes = {
        "status": ReportStatus.REJECTED.value,
        "rejection_reason": reason,
        "closed_at": deps.clock.now(),
        "due_key": NO_DUE_DATE,
    }
    return await _apply(deps, actor, report, verb=Verb.REJECT, changes=changes, note=reason)


async def escalate_report(
    deps: Deps, actor: Actor, *, report_id: ObjectId, reason: str | None
) -> Report:
    """Raise a report one level: community -> street -> district (its status stays)."""
    report = await _visible_or_raise(deps, actor, report_id)
    _check_move(actor, Verb.ESCALATE, report)
    checks = Checks()
    reason = checks.text(reason, "reason", max_length=MAX_NOTE)
    checks.done()
    level = _NEXT_LEVEL[report.escalation_level]
    # The street is the path's third place, the district its second.
    target = report.place_path[2] if level is EscalationLevel.STREET else report.place_path[1]
    changes = {"escalation_level": level.value, "escalated_to": [*report.escalated_to, target]}
    return await _apply(
        deps, actor, report, verb=Verb.ESCALATE, changes=changes, note=reason,
        extra_condition={"escalation_level": report.escalation_level.value},
        event_data={"level": level.value, "place_id": target, "reason": reason},
    )  # fmt: skip


async def rate_report(
    deps: Deps, actor: Actor, *, report_id: ObjectId, rating: int, comment: str | None
) -> Report:
    """The reporter rates the resolution: 1–2 reopens it to the same worker, 3–5 closes it."""
    report = await _visible_or_raise(deps, actor, report_id)
    _check_move(actor, Verb.RATE, report)
    checks = Checks()
    if not 1 <= rating <= 5:
        checks.fail("rating", "report.rating")
    comment = checks.text(comment, "comment", max_length=MAX_NOTE, required=False)
    checks.done()
    now = deps.clock.now()
    satisfaction = Satisfaction(rating=rating, comment=comment or None, rated_at=now)
    changes: Document = {
        "satisfaction": satisfaction.model_dump(),
        "ratings": [*(r.model_dump() for r in report.ratings), satisfaction.model_dump()],
        "rated_resolution": True,
    }
    if rating <= REOPENING_RATING:
        due = now + SLA[report.priority or ReportPriority.NORMAL]
        then = ReportAction.REOPENED
        changes |= {
            "status": ReportStatus.ASSIGNED.value,
            "resolved_at": None,
            "due_at": due,
            "due_key": due,
        }
    else:
        then = ReportAction.CLOSED
        changes |= {"status": ReportStatus.CLOSED.value, "closed_at": now, "due_key": NO_DUE_DATE}
    return await _apply(
        deps, actor, report, verb=Verb.RATE, changes=changes, note=comment, then=then,
        extra_condition={"rated_resolution": False}, event_data={"rating": rating},
        rating=rating,
    )  # fmt: skip


async def close_report(deps: Deps, actor: Actor | None, *, report_id: ObjectId) -> Report:
    """Close a resolved report (its reporter or staff; `None` is the automatic close)."""
    if actor is None:
        found = await repository.by_ids(deps.db, [report_id])
        if not found or not _possible(Verb.CLOSE, found[0]):
            raise DomainError.of(ErrorCode.INVALID_TRANSITION, "report.invalid_transition")
        report = found[0]
    else:
        report = await _visible_or_raise(deps, actor, report_id)
        _check_move(actor, Verb.CLOSE, report)
    changes = {
        "status": ReportStatus.CLOSED.value,
        "closed_at": deps.clock.now(),
        "due_key": NO_DUE_DATE,
    }
    return await _apply(deps, actor, report, verb=Verb.CLOSE, changes=changes)


async def withdraw_report(
    deps: Deps, actor: Actor, *, report_id: ObjectId, reason: str | None
) -> Report:
    """The reporter takes back a report staff have not accepted yet (the reason is kept)."""
    report = await _visible_or_raise(deps, actor, report_id)
    _check_move(actor, Verb.WITHDRAW, report)
    checks = Checks()
    reason = checks.text(reason, "reason", max_length=MAX_NOTE, required=False)
    checks.done()
    changes = {
        "status": ReportStatus.WITHDRAWN.value,
        "withdrawal_reason": reason or None,
        "closed_at": deps.clock.now(),
        "due_key": NO_DUE_DATE,
    }
    return await _apply(deps, actor, report, verb=Verb.WITHDRAW, changes=changes, note=reason)


async def _original_of(deps: Deps, report: Report, original: Report) -> Report:
    """The report a duplicate is marked against: `original`, or the original it was itself
    marked a duplicate of. A chain that leads back to `report` is a cycle (refused)."""
    field = ("input", "duplicateOfId")
    seen = {original.id}
    while original.duplicate_of_id is not None and len(seen) <= MAX_DUPLICATE_CHAIN:
        if original.duplicate_of_id == report.id or original.duplicate_of_id in seen:
            raise DomainError.of(ErrorCode.INVALID_INPUT, "report.duplicate_cycle", field=field)
        found = await repository.by_ids(deps.db, [original.duplicate_of_id])
        if not found:
            break
        original = found[0]
        seen.add(original.id)
    if original.id == report.id:
        raise DomainError.of(ErrorCode.INVALID_INPUT, "report.duplicate_cycle", field=field)
    return original


async def mark_report_duplicate(
    deps: Deps, actor: Actor, *, report_id: ObjectId, duplicate_of_id: ObjectId
) -> Report:
    """Staff close an open report as a duplicate of another of the same community: linked both
    ways, its followers follow the original and its endorsements count there (once per
    neighbour, never the original's own reporter); its reporter and followers are told why."""
    report = await _visible_or_raise(deps, actor, report_id)
    _check_move(actor, Verb.MARK_DUPLICATE, report)
    field = ("input", "duplicateOfId")
    if duplicate_of_id == report.id:
        raise DomainError.of(ErrorCode.INVALID_INPUT, "report.duplicate_self", field=field)
    named = await get_report(deps, actor, duplicate_of_id)
    if named is None:
        raise DomainError.of(ErrorCode.NOT_FOUND, "report.not_found", field=field)
    if named.community_id != report.community_id:
        raise DomainError.of(
            ErrorCode.INVALID_INPUT, "report.duplicate_other_community", field=field
        )
    original = await _original_of(deps, report, named)
    if original.status in (ReportStatus.WITHDRAWN, ReportStatus.REJECTED):
        raise DomainError.of(ErrorCode.INVALID_INPUT, "report.duplicate_of_closed", field=field)
    now = deps.clock.now()
    followers = await repository.followers(deps.db, report.id)

    async def carry(session: Session) -> object:
        await repository.add_duplicate(deps.db, original, report.id, session=session)
        await repository.follow_all(deps.db, original, followers, now, session=session)
        both = await repository.endorsers_of(deps.db, [report.id, original.id], session=session)
        already = set(both[original.id])
        for user_id in both[report.id]:
            if user_id in already or user_id == original.reporter_id:
                continue
            endorsement = Endorsement(report_id=original.id, user_id=user_id, created_at=now)
            await repository.add_endorsement(
                deps.db, endorsement, original.community_id, session=session
            )
        return None

    changes = {
        "status": ReportStatus.DUPLICATE.value,
        "duplicate_of_id": original.id,
        "closed_at": now,
        "due_key": NO_DUE_DATE,
    }
    return await _apply(
        deps, actor, report, verb=Verb.MARK_DUPLICATE, changes=changes, note=original.number,
        event_data={"duplicate_of_id": original.id, "number": original.number}, attach=carry,
    )  # fmt: skip


async def close_unrated(deps: Deps) -> int:
    """The job: close reports resolved and not rated for AUTO_CLOSE_AFTER. Safe with several
    app instances: each close is conditional, so a report closes once whoever gets there."""
    cutoff = deps.clock.now() - AUTO_CLOSE_AFTER
    closed = 0
    for report_id in await repository.resolved_before(deps.db, cutoff, limit=AUTO_CLOSE_BATCH):
        try:
            await close_report(deps, None, report_id=report_id)
            closed += 1
        except DomainError:  # closed, rated or reopened meanwhile
            continue
    return closed


# --- Neighbours: endorsements and comments ------------------------------------------------


async def endorse_report(deps: Deps, actor: Actor, *, report_id: ObjectId) -> Report:
    """ "Me too", once per neighbour: a repeat changes nothing and is not an error."""
    report = await _visible_or_raise(deps, actor, report_id)
    if actor.user_id == report.reporter_id or not actor.is_member(report.place_path):
        raise DomainError.of(ErrorCode.FORBIDDEN, "report.endorse_forbidden")
    if report.status not in OPEN_STATUSES:
        raise DomainError.of(ErrorCode.INVALID_TRANSITION, "report.invalid_transition")
    endorsement = Endorsement(
        report_id=report.id, user_id=actor.user_id, created_at=deps.clock.now()
    )

    async def write(session: Session) -> None:
        await repository.add_endorsement(deps.db, endorsement, report.community_id, session=session)
        # "Me too" means hearing what becomes of it.
        await repository.follow(
            deps.db, report, actor.user_id, endorsement.created_at, session=session
        )
        await events.record(
            deps, kind=EventKind.REPORT_ENDORSED, subject_id=report.id, actor_id=actor.user_id,
            place_path=report.place_path, session=session,
        )  # fmt: skip

    with contextlib.suppress(DuplicateKeyError):  # endorsed before: nothing more to count
        await in_transaction(deps.client, write, serial=repository.serial(report.community_id))
    found = await repository.by_ids(deps.db, [report.id])
    return found[0]


async def follow_report(deps: Deps, actor: Actor, *, report_id: ObjectId) -> Report:
    """Follow a report the viewer may see (else NOT_FOUND, like the report itself); a repeat
    changes nothing. The report as it is after."""
    report = await _visible_or_raise(deps, actor, report_id)
    await repository.follow(deps.db, report, actor.user_id, deps.clock.now())
    found = await repository.by_ids(deps.db, [report.id])
    return found[0]


async def unfollow_report(deps: Deps, actor: Actor, *, report_id: ObjectId) -> Report:
    """Stop following (the reporter too: they are still told of their own report's moves).
    Not following: nothing changes."""
    report = await _visible_or_raise(deps, actor, report_id)
    await repository.unfollow(deps.db, report, actor.user_id)
    found = await repository.by_ids(deps.db, [report.id])
    return found[0]


async def comment_on_report(
    deps: Deps, actor: Actor, *, report_id: ObjectId, body: str, idempotency_key: str | None
) -> tuple[Comment, Report]:
    """The comment and the report it is on (as read, for the caller to answer from)."""
    checks = Checks()
    body = checks.text(body, "body", max_length=MAX_COMMENT)
    idempotency = idempotent.parse(actor.user_id, idempotency_key, checks)
    checks.done()
    if earlier := await idempotent.earlier(deps, repository.COMMENTS, idempotency):
        replayed = Comment.from_document(earlier)
        return replayed, await _visible_or_raise(deps, actor, replayed.report_id)
    report = await _visible_or_raise(deps, actor, report_id)
    if not may_comment(actor, report):
        raise DomainError.of(ErrorCode.FORBIDDEN, "report.comment_forbidden")
    comment = Comment(
        report_id=report.id, author_id=actor.user_id, body=body,
        created_at=deps.clock.now(), idempotency=idempotency,
    )  # fmt: skip

    async def write(session: Session) -> None:
        await repository.insert_comment(deps.db, comment, report.community_id, session=session)
        await events.record(
            deps, kind=EventKind.REPORT_COMMENTED, subject_id=report.id, actor_id=actor.user_id,
            place_path=report.place_path, data={"comment_id": comment.id}, session=session,
        )  # fmt: skip

    raced = await idempotent.create_once(
        deps, repository.COMMENTS, idempotency, write,
        serial=repository.serial(report.community_id),
    )  # fmt: skip
    return (Comment.from_document(raced) if raced is not None else comment), report


# --- Public reading (open data, Open311) ----------------------------------------------------


async def public_reports(
    deps: Deps,
    *,
    ids: Sequence[ObjectId] = (),
    categories: Sequence[ReportCategory] = (),
    statuses: Sequence[ReportStatus] = (),
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int,
) -> list[Report]:
    """The public reports (`public_filter`) of every community matching the filters, newest
    first."""
    query = public_filter()
    if ids:
        query["_id"] = {"$in": list(ids)}
    if categories:
        query["category"] = {"$in": [c.value for c in categories]}
    if statuses:
        query["status"] = {"$in": [s.value for s in statuses]}
    created: Document = {}
    if since is not None:
        created["$gte"] = since
    if until is not None:
        created["$lte"] = until
    if created:
        query["created_at"] = created
    return await repository.newest(deps.db, query, limit=limit)
