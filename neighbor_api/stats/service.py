"""Who may see a place's dashboard, the period rules, and the figures' final arithmetic.

The figures (see README "Dashboards" and the field descriptions of `PlaceStats`):
- the period is [from, to); either end may be open (no `from`: since the beginning; no `to`:
  up to now and beyond); both must carry a UTC offset, and `from` must be before `to`;
- reports in the period: created in it; by status and category as they stand now; open: not
  RESOLVED, CLOSED or REJECTED; overdue: `Report.is_overdue(now)`;
- resolved in the period: the report's latest `resolved_at` falls in it; the median is over
  their hours from creation to resolution; on time: resolved at or before `due_at`, among those
  with a due time;
- satisfaction: ratings 4–5 among every rating given in the period;
- proposals passed / turnout: votes closed in the period (turnout: the mean of voted / eligible
  over those with an electorate);
- tasks done: approved in the period; volunteers and points: the points ledger's entries
  written in the period;
- escalated: of the reports created in the period, those ever escalated beyond their
  community; patrols: patrols started in the period in the place;
- children: each child place's reports (total, open, overdue, escalated), satisfaction and
  patrols (a community's children are its grids); byWorker: the reports resolved in the
  period by assignee; series: reports created and resolutions made per local day or week.
A grid's dashboard counts the reports placed in it and its patrols (proposals, tasks and points
are not kept per grid: 0).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bson import ObjectId

from neighbor_api.core.deps import Deps
from neighbor_api.core.errors import invalid, raise_if
from neighbor_api.core.policy import Actor, is_system
from neighbor_api.places import service as places
from neighbor_api.places.models import Place, PlaceLevel
from neighbor_api.reports.models import OPEN_STATUSES, ReportCategory, ReportStatus
from neighbor_api.stats import repository
from neighbor_api.stats.repository import EVERY_PART, MS_PER_HOUR, Part, Period, rollup_day

# Places a dashboard exists for.
DASHBOARD_LEVELS = frozenset(
    {PlaceLevel.GRID, PlaceLevel.COMMUNITY, PlaceLevel.STREET, PlaceLevel.DISTRICT, PlaceLevel.CITY}
)
# The longest series answered (an open `from` starts at most this many buckets before its end).
MAX_SERIES_BUCKETS = 400


class StatsInterval(StrEnum):
    DAY = "DAY"
    WEEK = "WEEK"  # Monday to Sunday, local time


@dataclass(frozen=True)
class PlaceStats:
    place: Place
    period: Period
    reports_total: int
    reports_open: int
    reports_overdue: int
    reports_escalated: int
    reports_by_status: dict[ReportStatus, int]
    reports_by_category: dict[ReportCategory, int]
    median_resolution_hours: float | None
    on_time_resolution_percent: float | None
    satisfaction_percent: float | None
    proposals_passed: int
    average_turnout_percent: float | None
    tasks_done: int
    active_volunteers: int
    points_awarded: int
    # Read with the figures when asked for (their parts), else when their field is resolved.
    children: list[ChildStats] | None = None
    patrols: int | None = None
    by_worker: list[WorkerStats] | None = None


def percent(part: int | float, whole: int | float) -> float | None:
    """100 × part / whole, to one decimal; None when there is nothing to divide by."""
    return round(100 * part / whole, 1) if whole else None


def check_period(start: datetime | None, end: datetime | None) -> Period:
    problems = [
        invalid((name,), "stats.period_without_offset")
        for name, value in (("from", start), ("to", end))
        if value is not None and value.utcoffset() is None
    ]
    raise_if(problems)
    if start is not None and end is not None and start >= end:
        raise_if([invalid(("to",), "stats.period_reversed")])
    return Period(start=start, end=end)


async def place_stats(
    deps: Deps,
    actor: Actor,
    *,
    place_id: ObjectId,
    start: datetime | None = None,
    end: datetime | None = None,
    parts: frozenset[Part] = EVERY_PART,
) -> PlaceStats | None:
    """The dashboard of a community, street, district or city: its staff (and staff above it)
    only; None for anyone else, and for a place that does not exist or is a grid. Only the
    figures of `parts` are read (the others stay 0 or None: for a client that did not ask)."""
    place = await places.get_place(deps, place_id)
    if place is None or place.level not in DASHBOARD_LEVELS:
        return None
    if not (is_system(actor) or actor.is_staff(place.path)):
        return None
    period = check_period(start, end)

    async def nothing() -> None:
        return None

    figures, children, patrols, by_worker = await repository.together(
        repository.figures(deps.db, place, period, now=deps.clock.now(), parts=parts),
        _children(deps, place, period) if Part.CHILDREN in parts else nothing(),
        repository.patrols(deps.db, place.id, period) if Part.PATROLS in parts else nothing(),
        _by_worker(deps, place, period) if Part.BY_WORKER in parts else nothing(),
    )
    by_status = {status: figures.by_status.get(status, 0) for status in ReportStatus}
    median_ms = figures.median_resolution_ms
    return PlaceStats(
        place=place,
        period=period,
        reports_total=sum(by_status.values()),
        reports_open=sum(count for status, count in by_status.items() if status in OPEN_STATUSES),
        reports_overdue=figures.overdue,
        reports_escalated=figures.escalated,
        reports_by_status=by_status,
        reports_by_category={c: figures.by_category.get(c, 0) for c in ReportCategory},
        median_resolution_hours=round(median_ms / MS_PER_HOUR, 2)
        if median_ms is not None
        else None,
        on_time_resolution_percent=percent(figures.resolved_on_time, figures.resolved_with_due),
        satisfaction_percent=percent(figures.satisfied_ratings, figures.ratings),
        proposals_passed=figures.proposals_passed,
        average_turnout_percent=percent(figures.turnout_sum, figures.proposals_with_electorate),
        tasks_done=figures.tasks_done,
        active_volunteers=figures.volunteers,
        points_awarded=figures.points,
        children=children,
        patrols=patrols,
        by_worker=by_worker,
    )


# --- The parts read only when asked for (each given the dashboard it belongs to: its place
# and period were checked when it was built) ------------------------------------------------


async def patrols(deps: Deps, stats: PlaceStats) -> int:
    """Patrols started in the period in the place's grids (one count, read when asked for)."""
    if stats.patrols is not None:
        return stats.patrols
    return await repository.patrols(deps.db, stats.place.id, stats.period)


