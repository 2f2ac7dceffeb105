"""The wide views: `placeReports(placeId)` for the staff of a street, district or city (a
community's id works as `reports` does; a place one may not list is null, with no count), and
`reportsInArea(box)` for maps (the viewer's visibility; a box wider than 0.5° is cut to 0.5°
around its centre). Visibility as a matrix of people × places: a 金山社区 worker sees nothing of
金安社区."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from graphql import ExecutionResult
from strawberry import relay

from neighbor_api.core.mongo import Client
from neighbor_api.core.policy import Role
from neighbor_api.schema import NeighborSchema
from neighbor_api.settings import Settings
from tests.reports.dispatching import OUTSIDER, STREET_ADMIN, Dispatching
from tests.reports.support import (
    HULI_ADMIN,
    JINAN_GRID_WORKER,
    JINAN_NEIGHBOUR,
    JINAN_RESIDENT,
    JINAN_WORKER,
    JINSHAN_RESIDENT,
    JINSHAN_WORKER,
    object_id,
    shared_street,
)

JIANGTOU_ADMIN = "13959208861"  # 陈淑芬, ADMIN of 江头街道

# 金山花园, in 金山社区.
JINSHAN_GARDEN = {"lat": 24.5029, "lng": 118.1771}
# A box around 金安社区 and 金山社区 (about 2 km by 2 km).
AROUND_JINSHAN = {
    "southWest": {"lat": 24.495, "lng": 118.170},
    "northEast": {"lat": 24.515, "lng": 118.195},
}


class Views:
    """The set-up: the demo street with units (Dispatching), a report of 金山社区, a PRIVATE
    report of 金安社区 (a neighbour dispute), and 江头街道's admin."""

    def __init__(self, world: Dispatching) -> None:
        self.world = world
        self.street = world.street
        self.jinshan_report = ""
        self.private_report = ""

    async def reports_of(self, community: str | None = None, member: str | None = None) -> set[str]:
        """The global ids of the stored reports (of one community; those a `member` of it
        sees: its COMMUNITY reports and the PRIVATE ones they reported or handle, or that lie
        in a grid they work)."""
        query: dict[str, Any] = {}
        if community is not None:
            query["community_id"] = object_id(self.street.places[community], "Place")
        documents = await self.street.deps.db["reports"].find(query).to_list()
        if member is not None:
            user = object_id(await self.street.user_id(member), "User")
            grids = {
                m["grid_id"]
                async for m in self.street.deps.db["memberships"].find(
                    {"user_id": user, "status": "ACTIVE", "roles": "GRID_WORKER"}
                )
                if m.get("grid_id") is not None
            }
            documents = [
                d for d in documents
                if d["visibility"] == "COMMUNITY"
                or user in (d["reporter_id"], d.get("assignee_id"), d.get("entered_by_id"))
                or d.get("grid_id") in grids
            ]  # fmt: skip
        return {str(relay.GlobalID("Report", str(d["_id"]))) for d in documents}

    async def place_reports(self, phone: str, place: str, **variables: Any) -> Any:
        return await self.world.run(
            "PlaceReports", phone, placeId=self.street.places[place], **variables
        )

    async def in_area(self, phone: str, box: dict[str, Any], **variables: Any) -> ExecutionResult:
        return await self.world.execute("ReportsInArea", phone, box=box, **variables)


@pytest.fixture(scope="module")
async def views(
    mongo_client: Client, schema: NeighborSchema, settings: Settings
) -> AsyncIterator[Views]:
    async with shared_street(mongo_client, schema, settings) as street:
        views = Views(await Dispatching.open(street))
        await street.appoint(JIANGTOU_ADMIN, "陈淑芬", "江头街道", role=Role.ADMIN)
        views.jinshan_report = await street.submit(
            JINSHAN_RESIDENT, communityId=street.places["金山社区"], location=JINSHAN_GARDEN,
            title="金山花园 2 号楼电梯异响", address="金山花园 2 号楼",
        )  # fmt: skip
        views.private_report = await street.submit(
            JINAN_NEIGHBOUR, category="NEIGHBOR_DISPUTE", title="楼上夜间噪音",
            description="8 栋 1202 每晚十一点后仍有拖动家具的声音。",
        )  # fmt: skip
        yield views


PEOPLE = [
    JINAN_WORKER, JINAN_GRID_WORKER, JINAN_RESIDENT, JINSHAN_WORKER, JINSHAN_RESIDENT,
    STREET_ADMIN, HULI_ADMIN, JIANGTOU_ADMIN, OUTSIDER,
]  # fmt: skip
# Who lists each place (everyone else: null).
LISTS = {
    "金安社区": {JINAN_WORKER, JINAN_GRID_WORKER, JINAN_RESIDENT, STREET_ADMIN, HULI_ADMIN},
    "金山社区": {JINSHAN_WORKER, JINSHAN_RESIDENT, STREET_ADMIN, HULI_ADMIN},
    "金山街道": {STREET_ADMIN, HULI_ADMIN},
    "江头街道": {JIANGTOU_ADMIN, HULI_ADMIN},
    "湖里区": {HULI_ADMIN},
    "厦门市": set(),
}


