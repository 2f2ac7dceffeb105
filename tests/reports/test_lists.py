"""Reports (a community's list: filters, orders, cursor pages, its cost in round trips) and
ReportsNearby.

The demo's reports of 金安社区, all submitted at the clock's start (so NEWEST and OLDEST fall
back to their ids), are JA-2026-000001 to 000012:

 1 REPAIR by 13800000004, HIGH, done by the grid worker, rated 5: CLOSED
 2 ENVIRONMENT by 13800000006, NORMAL (72 h), grid worker: RESOLVED
 3 SAFETY_HAZARD by 13800000003, URGENT (4 h), grid worker: IN_PROGRESS
 4 TRAFFIC by 13800000005, NORMAL (72 h), escalated to the street: ACCEPTED
 5 NEIGHBOR_DISPUTE by 13800000004 (PRIVATE), NORMAL (72 h), community worker: ASSIGNED
 6 PROPERTY_MANAGEMENT by 13800000006 (anonymous), HIGH (24 h): ACCEPTED
 7 PUBLIC_ORDER by 13800000003: SUBMITTED
 8 REPAIR by 13800000005, HIGH, rated 2 and reopened (24 h from then), grid worker: ASSIGNED
 9 ENVIRONMENT by 13800000004: REJECTED
10 OTHER by 13800000006, LOW (7 days): ACCEPTED
11 REPAIR by 13800000003, NORMAL (72 h), grid worker: RESOLVED
12 SAFETY_HAZARD by 13800000005, entered by the grid worker: SUBMITTED
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from PIL import Image

from neighbor_api.attachments import service as attachments
from neighbor_api.core.deps import Deps
from neighbor_api.core.mongo import Client
from neighbor_api.places.models import GeoPoint
from neighbor_api.reports import service as reports
from neighbor_api.reports.models import ReportCategory
from neighbor_api.schema import NeighborSchema
from neighbor_api.settings import Settings
from tests.conftest import CommandCounter, record_commands
from tests.reports.street import (
    CHAIR,
    DEMO_REPORTS,
    GRID_WORKER,
    HOUSEMATE,
    JINAN_WORKER,
    JINHU_ROAD,
    NEIGHBOUR,
    RESIDENT,
    Street,
    actor_of,
    bulk_reports,
    demo_number,
    error_codes,
    north_of,
    object_id,
    shared_demo,
    street_over,
)


@pytest.fixture(scope="class")
async def shared(mongo_client: Client, settings: Settings) -> AsyncIterator[Deps]:
    """One database for each class: its tests only read (what its set-up added too)."""
    async with shared_demo(mongo_client, settings) as deps:
        yield deps


@pytest.fixture
async def street(schema: NeighborSchema, shared: Deps) -> Street:
    return await street_over(schema, shared)


def numbers(*demo: int) -> list[str]:
    return [demo_number(n) for n in demo]


async def listed(street: Street, phone: str, **variables: Any) -> tuple[list[str], int]:
    """The numbers of the first 100 reports `phone` is shown, and the list's totalCount."""
    connection = await street.reports(phone, first=100, **variables)
    return [e["node"]["number"] for e in connection["edges"]], connection["totalCount"]


async def walk(street: Street, phone: str, size: int, **variables: Any) -> list[dict[str, Any]]:
    """Every page of Reports, `size` at a time, following endCursor; their pages."""
    pages: list[dict[str, Any]] = []
    after = None
    while True:
        page = await street.reports(phone, first=size, after=after, **variables)
        pages.append(page)
        if not page["pageInfo"]["hasNextPage"]:
            return pages
        after = page["pageInfo"]["endCursor"]
        assert len(pages) < 50, "the pages never end"


