"""Every report list stays on an index at scale: 20,000 generated reports over 40 communities,
each list query the services send (first page and a later one) taken off the wire and
explained by the server (`explain`, verbosity executionStats).

What is asserted: the winning plan is an IXSCAN (never a COLLSCAN), and the documents examined
are bounded by what the index bounds (one community's reports, a viewer's visible ones), far
below the collection's 20,000. SecantusDB executes a find by fetching every document the index
bounds and then sorting and limiting them, and its `totalDocsExamined` is the number matching
the filter; on MongoDB the same plans walk the index in sort order and examine about a page.

SecantusDB 0.7.0b3's planner uses an index for a filter whose top-level fields are equalities
plus at most one operator (range or `$in`) on an index's leading fields, and never for a
top-level `$and`/`$or`; the queries are shaped for that (`Report.audience`, the flat keyset
filters of `core.pagination.flat_after_filters`).
"""

from __future__ import annotations

import os
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from bson import ObjectId

from neighbor_api.core.clock import ManualClock
from neighbor_api.core.deps import Deps
from neighbor_api.core.mongo import Client, Document, ensure_indexes
from neighbor_api.core.pagination import Page
from neighbor_api.core.policy import SYSTEM, Actor, Grant, Role
from neighbor_api.migrations import m0004_report_rollups
from neighbor_api.places.models import GeoPoint, Place, PlaceLevel
from neighbor_api.reports import service
from neighbor_api.reports.models import (
    DUE_STATUSES,
    SLA,
    EscalationLevel,
    Report,
    ReportCategory,
    ReportOrder,
    ReportPriority,
    ReportStatus,
    ReportVisibility,
)
from neighbor_api.reports.repository import REPORTS, ROLLUPS
from neighbor_api.reports.service import ReportFilter
from neighbor_api.settings import Settings
from neighbor_api.stats import service as stats_service
from neighbor_api.stats.repository import Period
from tests.conftest import CommandCounter, record_commands

REPORT_COUNT = int(os.environ.get("NEIGHBOR_TEST_SCALE_REPORTS", "4000"))
COMMUNITIES = 40
RESIDENTS_PER_COMMUNITY = 5
NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
PAGE = 10
# A community's share of the collection is 1/40: a plan bounded by the community examines a few
# hundred documents, a collection scan 20,000.
BOUND = 2 * REPORT_COUNT // COMMUNITIES


@dataclass
class City:
    deps: Deps
    city: Place
    district: Place
    street: Place
    communities: list[Place]
    residents: dict[ObjectId, list[ObjectId]]
    workers: dict[ObjectId, ObjectId]
    seconds: float

    def resident(self, community: Place, index: int = 0) -> Actor:
        user = self.residents[community.id][index]
        return Actor(user, (Grant(community.id, frozenset({Role.RESIDENT})),))

    def grid_worker(self, community: Place) -> Actor:
        return Actor(
            self.workers[community.id], (Grant(community.id, frozenset({Role.GRID_WORKER})),)
        )

    def staff(self, community: Place) -> Actor:
        return Actor(ObjectId(), (Grant(community.id, frozenset({Role.COMMUNITY_WORKER})),))

    def admin(self, place: Place) -> Actor:
        return Actor(ObjectId(), (Grant(place.id, frozenset({Role.ADMIN})),))


def _place(name: str, level: PlaceLevel, parent: Place | None, index: int = 0) -> Place:
    place_id = ObjectId()
    return Place(
        id=place_id,
        name=name,
        level=level,
        parent_id=parent.id if parent else None,
        path=[*(parent.path if parent else []), place_id],
        location=GeoPoint.at(lat=24.45 + index * 0.01, lng=118.08 + index * 0.005),
        code=f"C{index:02d}",
    )


