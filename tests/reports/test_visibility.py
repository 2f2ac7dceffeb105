"""Who sees what of a report: anonymous reporters, PRIVATE reports, other communities."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from neighbor_api.core.deps import Deps
from neighbor_api.core.mongo import Client
from neighbor_api.schema import NeighborSchema
from neighbor_api.settings import Settings
from tests.reports.street import (
    CHAIR,
    DEMO_REPORTS,
    GRID_WORKER,
    HOUSEMATE,
    HULI_ADMIN,
    JINAN_WORKER,
    JINHU_ROAD,
    JINSHAN_GARDEN,
    JINSHAN_RESIDENT,
    JINSHAN_WORKER,
    NEIGHBOUR,
    RESIDENT,
    Street,
    shared_demo,
    street_over,
)

# The demo's one PRIVATE report (a neighbour dispute) is RESIDENT's; every other demo report
# is COMMUNITY.
VISIBLE_TO_NEIGHBOURS = DEMO_REPORTS - 1


@pytest.fixture(scope="class")
async def shared(mongo_client: Client, settings: Settings) -> AsyncIterator[Deps]:
    """One database for each class: its tests only read what its set-up made."""
    async with shared_demo(mongo_client, settings) as deps:
        yield deps


@pytest.fixture
async def street(schema: NeighborSchema, shared: Deps) -> Street:
    return await street_over(schema, shared)


@pytest.fixture(scope="class")
async def anonymous(schema: NeighborSchema, shared: Deps) -> str:
    """RESIDENT (王丽娟) reports anonymously and adds a comment; NEIGHBOUR comments too."""
    street = await street_over(schema, shared, own_clock=False)
    report = await street.submit(RESIDENT, anonymous=True, title="12 栋电梯有人吸烟")
    mine = await street.comment(RESIDENT, report["id"], "补充：晚上九点后最严重")
    theirs = await street.comment(NEIGHBOUR, report["id"], "我也闻到过")
    assert mine["errors"] == theirs["errors"] == []
    return str(report["id"])


@pytest.fixture(scope="class")
async def private(schema: NeighborSchema, shared: Deps) -> dict[str, Any]:
    """RESIDENT (王丽娟) reports a neighbour dispute, PRIVATE by default."""
    street = await street_over(schema, shared, own_clock=False)
    return await street.submit(
        RESIDENT, category="NEIGHBOR_DISPUTE", title="楼上凌晨还在装修", address="金安里 12 栋"
    )


async def node(street: Street, phone: str, id: str) -> Any:
    data = await street.api.data("NodeById", {"id": id}, token=await street.token(phone))
    return data["node"]


class TestAnonymousReporter:
    """An anonymous report: its reporter, the SUBMITTED entry's actor and the reporter's own
    comments are hidden from everyone but the reporter and 金安社区's staff."""

    @pytest.mark.parametrize(
        "viewer",
        [NEIGHBOUR, HOUSEMATE, GRID_WORKER, HULI_ADMIN],
        ids=["neighbour", "housemate", "grid-worker", "district-admin"],
    )
    async def test_hidden_from(self, street: Street, anonymous: str, viewer: str) -> None:
        detail = await street.detail(viewer, anonymous)

        assert detail is not None
        assert detail["anonymous"] is True
        assert detail["reporter"] is None
        (submitted,) = detail["timeline"]
        assert submitted["action"] == "SUBMITTED"
        assert submitted["actor"] is None
        authors = [e["node"]["author"] for e in detail["comments"]["edges"]]
        assert authors == [
            None,
            {"id": (await street.person(NEIGHBOUR)).id, "displayName": "李秀英"},
        ]

    @pytest.mark.parametrize("viewer", [NEIGHBOUR, GRID_WORKER, HULI_ADMIN])
    async def test_hidden_in_the_list(self, street: Street, anonymous: str, viewer: str) -> None:
        listed = await street.reports(viewer, first=1)

        (edge,) = listed["edges"]
        assert edge["node"]["id"] == anonymous
        assert edge["node"]["reporter"] is None

    @pytest.mark.parametrize(
        "viewer", [JINAN_WORKER, RESIDENT], ids=["community-worker", "reporter"]
    )
    async def test_shown_to(self, street: Street, anonymous: str, viewer: str) -> None:
        reporter = await street.person(RESIDENT)
        shown = {"id": reporter.id, "displayName": "王丽娟"}

        detail = await street.detail(viewer, anonymous)

        assert detail["reporter"] == shown
        assert detail["timeline"][0]["actor"] == shown
        assert detail["comments"]["edges"][0]["node"]["author"] == shown
        listed = await street.reports(viewer, first=1)
        assert listed["edges"][0]["node"]["reporter"] == shown

    async def test_another_communitys_worker_sees_no_report_at_all(
        self, street: Street, anonymous: str
    ) -> None:
        assert await street.detail(JINSHAN_WORKER, anonymous) is None


