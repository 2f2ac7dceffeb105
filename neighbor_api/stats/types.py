"""GraphQL types of the dashboards."""

from __future__ import annotations

import strawberry

from neighbor_api.places.types import PlaceType
from neighbor_api.reports.models import ReportCategory, ReportStatus

# The enums' GraphQL definitions live with the reports.
from neighbor_api.reports.types import ReportType as _ReportType  # noqa: F401
from neighbor_api.stats.service import PlaceStats


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

    @classmethod
    def from_model(cls, stats: PlaceStats) -> PlaceStatsType:
        return cls(
            place=PlaceType.from_model(stats.place),
            reports_total=stats.reports_total,
            reports_open=stats.reports_open,
            reports_overdue=stats.reports_overdue,
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
        )