def _report(rng: random.Random, city: City, index: int) -> Report:
    community = city.communities[index % COMMUNITIES]
    residents = city.residents[community.id]
    created = NOW - timedelta(seconds=rng.randrange(1, 3600 * 24 * 365))
    status = rng.choice(list(ReportStatus))
    fields: dict[str, Any] = {}
    if status is not ReportStatus.SUBMITTED and status is not ReportStatus.REJECTED:
        priority = rng.choice(list(ReportPriority))
        due = created + SLA[priority]
        fields |= {"priority": priority, "accepted_at": created, "due_at": due}
        if status in (ReportStatus.ACCEPTED, ReportStatus.ASSIGNED, ReportStatus.IN_PROGRESS):
            fields["due_key"] = due
    if status in (ReportStatus.ASSIGNED, ReportStatus.IN_PROGRESS, ReportStatus.RESOLVED):
        fields["assignee_id"] = city.workers[community.id]
    if rng.random() < 0.05:
        fields |= {"escalation_level": EscalationLevel.STREET, "escalated_to": [city.street.id]}
    location = community.location
    assert location is not None
    return Report(
        number=f"{community.code}-2026-{index:06d}",
        community_id=community.id,
        place_path=community.path,
        reporter_id=rng.choice(residents),
        category=rng.choice(list(ReportCategory)),
        title=f"诉求 {index}",
        description="生成的测试诉求",
        location=GeoPoint.at(
            lat=location.lat + rng.uniform(-0.003, 0.003),
            lng=location.lng + rng.uniform(-0.003, 0.003),
        ),
        visibility=ReportVisibility.PRIVATE if rng.random() < 0.2 else ReportVisibility.COMMUNITY,
        status=status,
        endorsement_count=rng.choice([0, 0, 0, 1, 2, 5]),
        created_at=created,
        updated_at=created,
        **fields,
    )


async def generate(deps: Deps) -> City:
    """A city, one district and street, 40 communities and 20,000 reports, by bulk writes."""
    rng = random.Random(20261127)
    city_place = _place("厦门市", PlaceLevel.CITY, None)
    district = _place("湖里区", PlaceLevel.DISTRICT, city_place)
    street = _place("金山街道", PlaceLevel.STREET, district)
    communities = [_place(f"社区{i}", PlaceLevel.COMMUNITY, street, i) for i in range(COMMUNITIES)]
    places = [city_place, district, street, *communities]
    await deps.db["places"].insert_many([p.to_document() for p in places])
    city = City(
        deps=deps,
        city=city_place,
        district=district,
        street=street,
        communities=communities,
        residents={c.id: [ObjectId() for _ in range(RESIDENTS_PER_COMMUNITY)] for c in communities},
        workers={c.id: ObjectId() for c in communities},
        seconds=0.0,
    )
    started = time.monotonic()
    batch = 2_000
    for start in range(0, REPORT_COUNT, batch):
        documents = [_report(rng, city, i).to_document() for i in range(start, start + batch)]
        await deps.db[REPORTS].insert_many(documents, ordered=False)
    city.seconds = time.monotonic() - started
    return city


@pytest.fixture(scope="module")
async def city(mongo_client: Client, settings: Settings) -> City:
    name = f"test_scale_{uuid.uuid4().hex[:12]}"
    deps = Deps(
        client=mongo_client, db=mongo_client[name], settings=settings, clock=ManualClock(NOW)
    )
    await ensure_indexes(deps.db)
    # Not dropped afterwards: dropping thousands of reports with their indexes took SecantusDB
    # minutes on the shared development machine; the session's server and its temporary data
    # directory go at the end of the session.
    return await generate(deps)


@pytest.fixture
def sent(
    command_counter: CommandCounter, city: City, monkeypatch: pytest.MonkeyPatch
) -> list[Document]:
    """The commands sent to the generated database from now on, as they were sent."""
    return record_commands(command_counter, monkeypatch, city.deps.db.name)


@dataclass(frozen=True)
class Plan:
    stages: list[tuple[str, str | None]]
    docs_examined: int

    @property
    def index(self) -> str | None:
        scans = [name for stage, name in self.stages if stage == "IXSCAN"]
        return scans[0] if scans else None

    @property
    def collection_scan(self) -> bool:
        return any(stage == "COLLSCAN" for stage, _ in self.stages)


