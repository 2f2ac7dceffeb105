"""The dashboard's aggregation pipelines: every figure is computed by MongoDB.

Every document a figure counts carries `place_path` (the city, district, street and community
it belongs to), so "everything under place X" is one `$match` on `place_path: X`, led by a
(place_path, <time field>) index registered here: one index serves a community and every
roll-up above it.

Six aggregations run concurrently: three on reports (selected by different time fields:
created, resolved, rated), one each on proposals, tasks and the points ledger.

The median resolution time is MongoDB's `$median` accumulator (MongoDB 7.0+, also in
SecantusDB), over the durations of the reports resolved in the period. With
`method: "approximate"` (the only method MongoDB 7.0 has) MongoDB answers exactly, with one of
the durations, on small sets, and within t-digest's error on large ones; SecantusDB answers
with the lower middle duration (the ⌈n/2⌉-th smallest). The durations never reach Python.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from bson import ObjectId
from pymongo import ASCENDING, IndexModel

from neighbor_api.boards.repository import TASKS
from neighbor_api.core.mongo import Database, Document, register_indexes
from neighbor_api.councils.models import ProposalOutcome, ProposalStatus
from neighbor_api.councils.repository import PROPOSALS
from neighbor_api.points.repository import COLLECTION as POINTS_LEDGER
from neighbor_api.reports.models import DUE_STATUSES, ReportCategory, ReportStatus
from neighbor_api.reports.repository import REPORTS

register_indexes(
    REPORTS,
    [
        IndexModel([("place_path", ASCENDING), ("created_at", ASCENDING)], name="stats_created"),
        IndexModel([("place_path", ASCENDING), ("resolved_at", ASCENDING)], name="stats_resolved"),
    ],
)
register_indexes(
    PROPOSALS,
    [IndexModel([("place_path", ASCENDING), ("closed_at", ASCENDING)], name="stats_closed")],
)
register_indexes(
    TASKS,
    [IndexModel([("place_path", ASCENDING), ("approved_at", ASCENDING)], name="stats_approved")],
)
register_indexes(
    POINTS_LEDGER,
    [IndexModel([("place_path", ASCENDING), ("at", ASCENDING)], name="stats_at")],
)

# A rating counts as satisfied from this value up (4 满意, 5 非常满意; 3 is neutral).
SATISFIED_FROM = 4
MS_PER_HOUR = 3_600_000


@dataclass(frozen=True)
class Period:
    """[start, end): either end may be open (None)."""

    start: datetime | None = None
    end: datetime | None = None

    def within(self) -> Document:
        """The condition "a date in the period" (and present, when both ends are open)."""
        condition: Document = {}
        if self.start is not None:
            condition["$gte"] = self.start
        if self.end is not None:
            condition["$lt"] = self.end
        return condition or {"$type": "date"}


@dataclass(frozen=True)
class Figures:
    """What the pipelines answer, before the service turns counts into percentages."""

    by_status: Mapping[ReportStatus, int] = field(default_factory=dict)
    by_category: Mapping[ReportCategory, int] = field(default_factory=dict)
    overdue: int = 0
    resolved: int = 0
    median_resolution_ms: float | None = None
    resolved_with_due: int = 0
    resolved_on_time: int = 0
    ratings: int = 0
    satisfied_ratings: int = 0
    proposals_closed: int = 0
    proposals_passed: int = 0
    proposals_with_electorate: int = 0
    turnout_sum: float = 0.0
    tasks_done: int = 0
    volunteers: int = 0
    points: int = 0


async def _one(db: Database, collection: str, pipeline: list[Document]) -> Document:
    rows = await (await db[collection].aggregate(pipeline)).to_list()
    return rows[0] if rows else {}


async def _created(db: Database, place_id: ObjectId, period: Period, now: datetime) -> Document:
    """Reports created in the period: by status (with how many are overdue now), by category."""
    overdue = {
        "$and": [
            {"$in": ["$status", [s.value for s in DUE_STATUSES]]},
            # A missing due_at is null, and null < any date: "$gt" keeps it out.
            {"$gt": ["$due_at", None]},
            {"$lt": ["$due_at", now]},
        ]
    }
    pipeline: list[Document] = [
        {"$match": {"place_path": place_id, "created_at": period.within()}},
        {
            "$facet": {
                "status": [
                    {
                        "$group": {
                            "_id": "$status",
                            "count": {"$sum": 1},
                            "overdue": {"$sum": {"$cond": [overdue, 1, 0]}},
                        }
                    }
                ],
                "category": [{"$group": {"_id": "$category", "count": {"$sum": 1}}}],
            }
        },
    ]
    return await _one(db, REPORTS, pipeline)


async def _resolved(db: Database, place_id: ObjectId, period: Period) -> Document:
    """Reports whose (latest) resolution falls in the period: the median time from creation
    to resolution, and how many with a due time were resolved by it."""
    duration = {"$subtract": ["$resolved_at", "$created_at"]}
    has_due = {"$gt": ["$due_at", None]}
    pipeline: list[Document] = [
        {"$match": {"place_path": place_id, "resolved_at": period.within()}},
        {
            "$group": {
                "_id": None,
                "resolved": {"$sum": 1},
                "median_ms": {"$median": {"input": duration, "method": "approximate"}},
                "with_due": {"$sum": {"$cond": [has_due, 1, 0]}},
                "on_time": {
                    "$sum": {
                        "$cond": [
                            {"$and": [has_due, {"$lte": ["$resolved_at", "$due_at"]}]},
                            1,
                            0,
                        ]
                    }
                },
            }
        },
    ]
    return await _one(db, REPORTS, pipeline)


async def _ratings(db: Database, place_id: ObjectId, period: Period) -> Document:
    """Every rating given in the period (a report rated twice, once per resolution, counts
    twice), and how many were satisfied."""
    within = period.within()
    pipeline: list[Document] = [
        {"$match": {"place_path": place_id, "ratings": {"$elemMatch": {"rated_at": within}}}},
        {"$project": {"ratings": 1}},
        {"$unwind": "$ratings"},
        {"$match": {"ratings.rated_at": within}},
        {
            "$group": {
                "_id": None,
                "ratings": {"$sum": 1},
                "satisfied": {
                    "$sum": {"$cond": [{"$gte": ["$ratings.rating", SATISFIED_FROM]}, 1, 0]}
                },
            }
        },
    ]
    return await _one(db, REPORTS, pipeline)


async def _proposals(db: Database, place_id: ObjectId, period: Period) -> Document:
    """Proposals whose vote closed in the period: how many passed, and the sum of voted /
    eligible over those that had an electorate (for the mean turnout)."""
    has_electorate = {"$gt": ["$eligible_count", 0]}
    pipeline: list[Document] = [
        {
            "$match": {
                "place_path": place_id,
                "closed_at": period.within(),
                "status": ProposalStatus.CLOSED.value,
            }
        },
        {
            "$group": {
                "_id": None,
                "closed": {"$sum": 1},
                "passed": {
                    "$sum": {"$cond": [{"$eq": ["$outcome", ProposalOutcome.PASSED.value]}, 1, 0]}
                },
                "with_electorate": {"$sum": {"$cond": [has_electorate, 1, 0]}},
                "turnout_sum": {
                    "$sum": {
                        "$cond": [
                            has_electorate,
                            {"$divide": [{"$ifNull": ["$voted_count", 0]}, "$eligible_count"]},
                            0,
                        ]
                    }
                },
            }
        },
    ]
    return await _one(db, PROPOSALS, pipeline)


async def _tasks(db: Database, place_id: ObjectId, period: Period) -> Document:
    """Tasks approved (moved to DONE) in the period."""
    pipeline: list[Document] = [
        {"$match": {"place_path": place_id, "approved_at": period.within()}},
        {"$group": {"_id": None, "done": {"$sum": 1}}},
    ]
    return await _one(db, TASKS, pipeline)


async def _points(db: Database, place_id: ObjectId, period: Period) -> Document:
    """Ledger entries written in the period: distinct users and the points they were given."""
    pipeline: list[Document] = [
        {"$match": {"place_path": place_id, "at": period.within()}},
        {"$group": {"_id": "$user_id", "points": {"$sum": "$points"}}},
        {"$group": {"_id": None, "users": {"$sum": 1}, "points": {"$sum": "$points"}}},
    ]
    return await _one(db, POINTS_LEDGER, pipeline)


async def figures(db: Database, place_id: ObjectId, period: Period, *, now: datetime) -> Figures:
    """Every figure of the place and everything under it, over the period."""
    created, resolved, ratings, proposals, tasks, points = await asyncio.gather(
        _created(db, place_id, period, now),
        _resolved(db, place_id, period),
        _ratings(db, place_id, period),
        _proposals(db, place_id, period),
        _tasks(db, place_id, period),
        _points(db, place_id, period),
    )
    by_status = {ReportStatus(row["_id"]): int(row["count"]) for row in created.get("status", [])}
    median = resolved.get("median_ms")
    return Figures(
        by_status=by_status,
        by_category={
            ReportCategory(row["_id"]): int(row["count"]) for row in created.get("category", [])
        },
        overdue=sum(int(row["overdue"]) for row in created.get("status", [])),
        resolved=int(resolved.get("resolved", 0)),
        median_resolution_ms=float(median) if median is not None else None,
        resolved_with_due=int(resolved.get("with_due", 0)),
        resolved_on_time=int(resolved.get("on_time", 0)),
        ratings=int(ratings.get("ratings", 0)),
        satisfied_ratings=int(ratings.get("satisfied", 0)),
        proposals_closed=int(proposals.get("closed", 0)),
        proposals_passed=int(proposals.get("passed", 0)),
        proposals_with_electorate=int(proposals.get("with_electorate", 0)),
        turnout_sum=float(proposals.get("turnout_sum", 0.0)),
        tasks_done=int(tasks.get("done", 0)),
        volunteers=int(points.get("users", 0)),
        points=int(points.get("points", 0)),
    )
