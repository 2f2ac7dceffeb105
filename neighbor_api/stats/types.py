"""GraphQL types of the dashboards."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import strawberry
from bson import ObjectId
from strawberry.types.nodes import SelectedField, Selection

from neighbor_api.accounts.types import UserType
from neighbor_api.context import Info
from neighbor_api.graphql.enums import graphql_enum
from neighbor_api.places.types import PlaceType
from neighbor_api.reports.models import ReportCategory, ReportStatus

# The enums' GraphQL definitions live with the reports.
from neighbor_api.reports.types import ReportType as _ReportType  # noqa: F401
from neighbor_api.stats import service
from neighbor_api.stats.repository import Part
from neighbor_api.stats.service import PlaceStats, StatsInterval

graphql_enum(
    StatsInterval,
    "The buckets of a dashboard's series (local time, Asia/Shanghai).",
    {
        StatsInterval.DAY: "One bucket per local day.",
        StatsInterval.WEEK: "One bucket per week, Monday to Sunday.",
    },
)


@strawberry.type(name="PlaceStatsPoint", description="One bucket of a dashboard's series.")
class SeriesPointType:
    start: datetime = strawberry.field(
        description="Where the bucket starts (local midnight; the period's start if later)."
    )
    reports_created: int = strawberry.field(description="Reports created in the bucket.")
    reports_resolved: int = strawberry.field(
        description="Resolutions made in the bucket (a report resolved again after reopening "
        "counts again)."
    )


@strawberry.type(
    name="ChildPlaceStats",
    description="A child place's figures in its parent's dashboard (same period).",
)
class ChildStatsType:
    place: PlaceType = strawberry.field(description="The child place.")
    reports_total: int = strawberry.field(description="Reports created in the period.")
    reports_open: int = strawberry.field(description="Of those, the ones still open now.")
    reports_overdue: int = strawberry.field(description="Of those, the ones overdue now.")
    reports_escalated: int = strawberry.field(
        description="Of those, the ones escalated beyond their community."
    )
    satisfaction_percent: float | None = strawberry.field(
        description="Of the ratings given in the period, the percentage of 4 or 5 stars."
    )
    patrols: int = strawberry.field(description="Patrols started in the period.")


@strawberry.type(
    name="WorkerStats", description="One worker's resolutions in a dashboard's period."
)
class WorkerStatsType:
    resolved: int = strawberry.field(
        description="Reports assigned to them whose latest resolution falls in the period."
    )
    median_resolution_hours: float | None = strawberry.field(
        description="Median hours from submission to resolution of those (2 decimals)."
    )
    user_id: strawberry.Private[ObjectId]

    @strawberry.field(description="The worker.")
    async def user(self, info: Info) -> UserType | None:
        user = await info.context.loaders.user.load(self.user_id)
        return UserType.from_model(user) if user else None


@strawberry.type(
    name="ReportStatusCount", description="How many reports in the period are in one status now."
)
class StatusCount:
    status: ReportStatus = strawberry.field(description="The status.")
    count: int = strawberry.field(description="Reports created in the period in it now.")


@strawberry.type(
    name="ReportCategoryCount", description="How many reports in the period are of one category."
)
class CategoryCount:
    category: ReportCategory = strawberry.field(description="The category.")
    count: int = strawberry.field(description="Reports created in the period of it.")


# Which part of the figures each field of PlaceStats needs (fields not named here read
# nothing, or read on their own when resolved: series). children, patrols and byWorker are
# read with the figures, sharing their aggregates (repository.together).
FIELD_PARTS: dict[str, Part] = {
    "reportsTotal": Part.CREATED,
    "reportsOpen": Part.CREATED,
    "reportsEscalated": Part.CREATED,
    "reportsByStatus": Part.CREATED,
    "reportsByCategory": Part.CREATED,
    "reportsOverdue": Part.OVERDUE,
    "medianResolutionHours": Part.RESOLVED,
    "onTimeResolutionPercent": Part.RESOLVED,
    "satisfactionPercent": Part.RATINGS,
    "proposalsPassed": Part.PROPOSALS,
    "averageTurnoutPercent": Part.PROPOSALS,
    "tasksDone": Part.TASKS,
    "activeVolunteers": Part.POINTS,
    "pointsAwarded": Part.POINTS,
    "children": Part.CHILDREN,
    "patrols": Part.PATROLS,
    "byWorker": Part.BY_WORKER,
}


def asked_parts(selections: Sequence[Selection]) -> frozenset[Part]:
    """The parts of the figures a selection of PlaceStats asks for (fragments included)."""
    parts: set[Part] = set()
    for selection in selections:
        if isinstance(selection, SelectedField):
            if (part := FIELD_PARTS.get(selection.name)) is not None:
                parts.add(part)
        else:
            parts |= asked_parts(selection.selections)
    return frozenset(parts)


@strawberry.type(
    name="PlaceStats",
    description="A dashboard: the figures of a community, or of everything under a street, "
    "district or city, over the period [from, to) (an open end: unbounded). Counts are 0 and "
    "rates null when there is nothing to count.",
)
class PlaceStatsType:
    place: PlaceType = strawberry.field(description="The place the figures are for.")
    reports_total: int = strawberry.field(
        description="Reports created in the period (every status, private ones included)."
    )
    reports_open: int = strawberry.field(
        description="Of those, the ones not RESOLVED, CLOSED or REJECTED now."
    )
    reports_overdue: int = strawberry.field(
        description="Of those, the ones overdue now: ACCEPTED, ASSIGNED or IN_PROGRESS past "
        "their due time."
    )
    reports_escalated: int = strawberry.field(
        description="Of those, the ones escalated beyond their community (to the street or "
        "the district) at least once."
    )
    reports_by_status: list[StatusCount] = strawberry.field(
        description="Reports created in the period by their status now: every status, in "
        "workflow order, zeros included."
    )
    reports_by_category: list[CategoryCount] = strawberry.field(
        description="Reports created in the period by category: every category, zeros included."
    )
    median_resolution_hours: float | None = strawberry.field(
        description="Median hours from submission to resolution of the reports resolved in the "
        "period (their latest resolution), to 2 decimals (MongoDB's $median; with an even "
        "count, the lower middle value); null if none was."
    )
    on_time_resolution_percent: float | None = strawberry.field(
        description="Of the reports resolved in the period that had a due time, the percentage "
        "resolved at or before it (0–100, one decimal); null if there were none."
    )
    satisfaction_percent: float | None = strawberry.field(
        description="Of the ratings given in the period (every rating, a report re-rated after "
        "reopening counts again), the percentage of 4 or 5 stars (0–100, one decimal); null if "
        "none were."
    )
    proposals_passed: int = strawberry.field(
        description="Proposals whose vote closed in the period with the outcome PASSED."
    )
    average_turnout_percent: float | None = strawberry.field(
        description="The mean, over the proposals whose vote closed in the period, of voted / "
        "eligible electors, as a percentage (0–100, one decimal); null if none closed."
    )
    tasks_done: int = strawberry.field(description="Tasks approved (moved to DONE) in the period.")
    active_volunteers: int = strawberry.field(
        description="Distinct people awarded points in the period."
    )
    points_awarded: int = strawberry.field(description="Points awarded in the period, in total.")
    stats: strawberry.Private[PlaceStats]

    @strawberry.field(description="Patrols (巡查) started in the period in the place's grids.")
    async def patrols(self, info: Info) -> int:
        return await service.patrols(info.context.deps, self.stats)

    @strawberry.field(
        description="Reports created and resolutions made per local day or week of the period "
        "(an open `from`: since the place's first report; at most 400 buckets)."
    )
    async def series(
        self, info: Info, interval: StatsInterval = StatsInterval.DAY
    ) -> list[SeriesPointType]:
        points = await service.series(info.context.deps, self.stats, interval)
        return [
            SeriesPointType(
                start=p.start,
                reports_created=p.reports_created,
                reports_resolved=p.reports_resolved,
            )
            for p in points
        ]

    @strawberry.field(
        description="Each place directly under this one (a community's grids), by name, with "
        "its figures for the same period: one call for the ranking of a district's streets or "
        "a street's communities."
    )
    async def children(self, info: Info) -> list[ChildStatsType]:
        found = await service.children(info.context.deps, self.stats)
        return [
            ChildStatsType(
                place=PlaceType.from_model(c.place),
                reports_total=c.reports_total,
                reports_open=c.reports_open,
                reports_overdue=c.reports_overdue,
                reports_escalated=c.reports_escalated,
                satisfaction_percent=c.satisfaction_percent,
                patrols=c.patrols,
            )
            for c in found
        ]

    @strawberry.field(
        description="The reports resolved in the period by their assignee, the most first (at "
        "most 100 workers)."
    )
    async def by_worker(self, info: Info) -> list[WorkerStatsType]:
        found = await service.by_worker(info.context.deps, self.stats)
        return [
            WorkerStatsType(
                user_id=w.user_id,
                resolved=w.resolved,
                median_resolution_hours=w.median_resolution_hours,
            )
            for w in found
        ]

    @classmethod
    def from_model(cls, stats: PlaceStats) -> PlaceStatsType:
        return cls(
            place=PlaceType.from_model(stats.place),
            reports_total=stats.reports_total,
            reports_open=stats.reports_open,
            reports_overdue=stats.reports_overdue,
            reports_escalated=stats.reports_escalated,
            reports_by_status=[
                StatusCount(status=s, count=n) for s, n in stats.reports_by_status.items()
            ],
            reports_by_category=[
                CategoryCount(category=c, count=n) for c, n in stats.reports_by_category.items()
            ],
            median_resolution_hours=stats.median_resolution_hours,
            on_time_resolution_percent=stats.on_time_resolution_percent,
            satisfaction_percent=stats.satisfaction_percent,
            proposals_passed=stats.proposals_passed,
            average_turnout_percent=stats.average_turnout_percent,
            tasks_done=stats.tasks_done,
            active_volunteers=stats.active_volunteers,
            points_awarded=stats.points_awarded,
            stats=stats,
        )