async def explain(deps: Deps, command: Document) -> Plan:
    """The winning plan of a `find`, or of an `aggregate` led by `$match` (a count)."""
    if "find" in command:
        inner = {k: command[k] for k in ("find", "filter", "sort", "limit") if k in command}
    else:
        inner = {k: command[k] for k in ("aggregate", "pipeline", "cursor") if k in command}
    explained = await deps.db.command("explain", inner, verbosity="executionStats")
    planner = explained.get("queryPlanner") or explained["stages"][0]["$cursor"]["queryPlanner"]
    stats = explained.get("executionStats") or explained["stages"][0]["$cursor"].get(
        "executionStats", {}
    )
    stage = planner["winningPlan"]
    stages = []
    while stage:
        stages.append((stage["stage"], stage.get("indexName")))
        stage = stage.get("inputStage") or next(iter(stage.get("inputStages", [])), None)
    return Plan(stages, int(stats.get("totalDocsExamined", 0)))


async def plans_of(
    city: City, sent: list[Document], read: Callable[[], Awaitable[object]]
) -> list[Plan]:
    """The plans of the reads on `reports` that `read` sends (to the database: not the pages
    the instance kept, which an earlier test may have read)."""
    city.deps.kept.clear()
    sent.clear()
    await read()
    reads = [c for c in sent if c.get("find") == REPORTS or c.get("aggregate") == REPORTS]
    assert reads, sent
    return [await explain(city.deps, c) for c in reads]


def assert_indexed(plans: list[Plan], indexes: set[str] | None = None) -> None:
    for plan in plans:
        assert not plan.collection_scan, plan
        assert plan.index is not None, plan
        if indexes is not None:
            assert plan.index in indexes, plan
        assert plan.docs_examined <= BOUND, plan


async def two_pages(
    city: City,
    sent: list[Document],
    first: Callable[[], Awaitable[Page[Any]]],
    later: Callable[[str], Awaitable[Page[Any]]],
) -> tuple[list[Plan], list[Plan]]:
    """The plans of a list's first page (and its count) and of the page after it."""
    page: list[Page[Any]] = []

    async def first_page() -> None:
        page.append(await first())
        await page[0].count()

    first_plans = await plans_of(city, sent, first_page)
    assert page[0].has_next_page
    cursor = page[0].edges[-1][0]
    later_plans = await plans_of(city, sent, lambda: later(cursor))
    return first_plans, later_plans


def community_list(
    city: City, actor: Actor, community: Place, **options: Any
) -> Callable[[str | None], Awaitable[Page[Any]]]:
    criteria = options.pop("criteria", ReportFilter())
    order = options.pop("order", ReportOrder.NEWEST)

    async def read(after: str | None) -> Page[Any]:
        page = await service.list_reports(
            city.deps, actor, community_id=community.id, criteria=criteria, order=order,
            first=PAGE, after=after,
        )  # fmt: skip
        assert page is not None
        return page

    return read


COMMUNITY_LED = {
    "community_newest",
    "community_status_newest",
    "community_most_endorsed",
    "community_due",
}


