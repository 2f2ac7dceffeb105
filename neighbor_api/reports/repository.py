"""Every MongoDB query about reports, their endorsements, comments and numbers."""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, GEOSPHERE, IndexModel, ReturnDocument, UpdateOne
from pymongo.errors import DuplicateKeyError

from neighbor_api.core import idempotency, together
from neighbor_api.core.geo import (
    Rings,
    cell_of,
    cells_covering,
    distance_expression,
    fine_cells_covering,
)
from neighbor_api.core.mongo import Database, Document, Session, register_indexes
from neighbor_api.core.pagination import (
    Page,
    Sort,
    cursor_time,
    decode_cursor,
    keyset_page,
    merge_pages,
    page_size,
)
from neighbor_api.core.pagination import windowed_page as windowed_keyset_page
from neighbor_api.places.models import GeoPoint
from neighbor_api.reports.models import (
    OPEN_STATUSES,
    Comment,
    Endorsement,
    Report,
    ReportAction,
    ReportCategory,
    ReportStatus,
    ReportVisibility,
    Unit,
    live_cell_of,
    user_key,
)

REPORTS = "reports"
FOLLOWS = "report_follows"
ENDORSEMENTS = "report_endorsements"
COMMENTS = "report_comments"
COUNTERS = "counters"
# The departments of streets and districts that reports are dispatched to (吹哨报到).
UNITS = "units"
# Reports counted per community and day created, by status now and by category, and how many
# of them were escalated beyond the community; and the resolutions made that day (dashboards).
ROLLUPS = "report_rollups"
# Beside a community's day rollups, its totals over every day: `_id` "<community>:totals"
# (`totals_id`), `all.<STATUS>` the count of its reports in each status now, `members.<STATUS>`
# the same of its COMMUNITY ones (those a member key sees), `since` its first report's
# creation and `months.<YYYY-MM>` the reports created each (UTC) month. Written in the same
# bulk write as the day rollups (no command more per write, in the write's transaction); the
# report lists read them (`read_totals`) for their count and to size their windows of time,
# instead of reading a community's history. They carry no `place_path` nor `day`, so the
# dashboards' reads (by place_path) never meet them.
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
        # An escalation queue: what the street or district holds (at its level, dispatched to
        # no unit), by status. (It replaced `escalated_status_newest`, which databases made
        # before dispatch still have, unused.)
        IndexModel(
            [
                ("escalated_to", ASCENDING),
                ("escalation_level", ASCENDING),
                ("handling_unit_id", ASCENDING),
                ("status", ASCENDING),
                ("created_at", DESCENDING),
                ("_id", DESCENDING),
            ],
            name="escalated_held",
        ),
        IndexModel([("status", ASCENDING), ("resolved_at", ASCENDING)], name="status_resolved"),
        # The reminders' scan of work due soon or just overdue (`due_between`).
        IndexModel([("due_key", ASCENDING)], name="due"),
        # Circles on the map (`near`): the map cell of the report's point (see core/geo).
        IndexModel([("cell", ASCENDING)], name="cell"),
        # The open reports' fine cells (`live_cell`, absent once closed): possible duplicates
        # and similar reports read only what is open nearby, not the cells' history.
        IndexModel([("live_cell", ASCENDING)], name="live_cell", sparse=True),
        # Nearest first (`near`), ring by ring of the fine cells around the point.
        IndexModel([("fine_cell", ASCENDING)], name="fine_cell"),
        # A map's box (`reportsInArea`, staff): `$geoWithin` a polygon, with the list's filters.
        IndexModel([("location", GEOSPHERE)], name="location_2dsphere"),
        # Public reports over every community, newest first (Open311's GET requests).
        IndexModel(
            [("visibility", ASCENDING), ("created_at", DESCENDING), ("_id", DESCENDING)],
            name="visibility_newest",
        ),
        # A unit's queue (dispatched, not yet resolved), newest first.
        IndexModel(
            [
                ("handling_unit_id", ASCENDING),
                ("status", ASCENDING),
                ("created_at", DESCENDING),
                ("_id", DESCENDING),
            ],
            name="unit_status_newest",
        ),
        # A street's, district's or city's reports (placeReports) in the orders the dashboards'
        # indexes (stats/repository.py: place_path with created_at, with status) do not serve:
        # `place_path` is multikey, one equality on it.
        IndexModel(
            [("place_path", ASCENDING), ("endorsement_count", DESCENDING), ("_id", DESCENDING)],
            name="place_most_endorsed",
        ),
        IndexModel(
            [("place_path", ASCENDING), ("due_key", ASCENDING), ("_id", ASCENDING)],
            name="place_due",
        ),
        idempotency.unique_index(),
    ],
)
register_indexes(
    UNITS,
    [
        # One unit of a name per place.
        IndexModel([("place_id", ASCENDING), ("name", ASCENDING)], name="place_name", unique=True),
        IndexModel([("member_ids", ASCENDING)], name="members"),
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
    """Store a new report and count it in its rollup (pass the session of the transaction).
    A report stored already escalated or resolved (imported, generated) counts those too."""
    await db[REPORTS].insert_one(report.to_document(), session=session)
    await count_in_rollup(db, report, report.status, 1, session=session)
    if report.escalated_to:
        await _rollup_update(
            db, report, rollup_day(report.created_at), {"escalated": 1}, session=session
        )
    for day in resolution_days(report):
        await _rollup_update(db, report, day, {"resolved": 1}, session=session)


def resolution_days(report: Report) -> list[datetime]:
    """The local days of each of the report's resolutions (its timeline's RESOLVED entries;
    its `resolved_at` when its timeline records none)."""
    if report.timeline is None:
        raise ValueError("a report read for a list has no timeline: read it whole")
    times = [e.at for e in report.timeline if e.action is ReportAction.RESOLVED]
    if not times and report.resolved_at is not None:
        times = [report.resolved_at]
    return [rollup_day(at) for at in times]


def _milestones(before: Report, after: Report) -> list[tuple[datetime, Document]]:
    """What a move adds to the rollups besides the status counts: a first escalation beyond the
    community (`escalated`, on the creation day's rollup) and a resolution (`resolved`, on the
    rollup of the day it was resolved: resolutions per day, for the dashboards' series)."""
    found: list[tuple[datetime, Document]] = []
    if after.escalated_to and not before.escalated_to:
        found.append((rollup_day(before.created_at), {"escalated": 1}))
    resolved = after.status is ReportStatus.RESOLVED and before.status is not ReportStatus.RESOLVED
    if resolved and after.resolved_at is not None:
        found.append((rollup_day(after.resolved_at), {"resolved": 1}))
    return found


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
    status now and of its category (one document per community and day, made on first use),
    and to its community's totals, in one command."""
    day = rollup_day(report.created_at)
    inc = {f"by_status.{status.value}": delta, f"by_category.{report.category.value}": delta}
    await db[ROLLUPS].bulk_write(
        [
            UpdateOne(*_rollup_change(report, day, inc), upsert=True),
            UpdateOne(*_totals_change(report, {status: delta}, new=delta > 0), upsert=True),
        ],
        ordered=False,
        session=session,
    )


async def move_in_rollups(
    db: Database, report: Report, moved: Report, *, session: Session | None = None
) -> None:
    """A report moved (`report` before, `moved` after): from one status count of its rollup
    and of its community's totals to the other, and its milestones (`_milestones`), in one
    command; a move that keeps its status is a write all the same (`touch`)."""
    day = rollup_day(report.created_at)
    updates: list[tuple[datetime, Document]] = []
    if moved.status is not report.status:
        inc = {f"by_status.{report.status.value}": -1, f"by_status.{moved.status.value}": 1}
        updates.append((day, inc))
    for at, inc in _milestones(report, moved):
        if updates and at == updates[0][0]:
            updates[0] = (at, {**updates[0][1], **inc})
        else:
            updates.append((at, inc))
    changes = [_rollup_change(report, at, inc) for at, inc in updates]
    deltas = {report.status: -1, moved.status: 1} if moved.status is not report.status else {}
    changes.append(_totals_change(report, deltas))
    if len(changes) == 1:
        await db[ROLLUPS].update_one(*changes[0], upsert=True, session=session)
    else:
        await db[ROLLUPS].bulk_write(
            [UpdateOne(*change, upsert=True) for change in changes],
            ordered=False,
            session=session,
        )


def _rollup_change(report: Report, day: datetime, inc: Document) -> tuple[Document, Document]:
    """The filter and update adding `inc` to the rollup of the report's community and `day`."""
    return (
        {"_id": f"{report.community_id}:{day.date().isoformat()}"},
        {
            "$inc": inc,
            "$setOnInsert": {
                "community_id": report.community_id,
                "place_path": report.place_path,
                "day": day,
            },
        },
    )


async def _rollup_update(
    db: Database, report: Report, day: datetime, inc: Document, *, session: Session | None
) -> None:
    await db[ROLLUPS].update_one(*_rollup_change(report, day, inc), upsert=True, session=session)


def totals_id(community_id: ObjectId) -> str:
    return f"{community_id}:totals"


def serial(community_id: ObjectId) -> tuple[str, ObjectId]:
    """The `serial` key (core/mongo `in_transaction`) of the transactions that write reports of
    a community: each writes the community's totals (`touch`, `_totals_change`)."""
    return (ROLLUPS, community_id)


async def touch(
    db: Database, community_ids: Collection[ObjectId], *, session: Session | None = None
) -> None:
    """Count a write of reports of these communities in their totals' `version`, after the
    write (in its transaction, if any): the pages their lists keep were read before it
    (core/kept.py). Every write of a report comes here, or through `_totals_change`. One
    command whatever their number."""
    if community_ids:
        await db[ROLLUPS].bulk_write(
            [
                UpdateOne({"_id": totals_id(c)}, {"$inc": {"version": 1}}, upsert=True)
                for c in community_ids
            ],
            ordered=False,
            session=session,
        )


def _totals_change(
    report: Report, deltas: dict[ReportStatus, int], *, new: bool = False
) -> tuple[Document, Document]:
    """The filter and update adding `deltas` (status → change) to the report's community's
    totals (made on first use), and a write of its reports (`version`, see `touch`); a `new`
    report may be its first (`since`)."""
    inc: Document = {"version": 1}
    for status, delta in deltas.items():
        inc[f"all.{status.value}"] = delta
        if report.visibility is ReportVisibility.COMMUNITY:
            inc[f"members.{status.value}"] = delta
    update: Document = {"$inc": inc}
    if new:
        inc[f"months.{month_key(report.created_at)}"] = 1
        update["$min"] = {"since": report.created_at}
    return {"_id": totals_id(report.community_id)}, update


@dataclass(frozen=True)
class Totals:
    """A community's totals: its reports in each status now (`every`), its COMMUNITY ones
    (`members`), and when its first was created (`since`; None: no totals kept yet)."""

    every: Mapping[str, int]
    members: Mapping[str, int]
    since: datetime | None
    # Reports created in each month (UTC, `month_key`): the rate the lists' windows assume.
    months: Mapping[str, int]
    # Incremented by every write of one of the community's reports, after it (`touch`): the
    # version its lists' pages are kept under (core/kept.py).
    version: int = 0

    def rate(self, at: datetime, now: datetime) -> float:
        """Reports created per second in the month of `at` (UTC; the months' counts), or over
        the whole history when that month holds none."""
        assert self.since is not None
        start = datetime(at.year, at.month, 1, tzinfo=UTC)
        end = datetime(at.year + at.month // 12, at.month % 12 + 1, 1, tzinfo=UTC)
        counted = self.months.get(month_key(at), 0)
        if not counted:
            start, end, counted = self.since, now, self.of(None)[0]
        seconds = (min(end, now) - max(start, self.since)).total_seconds()
        return max(counted, 1) / max(seconds, 3600.0)

    def of(self, statuses: Collection[ReportStatus] | None) -> tuple[int, int]:
        """How many reports, and how many COMMUNITY ones, of `statuses` (None: all)."""
        wanted = [s.value for s in (statuses if statuses is not None else ReportStatus)]
        return (
            sum(self.every.get(s, 0) for s in wanted),
            sum(self.members.get(s, 0) for s in wanted),
        )


async def read_totals(db: Database, community_id: ObjectId) -> Totals:
    """The community's totals document (one `_id` read, with other requests' asks)."""
    found = await together.find_in(db, ROLLUPS, [totals_id(community_id)])
    document = found[0] if found else {}
    return Totals(
        document.get("all", {}),
        document.get("members", {}),
        document.get("since"),
        document.get("months", {}),
        document.get("version", 0),
    )


def month_key(at: datetime) -> str:
    """The UTC month of a creation time, as the totals count it: "2026-12"."""
    return at.astimezone(UTC).strftime("%Y-%m")


async def count(db: Database, query: Document) -> int:
    """The reports matching `query` (on whatever index bounds it)."""
    found: int = await db[REPORTS].count_documents(query)
    return found


async def holding_key(db: Database, community_id: ObjectId, key: str) -> list[Document]:
    """The status and visibility of each report of the community holding the audience `key`
    (equalities on `community_audience_newest`'s two leading fields: a person's own reports)."""
    cursor = db[REPORTS].find(
        {"community_id": community_id, "audience": key}, {"status": 1, "visibility": 1}
    )
    return await cursor.to_list()


# A list whose reads' range holds at most this many pages is read in one window, whole: a
# window sized by the rate (which a month's burst or lull can mislead) would cost a round trip
# or three more to read as little.
WHOLE_PAGES = 4


async def windowed_page(
    db: Database,
    query: Document,
    *,
    expected: int,
    totals: Totals,
    now: datetime,
    sort: Sort,
    first: int | None,
    after: str | None,
    statuses: Collection[str] = (),
    held: int | None = None,
) -> Page[Report]:
    """A page of a community's reports matching `query` (equalities only) and of `statuses`
    (all when empty; checked on what is read: see `core.pagination.windowed_page`'s `keep`),
    about `expected` of them (of `held` that `query` matches in all statuses; `expected` when
    not given), newest or oldest first, read in windows of creation time
    (`core.pagination.windowed_page`) sized from the community's totals to hold about a page;
    without totals (none kept yet), `page`."""
    if totals.since is None:
        where = {**query, "status": {"$in": list(statuses)}} if statuses else query
        return await page(db, where, sort=sort, first=first, after=after)
    need = page_size(first) + 1
    every = max(totals.of(None)[0], 1)
    if (expected if held is None else held) <= WHOLE_PAGES * need:
        # A few pages in all: one read of everything costs less than windows that miss.
        span = now - totals.since + timedelta(days=1)
    else:
        # A page's share of time at the rate reports came in the month the list starts from
        # (the cursor's, or now's for the newest, the first's for the oldest), a quarter more.
        if after:
            anchor = cursor_time(decode_cursor(after, 2)[0])
        else:
            anchor = now if sort[0][1] < 0 else totals.since
        rate = totals.rate(anchor, now) * expected / every
        span = timedelta(seconds=need / rate * 1.25)
    result = await windowed_keyset_page(
        db[REPORTS], query, sort=sort, first=first, after=after, floor=totals.since, now=now,
        span=span, keep=(lambda d: d.get("status") in statuses) if statuses else None,
        projection=LISTED,
    )  # fmt: skip
    return result.map(listed)


def merge(pages: Sequence[Page[Report]], *, sort: Sort, first: int | None) -> Page[Report]:
    """One page of several pages of reports read with the same order, size and cursor, each
    report once (`core.pagination.merge_pages`)."""
    fields = ["id" if field == "_id" else field for field, _ in sort]
    return merge_pages(
        pages, key=lambda r: tuple(getattr(r, f) for f in fields), identity=lambda r: r.id,
        reverse=sort[0][1] < 0, first=first,
    )  # fmt: skip


async def by_ids(db: Database, ids: Sequence[ObjectId]) -> list[Report]:
    """The reports of `ids` that exist (read with other requests' asks: `core/together.py`)."""
    return [Report.from_document(d) for d in await together.find_in(db, REPORTS, ids)]


async def page(
    db: Database, query: Document, *, sort: Sort, first: int | None, after: str | None
) -> Page[Report]:
    """A page of a list of reports (`LISTED`: without their timelines)."""
    result = await keyset_page(
        db[REPORTS], query, sort=sort, first=first, after=after, flat=True, projection=LISTED
    )
    return result.map(listed)


# What a list reads of a report: all but its timeline, the larger part of a report (about half
# its bytes and three quarters of the time to validate it), which no list shows; a report read
# so has `timeline` None, and `ReportType.timeline` reads it whole if a client asks anyway.
LISTED: Document = {"timeline": 0}


def listed(document: Document) -> Report:
    """A report read by `LISTED`."""
    return Report.from_document({**document, "timeline": None})


async def newest(db: Database, query: Document, *, limit: int) -> list[Report]:
    cursor = db[REPORTS].find(query, sort=[("created_at", DESCENDING), ("_id", DESCENDING)])
    return [Report.from_document(d) async for d in cursor.limit(limit)]


# `near` reads the fine cells of the block of rings 0..NEAR_FIRST_RING around the point first
# (or the block the last page asked near there needed: `_HOLDING`), then each time the band of
# rings up to a wider block (as wide as the density already seen says the page needs and at
# least twice as wide; four times when nothing was found yet), until the page is known exactly.
NEAR_FIRST_RING = 1
# The last of at most MAX_FINE_READS reads takes the rest of the radius (where the rings read so
# far held less than the page the viewer may see: few reports around), so that a sparse area
# costs a bounded number of round trips; by its fine cells, or by its coarse cells when they
# would be more than MAX_FINE_CELLS (a radius beyond about 850 m), as does any band as large.
MAX_FINE_READS = 3
MAX_FINE_CELLS = 1200
# The block of rings the last page asked near a point held, by database, map cell of the point
# and the page's end (`skip + limit`): the next page asked there reads that block at once, one
# read where the density is known (exact all the same: `near` checks the guarantee). The
# oldest go first past MAX_HOLDING.
_HOLDING: dict[tuple[str, int, int], int] = {}
MAX_HOLDING = 10_000
# The distance the cells' reads compute on the server, beside the documents they return.
DISTANCE = "_distance"


async def near(
    db: Database,
    point: GeoPoint,
    *,
    radius_meters: float,
    audience: Collection[str],
    skip: int,
    limit: int,
) -> list[tuple[Report, float]]:
    """Reports one of whose `audience` keys is given, within `radius_meters` of `point`,
    nearest first (ties by id): exact k-nearest, ring by ring.

    The `skip + limit` nearest visible reports in the fine cells of a block of rings around the
    point's cell are read (ranked by the server), then those of the band of rings up to a wider
    block, until the `skip + limit` nearest found lie nearer than anything outside the block can
    (`Rings.guaranteed_meters`), or the block holds the whole radius: every report nearer than
    the block's guarantee is known, so the ranking is exact. What is read is then the reports
    of the block, about the page's own neighbourhood, whatever the history of the wider area,
    and what comes back is at most the page's end per read."""
    wanted = skip + limit
    rings = Rings(*point.coordinates, radius_meters)
    hint = (db.name, cell_of(*point.coordinates), wanted)
    nearest: list[tuple[float, Document]] = []
    inner, outer = -1, min(_HOLDING.get(hint, NEAR_FIRST_RING), rings.last)
    for reads in range(1, MAX_FINE_READS + 1):
        if reads == MAX_FINE_READS:
            outer = rings.last
        band = rings.band(inner, outer)
        if len(band) > MAX_FINE_CELLS:
            cells = cells_covering(*point.coordinates, radius_meters)
            # The radius's coarse cells hold every report the bands read before.
            nearest = await _nearest(db, cells, "cell", point, radius_meters, audience, wanted)
            break
        found = await _nearest(db, band, "fine_cell", point, radius_meters, audience, wanted)
        nearest = sorted([*nearest, *found], key=_rank)[:wanted]
        guaranteed = rings.guaranteed_meters(outer)
        if guaranteed == math.inf or (len(nearest) == wanted and nearest[-1][0] < guaranteed):
            break
        inner, outer = outer, _next_ring(rings, outer, nearest, guaranteed, wanted)
    _HOLDING.pop(hint, None)
    _HOLDING[hint] = rings.holding(nearest[-1][0]) if len(nearest) == wanted else rings.last
    if len(_HOLDING) > MAX_HOLDING:
        del _HOLDING[next(iter(_HOLDING))]
    return [(listed(d), distance) for distance, d in nearest[skip:]]


def _rank(ranked: tuple[float, Document]) -> tuple[float, ObjectId]:
    return ranked[0], ranked[1]["_id"]


def _next_ring(
    rings: Rings, ring: int, ranked: Sequence[tuple[float, Document]], guaranteed: float,
    wanted: int,
) -> int:  # fmt: skip
    """The outer ring of the next block: as wide as holding `wanted` at the density of those
    found within the guarantee (a quarter more) and twice as wide at least; four times as wide
    when none was found; at most the radius's last. (`ranked` is the `wanted` nearest found:
    all of those within the guarantee, since the page is not yet known.)"""
    inside = sum(1 for distance, _ in ranked if distance < guaranteed)
    if not inside:
        return min(rings.last, 4 * ring + 3)
    needed = 1.25 * guaranteed * math.sqrt(wanted / inside)
    estimate = math.ceil(needed / rings.cell_meters()) + 1
    return min(rings.last, max(2 * ring + 1, estimate))


async def count_near(
    db: Database, point: GeoPoint, *, radius_meters: float, audience: Collection[str]
) -> int:
    """How many reports one of whose `audience` keys is given lie within `radius_meters`."""
    cells = cells_covering(*point.coordinates, radius_meters)
    pipeline = _within(cells, "cell", point, radius_meters, audience=audience)
    counted = await (await db[REPORTS].aggregate([*pipeline, {"$count": "n"}])).to_list()
    return int(counted[0]["n"]) if counted else 0


def _within(
    cells: Sequence[int],
    key: str,
    point: GeoPoint,
    radius_meters: float,
    *,
    audience: Collection[str] | None = None,
    matching: Document | None = None,
) -> list[Document]:
    """The pipeline's head of the reports in the map `cells` (`key`: `cell`, `fine_cell`, or
    `live_cell` for the open ones) that also match `matching`, hold one of the `audience` keys
    (if given) and lie within the circle, with their distance (`DISTANCE`). The cells are one
    flat `$in` on the indexed key in a `$match` of its own (planned alike by both servers; a
    second condition in it would make SecantusDB scan); the rest are checked by later stages
    on what the index found."""
    conditions = dict(matching or {})
    if audience is not None:
        conditions["audience"] = {"$in": list(audience)}
    return [
        {"$match": {key: {"$in": list(cells)}}},
        *([{"$match": conditions}] if conditions else []),
        {"$set": {DISTANCE: distance_expression(point.coordinates, "location")}},
        {"$match": {DISTANCE: {"$lte": radius_meters}}},
    ]


async def _nearest(
    db: Database,
    cells: Sequence[int],
    key: str,
    point: GeoPoint,
    radius_meters: float,
    audience: Collection[str] | None,
    limit: int,
    matching: Document | None = None,
) -> list[tuple[float, Document]]:
    """The `limit` nearest reports of `_within`, as a list reads them (`LISTED`), with their
    distance, nearest first (ties by id, so pages of a ranking never overlap): ranked and cut by
    the server, so what comes back is the page, not the cells' points."""
    if not cells:
        return []
    pipeline = [
        *_within(cells, key, point, radius_meters, audience=audience, matching=matching),
        {"$sort": {DISTANCE: 1, "_id": 1}},
        {"$limit": limit},
        {"$project": LISTED},
    ]
    found = await (await db[REPORTS].aggregate(pipeline)).to_list()
    return [(float(d.pop(DISTANCE)), d) for d in found]


async def open_near(
    db: Database,
    point: GeoPoint,
    *,
    radius_meters: float,
    community_id: ObjectId,
    category: ReportCategory | None = None,
    audience: Collection[str] | None = None,
    exclude_id: ObjectId | None = None,
    limit: int,
) -> list[tuple[Report, float]]:
    """Open reports of a community (of `category`, holding one of the `audience` keys, when
    given) within `radius_meters` of `point`, nearest first: a new report's possible
    duplicates, or what a resident sees before submitting. Few by nature: the open reports in
    the fine cells of the circle's bounding box (by `live_cell`, which only open reports carry:
    the cells' closed history is not read; 5 × 5 cells for 100 m, about 1,500 for the 1 km
    most), the nearest matching ones ranked by the server, in one read."""
    matching: Document = {
        "community_id": community_id,
        "status": {"$in": [s.value for s in OPEN_STATUSES]},
    }
    if category is not None:
        matching["category"] = category.value
    if exclude_id is not None:
        matching["_id"] = {"$ne": exclude_id}
    cells = fine_cells_covering(*point.coordinates, radius_meters)
    found = await _nearest(
        db, cells, "live_cell", point, radius_meters, audience, limit, matching=matching
    )
    return [(listed(d), distance) for distance, d in found]


async def transition(
    db: Database,
    report_id: ObjectId,
    *,
    from_statuses: Sequence[ReportStatus],
    changes: Document,
    push: Sequence[Document],
    cell: int,
    extra_condition: Document | None = None,
    session: Session | None = None,
) -> Report | None:
    """Apply a change to a report still in one of `from_statuses` (None if it no longer is):
    of two racing moves, only one matches. Every move of a report's status comes here, and a
    move keeps its `live_cell` (the report's `fine_cell` given: set while open, unset once
    not)."""
    condition: Document = {
        "_id": report_id,
        "status": {"$in": [s.value for s in from_statuses]},
        **(extra_condition or {}),
    }
    update: Document = {"$set": changes}
    if "status" in changes:
        live = live_cell_of(ReportStatus(changes["status"]), cell)
        if live is None:
            update["$unset"] = {"live_cell": ""}
        else:
            update["$set"] = {**changes, "live_cell": live}
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
    db: Database, endorsement: Endorsement, community_id: ObjectId, *,
    session: Session | None = None,
) -> None:  # fmt: skip
    """Record one endorsement of a report of the community and count it. A second one by the
    same user raises DuplicateKeyError (the unique index decides, under any concurrency)."""
    await db[ENDORSEMENTS].insert_one(endorsement.to_document(), session=session)
    await db[REPORTS].update_one(
        {"_id": endorsement.report_id}, {"$inc": {"endorsement_count": 1}}, session=session
    )
    await touch(db, [community_id], session=session)


async def count_linked_task(
    db: Database, report: Report, *, session: Session | None = None
) -> None:
    """Count a task made from the report (in the task's transaction), and the write in its
    community's version: a kept page never shows the count from before it."""
    await db[REPORTS].update_one(
        {"_id": report.id}, {"$inc": {"linked_task_count": 1}}, session=session
    )
    await touch(db, [report.community_id], session=session)


async def endorsers_of(
    db: Database, report_ids: Sequence[ObjectId], *, session: Session | None = None
) -> dict[ObjectId, list[ObjectId]]:
    """Who said "me too" to each of the reports (one read)."""
    found: dict[ObjectId, list[ObjectId]] = {report_id: [] for report_id in report_ids}
    cursor = db[ENDORSEMENTS].find(
        {"report_id": {"$in": list(report_ids)}},
        projection={"report_id": 1, "user_id": 1},
        session=session,
    )
    async for d in cursor:
        found[d["report_id"]].append(d["user_id"])
    return found


async def follow_all(
    db: Database, report: Report, user_ids: Sequence[ObjectId], at: datetime,
    *, session: Session | None = None,
) -> int:  # fmt: skip
    """`follow` for many users in two round trips whatever their number (upserts on the unique
    pair, then one count of those new); how many did not follow it before."""
    if not user_ids:
        return 0
    result = await db[FOLLOWS].bulk_write(
        [
            UpdateOne(
                {"report_id": report.id, "user_id": user_id},
                {"$setOnInsert": {"created_at": at}},
                upsert=True,
            )
            for user_id in user_ids
        ],
        ordered=False,
        session=session,
    )
    added = result.upserted_count
    if added:
        await db[REPORTS].update_one(
            {"_id": report.id}, {"$inc": {"follower_count": added}}, session=session
        )
        await touch(db, [report.community_id], session=session)
    return added


async def add_duplicate(
    db: Database, original: Report, duplicate_id: ObjectId, *, session: Session | None = None
) -> None:
    """Link a duplicate from its original (the duplicate's own link is its move)."""
    await db[REPORTS].update_one(
        {"_id": original.id}, {"$addToSet": {"duplicate_ids": duplicate_id}}, session=session
    )
    await touch(db, [original.community_id], session=session)


async def endorsed(
    db: Database, user_id: ObjectId, report_ids: Sequence[ObjectId]
) -> set[ObjectId]:
    cursor = db[ENDORSEMENTS].find(
        {"user_id": user_id, "report_id": {"$in": list(report_ids)}}, projection={"report_id": 1}
    )
    return {d["report_id"] async for d in cursor}


async def follow(
    db: Database, report: Report, user_id: ObjectId, at: datetime,
    *, counted: bool = False, session: Session | None = None,
) -> bool:  # fmt: skip
    """Make the user follow the report and count it (once: an upsert on the unique pair;
    `counted`: the report's `follower_count` already includes them); whether they did not
    follow it before."""
    result = await db[FOLLOWS].update_one(
        {"report_id": report.id, "user_id": user_id},
        {"$setOnInsert": {"created_at": at}},
        upsert=True,
        session=session,
    )
    if result.upserted_id is None:
        return False
    if not counted:
        await db[REPORTS].update_one(
            {"_id": report.id}, {"$inc": {"follower_count": 1}}, session=session
        )
        await touch(db, [report.community_id], session=session)
    return True


async def unfollow(
    db: Database, report: Report, user_id: ObjectId, *, session: Session | None = None
) -> bool:
    """Stop following (and uncount it, only if a follow was removed)."""
    result = await db[FOLLOWS].delete_one(
        {"report_id": report.id, "user_id": user_id}, session=session
    )
    if not result.deleted_count:
        return False
    await db[REPORTS].update_one(
        {"_id": report.id}, {"$inc": {"follower_count": -1}}, session=session
    )
    await touch(db, [report.community_id], session=session)
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


async def insert_comment(
    db: Database, comment: Comment, community_id: ObjectId, *, session: Session
) -> None:
    """Store a comment on a report of the community and count it."""
    await db[COMMENTS].insert_one(comment.to_document(), session=session)
    await db[REPORTS].update_one(
        {"_id": comment.report_id}, {"$inc": {"comment_count": 1}}, session=session
    )
    await touch(db, [community_id], session=session)


async def comments_page(
    db: Database, report: Report, *, first: int | None, after: str | None
) -> Page[Comment]:
    """A page of the report's comments; their total is its `comment_count`, which
    `insert_comment` keeps in the comment's transaction (comments are never deleted: an erased
    author's stay, naming no one)."""
    result = await keyset_page(
        db[COMMENTS],
        {"report_id": report.id},
        sort=[("created_at", ASCENDING), ("_id", ASCENDING)],
        first=first,
        after=after,
    )
    return result.map(Comment.from_document).with_total(report.comment_count)


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


# --- Units (departments of a street or district) ------------------------------------------


class UnitNameTaken(Exception):
    """The place already has a unit of that name (its unique index said so)."""


async def insert_unit(db: Database, unit: Unit, *, session: Session | None = None) -> None:
    """Store a new unit (UnitNameTaken: the place has a unit of that name)."""
    try:
        await db[UNITS].insert_one(unit.to_document(), session=session)
    except DuplicateKeyError:
        raise UnitNameTaken(unit.name) from None


async def units_by_ids(db: Database, ids: Sequence[ObjectId]) -> list[Unit]:
    return [Unit.from_document(d) async for d in db[UNITS].find({"_id": {"$in": list(ids)}})]


async def units_of_place(db: Database, place_id: ObjectId) -> list[Unit]:
    cursor = db[UNITS].find({"place_id": place_id}, sort=[("name", ASCENDING), ("_id", ASCENDING)])
    return [Unit.from_document(d) async for d in cursor]


async def add_unit_member(
    db: Database, unit_id: ObjectId, user_id: ObjectId, *, session: Session | None = None
) -> Unit | None:
    """Add a member to a unit (a repeat changes nothing), and let them see and handle the open
    reports dispatched to it: each such report's `unit_member_ids` and `audience` gain them."""
    document = await db[UNITS].find_one_and_update(
        {"_id": unit_id},
        {"$addToSet": {"member_ids": user_id}},
        return_document=ReturnDocument.AFTER,
        session=session,
    )
    if document is None:
        return None
    await db[REPORTS].update_many(
        {"handling_unit_id": unit_id},
        {"$addToSet": {"unit_member_ids": user_id, "audience": user_key(user_id)}},
        session=session,
    )
    cursor = db[REPORTS].find(
        {"handling_unit_id": unit_id}, {"community_id": 1, "_id": 0}, session=session
    )
    await touch(db, {d["community_id"] async for d in cursor}, session=session)
    return Unit.from_document(document)