@pytest.mark.parametrize("place", list(LISTS))
@pytest.mark.parametrize("phone", PEOPLE)
async def test_place_reports_matrix(views: Views, phone: str, place: str) -> None:
    connection = await views.place_reports(phone, place, first=100)
    if phone not in LISTS[place]:
        # Null: neither the reports nor how many there are.
        assert connection is None
        return
    assert connection is not None
    found = {edge["node"]["id"] for edge in connection["edges"]}
    assert connection["totalCount"] == len(found)
    if place in ("金安社区", "金山社区"):
        # Members: not a neighbour's PRIVATE dispute (staff: everything).
        member = phone if phone in (JINAN_GRID_WORKER, JINAN_RESIDENT, JINSHAN_RESIDENT) else None
        assert found == await views.reports_of(place, member)
    elif place == "江头街道":
        assert found == set()
    else:
        assert found == await views.reports_of()
        assert {views.jinshan_report, views.private_report} <= found


async def test_place_reports_filters_orders_and_pages(views: Views) -> None:
    everything = await views.place_reports(STREET_ADMIN, "金山街道", first=100)
    assert everything is not None
    submitted = await views.place_reports(
        HULI_ADMIN, "湖里区", filter={"status": ["SUBMITTED"]}, first=100
    )
    stored = await views.street.deps.db["reports"].count_documents({"status": "SUBMITTED"})
    assert submitted["totalCount"] == stored
    names = {edge["node"]["community"]["name"] for edge in submitted["edges"]}
    assert names == {"金安社区", "金山社区"}
    seen: list[str] = []
    after = None
    while True:
        page = await views.place_reports(HULI_ADMIN, "湖里区", first=5, after=after)
        seen += [edge["node"]["id"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [edge["node"]["id"] for edge in everything["edges"]]
    assert len(seen) == len(set(seen)) == everything["totalCount"]


# Who sees what in the box around both communities.
@pytest.mark.parametrize("phone", PEOPLE)
async def test_reports_in_area_matrix(views: Views, phone: str) -> None:
    result = await views.in_area(phone, AROUND_JINSHAN, first=100)
    assert result.errors is None, result.errors
    assert result.data is not None
    connection = result.data["reportsInArea"]
    found = {edge["node"]["id"] for edge in connection["edges"]}
    assert connection["totalCount"] == len(found)
    jinan = await views.reports_of("金安社区")
    jinshan = await views.reports_of("金山社区")
    expected = {
        JINAN_WORKER: jinan,
        JINAN_GRID_WORKER: await views.reports_of("金安社区", JINAN_GRID_WORKER),
        JINAN_RESIDENT: await views.reports_of("金安社区", JINAN_RESIDENT),
        JINSHAN_WORKER: jinshan,
        JINSHAN_RESIDENT: await views.reports_of("金山社区", JINSHAN_RESIDENT),
        STREET_ADMIN: jinan | jinshan,
        HULI_ADMIN: jinan | jinshan,
        JIANGTOU_ADMIN: set(),
        OUTSIDER: set(),
    }[phone]
    assert found == expected
    assert views.private_report not in found or phone in (JINAN_WORKER, STREET_ADMIN, HULI_ADMIN)
    for edge in connection["edges"]:
        location = edge["node"]["location"]
        assert 24.495 <= location["lat"] <= 24.515
        assert 118.170 <= location["lng"] <= 118.195


async def test_reports_in_area_keeps_to_the_box(views: Views) -> None:
    # Just 金山花园: the 金山社区 report, none of 金安里's.
    box = {
        "southWest": {"lat": 24.5020, "lng": 118.1760},
        "northEast": {"lat": 24.5040, "lng": 118.1780},
    }
    result = await views.in_area(HULI_ADMIN, box, filter={"category": ["REPAIR"]})
    assert result.errors is None
    assert result.data is not None
    ids = [edge["node"]["id"] for edge in result.data["reportsInArea"]["edges"]]
    assert ids == [views.jinshan_report]


async def test_a_box_spanning_the_globe_is_capped(views: Views) -> None:
    # Centred on 金安社区: cut to 0.5° around it, so the street's reports are there ...
    globe = {"southWest": {"lat": -60.0, "lng": -61.8}, "northEast": {"lat": 109.0, "lng": 298.2}}
    huge = {"southWest": {"lat": -35.5, "lng": 58.2}, "northEast": {"lat": 84.5, "lng": 178.2}}
    result = await views.in_area(HULI_ADMIN, huge, first=500)
    assert result.errors is None, result.errors
    assert result.data is not None
    connection = result.data["reportsInArea"]
    assert connection["totalCount"] == len(await views.reports_of())
    # ... at most a page of 100 (asked for 500).
    assert len(connection["edges"]) == min(100, connection["totalCount"])
    # The whole globe: centred on the Gulf of Guinea, where there is nothing.
    world = {"southWest": {"lat": -90.0, "lng": -180.0}, "northEast": {"lat": 90.0, "lng": 180.0}}
    result = await views.in_area(HULI_ADMIN, world, first=100)
    assert result.errors is None
    assert result.data is not None
    assert result.data["reportsInArea"]["totalCount"] == 0
    # Corners off the globe are refused clearly.
    result = await views.in_area(HULI_ADMIN, globe)
    assert result.errors is not None
    assert result.errors[0].extensions is not None
    assert result.errors[0].extensions["code"] == "INVALID_INPUT"


async def test_a_box_upside_down_is_refused(views: Views) -> None:
    box = {"southWest": AROUND_JINSHAN["northEast"], "northEast": AROUND_JINSHAN["southWest"]}
    result = await views.in_area(HULI_ADMIN, box)
    assert result.errors is not None
    (error,) = result.errors
    assert error.extensions is not None
    assert error.extensions["code"] == "INVALID_INPUT"
    assert error.message == "东北角必须位于西南角的北方和东方"
