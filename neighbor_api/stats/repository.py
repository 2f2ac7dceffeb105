"""The dashboard's aggregation pipelines: every figure is computed by MongoDB.

Every document a figure counts carries `place_path` (the city, district, street and community
it belongs to), so "everything under place X" is one `$match` on `place_path: X`, led by a
(place_path, <time field>) index registered here: one index serves a community and every
roll-up above it.

The aggregations run concurrently: the reports created in the period from the rollups
(`report_rollups`, one document per community and day, kept by every report write) for the
whole days and from the reports for the partial days at its ends, overdue among the open
reports, the resolved and the rated reports, and one each on proposals, tasks and the points
ledger.

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
from datetime import UTC, datetime

from bson import ObjectId
from pymongo import ASCENDING, IndexModel

from neighbor_api.boards.repository import TASKS
from neighbor_api.core.mongo import Database, Document, register_indexes
from neighbor_api.councils.models import ProposalOutcome, ProposalStatus
from neighbor_api.councils.repository import PROPOSALS
from neighbor_api.points.repository import COLLECTION as POINTS_LEDGER
from neighbor_api.points.repository import TASK_APPROVED
from neighbor_api.reports.models import DUE_STATUSES, ReportCategory, ReportStatus
from neighbor_api.reports.repository import REPORTS, ROLLUPS, next_rollup_day, rollup_day

register_indexes(
    REPORTS,
    [
        IndexModel([("place_path", ASCENDING), ("created_at", ASCENDING)], name="stats_created"),
        IndexModel([("place_path", ASCENDING), ("resolved_at", ASCENDING)], name="stats_resolved"),
        # The reports of a place in a status (the open ones, for "overdue now").
        IndexModel([("place_path", ASCENDING), ("status", ASCENDING)], name="stats_status"),
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
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)


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
        # Both ends open: any date, as a range (a range matches dates only, like `$type`),
        # which both servers bound on the (place_path, time) index.
        return condition or {"$gte": EARLIEST}


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


def split_by_days(period: Period) -> tuple[Period | None, list[Period]]:
    """The whole local days of the period (answered by the rollups), and the parts of a day at
    either end (answered by the reports created then, at most a day's worth each)."""
    first = None if period.start is None else next_rollup_day(period.start)
    last = None if period.end is None else rollup_day(period.end)
    if first is not None and last is not None and first > last:  # within one day
        return None, [period]
    edges = []
    if period.start is not None and first is not None and period.start < first:
        edges.append(Period(period.start, first))
    if period.end is not None and last is not None and last < period.end:
        edges.append(Period(last, period.end))
    return Period(first, last), edges


async def _created_days(db: Database, place_id: ObjectId, days: Period) -> Document:
    """Reports created on whole days: the sums of the rollups' counts by status now and by
    category (one rollup document per community and day)."""
    sums: Document = {f"s_{s.value}": {"$sum": f"$by_status.{s.value}"} for s in ReportStatus}
    sums |= {f"c_{c.value}": {"$sum": f"$by_category.{c.value}"} for c in ReportCategory}
    match: Document = {"place_path": place_id}
    if days.start is not None or days.end is not None:
        match["day"] = days.within()
    pipeline: list[Document] = [{"$match": match}, {"$group": {"_id": None, **sums}}]
    row = await _one(db, ROLLUPS, pipeline)
    return {
        "by_status": {s.value: int(row.get(f"s_{s.value}", 0)) for s in ReportStatus},
        "by_category": {c.value: int(row.get(f"c_{c.value}", 0)) for c in ReportCategory},
    }


async def _created_edge(db: Database, place_id: ObjectId, part: Period) -> Document:
    """Reports created in part of a day, by status and by category (at most a day's reports)."""
    pipeline: list[Document] = [
        {"$match": {"place_path": place_id, "created_at": part.within()}},
        {
            "$facet": {
                "status": [{"$group": {"_id": "$status", "count": {"$sum": 1}}}],
                "category": [{"$group": {"_id": "$category", "count": {"$sum": 1}}}],
            }
        },
    ]
    row = await _one(db, REPORTS, pipeline)
    return {
        "by_status": {r["_id"]: int(r["count"]) for r in row.get("status", [])},
        "by_category": {r["_id"]: int(r["count"]) for r in row.get("category", [])},
    }


async def _overdue(db: Database, place_id: ObjectId, period: Period, now: datetime) -> int:
    """Reports created in the period that are overdue now: read among the place's reports in
    a status that can be overdue (the work in hand, on the stats_status index)."""
    pipeline: list[Document] = [
        {"$match": {"place_path": place_id, "status": {"$in": [s.value for s in DUE_STATUSES]}}},
        {"$match": {"created_at": period.within(), "due_at": {"$lt": now}}},
        {"$group": {"_id": None, "overdue": {"$sum": 1}}},
    ]
    return int((await _one(db, REPORTS, pipeline)).get("overdue", 0))


async def _created(db: Database, place_id: ObjectId, period: Period, now: datetime) -> Document:
    """Reports created in the period: by status now and by category (whole days from the
    rollups, the ends of a partial day from the reports), and how many are overdue now."""
    days, edges = split_by_days(period)
    parts = await asyncio.gather(
        *([_created_days(db, place_id, days)] if days is not None else []),
        *(_created_edge(db, place_id, edge) for edge in edges),
        _overdue(db, place_id, period, now),
    )
    *counted, overdue = parts
    by_status: dict[str, int] = {}
    by_category: dict[str, int] = {}
    for part in counted:
        assert isinstance(part, dict)
        for status, count in part["by_status"].items():
            by_status[status] = by_status.get(status, 0) + count
        for category, count in part["by_category"].items():
            by_category[category] = by_category.get(category, 0) + count
    return {"by_status": by_status, "by_category": by_category, "overdue": overdue}


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
        # Led by the indexed (place_path, closed_at) alone, then the status.
        {"$match": {"place_path": place_id, "closed_at": period.within()}},
        {"$match": {"status": ProposalStatus.CLOSED.value}},
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
    """Points earned on tasks in the period (not spendings or refunds): distinct users and the
    points they were given."""
    pipeline: list[Document] = [
        {"$match": {"place_path": place_id, "at": period.within()}},  # on stats_at
        {"$match": {"reason": TASK_APPROVED}},
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
    median = resolved.get("median_ms")
    return Figures(
        by_status={ReportStatus(s): n for s, n in created["by_status"].items()},
        by_category={ReportCategory(c): n for c, n in created["by_category"].items()},
        overdue=int(created["overdue"]),
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
