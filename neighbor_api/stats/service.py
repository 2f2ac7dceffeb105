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
  written in the period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bson import ObjectId

from neighbor_api.core.deps import Deps
from neighbor_api.core.errors import invalid, raise_if
from neighbor_api.core.policy import Actor, is_system
from neighbor_api.places import service as places
from neighbor_api.places.models import Place, PlaceLevel
from neighbor_api.reports.models import OPEN_STATUSES, ReportCategory, ReportStatus
from neighbor_api.stats import repository
from neighbor_api.stats.repository import MS_PER_HOUR, Period

# Places a dashboard exists for (grids are counted within their community).
DASHBOARD_LEVELS = frozenset(
    {PlaceLevel.COMMUNITY, PlaceLevel.STREET, PlaceLevel.DISTRICT, PlaceLevel.CITY}
)


@dataclass(frozen=True)
class PlaceStats:
    place: Place
    period: Period
    reports_total: int
    reports_open: int
    reports_overdue: int
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
) -> PlaceStats | None:
    """The dashboard of a community, street, district or city: its staff (and staff above it)
    only; None for anyone else, and for a place that does not exist or is a grid."""
    place = await places.get_place(deps, place_id)
    if place is None or place.level not in DASHBOARD_LEVELS:
        return None
    if not (is_system(actor) or actor.is_staff(place.path)):
        return None
    period = check_period(start, end)
    figures = await repository.figures(deps.db, place.id, period, now=deps.clock.now())
    by_status = {status: figures.by_status.get(status, 0) for status in ReportStatus}
    median_ms = figures.median_resolution_ms
    return PlaceStats(
        place=place,
        period=period,
        reports_total=sum(by_status.values()),
        reports_open=sum(count for status, count in by_status.items() if status in OPEN_STATUSES),
        reports_overdue=figures.overdue,
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
    )