class TestReportListsAtScale:
    async def test_the_data_is_generated(self, city: City) -> None:
        # (How long it took is in city.seconds: timings are not asserted.)
        assert await city.deps.db[REPORTS].count_documents({}) == REPORT_COUNT

    @pytest.mark.parametrize("order", list(ReportOrder))
    async def test_the_staff_queue_stays_on_a_community_index(
        self, city: City, sent: list[Document], order: ReportOrder
    ) -> None:
        read = community_list(city, city.staff(city.communities[3]), city.communities[3],
                              order=order)  # fmt: skip
        first, later = await two_pages(city, sent, lambda: read(None), read)

        assert_indexed(first, COMMUNITY_LED)
        assert_indexed(later, COMMUNITY_LED)

    async def test_a_district_admins_queue_of_a_community_stays_on_an_index(
        self, city: City, sent: list[Document]
    ) -> None:
        read = community_list(city, city.admin(city.district), city.communities[5])
        first, later = await two_pages(city, sent, lambda: read(None), read)

        assert_indexed(first + later, COMMUNITY_LED)

    async def test_the_queue_by_status_scans_the_status_index(
        self, city: City, sent: list[Document]
    ) -> None:
        criteria = ReportFilter(status=[ReportStatus.SUBMITTED, ReportStatus.ACCEPTED])
        read = community_list(city, city.staff(city.communities[1]), city.communities[1],
                              criteria=criteria)  # fmt: skip
        first, _ = await two_pages(city, sent, lambda: read(None), read)

        assert_indexed(first, {"community_status_newest"})

    @pytest.mark.parametrize("who", ["resident", "grid_worker"])
    async def test_a_members_first_page_scans_the_audience_index(
        self, city: City, sent: list[Document], who: str
    ) -> None:
        community = city.communities[7]
        actor = city.resident(community) if who == "resident" else city.grid_worker(community)
        read = community_list(city, actor, community)
        first, _ = await two_pages(city, sent, lambda: read(None), read)

        assert_indexed(first, {"community_audience_newest"})

    async def test_a_members_later_page_scans_the_audience_index(
        self, city: City, sent: list[Document]
    ) -> None:
        """One read per audience key (no `$in` beside the cursor's range: SecantusDB plans
        an equality on each key and the range), merged (`core.pagination.merge_pages`)."""
        community = city.communities[7]
        read = community_list(city, city.resident(community), community)
        _, later = await two_pages(city, sent, lambda: read(None), read)

        assert_indexed(later)

    async def test_a_members_list_holds_exactly_what_they_may_see(self, city: City) -> None:
        community = city.communities[2]
        private = await city.deps.db[REPORTS].find_one(
            {"community_id": community.id, "visibility": ReportVisibility.PRIVATE.value}
        )
        assert private is not None
        actor = Actor(private["reporter_id"], (Grant(community.id, frozenset({Role.RESIDENT})),))
        read = community_list(city, actor, community)
        seen: list[Report] = []
        after: str | None = None
        while True:
            page = await read(after)
            seen += [report for _, report in page.edges]
            if not page.has_next_page:
                break
            after = page.edges[-1][0]
        everything = [
            Report.from_document(d)
            async for d in city.deps.db[REPORTS].find({"community_id": community.id})
        ]
        expected = sorted(
            (r for r in everything if service.can_see(actor, r)),
            key=lambda r: (r.created_at, r.id),
            reverse=True,
        )
        assert [r.id for r in seen] == [r.id for r in expected]
        assert any(r.visibility is ReportVisibility.PRIVATE for r in seen)  # their own
        assert len(expected) < len(everything)

    @pytest.mark.parametrize("mine", [True, False])
    async def test_mine_and_assigned_to_me_scan_their_indexes(
        self, city: City, sent: list[Document], mine: bool
    ) -> None:
        community = city.communities[9]
        if mine:
            actor, criteria = city.resident(community, 1), ReportFilter(mine=True)
        else:
            actor, criteria = city.grid_worker(community), ReportFilter(assigned_to_me=True)
        read = community_list(city, actor, community, criteria=criteria)
        first, later = await two_pages(city, sent, lambda: read(None), read)

        expected = "community_reporter_newest" if mine else "community_assignee_newest"
        assert_indexed(first, {expected})
        assert_indexed(later, {expected})

    async def test_the_escalation_queue_scans_an_escalation_index(
        self, city: City, sent: list[Document]
    ) -> None:
        actor = city.admin(city.street)

        async def read(after: str | None) -> Page[Any]:
            page = await service.escalated_reports(
                city.deps, actor, place_id=city.street.id, first=PAGE, after=after
            )
            assert page is not None
            return page

        first, _ = await two_pages(city, sent, lambda: read(None), read)

        assert_indexed(first, {"escalated_held"})

    async def test_nearby_reads_by_map_cell(self, city: City, sent: list[Document]) -> None:
        community = city.communities[11]
        actor = city.resident(community)
        location = community.location
        assert location is not None

        async def read() -> None:
            page = await service.reports_nearby(
                city.deps, actor, near=location, radius_meters=500, first=PAGE, after=None
            )
            assert page.edges
            await page.count()

        plans = await plans_of(city, sent, read)

        # The page's fine cells, ring by ring (one to three reads here, each returning its
        # nearest reports whole), the count's (coarse) cells.
        assert_indexed(plans, {"fine_cell", "cell"})
        indexes = [p.index for p in plans]
        assert indexes.count("cell") == 1, plans
        assert 1 <= indexes.count("fine_cell") <= 3, plans