class TestPrivateReport:
    """A PRIVATE report: the reporter and staff only."""

    @pytest.mark.parametrize(
        "viewer", [NEIGHBOUR, HOUSEMATE, CHAIR], ids=["neighbour", "housemate", "council-chair"]
    )
    async def test_absent_from_other_residents_lists_and_counts(
        self, street: Street, private: dict[str, Any], viewer: str
    ) -> None:
        listed = await street.reports(viewer, first=100)

        assert listed["totalCount"] == VISIBLE_TO_NEIGHBOURS
        assert private["id"] not in [e["node"]["id"] for e in listed["edges"]]
        assert len(listed["edges"]) == VISIBLE_TO_NEIGHBOURS
        disputes = await street.reports(viewer, filter={"category": ["NEIGHBOR_DISPUTE"]})
        assert disputes["totalCount"] == 0
        assert disputes["edges"] == []

    @pytest.mark.parametrize("viewer", [NEIGHBOUR, HOUSEMATE])
    async def test_report_and_node_are_null_for_other_residents(
        self, street: Street, private: dict[str, Any], viewer: str
    ) -> None:
        assert await street.detail(viewer, private["id"]) is None
        assert await node(street, viewer, private["id"]) is None

    @pytest.mark.parametrize(
        "viewer", [RESIDENT, JINAN_WORKER, HULI_ADMIN], ids=["reporter", "worker", "admin"]
    )
    async def test_visible_to_the_reporter_and_staff(
        self, street: Street, private: dict[str, Any], viewer: str
    ) -> None:
        detail = await street.detail(viewer, private["id"])

        assert detail["visibility"] == "PRIVATE"
        assert await node(street, viewer, private["id"]) == {
            "id": private["id"],
            "__typename": "Report",
        }
        listed = await street.reports(viewer, first=100)
        assert listed["totalCount"] == DEMO_REPORTS + 1
        assert private["id"] in [e["node"]["id"] for e in listed["edges"]]

    async def test_not_nearby_for_other_residents(
        self, street: Street, private: dict[str, Any]
    ) -> None:
        for viewer, shown in [(NEIGHBOUR, False), (RESIDENT, True), (JINAN_WORKER, True)]:
            nearby = await street.nearby(viewer, JINHU_ROAD, 100)
            assert (private["id"] in [n["id"] for n in nearby]) is shown, viewer


class TestPrivateReportAssigned:
    """A PRIVATE report assigned to a grid worker (who is not staff)."""

    async def test_a_grid_worker_sees_it_once_it_is_assigned_to_them(
        self, street: Street, private: dict[str, Any]
    ) -> None:
        report = private  # (assigned here, so in a database of its own)
        grid_worker = await street.person(GRID_WORKER)
        assert await street.detail(GRID_WORKER, report["id"]) is None
        worker = await street.token(JINAN_WORKER)
        await street.api.data("AcceptReport", {"input": {"reportId": report["id"]}}, token=worker)
        await street.api.data(
            "AssignReport",
            {"input": {"reportId": report["id"], "assigneeId": grid_worker.id}},
            token=worker,
        )

        assert (await street.detail(GRID_WORKER, report["id"]))["status"] == "ASSIGNED"
        mine = await street.reports(GRID_WORKER, filter={"assignedToMe": True}, first=100)
        assert report["id"] in [e["node"]["id"] for e in mine["edges"]]


@pytest.fixture(scope="class")
async def both(schema: NeighborSchema, shared: Deps) -> dict[str, str]:
    """A report in each community: their ids."""
    street = await street_over(schema, shared, own_clock=False)
    jinan = await street.submit(CHAIR)
    jinshan = await street.submit(
        JINSHAN_RESIDENT,
        communityId=street.jinshan,
        title="金山花园 2 栋水管漏水",
        location=JINSHAN_GARDEN,
    )
    return {"jinan": jinan["id"], "jinshan": jinshan["id"]}


class TestAnotherCommunity:
    """金山社区's worker and resident, and 金安社区's reports."""

    @pytest.mark.parametrize("viewer", [JINSHAN_WORKER, JINSHAN_RESIDENT])
    async def test_reports_is_null(self, street: Street, viewer: str) -> None:
        assert await street.reports(viewer) is None

    @pytest.mark.parametrize("viewer", [JINSHAN_WORKER, JINSHAN_RESIDENT])
    async def test_report_and_node_are_null(
        self, street: Street, both: dict[str, str], viewer: str
    ) -> None:
        assert await street.detail(viewer, both["jinan"]) is None
        assert await node(street, viewer, both["jinan"]) is None

    async def test_their_own_report_is_shown(self, street: Street, both: dict[str, str]) -> None:
        assert (await street.detail(JINSHAN_WORKER, both["jinshan"]))["number"] == (
            "JSQ-2026-000001"
        )

    async def test_nearby_shows_only_their_own_community(
        self, street: Street, both: dict[str, str]
    ) -> None:
        nearby = await street.nearby(JINSHAN_WORKER, JINSHAN_GARDEN, 5000, first=100)

        assert [n["id"] for n in nearby] == [both["jinshan"]]
        everything = await street.nearby(HULI_ADMIN, JINSHAN_GARDEN, 5000, first=100)
        assert len(everything) == DEMO_REPORTS + 2