class TestReportsFilters:
    @pytest.mark.parametrize(
        ("statuses", "expected"),
        [
            (["SUBMITTED"], [12, 7]),
            (["ACCEPTED", "ASSIGNED"], [10, 8, 6, 5, 4]),
            (["RESOLVED", "CLOSED", "REJECTED"], [11, 9, 2, 1]),
        ],
    )
    async def test_status(self, street: Street, statuses: list[str], expected: list[int]) -> None:
        assert await listed(street, JINAN_WORKER, filter={"status": statuses}) == (
            numbers(*expected),
            len(expected),
        )

    @pytest.mark.parametrize(
        ("categories", "expected"),
        [(["REPAIR"], [11, 8, 1]), (["REPAIR", "SAFETY_HAZARD"], [12, 11, 8, 3, 1])],
    )
    async def test_category(
        self, street: Street, categories: list[str], expected: list[int]
    ) -> None:
        assert await listed(street, JINAN_WORKER, filter={"category": categories}) == (
            numbers(*expected),
            len(expected),
        )

    @pytest.mark.parametrize(
        ("viewer", "expected"),
        [
            (RESIDENT, [9, 5, 1]),
            # 12 was entered by the grid worker for 13800000005: it is theirs, not his.
            (HOUSEMATE, [12, 8, 4]),
            (GRID_WORKER, []),
            (JINAN_WORKER, []),
        ],
        ids=["resident", "reported-for", "entered-for-someone", "worker"],
    )
    async def test_mine(self, street: Street, viewer: str, expected: list[int]) -> None:
        assert await listed(street, viewer, filter={"mine": True}) == (
            numbers(*expected),
            len(expected),
        )

    @pytest.mark.parametrize(
        ("viewer", "expected"),
        [(GRID_WORKER, [11, 8, 3, 2, 1]), (JINAN_WORKER, [5]), (RESIDENT, [])],
        ids=["grid-worker", "community-worker", "resident"],
    )
    async def test_assigned_to_me(self, street: Street, viewer: str, expected: list[int]) -> None:
        assert await listed(street, viewer, filter={"assignedToMe": True}) == (
            numbers(*expected),
            len(expected),
        )

    @pytest.mark.parametrize(
        ("later", "expected"),
        [
            (timedelta(hours=3), []),
            (timedelta(hours=5), [3]),
            (timedelta(hours=25), [8, 6, 3]),
            (timedelta(hours=73), [8, 6, 5, 4, 3]),
            (timedelta(days=7, hours=1), [10, 8, 6, 5, 4, 3]),
        ],
        ids=["3h", "5h", "25h", "73h", "7d"],
    )
    async def test_overdue(self, street: Street, later: timedelta, expected: list[int]) -> None:
        """Past due and not resolved: the resolved (2, 11), closed (1) and rejected (9) never."""
        street.advance(later)

        assert await listed(street, JINAN_WORKER, filter={"overdue": True}) == (
            numbers(*expected),
            len(expected),
        )
        everything = await street.reports(JINAN_WORKER, first=100)
        flagged = [e["node"]["number"] for e in everything["edges"] if e["node"]["overdue"]]
        assert flagged == numbers(*expected)

    async def test_overdue_for_a_resident_leaves_out_what_they_may_not_see(
        self, street: Street
    ) -> None:
        street.advance(timedelta(hours=73))

        assert await listed(street, NEIGHBOUR, filter={"overdue": True}) == (
            numbers(8, 6, 4, 3),
            4,
        )

    @pytest.mark.parametrize(
        ("statuses", "expected"),
        [(["ACCEPTED"], [6]), (["ASSIGNED", "IN_PROGRESS"], [8, 3]), (["RESOLVED"], [])],
    )
    async def test_overdue_with_a_status(
        self, street: Street, statuses: list[str], expected: list[int]
    ) -> None:
        street.advance(timedelta(hours=25))

        assert await listed(street, JINAN_WORKER, filter={"overdue": True, "status": statuses}) == (
            numbers(*expected),
            len(expected),
        )

    async def test_filters_combine(self, street: Street) -> None:
        assert await listed(
            street, HOUSEMATE, filter={"mine": True, "category": ["REPAIR", "TRAFFIC"]}
        ) == (numbers(8, 4), 2)


@pytest.fixture(scope="class")
async def later(schema: NeighborSchema, shared: Deps) -> list[str]:
    """Two reports an hour and two hours after the demo's (their numbers), and endorsements:
    demo report 7 three, 3 two, 10 one."""
    street = await street_over(schema, shared, own_clock=False)
    found = []
    for hour in (1, 2):
        street.advance(timedelta(hours=1))
        report = await street.submit(CHAIR, title=f"金湖路第 {hour} 盏路灯不亮")
        found.append(report["number"])
    ids = await street.demo_ids()
    for report, neighbours in [
        (7, [RESIDENT, HOUSEMATE, NEIGHBOUR]),
        (3, [RESIDENT, NEIGHBOUR]),
        (10, [RESIDENT]),
    ]:
        for phone in neighbours:
            assert (await street.endorse(phone, ids[report]))["errors"] == []
    return found