@dataclass(frozen=True)
class ChildStats:
    place: Place
    reports_total: int
    reports_open: int
    reports_overdue: int
    reports_escalated: int
    satisfaction_percent: float | None
    patrols: int


async def children(deps: Deps, stats: PlaceStats) -> list[ChildStats]:
    """Each place directly under the dashboard's (a community's grids), by name, zeros
    included: the district's ranking of its streets or a street's of its communities."""
    if stats.children is not None:
        return stats.children
    return await _children(deps, stats.place, stats.period)


async def _children(deps: Deps, place: Place, period: Period) -> list[ChildStats]:
    if place.level is PlaceLevel.GRID:
        return []
    places_under, figures = await asyncio.gather(
        places.children(deps, place.id),
        repository.children_figures(deps.db, place, period, now=deps.clock.now()),
    )
    if not places_under:
        return []
    empty = repository.ChildFigures()
    return [
        ChildStats(
            place=child,
            reports_total=(f := figures.get(child.id, empty)).total,
            reports_open=f.open,
            reports_overdue=f.overdue,
            reports_escalated=f.escalated,
            satisfaction_percent=percent(f.satisfied_ratings, f.ratings),
            patrols=f.patrols,
        )
        for child in places_under
    ]


@dataclass(frozen=True)
class WorkerStats:
    user_id: ObjectId
    resolved: int
    median_resolution_hours: float | None


async def by_worker(deps: Deps, stats: PlaceStats) -> list[WorkerStats]:
    """The reports resolved in the period by assignee, the most first (at most 100)."""
    if stats.by_worker is not None:
        return stats.by_worker
    return await _by_worker(deps, stats.place, stats.period)


async def _by_worker(deps: Deps, place: Place, period: Period) -> list[WorkerStats]:
    rows = await repository.by_worker(deps.db, place, period)
    return [
        WorkerStats(
            user_id=row.user_id,
            resolved=row.resolved,
            median_resolution_hours=round(row.median_resolution_ms / MS_PER_HOUR, 2)
            if row.median_resolution_ms is not None
            else None,
        )
        for row in rows
    ]


@dataclass(frozen=True)
class SeriesPoint:
    start: datetime
    reports_created: int
    reports_resolved: int


def _bucket_start(day: datetime, interval: StatsInterval) -> datetime:
    if interval is StatsInterval.WEEK:
        return rollup_day(day - timedelta(days=day.weekday()))
    return day


def _next_bucket(start: datetime, interval: StatsInterval) -> datetime:
    step = timedelta(days=7 if interval is StatsInterval.WEEK else 1)
    return rollup_day(start + step + timedelta(hours=12))  # DST-proof: the next local midnight


async def series(deps: Deps, stats: PlaceStats, interval: StatsInterval) -> list[SeriesPoint]:
    """Reports created and resolutions made in each local day (or Monday-to-Sunday week) of
    the period, zeros included; an open `from` starts at the place's first report (at most
    MAX_SERIES_BUCKETS before the end), an open `to` ends now. A bucket cut by the period
    counts its part in the period. A period of more buckets is INVALID_INPUT on `from`."""
    period = stats.period
    end = period.end or deps.clock.now()
    start = period.start or await repository.first_day(deps.db, stats.place)
    if start is None or start >= end:
        return []
    first = _bucket_start(rollup_day(start), interval)
    starts = [first]
    while (following := _next_bucket(starts[-1], interval)) < end:
        starts.append(following)
        if len(starts) > MAX_SERIES_BUCKETS:
            if period.start is not None:
                raise_if([invalid(("from",), "stats.series_too_long", max=MAX_SERIES_BUCKETS)])
            starts = starts[1:]
    start = max(start, starts[0])
    counts = await repository.daily(deps.db, stats.place, Period(start, end))
    totals = {s: [0, 0] for s in starts}
    for day, (created, resolved) in counts.items():
        bucket = totals.get(_bucket_start(day, interval))
        if bucket is not None:
            bucket[0] += created
            bucket[1] += resolved
    return [
        SeriesPoint(start=max(s, start), reports_created=c, reports_resolved=r)
        for s, (c, r) in totals.items()
    ]
