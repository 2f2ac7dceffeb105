"""Every MongoDB query about reports, their endorsements, comments and numbers."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, GEOSPHERE, IndexModel, ReturnDocument

from neighbor_api.core import idempotency
from neighbor_api.core.mongo import Database, Document, Session, register_indexes
from neighbor_api.core.pagination import Page, Sort, keyset_page
from neighbor_api.places.models import GeoPoint
from neighbor_api.reports.models import (
    OPEN_STATUSES,
    Comment,
    Endorsement,
    Report,
    ReportStatus,
)

REPORTS = "reports"
FOLLOWS = "report_follows"
ENDORSEMENTS = "report_endorsements"
COMMENTS = "report_comments"
COUNTERS = "counters"
# Reports counted per community and day created, by status now and by category (dashboards).
ROLLUPS = "report_rollups"
# The days of rollups are local days.
ROLLUP_ZONE = ZoneInfo("Asia/Shanghai")

register_indexes(
    REPORTS,
    [
        # The community queue in every order the console offers.
        IndexModel(
            [("community_id", ASCENDING), ("created_at", DESCENDING), ("_id", DESCENDING)],
            name="community_newest",
        ),
        IndexModel(
            [("community_id", ASCENDING), ("status", ASCENDING), ("created_at", DESCENDING)],
            name="community_status_newest",
        ),
        IndexModel(
            [("community_id", ASCENDING), ("endorsement_count", DESCENDING), ("_id", DESCENDING)],
            name="community_most_endorsed",
        ),
        IndexModel(
            [("community_id", ASCENDING), ("due_key", ASCENDING), ("_id", ASCENDING)],
            name="community_due",
        ),
        # A grid worker's queue ("in my grids", a grid's reports), due soonest first.
        IndexModel(
            [
                ("community_id", ASCENDING),
                ("grid_id", ASCENDING),
                ("due_key", ASCENDING),
                ("_id", ASCENDING),
            ],
            name="community_grid_due",
        ),
        # A member's view of the community (who may see what: `Report.audience`, multikey).
        IndexModel(
            [
                ("community_id", ASCENDING),
                ("audience", ASCENDING),
                ("created_at", DESCENDING),
                ("_id", DESCENDING),
            ],
            name="community_audience_newest",
        ),
        # "Mine" and "assigned to me" in a community.
        IndexModel(
            [
                ("community_id", ASCENDING),
                ("reporter_id", ASCENDING),
                ("created_at", DESCENDING),
                ("_id", DESCENDING),
            ],
            name="community_reporter_newest",
        ),
        IndexModel(
            [
                ("community_id", ASCENDING),
                ("assignee_id", ASCENDING),
                ("created_at", DESCENDING),
                ("_id", DESCENDING),
            ],
            name="community_assignee_newest",
        ),
        IndexModel([("reporter_id", ASCENDING), ("created_at", DESCENDING)], name="reporter"),
        IndexModel([("assignee_id", ASCENDING), ("status", ASCENDING)], name="assignee_status"),
        IndexModel([("escalated_to", ASCENDING), ("created_at", DESCENDING)], name="escalated"),
        IndexModel(
            [
                ("escalated_to", ASCENDING),
                ("status", ASCENDING),
                ("created_at", DESCENDING),
                ("_id", DESCENDING),
            ],
            name="escalated_status_newest",
        ),
        IndexModel([("status", ASCENDING), ("resolved_at", ASCENDING)], name="status_resolved"),
        # The reminders' scan of work due soon or just overdue (`due_between`).
        IndexModel([("due_key", ASCENDING)], name="due"),
        IndexModel([("location", GEOSPHERE)], name="location_2dsphere"),
        # Public reports over every community, newest first (Open311's GET requests).
        IndexModel(
            [("visibility", ASCENDING), ("created_at", DESCENDING), ("_id", DESCENDING)],
            name="visibility_newest",
        ),
        idempotency.unique_index(),
    ],
)
register_indexes(
    ROLLUPS,
    [IndexModel([("place_path", ASCENDING), ("day", ASCENDING)], name="place_day")],
)
register_indexes(
    ENDORSEMENTS,
    [
        IndexModel(
            [("report_id", ASCENDING), ("user_id", ASCENDING)], name="one_per_user", unique=True
        ),
        # Which of a page's reports the viewer endorsed (`endorsed`).
        IndexModel([("user_id", ASCENDING), ("report_id", ASCENDING)], name="user_reports"),
    ],
)
register_indexes(
    FOLLOWS,
    [
        # One follow per (report, user): following twice changes nothing.
        IndexModel(
            [("report_id", ASCENDING), ("user_id", ASCENDING)], name="one_per_user", unique=True
        ),
        # Whether the viewer follows a page's reports (`following`).
        IndexModel([("user_id", ASCENDING), ("report_id", ASCENDING)], name="user_reports"),
    ],
)
register_indexes(
    COMMENTS,
    [
        IndexModel([("report_id", ASCENDING), ("created_at", ASCENDING)], name="report_created"),
        idempotency.unique_index(),
    ],
)


async def next_number(db: Database, *, scope: str) -> int:
    """The next value of a counter (atomic; never repeats, may skip after a failed submit)."""
    for _ in range(5):
        document = await db[COUNTERS].find_one_and_update(
            {"_id": scope},
            {"$inc": {"value": 1}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        # SecantusDB answers some of several concurrent upserts creating a counter with null
        # (their increments done): take another value, skipping those (never a repeat).
        if document is not None:
            return int(document["value"])
    raise RuntimeError(f"counter {scope} gave no value")


async def insert(db: Database, report: Report, *, session: Session | None = None) -> None:
    """Store a new report and count it in its rollup (pass the session of the transaction)."""
    await db[REPORTS].insert_one(report.to_document(), session=session)
    await count_in_rollup(db, report, report.status, 1, session=session)


def rollup_day(at: datetime) -> datetime:
    """The start of the local day of `at` (an aware time)."""
    local = at.astimezone(ROLLUP_ZONE)
    return datetime.combine(local.date(), time(), tzinfo=ROLLUP_ZONE)


def next_rollup_day(at: datetime) -> datetime:
    """The start of the first local day beginning at or after `at`."""
    day = rollup_day(at)
    return day if day == at else rollup_day(day + timedelta(hours=36))


async def count_in_rollup(
    db: Database,
    report: Report,
    status: ReportStatus,
    delta: int,
    *,
    session: Session | None = None,
) -> None:
    """Add `delta` to the rollup of the report's community and creation day: the count of its
    status now and of its category (one document per community and day, made on first use)."""
    day = rollup_day(report.created_at)
    inc = {f"by_status.{status.value}": delta, f"by_category.{report.category.value}": delta}
    await _rollup_update(db, report, day, inc, session=session)


async def move_in_rollups(
    db: Database, report: Report, to_status: ReportStatus, *, session: Session | None = None
) -> None:
    """A report moved from its status to `to_status`: from one count of its rollup to the
    other, in one update."""
    if to_status is not report.status:
        inc = {f"by_status.{report.status.value}": -1, f"by_status.{to_status.value}": 1}
        await _rollup_update(db, report, rollup_day(report.created_at), inc, session=session)


async def _rollup_update(
    db: Database, report: Report, day: datetime, inc: Document, *, session: Session | None
) -> None:
    await db[ROLLUPS].update_one(
        {"_id": f"{report.community_id}:{day.date().isoformat()}"},
        {
            "$inc": inc,
            "$setOnInsert": {
                "community_id": report.community_id,
                "place_path": report.place_path,
                "day": day,
            },
        },
        upsert=True,
        session=session,
    )


async def by_ids(db: Database, ids: Sequence[ObjectId]) -> list[Report]:
    return [Report.from_document(d) async for d in db[REPORTS].find({"_id": {"$in": list(ids)}})]


async def page(
    db: Database, query: Document, *, sort: Sort, first: int | None, after: str | None
) -> Page[Report]:
    result = await keyset_page(db[REPORTS], query, sort=sort, first=first, after=after, flat=True)
    return result.map(Report.from_document)


async def newest(db: Database, query: Document, *, limit: int) -> list[Report]:
    cursor = db[REPORTS].find(query, sort=[("created_at", DESCENDING), ("_id", DESCENDING)])
    return [Report.from_document(d) async for d in cursor.limit(limit)]


# How many candidates' points `near` reads at most in one go (when a circle holds more, it
# narrows the circle: the nearest reports lie in the smallest circle holding enough of them).
NEAR_CANDIDATES = 2000
# The sphere of `$geoNear` and `$centerSphere` on GeoJSON points.
EARTH_RADIUS_METERS = 6378100.0


async def near(
    db: Database,
    point: GeoPoint,
    *,
    radius_meters: float,
    query: Document,
    skip: int,
    limit: int,
) -> list[tuple[Report, float]]:
    """Reports matching `query` within `radius_meters` of `point`, nearest first (ties by id).

    Not `$geoNear`: SecantusDB runs it as a collection scan (10,034 reports examined for a
    500 m page at 10k reports). `$geoWithin` is planned on the 2dsphere index by both servers,
    so the candidates' ids and points are read through it (a projection), ranked here by the
    same spherical distance `$geoNear` gives, and the page's reports read by id: two round
    trips. A circle holding more than NEAR_CANDIDATES (or the page's end) is narrowed (halved,
    or bisected back out when too few remain) until its candidates are at most that many and
    cover the page: every report nearer than the narrowed circle's edge is in it, so the
    ranking is exact."""
    wanted = skip + limit
    cap = max(NEAR_CANDIDATES, wanted)
    inner, outer = 0.0, radius_meters
    radius = radius_meters
    while True:
        candidates = await _points_within(db, point, radius, query, cap + 1)
        if len(candidates) > cap:
            outer = radius
        elif len(candidates) < wanted and radius < radius_meters:
            inner = radius
        else:
            break
        radius = (inner + outer) / 2 if inner else radius / 2
        if outer - inner < 1.0:  # a cluster on one spot: take the nearest the cap holds
            candidates = candidates[:cap]
            break
    ranked = _ranked(point, candidates)[skip:wanted]
    if not ranked:
        return []
    ids = [candidate["_id"] for _, candidate in ranked]
    found = {d["_id"]: d async for d in db[REPORTS].find({"_id": {"$in": ids}})}
    return [
        (Report.from_document(found[i]), distance)
        for (distance, _), i in zip(ranked, ids, strict=True)
        if i in found
    ]


async def _points_within(
    db: Database, point: GeoPoint, radius_meters: float, query: Document, limit: int
) -> list[Document]:
    within = {**query, **_within(point, radius_meters)}  # flat: indexed on both servers
    cursor = db[REPORTS].find(within, projection={"location": 1}).limit(limit)
    return await cursor.to_list()


def _within(point: GeoPoint, radius_meters: float) -> Document:
    return {
        "location": {
            "$geoWithin": {
                "$centerSphere": [list(point.coordinates), radius_meters / EARTH_RADIUS_METERS]
            }
        }
    }


def _ranked(point: GeoPoint, documents: Sequence[Document]) -> list[tuple[float, Document]]:
    """Documents holding a `location`, with their distance from `point`, nearest first (ties
    by id, so pages of a ranking never overlap)."""
    return sorted(
        ((_distance_meters(point, d["location"]["coordinates"]), d) for d in documents),
        key=lambda ranked: (ranked[0], ranked[1]["_id"]),
    )


def _distance_meters(point: GeoPoint, coordinates: Sequence[float]) -> float:
    """The great-circle distance (haversine, on the sphere `$geoNear` and `$centerSphere` use)."""
    lng1, lat1 = map(math.radians, point.coordinates)
    lng2, lat2 = math.radians(coordinates[0]), math.radians(coordinates[1])
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_METERS * math.asin(min(1.0, math.sqrt(h)))


async def count_near(
    db: Database, point: GeoPoint, *, radius_meters: float, query: Document
) -> int:
    """How many reports matching `query` lie within `radius_meters` of `point`."""
    # One flat filter (no top-level $and), so that SecantusDB too plans it on the 2dsphere index.
    total: int = await db[REPORTS].count_documents({**query, **_within(point, radius_meters)})
    return total


async def possible_duplicates(
    db: Database, report: Report, *, radius_meters: float, limit: int
) -> list[tuple[Report, float]]:
    """Open reports of the same category in the same community near a new one, nearest first:
    few by nature, so read whole in one round trip (at most NEAR_CANDIDATES, then ranked)."""
    query = {
        "_id": {"$ne": report.id},
        "community_id": report.community_id,
        "category": report.category.value,
        "status": {"$in": [s.value for s in OPEN_STATUSES]},
        **_within(report.location, radius_meters),
    }
    documents = await db[REPORTS].find(query).limit(NEAR_CANDIDATES).to_list()
    ranked = _ranked(report.location, documents)[:limit]
    return [(Report.from_document(d), distance) for distance, d in ranked]


async def transition(
    db: Database,
    report_id: ObjectId,
    *,
    from_statuses: Sequence[ReportStatus],
    changes: Document,
    push: Sequence[Document],
    extra_condition: Document | None = None,
    session: Session | None = None,
) -> Report | None:
    """Apply a change to a report still in one of `from_statuses` (None if it no longer is):
    of two racing moves, only one matches."""
    condition: Document = {
        "_id": report_id,
        "status": {"$in": [s.value for s in from_statuses]},
        **(extra_condition or {}),
    }
    update: Document = {"$set": changes}
    if push:
        update["$push"] = {"timeline": {"$each": list(push)}}
    document = await db[REPORTS].find_one_and_update(
        condition, update, return_document=ReturnDocument.AFTER, session=session
    )
    return Report.from_document(document) if document else None


async def resolved_before(db: Database, cutoff: datetime, *, limit: int) -> list[ObjectId]:
    cursor = db[REPORTS].find(
        {"status": ReportStatus.RESOLVED.value, "resolved_at": {"$lt": cutoff}},
        projection={"_id": 1},
        limit=limit,
    )
    return [d["_id"] async for d in cursor]


async def add_endorsement(
    db: Database, endorsement: Endorsement, *, session: Session | None = None
) -> None:
    """Record one endorsement and count it. A second one by the same user raises
    DuplicateKeyError (the unique index decides, under any concurrency)."""
    await db[ENDORSEMENTS].insert_one(endorsement.to_document(), session=session)
    await db[REPORTS].update_one(
        {"_id": endorsement.report_id}, {"$inc": {"endorsement_count": 1}}, session=session
    )


async def endorsers(
    db: Database, report_id: ObjectId, *, session: Session | None = None
) -> list[ObjectId]:
    """Who said "me too" to the report."""
    cursor = db[ENDORSEMENTS].find(
        {"report_id": report_id}, projection={"user_id": 1}, session=session
    )
    return [d["user_id"] async for d in cursor]


async def add_duplicate(
    db: Database, original_id: ObjectId, duplicate_id: ObjectId, *, session: Session | None = None
) -> None:
    """Link a duplicate from its original (the duplicate's own link is its move)."""
    await db[REPORTS].update_one(
        {"_id": original_id}, {"$addToSet": {"duplicate_ids": duplicate_id}}, session=session
    )


async def endorsed(
    db: Database, user_id: ObjectId, report_ids: Sequence[ObjectId]
) -> set[ObjectId]:
    cursor = db[ENDORSEMENTS].find(
        {"user_id": user_id, "report_id": {"$in": list(report_ids)}}, projection={"report_id": 1}
    )
    return {d["report_id"] async for d in cursor}


async def follow(
    db: Database, report_id: ObjectId, user_id: ObjectId, at: datetime,
    *, counted: bool = False, session: Session | None = None,
) -> bool:  # fmt: skip
    """Make the user follow the report and count it (once: an upsert on the unique pair;
    `counted`: the report's `follower_count` already includes them); whether they did not
    follow it before."""
    result = await db[FOLLOWS].update_one(
        {"report_id": report_id, "user_id": user_id},
        {"$setOnInsert": {"created_at": at}},
        upsert=True,
        session=session,
    )
    if result.upserted_id is None:
        return False
    if not counted:
        await db[REPORTS].update_one(
            {"_id": report_id}, {"$inc": {"follower_count": 1}}, session=session
        )
    return True


async def unfollow(
    db: Database, report_id: ObjectId, user_id: ObjectId, *, session: Session | None = None
) -> bool:
    """Stop following (and uncount it, only if a follow was removed)."""
    result = await db[FOLLOWS].delete_one(
        {"report_id": report_id, "user_id": user_id}, session=session
    )
    if not result.deleted_count:
        return False
    await db[REPORTS].update_one(
        {"_id": report_id}, {"$inc": {"follower_count": -1}}, session=session
    )
    return True


async def following(
    db: Database, user_id: ObjectId, report_ids: Sequence[ObjectId]
) -> set[ObjectId]:
    """Which of these reports the user follows."""
    cursor = db[FOLLOWS].find(
        {"user_id": user_id, "report_id": {"$in": list(report_ids)}}, projection={"report_id": 1}
    )
    return {d["report_id"] async for d in cursor}


async def followers(db: Database, report_id: ObjectId) -> list[ObjectId]:
    """Everyone following the report, in the order they began."""
    cursor = db[FOLLOWS].find(
        {"report_id": report_id}, projection={"user_id": 1}, sort=[("_id", ASCENDING)]
    )
    return [d["user_id"] async for d in cursor]


async def insert_comment(db: Database, comment: Comment, *, session: Session | None = None) -> None:
    await db[COMMENTS].insert_one(comment.to_document(), session=session)
    await db[REPORTS].update_one(
        {"_id": comment.report_id}, {"$inc": {"comment_count": 1}}, session=session
    )


async def comments_page(
    db: Database, report_id: ObjectId, *, first: int | None, after: str | None
) -> Page[Comment]:
    result = await keyset_page(
        db[COMMENTS],
        {"report_id": report_id},
        sort=[("created_at", ASCENDING), ("_id", ASCENDING)],
        first=first,
        after=after,
    )
    return result.map(Comment.from_document)


async def due_between(db: Database, start: datetime, end: datetime, *, limit: int) -> list[Report]:
    """Reports whose work is due in (start, end]: only open work has a real `due_key` (resolved,
    closed, rejected and unaccepted reports sort at NO_DUE_DATE), on the `due` index."""
    cursor = db[REPORTS].find(
        {"due_key": {"$gt": start, "$lte": end}}, sort=[("due_key", ASCENDING)], limit=limit
    )
    return [Report.from_document(d) async for d in cursor]


async def comment_by_id(db: Database, comment_id: ObjectId) -> Comment | None:
    document = await db[COMMENTS].find_one({"_id": comment_id})
    return Comment.from_document(document) if document else None