class TestReportsOrder:
    """The demo's reports, two more an hour and two hours later (SUBMITTED, no due time), and
    endorsements: 7 three, 3 two, 10 one."""

    async def test_newest_first(self, street: Street, later: list[str]) -> None:
        assert await listed(street, JINAN_WORKER, orderBy="NEWEST") == (
            [*reversed(later), *numbers(*range(12, 0, -1))],
            DEMO_REPORTS + 2,
        )

    async def test_newest_is_the_default(self, street: Street, later: list[str]) -> None:
        assert (await listed(street, JINAN_WORKER))[0] == [
            *reversed(later),
            *numbers(*range(12, 0, -1)),
        ]

    async def test_oldest_first(self, street: Street, later: list[str]) -> None:
        assert await listed(street, JINAN_WORKER, orderBy="OLDEST") == (
            [*numbers(*range(1, 13)), *later],
            DEMO_REPORTS + 2,
        )

    async def test_most_endorsed_first(self, street: Street, later: list[str]) -> None:
        shown, total = await listed(street, JINAN_WORKER, orderBy="MOST_ENDORSED")

        # Ties (no endorsement) newest first.
        assert shown == [
            *numbers(7, 3, 10),
            *reversed(later),
            *numbers(12, 11, 9, 8, 6, 5, 4, 2, 1),
        ]
        assert total == DEMO_REPORTS + 2
        endorsed = await street.reports(RESIDENT, orderBy="MOST_ENDORSED", first=3)
        assert [e["node"]["endorsementCount"] for e in endorsed["edges"]] == [3, 2, 1]
        assert [e["node"]["viewerHasEndorsed"] for e in endorsed["edges"]] == [True] * 3

    async def test_due_soonest_first_and_undated_last(
        self, street: Street, later: list[str]
    ) -> None:
        """Open reports: URGENT 3 (4 h), HIGH 6 and 8 (24 h, a tie), NORMAL 4 and 5 (72 h),
        LOW 10 (7 days), then the four not accepted yet (no due time), oldest first."""
        connection = await street.reports(
            JINAN_WORKER,
            first=100,
            orderBy="DUE_SOONEST",
            filter={"status": ["SUBMITTED", "ACCEPTED", "ASSIGNED", "IN_PROGRESS"]},
        )

        shown = [e["node"] for e in connection["edges"]]
        assert [n["number"] for n in shown] == [*numbers(3, 6, 8, 4, 5, 10, 7, 12), *later]
        dated = [n["dueAt"] for n in shown[:6]]
        assert None not in dated
        assert dated == sorted(dated)
        assert [n["dueAt"] for n in shown[6:]] == [None] * 4

    async def test_due_soonest_puts_every_undated_report_after_the_dated_open_ones(
        self, street: Street, later: list[str]
    ) -> None:
        shown, total = await listed(street, JINAN_WORKER, orderBy="DUE_SOONEST")

        assert total == DEMO_REPORTS + 2
        positions = {number: index for index, number in enumerate(shown)}
        last_open = max(positions[n] for n in numbers(3, 6, 8, 4, 5, 10))
        assert all(positions[n] > last_open for n in [*numbers(7, 9, 12), *later])


@pytest.fixture(scope="class")
async def more(schema: NeighborSchema, shared: Deps) -> None:
    street = await street_over(schema, shared, own_clock=False)
    chair = await street.person(CHAIR)
    await bulk_reports(shared, await actor_of(shared, chair), street.jinan, 11)
    ids = await street.demo_ids()
    for report, phone in [(7, RESIDENT), (7, NEIGHBOUR), (3, RESIDENT), (12, NEIGHBOUR)]:
        assert (await street.endorse(phone, ids[report]))["errors"] == []


