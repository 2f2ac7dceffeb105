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
from asyncio import Future
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, IndexModel

from neighbor_api.boards.repository import TASKS
from neighbor_api.core.mongo import Database, Document, register_indexes
from neighbor_api.councils.models import ProposalOutcome, ProposalStatus
from neighbor_api.councils.repository import PROPOSALS
from neighbor_api.patrols.repository import PATROLS
from neighbor_api.places.models import Place, PlaceLevel
from neighbor_api.points.repository import COLLECTION as POINTS_LEDGER
from neighbor_api.points.repository import TASK_APPROVED
from neighbor_api.reports.models import (
    DUE_STATUSES,
    OPEN_STATUSES,
    ReportCategory,
    ReportStatus,
)
from neighbor_api.reports.repository import REPORTS, ROLLUPS, next_rollup_day
from neighbor_api.reports.repository import rollup_day as rollup_day  # for the service

register_indexes(
    REPORTS,
    [
        IndexModel([("place_path", ASCENDING), ("created_at", ASCENDING)], name="stats_created"),
        IndexModel([("place_path", ASCENDING), ("resolved_at", ASCENDING)], name="stats_resolved"),
        # The reports of a place in a status (the open ones, for "overdue now").
        IndexModel([("place_path", ASCENDING), ("status", ASCENDING)], name="stats_status"),
        # A grid's figures: its reports are read whole (a grid holds few), by creation time.
        IndexModel([("grid_id", ASCENDING), ("created_at", ASCENDING)], name="stats_grid_created"),
    ],
)
register_indexes(
    PATROLS,
    [IndexModel([("place_path", ASCENDING), ("started_at", ASCENDING)], name="stats_patrols")],
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


class Part(StrEnum):
    """The groups of a dashboard's figures, each read by its own aggregate(s): a dashboard
    reads only the parts its fields ask for."""

    CREATED = "created"  # by status and category, escalated (the rollups, the edge days)
    OVERDUE = "overdue"
    RESOLVED = "resolved"  # the median and on-time resolutions
    RATINGS = "ratings"
    PROPOSALS = "proposals"
    TASKS = "tasks"
    POINTS = "points"
    # Read with the figures when asked for, sharing their aggregates (service.place_stats).
    CHILDREN = "children"
    PATROLS = "patrols"
    BY_WORKER = "by_worker"


# Every figure of PlaceStats (the parts read on their own left out).
EVERY_PART = frozenset(Part) - {Part.CHILDREN, Part.PATROLS, Part.BY_WORKER}


@dataclass(frozen=True)
class Figures:
    """What the pipelines answer, before the service turns counts into percentages."""

    by_status: Mapping[ReportStatus, int] = field(default_factory=dict)
    by_category: Mapping[ReportCategory, int] = field(default_factory=dict)
    overdue: int = 0
    escalated: int = 0
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


async def _send(db: Database, collection: str, pipeline: list[Document]) -> list[Document]:
    return await (await db[collection].aggregate(pipeline)).to_list()


# Loop turns a shared read waits for the other parts of the dashboard to ask for theirs (the
# parts start together; the deepest asks after three turns).
_TURNS = 4


class _Shared:
    """The aggregates of one dashboard, asked for together: those over one collection that
    begin with the same `$match` are sent as ONE aggregate, each asker's further stages a
    branch of its `$facet` (the `$match` still leads, on its index). One asker: its pipeline
    as it is."""

    def __init__(self) -> None:
        self._waiting: dict[tuple[str, str, str], list[tuple[list[Document], Future[Any]]]] = {}
        self._sending: set[asyncio.Task[None]] = set()

    async def rows(self, db: Database, collection: str, pipeline: list[Document]) -> list[Document]:
        match, stages = pipeline[0], pipeline[1:]
        if "$match" not in match or not stages or any("$facet" in stage for stage in stages):
            return await _send(db, collection, pipeline)
        key = (db.name, collection, repr(match))
        answer: Future[Any] = asyncio.get_running_loop().create_future()
        if key not in self._waiting:
            self._waiting[key] = []
            task = asyncio.ensure_future(self._send(db, collection, match, key))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)
        self._waiting[key].append((stages, answer))
        rows: list[Document] = await answer
        return rows

    async def _send(
        self, db: Database, collection: str, match: Document, key: tuple[str, str, str]
    ) -> None:
        for _ in range(_TURNS):
            await asyncio.sleep(0)
        askers = self._waiting.pop(key)
        try:
            if len(askers) == 1:
                answers = [await _send(db, collection, [match, *askers[0][0]])]
            else:
                facet = {f"f{i}": stages for i, (stages, _) in enumerate(askers)}
                row = (await _send(db, collection, [match, {"$facet": facet}]))[0]
                answers = [row[f"f{i}"] for i in range(len(askers))]
        except Exception as error:  # each asker raises it
            for _, answer in askers:
                if not answer.done():
                    answer.set_exception(error)
            return
        for (_, answer), rows in zip(askers, answers, strict=True):
            if not answer.done():
                answer.set_result(rows)