@pytest.fixture(scope="module")
async def rolled_up(city: City) -> City:
    """The city with its rollups counted by migration step 4."""
    await m0004_report_rollups.apply(city.deps.db)
    return city


class TestPlaceStatsAtScale:
    """A district's report figures come from the rollups (backfilled here by migration step 4,
    as an upgraded database gets them), not from a scan of its reports."""

    @staticmethod
    async def expected(city: City, period: Period) -> dict[str, Any]:
        """The figures by a plain reading of every report."""
        reports = [Report.from_document(d) async for d in city.deps.db[REPORTS].find()]
        created = [
            r
            for r in reports
            if (period.start is None or r.created_at >= period.start)
            and (period.end is None or r.created_at < period.end)
        ]
        return {
            "total": len(created),
            "by_status": {s: sum(r.status is s for r in created) for s in ReportStatus},
            "by_category": {c: sum(r.category is c for r in created) for c in ReportCategory},
            "overdue": sum(r.is_overdue(NOW) for r in created),
        }

    @pytest.mark.parametrize(
        "period",
        [
            Period(),
            # Ends in the middle of local days (09:00 UTC is 17:00 in Xiamen).
            Period(NOW - timedelta(days=90, hours=5), NOW - timedelta(days=20, minutes=7)),
            Period(NOW - timedelta(hours=30), NOW - timedelta(hours=25)),
        ],
        ids=["all-time", "window", "within-a-day"],
    )
    async def test_the_districts_figures_are_the_reports_figures(
        self, rolled_up: City, sent: list[Document], period: Period
    ) -> None:
        city = rolled_up
        sent.clear()
        stats = await stats_service.place_stats(
            city.deps, SYSTEM, place_id=city.district.id, start=period.start, end=period.end
        )
        assert stats is not None
        expected = await self.expected(city, period)

        assert stats.reports_total == expected["total"]
        assert stats.reports_by_status == expected["by_status"]
        assert stats.reports_by_category == expected["by_category"]
        assert stats.reports_overdue == expected["overdue"]

    async def test_the_created_figures_read_rollups_not_reports(
        self, rolled_up: City, sent: list[Document]
    ) -> None:
        city = rolled_up
        period = Period(NOW - timedelta(days=90, hours=5), NOW - timedelta(days=20, minutes=7))
        sent.clear()
        await stats_service.place_stats(
            city.deps, SYSTEM, place_id=city.district.id, start=period.start, end=period.end
        )
        created = [
            c
            for c in sent
            if c.get("aggregate") in (REPORTS, ROLLUPS)
            and {"created_at", "status", "day"} & set(c["pipeline"][0]["$match"])
        ]
        plans: dict[str, list[Plan]] = {ROLLUPS: [], REPORTS: []}
        for command in created:
            plans[command["aggregate"]].append(await explain(city.deps, command))

        (rollups,) = plans[ROLLUPS]
        assert rollups.index == "place_day", rollups
        # At most one rollup per community and day of the 70-day window.
        assert rollups.docs_examined <= COMMUNITIES * 71
        # The reports read: the two partial days at the ends, and the work in hand (overdue).
        open_now = await city.deps.db[REPORTS].count_documents(
            {"status": {"$in": [s.value for s in DUE_STATUSES]}}
        )
        for plan in plans[REPORTS]:
            assert not plan.collection_scan, plan
        assert [p.index for p in plans[REPORTS]].count("stats_created") == 2
        assert sum(p.docs_examined for p in plans[REPORTS]) <= open_now + REPORT_COUNT // 100