class TestReportsPages:
    """The demo's 12 reports and 11 more submitted at the same instant (ties on every sort
    key but the id), some endorsed: 23 in all, walked 5 at a time."""

    TOTAL = DEMO_REPORTS + 11

    @pytest.mark.parametrize("order", ["NEWEST", "OLDEST", "MOST_ENDORSED", "DUE_SOONEST"])
    @pytest.mark.usefixtures("more")
    async def test_walking_every_page(self, street: Street, order: str) -> None:
        everything, total = await listed(street, JINAN_WORKER, orderBy=order)
        assert total == self.TOTAL

        pages = await walk(street, JINAN_WORKER, 5, orderBy=order)

        walked = [e["node"]["number"] for page in pages for e in page["edges"]]
        assert walked == everything
        assert len(set(walked)) == self.TOTAL
        assert [len(page["edges"]) for page in pages] == [5, 5, 5, 5, 3]
        assert {page["totalCount"] for page in pages} == {self.TOTAL}
        for page in pages:
            assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]

    @pytest.mark.usefixtures("more")
    async def test_walking_a_filtered_list(self, street: Street) -> None:
        everything, total = await listed(street, NEIGHBOUR, filter={"status": ["SUBMITTED"]})
        assert total == 2 + 11

        pages = await walk(street, NEIGHBOUR, 5, filter={"status": ["SUBMITTED"]})

        assert [e["node"]["number"] for page in pages for e in page["edges"]] == everything
        assert [len(page["edges"]) for page in pages] == [5, 5, 3]


@pytest.fixture(scope="class")
async def many(schema: NeighborSchema, shared: Deps) -> None:
    street = await street_over(schema, shared, own_clock=False)
    chair = await street.person(CHAIR)
    await bulk_reports(shared, await actor_of(shared, chair), street.jinan, 90)


@pytest.mark.usefixtures("many")
class TestReportsPageSize:
    """The demo's 12 reports and 90 more."""

    async def test_first_over_100_is_capped(self, street: Street) -> None:
        connection = await street.reports(JINAN_WORKER, first=500)

        assert len(connection["edges"]) == 100
        assert connection["pageInfo"]["hasNextPage"] is True
        assert connection["totalCount"] == DEMO_REPORTS + 90

    async def test_twenty_by_default(self, street: Street) -> None:
        connection = await street.reports(JINAN_WORKER)

        assert len(connection["edges"]) == 20
        assert connection["pageInfo"]["hasNextPage"] is True
        assert connection["totalCount"] == DEMO_REPORTS + 90

    @pytest.mark.parametrize(
        "variables", [{"first": -1}, {"after": "bm90IGEgY3Vyc29y"}], ids=["negative", "cursor"]
    )
    async def test_bad_paging_is_invalid_input(
        self, street: Street, variables: dict[str, Any]
    ) -> None:
        result = await street.api.op(
            "Reports",
            {"communityId": street.jinan, **variables},
            token=await street.token(JINAN_WORKER),
        )

        assert error_codes(result) == ["INVALID_INPUT"]

    async def test_without_a_token_is_unauthenticated(self, street: Street) -> None:
        result = await street.api.op("Reports", {"communityId": street.jinan})

        assert error_codes(result) == ["UNAUTHENTICATED"]


@pytest.fixture(scope="class")
async def around(schema: NeighborSchema, shared: Deps) -> dict[int, str]:
    street = await street_over(schema, shared, own_clock=False)
    found = {}
    for meters in (150, 30, 400, 80):
        report = await street.submit(
            CHAIR, location=north_of(JINHU_ROAD, meters), title=f"北边 {meters} 米井盖松动"
        )
        found[meters] = report["id"]
    return found