_SHARED: ContextVar[_Shared | None] = ContextVar("stats_shared_reads", default=None)


async def together(*parts: Awaitable[Any]) -> list[Any]:
    """Run the parts of one dashboard concurrently, their aggregates shared (`_Shared`)."""
    token = _SHARED.set(_Shared())
    try:
        return list(await asyncio.gather(*parts))
    finally:
        _SHARED.reset(token)


async def _rows(db: Database, collection: str, pipeline: list[Document]) -> list[Document]:
    shared = _SHARED.get()
    if shared is None:
        return await _send(db, collection, pipeline)
    return await shared.rows(db, collection, pipeline)


async def _one(db: Database, collection: str, pipeline: list[Document]) -> Document:
    rows = await _rows(db, collection, pipeline)
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


def scope(place: Place) -> Document:
    """The reports of a place: a grid's by `grid_id` (their place path ends at the community),
    any other place's by `place_path`."""
    if place.level is PlaceLevel.GRID:
        return {"grid_id": place.id}
    return {"place_path": place.id}


async def _created_days(db: Database, place_id: ObjectId, days: Period) -> Document:
    """Reports created on whole days: the sums of the rollups' counts by status now and by
    category, and of those escalated (one rollup document per community and day)."""
    sums: Document = {f"s_{s.value}": {"$sum": f"$by_status.{s.value}"} for s in ReportStatus}
    sums |= {f"c_{c.value}": {"$sum": f"$by_category.{c.value}"} for c in ReportCategory}
    sums["escalated"] = {"$sum": "$escalated"}
    match: Document = {"place_path": place_id}
    if days.start is not None or days.end is not None:
        match["day"] = days.within()
    pipeline: list[Document] = [{"$match": match}, {"$group": {"_id": None, **sums}}]
    row = await _one(db, ROLLUPS, pipeline)
    return {
        "by_status": {s.value: int(row.get(f"s_{s.value}", 0)) for s in ReportStatus},
        "by_category": {c.value: int(row.get(f"c_{c.value}", 0)) for c in ReportCategory},
        "escalated": int(row.get("escalated", 0)),
    }


# A report escalated beyond its community (to the street, then the district) at least once.
WAS_ESCALATED: Document = {"$gt": [{"$size": {"$ifNull": ["$escalated_to", []]}}, 0]}


async def _created_edge(db: Database, match: Document, part: Period) -> Document:
    """Reports created in part of a day (or, for a grid, the whole period), by status and by
    category, and how many of them were escalated (at most a day's reports, or a grid's)."""
    pipeline: list[Document] = [
        {"$match": {**match, "created_at": part.within()}},
        {
            "$facet": {
                "status": [{"$group": {"_id": "$status", "count": {"$sum": 1}}}],
                "category": [{"$group": {"_id": "$category", "count": {"$sum": 1}}}],
                "escalated": [
                    {"$group": {"_id": None, "count": {"$sum": {"$cond": [WAS_ESCALATED, 1, 0]}}}}
                ],
            }
        },
    ]
    row = await _one(db, REPORTS, pipeline)
    escalated = row.get("escalated", [])
    return {
        "by_status": {r["_id"]: int(r["count"]) for r in row.get("status", [])},
        "by_category": {r["_id"]: int(r["count"]) for r in row.get("category", [])},
        "escalated": int(escalated[0]["count"]) if escalated else 0,
    }


