"""The rules of patrols (巡查): who logs a round, what a track may be, who sees the rounds.

A grid worker walks their grid, offline as often as not, and logs the round afterwards in one
call: the track, a note, photos and the reports they filed on the way (`logPatrol`, idempotent
with `idempotencyKey`, so the app may resend it until it hears back). The track is checked
before anything is stored: at most MAX_TRACK_POINTS points, each on the globe and within
reach of the grid's community (1 km of its boundary; a point in another city is a wrong fix
or a wrong grid), started before ended, not in the future, not longer than
MAX_PATROL_DURATION. Its length is the sum of the great-circle (haversine) distances between
consecutive points.

The grid's workers and the staff of its community and above see the grid's patrols; anyone
else sees none (null).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bson import ObjectId

from neighbor_api.attachments import service as attachments
from neighbor_api.core import events
from neighbor_api.core import idempotency as idempotent
from neighbor_api.core.deps import Deps
from neighbor_api.core.errors import DomainError, ErrorCode, invalid
from neighbor_api.core.events import EventKind
from neighbor_api.core.geo import distance_meters
from neighbor_api.core.mongo import Session
from neighbor_api.core.pagination import Page
from neighbor_api.core.policy import Actor, Role, is_system
from neighbor_api.core.validation import Checks
from neighbor_api.memberships import service as memberships
from neighbor_api.patrols import repository
from neighbor_api.patrols.models import Patrol, PatrolTrack
from neighbor_api.places import service as places
from neighbor_api.places.models import GeoPoint, Place, PlaceLevel
from neighbor_api.reports import service as reports
from neighbor_api.reports.models import Report

# A round of a few hours recorded every few seconds stays well under this; an app that sends
# more is refused (thin the track on the device).
MAX_TRACK_POINTS = 5000
# Every point within this distance of the grid's community's boundary (a round may follow the
# streets around it), or of its centre where it has no boundary (a community is a kilometre
# or two across): a point farther away is a bad fix or another place.
MAX_OUTSIDE_COMMUNITY_METERS = 1000
MAX_DISTANCE_FROM_COMMUNITY_METERS = 3000
MAX_PATROL_DURATION = timedelta(hours=24)
# Logged at most this long after the round (the app syncs when it is back online).
MAX_LOG_DELAY = timedelta(days=30)
# A device's clock may run a little ahead of the server's.
CLOCK_SKEW = timedelta(minutes=5)
MAX_NOTE = 1000
MAX_FINDINGS = 50


@dataclass(frozen=True)
class Logged:
    """A logged patrol, its grid and the reports it names (what the payload shows)."""

    patrol: Patrol
    grid: Place
    findings: list[Report] = field(default_factory=list)


def haversine_meters(a: tuple[float, float], b: tuple[float, float]) -> float:
    """The great-circle distance between two (lat, lng) points (the track's order), in metres."""
    return distance_meters((a[1], a[0]), (b[1], b[0]))


def track_length_meters(track: Sequence[tuple[float, float]]) -> float:
    """The length of a track of (lat, lng) points: the sum of its legs."""
    return sum(haversine_meters(a, b) for a, b in itertools.pairwise(track))


async def _works_grid(deps: Deps, actor: Actor, grid: Place) -> bool:
    """An active grid worker of this grid (a membership on its community naming the grid)."""
    community_id = grid.ancestor_at(PlaceLevel.COMMUNITY)
    if community_id is None:
        return False
    membership = await memberships.active_membership(deps, actor.user_id, community_id)
    return (
        membership is not None
        and membership.grid_id == grid.id
        and Role.GRID_WORKER in membership.roles
    )


async def _grid(deps: Deps, grid_id: ObjectId, *, field: tuple[str, ...]) -> Place:
    return await places.get_place_or_raise(deps, grid_id, level=PlaceLevel.GRID, field=field)


def _fail_at(checks: Checks, path: tuple[str, ...], message: str, **params: object) -> None:
    """A problem on an item of a list field (its index in the path)."""
    checks.problems.append(invalid((*checks.prefix, *path), message, **params))


def _check_times(checks: Checks, started_at: datetime, ended_at: datetime, now: datetime) -> None:
    naive = [
        name
        for name, value in (("startedAt", started_at), ("endedAt", ended_at))
        if value.utcoffset() is None
    ]
    for name in naive:
        checks.fail(name, "patrol.time_without_offset")
    if naive:
        return
    if started_at >= ended_at:
        checks.fail("endedAt", "patrol.ended_before_started")
    elif ended_at - started_at > MAX_PATROL_DURATION:
        checks.fail("endedAt", "patrol.too_long", hours=MAX_PATROL_DURATION // timedelta(hours=1))
    if ended_at > now + CLOCK_SKEW:
        checks.fail("endedAt", "patrol.in_future")
    if started_at < now - MAX_LOG_DELAY:
        checks.fail("startedAt", "patrol.too_old", days=MAX_LOG_DELAY.days)


def _check_track(checks: Checks, track: Sequence[tuple[float, float]]) -> bool:
    """The track's size and that every point is on the globe; True when it may be measured."""
    if len(track) < 2:
        checks.fail("track", "patrol.track_too_short")
        return False
    if len(track) > MAX_TRACK_POINTS:
        checks.fail("track", "patrol.track_too_long", max=MAX_TRACK_POINTS, count=len(track))
        return False
    for index, (lat, lng) in enumerate(track):
        if not (-90 <= lat <= 90 and -180 <= lng <= 180):
            _fail_at(checks, ("track", str(index)), "patrol.point_off_globe", index=index + 1)
            return False
    return True


async def _check_near(
    deps: Deps, grid: Place, track: Sequence[tuple[float, float]], checks: Checks
) -> None:
    """Every point within reach of the grid's community: within MAX_OUTSIDE_COMMUNITY_METERS
    of its boundary, or (a community drawn without one) MAX_DISTANCE_FROM_COMMUNITY_METERS of
    its centre. The first that is not is named."""
    community_id = grid.ancestor_at(PlaceLevel.COMMUNITY)
    community = await places.get_place(deps, community_id) if community_id else None
    if community is None:
        return
    centre = grid.location or community.location
    if community.boundary is not None:
        reach = MAX_OUTSIDE_COMMUNITY_METERS

        def away(lat: float, lng: float) -> float:
            return places.outside_meters(community, GeoPoint.at(lat=lat, lng=lng))
    elif centre is not None:
        reach = MAX_DISTANCE_FROM_COMMUNITY_METERS

        def away(lat: float, lng: float) -> float:
            return haversine_meters((centre.lat, centre.lng), (lat, lng))
    else:
        return  # a place without a location: nothing to measure against
    for index, (lat, lng) in enumerate(track):
        if away(lat, lng) > reach:
            _fail_at(
                checks,
                ("track", str(index)),
                "patrol.point_too_far",
                index=index + 1,
                community=community.name,
                km=reach // 1000,
            )
            return


def _check_findings(
    checks: Checks, actor: Actor, grid: Place, wanted: Sequence[ObjectId], found: Sequence[Report]
) -> None:
    """Each named report exists, is in the grid's community and was filed by the worker."""
    by_id = {r.id: r for r in found}
    community_id = grid.ancestor_at(PlaceLevel.COMMUNITY)
    for index, report_id in enumerate(wanted):
        report = by_id.get(report_id)
        if (
            report is None
            or report.community_id != community_id
            or actor.user_id not in (report.reporter_id, report.entered_by_id)
        ):
            _fail_at(checks, ("findingReportIds", str(index)), "patrol.finding_not_yours")


async def log_patrol(
    deps: Deps,
    actor: Actor,
    *,
    grid_id: ObjectId,
    started_at: datetime,
    ended_at: datetime,
    track: Sequence[tuple[float, float]],
    note: str | None = None,
    photo_ids: Sequence[ObjectId] = (),
    finding_ids: Sequence[ObjectId] = (),
    idempotency_key: str | None = None,
) -> Logged:
    """Log a round walked by a grid worker of the grid (track as (lat, lng) points)."""
    now = deps.clock.now()
    checks = Checks()
    note = checks.text(note, "note", max_length=MAX_NOTE, required=False)
    _check_times(checks, started_at, ended_at, now)
    measurable = _check_track(checks, track)
    findings_wanted = list(dict.fromkeys(finding_ids))
    if len(findings_wanted) > MAX_FINDINGS:
        checks.fail("findingReportIds", "patrol.too_many_findings", max=MAX_FINDINGS)
    idempotency = idempotent.parse(actor.user_id, idempotency_key, checks)
    checks.done()
    if earlier := await idempotent.earlier(deps, repository.PATROLS, idempotency):
        return await _logged(deps, actor, Patrol.from_document(earlier))
    grid = await _grid(deps, grid_id, field=("input", "gridId"))
    if not (is_system(actor) or await _works_grid(deps, actor, grid)):
        raise DomainError.of(ErrorCode.FORBIDDEN, "patrol.log_forbidden")
    if measurable:
        await _check_near(deps, grid, track, checks)
    found = await reports.reports_by_ids(deps, findings_wanted) if findings_wanted else []
    _check_findings(checks, actor, grid, findings_wanted, found)
    checks.done()
    community_id = grid.ancestor_at(PlaceLevel.COMMUNITY)
    assert community_id is not None
    patrol = Patrol(
        grid_id=grid.id,
        community_id=community_id,
        place_path=grid.path,
        worker_id=actor.user_id,
        started_at=started_at,
        ended_at=ended_at,
        point_count=len(track),
        distance_meters=round(track_length_meters(track), 1),
        note=note or None,
        photo_ids=list(dict.fromkeys(photo_ids)),
        finding_ids=findings_wanted,
        idempotency=idempotency,
        created_at=now,
    )
    stored_track = PatrolTrack(
        _id=patrol.id,
        grid_id=grid.id,
        worker_id=actor.user_id,
        points=[(lng, lat) for lat, lng in track],
    )

    async def write(session: Session) -> None:
        if patrol.photo_ids:
            await attachments.attach(
                deps, actor, attachment_ids=patrol.photo_ids, subject_id=patrol.id,
                place_path=patrol.place_path, field=("input", "photoIds"), session=session,
            )  # fmt: skip
        await repository.insert(deps.db, patrol, stored_track, session=session)
        await events.record(
            deps,
            kind=EventKind.PATROL_LOGGED,
            subject_id=patrol.id,
            actor_id=actor.user_id,
            place_path=patrol.place_path,
            data={
                "grid_id": grid.id,
                "distance_meters": patrol.distance_meters,
                "findings": len(findings_wanted),
            },
            session=session,
        )

    raced = await idempotent.create_once(deps, repository.PATROLS, idempotency, write)
    if raced is not None:
        return await _logged(deps, actor, Patrol.from_document(raced))
    return Logged(patrol, grid, found)


async def _logged(deps: Deps, actor: Actor, patrol: Patrol) -> Logged:
    """What an idempotent retry answers: the patrol logged first, as it was logged."""
    grid = await _grid(deps, patrol.grid_id, field=("input", "gridId"))
    found = await reports.reports_by_ids(deps, patrol.finding_ids) if patrol.finding_ids else []
    return Logged(patrol, grid, [r for r in found if reports.can_see(actor, r)])


# --- Reading ---------------------------------------------------------------------------------


async def may_see_patrols(deps: Deps, actor: Actor | None, grid: Place) -> bool:
    """The grid's workers, and the staff of its community and above."""
    if actor is None:
        return False
    if is_system(actor) or actor.is_staff(grid.path):
        return True
    return await _works_grid(deps, actor, grid)


async def patrols_of_grid(
    deps: Deps, actor: Actor, *, grid_id: ObjectId, first: int | None, after: str | None
) -> Page[Patrol] | None:
    """The grid's patrols, the latest first; None for a viewer who may not see them and for
    anything that is not a grid."""
    grid = await places.get_place(deps, grid_id)
    if grid is None or grid.level is not PlaceLevel.GRID:
        return None
    if not await may_see_patrols(deps, actor, grid):
        return None
    return await repository.page_of_grid(deps.db, grid.id, first=first, after=after)


async def get_patrol(deps: Deps, actor: Actor | None, patrol_id: ObjectId) -> Patrol | None:
    found = await repository.by_ids(deps.db, [patrol_id])
    if not found:
        return None
    grid = await places.get_place(deps, found[0].grid_id)
    return found[0] if grid is not None and await may_see_patrols(deps, actor, grid) else None


async def findings(deps: Deps, actor: Actor | None, patrol: Patrol) -> list[Report]:
    """The reports filed on the way that the viewer may see, in the order logged."""
    if not patrol.finding_ids:
        return []
    found = {r.id: r for r in await reports.reports_by_ids(deps, patrol.finding_ids)}
    return [found[i] for i in patrol.finding_ids if i in found and reports.can_see(actor, found[i])]


async def _sees_patrol(deps: Deps, actor: Actor, patrol_id: ObjectId) -> bool:
    """A patrol's photos are seen by whoever sees the patrol."""
    return await get_patrol(deps, actor, patrol_id) is not None


attachments.register_subject_rule(_sees_patrol)