class TestReportsNearby:
    """Reports due north of 金湖路, where no demo report is within 250 m."""

    @pytest.mark.parametrize(
        ("radius", "expected"), [(20, []), (100, [30, 80]), (200, [30, 80, 150])]
    )
    async def test_within_the_radius_nearest_first(
        self, street: Street, around: dict[int, str], radius: int, expected: list[int]
    ) -> None:
        nearby = await street.nearby(RESIDENT, JINHU_ROAD, radius)

        assert [n["id"] for n in nearby] == [around[m] for m in expected]
        assert [n["distanceMeters"] for n in nearby] == [
            pytest.approx(m, abs=0.5) for m in expected
        ]
        assert all(n["number"].startswith("JA-2026-") for n in nearby)
        assert all(n["status"] == "SUBMITTED" for n in nearby)

    async def test_a_wide_radius_reaches_the_demo_reports(
        self, street: Street, around: dict[int, str]
    ) -> None:
        nearby = await street.nearby(JINAN_WORKER, JINHU_ROAD, 5000, first=100)

        assert len(nearby) == DEMO_REPORTS + 4
        distances = [n["distanceMeters"] for n in nearby]
        assert distances == sorted(distances)
        assert [n["id"] for n in nearby[:3]] == [around[30], around[80], around[150]]

    async def test_first_limits_to_the_nearest(
        self, street: Street, around: dict[int, str]
    ) -> None:
        nearby = await street.nearby(RESIDENT, JINHU_ROAD, 1000, first=2)

        assert [n["id"] for n in nearby] == [around[30], around[80]]

    @pytest.mark.parametrize("radius", [0, -5, 5001, 10_000])
    async def test_a_radius_out_of_range_is_invalid(self, street: Street, radius: int) -> None:
        result = await street.api.op(
            "ReportsNearby",
            {"near": JINHU_ROAD, "radiusMeters": radius},
            token=await street.token(RESIDENT),
        )

        assert error_codes(result) == ["INVALID_INPUT"]
        assert result.data is None


@pytest.fixture(scope="class")
async def busy(schema: NeighborSchema, shared: Deps) -> None:
    """48 more reports by four residents, each with a photo; some assigned, some endorsed
    by the viewer (13800000004)."""
    deps = shared
    street = await street_over(schema, shared, own_clock=False)
    for phone in (CHAIR, RESIDENT, HOUSEMATE, NEIGHBOUR):
        person = await street.person(phone)
        actor = await actor_of(deps, person)
        for index in range(12):
            photo = await attachments.upload(deps, actor, filename="photo.jpg", data=_jpeg(index))
            await reports.submit_report(
                deps,
                actor,
                community_id=object_id(street.jinan),
                category=ReportCategory.REPAIR,
                title=f"{person.name}报：第 {index + 1} 处墙皮脱落",
                description="外墙瓷砖松动，下雨天有掉落风险。",
                location=GeoPoint.at(lat=JINHU_ROAD["lat"], lng=JINHU_ROAD["lng"]),
                photo_ids=[photo.id],
            )
    worker = await actor_of(deps, await street.person(JINAN_WORKER))
    grid_worker = await street.person(GRID_WORKER)
    listing = await street.reports(JINAN_WORKER, first=100)
    for edge in listing["edges"][:40:3]:
        node = edge["node"]
        if node["status"] == "SUBMITTED":
            report_id = object_id(node["id"])
            await reports.accept_report(deps, worker, report_id=report_id, priority=None)
            await reports.assign_report(
                deps, worker, report_id=report_id, assignee_id=object_id(grid_worker.id)
            )
    for edge in listing["edges"][:40:2]:
        await street.endorse(RESIDENT, edge["node"]["id"])  # (refused on their own)


async def commands(street: Street, counter: CommandCounter, first: int) -> int:
    """How many commands the Reports document sends for `first` reports."""
    api = street.api
    token = await street.token(RESIDENT)
    api.deps.sessions.clear()  # the users the instance kept (each reporter, when signed in)
    await api.execute("{ viewer { id } }", token=token)  # a client's session, cached from now
    before = counter.counts.get(api.deps.db.name, 0)
    data = await api.data("Reports", {"communityId": street.jinan, "first": first}, token=token)
    sent = counter.counts.get(api.deps.db.name, 0) - before
    edges = data["reports"]["edges"]
    assert len(edges) == first
    assert any(e["node"]["photos"] for e in edges[:5])
    assert any(e["node"]["assignee"] for e in edges[:5])
    assert any(e["node"]["reporter"] for e in edges[:5])
    assert any(e["node"]["viewerHasEndorsed"] for e in edges[:5])
    return sent