async def _overdue(db: Database, match: Document, period: Period, now: datetime) -> Document:
    """Reports created in the period that are overdue now: read among the place's reports in
    a status that can be overdue (the work in hand, on the stats_status index)."""
    pipeline: list[Document] = [
        {"$match": {**match, "status": {"$in": [s.value for s in DUE_STATUSES]}}},
        {"$match": {"created_at": period.within(), "due_at": {"$lt": now}}},
        {"$group": {"_id": None, "overdue": {"$sum": 1}}},
    ]
    return await _one(db, REPORTS, pipeline)


async def _created(db: Database, place: Place, period: Period) -> Document:
    """Reports created in the period: by status now and by category (whole days from the
    rollups, the ends of a partial day from the reports; a grid's from its reports), and how
    many were escalated."""
    match = scope(place)
    if place.level is PlaceLevel.GRID:
        days, edges = None, [period]
    else:
        days, edges = split_by_days(period)
    counted = await asyncio.gather(
        *([_created_days(db, place.id, days)] if days is not None else []),
        *(_created_edge(db, match, edge) for edge in edges),
    )
    by_status: dict[str, int] = {}
    by_category: dict[str, int] = {}
    escalated = 0
    for part in counted:
        for status, count in part["by_status"].items():
            by_status[status] = by_status.get(status, 0) + count
        for category, count in part["by_category"].items():
            by_category[category] = by_category.get(category, 0) + count
        escalated += part["escalated"]
    return {
        "by_status": by_status,
        "by_category": by_category,
        "escalated": escalated,
    }


async def _resolved(db: Database, match: Document, period: Period) -> Document:
    """Reports whose (latest) resolution falls in the period: the median time from creation
    to resolution, and how many with a due time were resolved by it."""
    duration = {"$subtract": ["$resolved_at", "$created_at"]}
    has_due = {"$gt": ["$due_at", None]}
    pipeline: list[Document] = [
        {"$match": {**match, "resolved_at": period.within()}},
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


async def _ratings(db: Database, match: Document, period: Period) -> Document:
    """Every rating given in the period (a report rated twice, once per resolution, counts
    twice), and how many were satisfied."""
    within = period.within()
    pipeline: list[Document] = [
        {"$match": {**match, "ratings": {"$elemMatch": {"rated_at": within}}}},
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
        # A cancelled vote (cancelVoting) decided nothing: left out.
        {
            "$match": {
                "status": ProposalStatus.CLOSED.value,
                "outcome": {"$ne": ProposalOutcome.CANCELLED.value},
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
    """Points earned on tasks in the period (not spendings or refunds): distinct users and the
    points they were given."""
    pipeline: list[Document] = [
        {"$match": {"place_path": place_id, "at": period.within()}},  # on stats_at
        {"$match": {"reason": TASK_APPROVED}},
        {"$group": {"_id": "$user_id", "points": {"$sum": "$points"}}},
        {"$group": {"_id": None, "users": {"$sum": 1}, "points": {"$sum": "$points"}}},
    ]
    return await _one(db, POINTS_LEDGER, pipeline)


async def patrols(db: Database, place_id: ObjectId, period: Period) -> int:
    """Patrols started in the period in the place (a grid's path ends at the grid)."""
    row = await _one(
        db,
        PATROLS,
        [
            {"$match": {"place_path": place_id, "started_at": period.within()}},
            {"$group": {"_id": None, "patrols": {"$sum": 1}}},
        ],
    )
    return int(row.get("patrols", 0))


async def _nothing() -> Document:
    return {}


async def figures(
    db: Database,
    place: Place,
    period: Period,
    *,
    now: datetime,
    parts: frozenset[Part] = EVERY_PART,
) -> Figures:
    """The figures of the place and everything under it, over the period: those of `parts`,
    the others left at their zero (a grid has reports and patrols only: no proposals, tasks or
    points are kept per grid)."""
    match = scope(place)
    grid = place.level is PlaceLevel.GRID

    def read(part: Part, reading: Callable[[], Awaitable[Document]]) -> Awaitable[Document]:
        return reading() if part in parts else _nothing()

    (created, overdue, resolved, ratings), (proposals, tasks, points) = await asyncio.gather(
        asyncio.gather(
            read(Part.CREATED, lambda: _created(db, place, period)),
            read(Part.OVERDUE, lambda: _overdue(db, match, period, now)),
            read(Part.RESOLVED, lambda: _resolved(db, match, period)),
            read(Part.RATINGS, lambda: _ratings(db, match, period)),
        ),
        asyncio.gather(
            _nothing() if grid else read(Part.PROPOSALS, lambda: _proposals(db, place.id, period)),
            _nothing() if grid else read(Part.TASKS, lambda: _tasks(db, place.id, period)),
            _nothing() if grid else read(Part.POINTS, lambda: _points(db, place.id, period)),
        ),
    )
    median = resolved.get("median_ms")
    return Figures(
        by_status={ReportStatus(s): n for s, n in created.get("by_status", {}).items()},
        by_category={ReportCategory(c): n for c, n in created.get("by_category", {}).items()},
        overdue=int(overdue.get("overdue", 0)),
        escalated=int(created.get("escalated", 0)),
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


# --- Children: each child place's figures, a few grouped reads whatever their number ---------


@dataclass(frozen=True)
class ChildFigures:
    total: int = 0
    open: int = 0
    overdue: int = 0
    escalated: int = 0
    ratings: int = 0
    satisfied_ratings: int = 0
    patrols: int = 0


def _child_key(place: Place) -> Document | str:
    """What names a report's child place of `place`: its grid under a community, else the next
    place on its path."""
    if place.level is PlaceLevel.COMMUNITY:
        return "$grid_id"
    return {"$arrayElemAt": ["$place_path", len(place.path)]}


def _open_sum(prefix: str) -> Document:
    return {"$add": [{"$ifNull": [f"{prefix}{s.value}", 0]} for s in OPEN_STATUSES]}


def _all_sum(prefix: str) -> Document:
    return {"$add": [{"$ifNull": [f"{prefix}{s.value}", 0]} for s in ReportStatus]}


async def _children_days(db: Database, place: Place, days: Period) -> list[Document]:
    """Whole days from the rollups, grouped by the child place (not under a community: the
    rollups are per community, not per grid)."""
    match: Document = {"place_path": place.id}
    if days.start is not None or days.end is not None:
        match["day"] = days.within()
    return await _rows(
        db,
        ROLLUPS,
        [
            {"$match": match},
            {
                "$group": {
                    "_id": _child_key(place),
                    "total": {"$sum": _all_sum("$by_status.")},
                    "open": {"$sum": _open_sum("$by_status.")},
                    "escalated": {"$sum": {"$ifNull": ["$escalated", 0]}},
                }
            },
        ],
    )


async def _children_reports(db: Database, place: Place, part: Period) -> list[Document]:
    """Reports created in part of a day (under a community: in the whole period), by child."""
    is_open = {"$in": ["$status", [s.value for s in OPEN_STATUSES]]}
    return await _rows(
        db,
        REPORTS,
        [
            {"$match": {"place_path": place.id, "created_at": part.within()}},
            {
                "$group": {
                    "_id": _child_key(place),
                    "total": {"$sum": 1},
                    "open": {"$sum": {"$cond": [is_open, 1, 0]}},
                    "escalated": {"$sum": {"$cond": [WAS_ESCALATED, 1, 0]}},
                }
            },
        ],
    )


async def _children_overdue(
    db: Database, place: Place, period: Period, now: datetime
) -> list[Document]:
    return await _rows(
        db,
        REPORTS,
        [
            {
                "$match": {
                    "place_path": place.id,
                    "status": {"$in": [s.value for s in DUE_STATUSES]},
                }
            },
            {"$match": {"created_at": period.within(), "due_at": {"$lt": now}}},
            {"$group": {"_id": _child_key(place), "overdue": {"$sum": 1}}},
        ],
    )


async def _children_ratings(db: Database, place: Place, period: Period) -> list[Document]:
    within = period.within()
    return await _rows(
        db,
        REPORTS,
        [
            {"$match": {"place_path": place.id, "ratings": {"$elemMatch": {"rated_at": within}}}},
            {"$project": {"ratings": 1, "place_path": 1, "grid_id": 1}},
            {"$unwind": "$ratings"},
            {"$match": {"ratings.rated_at": within}},
            {
                "$group": {
                    "_id": _child_key(place),
                    "ratings": {"$sum": 1},
                    "satisfied": {
                        "$sum": {"$cond": [{"$gte": ["$ratings.rating", SATISFIED_FROM]}, 1, 0]}
                    },
                }
            },
        ],
    )


async def _children_patrols(db: Database, place: Place, period: Period) -> list[Document]:
    """Patrols by child place (a patrol's path runs down to its grid)."""
    return await _rows(
        db,
        PATROLS,
        [
            {"$match": {"place_path": place.id, "started_at": period.within()}},
            {
                "$group": {
                    "_id": {"$arrayElemAt": ["$place_path", len(place.path)]},
                    "patrols": {"$sum": 1},
                }
            },
        ],
    )


async def children_figures(
    db: Database, place: Place, period: Period, *, now: datetime
) -> dict[ObjectId, ChildFigures]:
    """Each child place's reports created in the period (total, open, overdue now, escalated),
    its ratings given in the period and its patrols: five grouped reads, however many children.
    Under a community the children are its grids (reports by `grid_id`: those not yet placed
    in a grid count for none); above, the next level down (whole days from the rollups)."""
    if place.level is PlaceLevel.COMMUNITY:
        days, edges = None, [period]
    else:
        days, edges = split_by_days(period)
    created_parts, overdue, ratings, patrols = await asyncio.gather(
        asyncio.gather(
            *([_children_days(db, place, days)] if days is not None else []),
            *(_children_reports(db, place, edge) for edge in edges),
        ),
        _children_overdue(db, place, period, now),
        _children_ratings(db, place, period),
        _children_patrols(db, place, period),
    )
    sums: dict[ObjectId, dict[str, int]] = {}

    def add(rows: list[Document], **fields: str) -> None:
        for row in rows:
            if row["_id"] is None:
                continue
            entry = sums.setdefault(row["_id"], {})
            for name, source in fields.items():
                entry[name] = entry.get(name, 0) + int(row.get(source, 0))

    for part in created_parts:
        add(part, total="total", open="open", escalated="escalated")
    add(overdue, overdue="overdue")
    add(ratings, ratings="ratings", satisfied_ratings="satisfied")
    add(patrols, patrols="patrols")
    return {child: ChildFigures(**values) for child, values in sums.items()}


# --- By worker -------------------------------------------------------------------------------

# The most workers a dashboard lists (the most resolutions first).
MAX_WORKERS = 100


@dataclass(frozen=True)
class WorkerFigures:
    user_id: ObjectId
    resolved: int
    median_resolution_ms: float | None


async def by_worker(db: Database, place: Place, period: Period) -> list[WorkerFigures]:
    """The reports whose latest resolution falls in the period, by their assignee (reports
    resolved without one count for nobody): how many, and the median hours from submission to
    resolution; the most resolutions first (ties by id), at most MAX_WORKERS."""
    duration = {"$subtract": ["$resolved_at", "$created_at"]}
    rows = await _rows(
        db,
        REPORTS,
        [
            {"$match": {**scope(place), "resolved_at": period.within()}},
            {"$match": {"assignee_id": {"$ne": None}}},
            {
                "$group": {
                    "_id": "$assignee_id",
                    "resolved": {"$sum": 1},
                    "median_ms": {"$median": {"input": duration, "method": "approximate"}},
                }
            },
            {"$sort": {"resolved": -1, "_id": 1}},
            {"$limit": MAX_WORKERS},
        ],
    )
    return [
        WorkerFigures(
            user_id=row["_id"],
            resolved=int(row["resolved"]),
            median_resolution_ms=float(row["median_ms"])
            if row.get("median_ms") is not None
            else None,
        )
        for row in rows
    ]


# --- Series ----------------------------------------------------------------------------------


async def first_day(db: Database, place: Place) -> datetime | None:
    """The first local day with a rollup of the place (where an open-ended series starts)."""
    if place.level is PlaceLevel.GRID:
        document = await db[REPORTS].find_one(
            {"grid_id": place.id}, sort=[("created_at", ASCENDING)], projection={"created_at": 1}
        )
        return rollup_day(document["created_at"]) if document else None
    document = await db[ROLLUPS].find_one(
        {"place_path": place.id}, sort=[("day", ASCENDING)], projection={"day": 1}
    )
    return rollup_day(document["day"]) if document else None


async def daily(db: Database, place: Place, period: Period) -> dict[datetime, tuple[int, int]]:
    """Reports created and resolutions made on each local day of a bounded period, by the
    start of the day: whole days from the rollups (`resolved`: resolutions that day), the parts
    of a day at either end from the reports (their latest resolution); a grid's from its
    reports (each resolution on their timelines)."""
    counts: dict[datetime, list[int]] = {}

    def add(day: datetime, created: int, resolved: int) -> None:
        entry = counts.setdefault(rollup_day(day), [0, 0])
        entry[0] += created
        entry[1] += resolved

    if place.level is PlaceLevel.GRID:
        cursor = db[REPORTS].find(
            {"grid_id": place.id},
            projection={"created_at": 1, "resolved_at": 1, "timeline.action": 1, "timeline.at": 1},
        )
        async for report in cursor:
            if _in(report["created_at"], period):
                add(report["created_at"], 1, 0)
            times = [e["at"] for e in report.get("timeline", []) if e.get("action") == "RESOLVED"]
            if not times and report.get("resolved_at") is not None:
                times = [report["resolved_at"]]
            for at in times:
                if _in(at, period):
                    add(at, 0, 1)
        return {day: (c, r) for day, (c, r) in counts.items()}
    days, edges = split_by_days(period)
    reads = []
    if days is not None:
        match: Document = {"place_path": place.id, "day": days.within()}
        reads.append(
            _rows(
                db,
                ROLLUPS,
                [
                    {"$match": match},
                    {
                        "$group": {
                            "_id": "$day",
                            "created": {"$sum": _all_sum("$by_status.")},
                            "resolved": {"$sum": {"$ifNull": ["$resolved", 0]}},
                        }
                    },
                ],
            )
        )
    for edge in edges:
        reads.append(_edge_day(db, place, edge))
    for rows in await asyncio.gather(*reads):
        for row in rows:
            add(row["_id"], int(row["created"]), int(row["resolved"]))
    return {day: (c, r) for day, (c, r) in counts.items()}


def _in(at: datetime, period: Period) -> bool:
    return (period.start is None or at >= period.start) and (period.end is None or at < period.end)


async def _edge_day(db: Database, place: Place, edge: Period) -> list[Document]:
    """The reports created and resolved in part of a day (one row, dated by the part's start)."""
    assert edge.start is not None
    created, resolved = await asyncio.gather(
        db[REPORTS].count_documents({"place_path": place.id, "created_at": edge.within()}),
        db[REPORTS].count_documents({"place_path": place.id, "resolved_at": edge.within()}),
    )
    return [{"_id": edge.start, "created": created, "resolved": resolved}]