class TestReportsRoundTrips:
    """The contract's whole Reports document costs the same number of database commands for
    5 reports as for 50: every nested field (reporter, assignee, photos, viewerHasEndorsed,
    overdue, ...) is batched. A resident's page is one read per audience key they hold in the
    community (2: themself, a default page at least, and member of 金安社区, merged:
    `repository.merge`), totalCount 1 (the community's totals document, and the viewer's own
    reports there that the first read held all of), reporters and assignees (1, once the users
    the instance kept are dropped: accounts/sessions.py), photos (1), the viewer's
    endorsements (1); the viewer's session comes
    from the session cache (warmed by an earlier request) and the community is this process's
    already (places never change: places/service.py). A staff member's page is one read and
    totalCount one (5 in all: tests/graphql/test_budgets.py)."""

    EXPECTED = 6

    @pytest.mark.usefixtures("busy")
    async def test_5_and_50_cost_the_same(
        self, street: Street, command_counter: CommandCounter
    ) -> None:
        five = await commands(street, command_counter, 5)
        fifty = await commands(street, command_counter, 50)

        assert fifty == five == self.EXPECTED


def _jpeg(index: int) -> bytes:
    """A small real JPEG, of a different colour for each index."""
    out = io.BytesIO()
    Image.new("RGB", (4, 4), (index % 256, 0, 0)).save(out, "JPEG")
    return out.getvalue()


class TestTimelineOfAListedReport:
    async def test_a_list_reads_no_timeline_yet_answers_one_when_asked(
        self, street: Street, command_counter: CommandCounter, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Lists read reports without their timelines (`repository.LISTED`); a client asking
        for one on a list still gets each report's whole timeline, as its detail shows it."""
        token = await street.token(JINAN_WORKER)
        sent = record_commands(command_counter, monkeypatch, street.api.deps.db.name)
        result = await street.api.execute(
            "query($c: ID!) { reports(communityId: $c, first: 4) {"
            " edges { node { id timeline { action toStatus note } } } } }",
            {"c": street.jinan},
            token=token,
        )
        assert result.errors is None, result.errors
        assert result.data is not None
        lists = [c for c in sent if c.get("find") == "reports" and "$in" not in str(c["filter"])]
        assert lists
        assert all(c.get("projection") == {"timeline": 0} for c in lists), lists
        edges = result.data["reports"]["edges"]
        assert len(edges) == 4
        for edge in edges:
            detail = await street.api.execute(
                "query($id: ID!) { report(id: $id) { timeline { action toStatus note } } }",
                {"id": edge["node"]["id"]},
                token=token,
            )
            assert detail.data is not None
            assert detail.data["report"]["timeline"]
            assert edge["node"]["timeline"] == detail.data["report"]["timeline"]

    async def test_nearby_and_similar_read_their_page_without_timelines(
        self, street: Street, command_counter: CommandCounter, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The map's page and the similar reports come ranked from the cells' reads, as lists
        read them (`repository.LISTED`, the pipeline's last stage), with no read by id after;
        a timeline asked for is still the whole one."""
        token = await street.token(JINAN_WORKER)
        query = (
            "query($near: GeoPointInput!, $c: ID!) {"
            " reportsNearby(near: $near, radiusMeters: 2000, first: 3) { edges { node { id%s } } }"
            " similarReports(communityId: $c, location: $near, radiusMeters: 1000) { id%s } }"
        )
        variables = {"near": {"lat": 24.5083, "lng": 118.1846}, "c": street.jinan}
        sent = record_commands(command_counter, monkeypatch, street.api.deps.db.name)
        plain = await street.api.execute(query % ("", ""), variables, token=token)
        assert plain.errors is None, plain.errors
        assert not [c for c in sent if c.get("find") == "reports"], sent
        ranked = [c for c in sent if c.get("aggregate") == "reports"]
        assert len(ranked) >= 2, sent  # the map's page (ring by ring), the similar reports
        assert all(c["pipeline"][-1] == {"$project": {"timeline": 0}} for c in ranked), ranked

        timeline = " timeline { action toStatus note }"
        result = await street.api.execute(query % (timeline, timeline), variables, token=token)
        assert result.errors is None, result.errors
        assert result.data is not None
        nodes = [e["node"] for e in result.data["reportsNearby"]["edges"]]
        assert len(nodes) == 3
        assert result.data["similarReports"]
        for node in [*nodes, *result.data["similarReports"]]:
            detail = await street.api.execute(
                "query($id: ID!) { report(id: $id) { timeline { action toStatus note } } }",
                {"id": node["id"]},
                token=token,
            )
            assert detail.data is not None
            assert detail.data["report"]["timeline"]
            assert node["timeline"] == detail.data["report"]["timeline"]
