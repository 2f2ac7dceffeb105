from __future__ import annotations

from typing import Any

from bson import ObjectId
from strawberry import relay

from neighbor_api.core.deps import Deps
from neighbor_api.graphql.relay import to_global_id
from tests.conftest import Api
from tests.places.conftest import AddCommunities
from tests.places.support import (
    AT_JINSHAN,
    JINAN_RESIDENT,
    JINAN_WORKER,
    DemoPlaces,
    error_codes,
    sign_in,
)

# NearbyCommunities with what a paging client also selects (the contract's document does not).
NEARBY_PAGE = """
query NearbyPage($near: GeoPointInput!, $first: Int, $after: String) {
  communities(near: $near, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { name distanceMeters } }
  }
}
"""

# Real communities of 金山街道 beyond the demo's two, ever farther north of 金山社区.
MORE_OF_JINSHAN_STREET = [
    ("金湖社区", 24.5150, 118.1790),
    ("高林社区", 24.5250, 118.1850),
    ("金林社区", 24.5350, 118.1900),
]


class TestNearbyCommunities:
    async def test_nearest_first_with_distance(self, api: Api, demo: Deps) -> None:
        data = await api.data(
            "NearbyCommunities", {"near": {"lat": 24.5029, "lng": 118.1771}, "first": 5}
        )
        nodes = [e["node"] for e in data["communities"]["edges"]]
        assert [n["name"] for n in nodes] == ["金山社区", "金安社区"]
        assert nodes[0]["distanceMeters"] < 1
        assert 800 < nodes[1]["distanceMeters"] < 1200
        assert nodes[0]["street"]["name"] == "金山街道"
        assert nodes[0]["district"]["name"] == "湖里区"

    async def test_nearest_first_from_the_other_side(self, api: Api, demo: Deps) -> None:
        # Standing at 金安社区's office, 金安 comes first.
        data = await api.data("NearbyCommunities", {"near": {"lat": 24.5083, "lng": 118.1846}})
        nodes = [e["node"] for e in data["communities"]["edges"]]
        assert [n["name"] for n in nodes] == ["金安社区", "金山社区"]
        assert nodes[0]["distanceMeters"] < 1

    async def test_pages_with_first_and_after(
        self, api: Api, demo: Deps, add_communities: AddCommunities
    ) -> None:
        await add_communities(MORE_OF_JINSHAN_STREET)
        names: list[str] = []
        distances: list[float] = []
        pages: list[dict[str, Any]] = []
        after = None
        for _ in range(3):
            result = await api.execute(
                NEARBY_PAGE, {"near": AT_JINSHAN, "first": 2, "after": after}
            )
            assert result.errors is None, result.errors
            assert result.data is not None
            page = result.data["communities"]
            pages.append(page)
            names += [e["node"]["name"] for e in page["edges"]]
            distances += [e["node"]["distanceMeters"] for e in page["edges"]]
            assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
            assert page["totalCount"] == 5
            after = page["pageInfo"]["endCursor"]
        assert names == ["金山社区", "金安社区", "金湖社区", "高林社区", "金林社区"]
        assert distances == sorted(distances)
        assert [len(p["edges"]) for p in pages] == [2, 2, 1]
        assert [p["pageInfo"]["hasNextPage"] for p in pages] == [True, True, False]

    async def test_first_over_100_is_capped(
        self, api: Api, demo: Deps, add_communities: AddCommunities
    ) -> None:
        await add_communities(
            [(f"金山街道新村{n}号社区", 24.51 + n * 0.0005, 118.18) for n in range(1, 106)]
        )
        result = await api.execute(NEARBY_PAGE, {"near": AT_JINSHAN, "first": 150})
        assert result.errors is None, result.errors
        assert result.data is not None
        page = result.data["communities"]
        assert len(page["edges"]) == 100
        assert page["pageInfo"]["hasNextPage"] is True
        assert page["totalCount"] == 107

    async def test_first_defaults_to_20(
        self, api: Api, demo: Deps, add_communities: AddCommunities
    ) -> None:
        await add_communities(
            [(f"金山街道新村{n}号社区", 24.51 + n * 0.0005, 118.18) for n in range(1, 25)]
        )
        data = await api.data("NearbyCommunities", {"near": AT_JINSHAN})
        assert len(data["communities"]["edges"]) == 20

    async def test_negative_first_is_an_error(self, api: Api, demo: Deps) -> None:
        result = await api.op("NearbyCommunities", {"near": AT_JINSHAN, "first": -1})
        assert error_codes(result) == ["INVALID_INPUT"]
        assert result.data is None

    async def test_garbage_cursor_is_an_error(self, api: Api, demo: Deps) -> None:
        result = await api.execute(NEARBY_PAGE, {"near": AT_JINSHAN, "after": "金山社区"})
        assert error_codes(result) == ["INVALID_INPUT"]

    async def test_latitude_off_the_globe_is_an_error(self, api: Api, demo: Deps) -> None:
        result = await api.op("NearbyCommunities", {"near": {"lat": 91.0, "lng": 118.1771}})
        assert error_codes(result) == ["INVALID_INPUT"]
        assert result.data is None

    async def test_longitude_off_the_globe_is_an_error(self, api: Api, demo: Deps) -> None:
        result = await api.op("NearbyCommunities", {"near": {"lat": 24.5029, "lng": -180.5}})
        assert error_codes(result) == ["INVALID_INPUT"]

    async def test_missing_coordinate_is_bad_input(self, api: Api, demo: Deps) -> None:
        result = await api.op("NearbyCommunities", {"near": {"lat": 24.5029}})
        assert error_codes(result) == ["BAD_USER_INPUT"]


class TestCommunity:
    async def test_name_level_and_location(self, api: Api, places: DemoPlaces) -> None:
        community = (await api.data("Community", {"id": places["金安社区"]}))["community"]
        assert community["id"] == places["金安社区"]
        assert community["name"] == "金安社区"
        assert community["level"] == "COMMUNITY"
        assert community["location"] == {"lat": 24.5083, "lng": 118.1846}

    async def test_street_district_and_city(self, api: Api, places: DemoPlaces) -> None:
        community = (await api.data("Community", {"id": places["金山社区"]}))["community"]
        assert community["street"] == {"id": places["金山街道"], "name": "金山街道"}
        assert community["district"] == {"id": places["湖里区"], "name": "湖里区"}
        assert community["city"] == {"id": places["厦门市"], "name": "厦门市"}

    async def test_grids_with_their_workers(self, api: Api, places: DemoPlaces) -> None:
        community = (await api.data("Community", {"id": places["金安社区"]}))["community"]
        grids = {g["name"]: [w["displayName"] for w in g["workers"]] for g in community["grids"]}
        assert grids == {"金安社区第一网格": ["陈志强"], "金安社区第二网格": []}
        assert [g["name"] for g in community["grids"]] == ["金安社区第一网格", "金安社区第二网格"]

    async def test_a_streets_id_gives_null(self, api: Api, places: DemoPlaces) -> None:
        data = await api.data("Community", {"id": places["金山街道"]})
        assert data == {"community": None}

    async def test_a_grids_id_gives_null(self, api: Api, places: DemoPlaces) -> None:
        data = await api.data("Community", {"id": places["金安社区第一网格"]})
        assert data == {"community": None}

    async def test_a_users_id_gives_null(self, api: Api, places: DemoPlaces) -> None:
        resident = await sign_in(api, JINAN_RESIDENT)
        data = await api.data("Community", {"id": resident.id})
        assert data == {"community": None}

    async def test_garbage_id_gives_null(self, api: Api, places: DemoPlaces) -> None:
        for garbage in ["金安社区", "", "UGxhY2U6bm90LWFuLWlk", "!!!"]:
            data = await api.data("Community", {"id": garbage})
            assert data == {"community": None}, garbage

    async def test_unknown_id_gives_null(self, api: Api, places: DemoPlaces) -> None:
        data = await api.data("Community", {"id": to_global_id("Place", ObjectId())})
        assert data == {"community": None}


def summary(place: dict[str, Any] | None) -> tuple[str, str] | None:
    return (place["name"], place["level"]) if place else None


class TestPlace:
    async def place(self, api: Api, id: str) -> dict[str, Any]:
        place: dict[str, Any] = (await api.data("Place", {"id": id}))["place"]
        assert place["id"] == id
        return place

    async def test_city(self, api: Api, places: DemoPlaces) -> None:
        city = await self.place(api, places["厦门市"])
        assert summary(city) == ("厦门市", "CITY")
        assert city["parent"] is None
        assert [summary(c) for c in city["children"]] == [("湖里区", "DISTRICT")]

    async def test_district(self, api: Api, places: DemoPlaces) -> None:
        district = await self.place(api, places["湖里区"])
        assert summary(district) == ("湖里区", "DISTRICT")
        assert district["parent"]["id"] == places["厦门市"]
        assert summary(district["parent"]) == ("厦门市", "CITY")
        assert [summary(c) for c in district["children"]] == [("金山街道", "STREET")]

    async def test_street(self, api: Api, places: DemoPlaces) -> None:
        street = await self.place(api, places["金山街道"])
        assert summary(street) == ("金山街道", "STREET")
        assert summary(street["parent"]) == ("湖里区", "DISTRICT")
        assert [summary(c) for c in street["children"]] == [
            ("金安社区", "COMMUNITY"),
            ("金山社区", "COMMUNITY"),
        ]
        assert [c["id"] for c in street["children"]] == [places["金安社区"], places["金山社区"]]

    async def test_community(self, api: Api, places: DemoPlaces) -> None:
        community = await self.place(api, places["金安社区"])
        assert summary(community) == ("金安社区", "COMMUNITY")
        assert community["parent"]["id"] == places["金山街道"]
        assert [summary(c) for c in community["children"]] == [
            ("金安社区第一网格", "GRID"),
            ("金安社区第二网格", "GRID"),
        ]

    async def test_grid(self, api: Api, places: DemoPlaces) -> None:
        grid = await self.place(api, places["金山社区第一网格"])
        assert summary(grid) == ("金山社区第一网格", "GRID")
        assert grid["parent"]["id"] == places["金山社区"]
        assert summary(grid["parent"]) == ("金山社区", "COMMUNITY")
        assert grid["children"] == []

    async def test_garbage_id_gives_null(self, api: Api, places: DemoPlaces) -> None:
        assert await api.data("Place", {"id": "金山街道"}) == {"place": None}

    async def test_unknown_id_gives_null(self, api: Api, places: DemoPlaces) -> None:
        unknown = to_global_id("Place", ObjectId())
        assert await api.data("Place", {"id": unknown}) == {"place": None}


class TestNodeById:
    async def typename(self, api: Api, id: str, token: str | None = None) -> str | None:
        node = (await api.data("NodeById", {"id": id}, token=token))["node"]
        if node is None:
            return None
        assert node["id"] == id
        name: str = node["__typename"]
        return name

    async def test_a_place(self, api: Api, places: DemoPlaces) -> None:
        assert await self.typename(api, places["金安社区第二网格"]) == "Place"
        assert await self.typename(api, places["厦门市"]) == "Place"

    async def test_a_user(self, api: Api, places: DemoPlaces) -> None:
        resident = await sign_in(api, JINAN_RESIDENT)
        assert await self.typename(api, resident.id, resident.token) == "User"

    async def test_a_membership(self, api: Api, places: DemoPlaces) -> None:
        resident = await sign_in(api, JINAN_RESIDENT)
        assert await self.typename(api, resident.membership_id, resident.token) == "Membership"

    async def test_garbage_ids_give_null(self, api: Api, places: DemoPlaces) -> None:
        for garbage in ["", "金安社区", "not-base64!", "UGxhY2U=", "VXNlcjo="]:
            assert await self.typename(api, garbage) is None, garbage

    async def test_unknown_ids_give_null(self, api: Api, places: DemoPlaces) -> None:
        resident = await sign_in(api, JINAN_RESIDENT)
        for type_name in ["Place", "User", "Membership", "Report"]:
            unknown = to_global_id(type_name, ObjectId())
            assert await self.typename(api, unknown, resident.token) is None, type_name

    async def test_a_place_id_with_a_bad_object_id_gives_null(
        self, api: Api, places: DemoPlaces
    ) -> None:
        assert await self.typename(api, str(relay.GlobalID("Place", "金安社区"))) is None


class TestBoundary:
    """Communities and grids carry their boundary (the console's map draws it: ReportsMap)."""

    async def map_of(self, api: Api, community_id: str) -> dict[str, Any]:
        worker = await sign_in(api, JINAN_WORKER)
        data: dict[str, Any] = await api.data(
            "ReportsMap", {"communityId": community_id, "first": 100}, token=worker.token
        )
        return data

    async def test_a_community_and_its_grids_carry_a_closed_ring(
        self, api: Api, places: DemoPlaces
    ) -> None:
        community = (await self.map_of(api, places["金安社区"]))["community"]
        ring = community["boundary"]
        assert len(ring) == 9
        assert ring[0] == ring[-1] == {"lat": 24.5104, "lng": 118.1826}  # demo.json, lat first
        grids = {g["name"]: g["boundary"] for g in community["grids"]}
        assert set(grids) == {"金安社区第一网格", "金安社区第二网格"}
        for name, grid_ring in grids.items():
            assert grid_ring is not None, name
            assert grid_ring[0] == grid_ring[-1], name

    async def test_the_map_holds_the_communitys_reports_with_their_points(
        self, api: Api, places: DemoPlaces
    ) -> None:
        reports = (await self.map_of(api, places["金安社区"]))["reports"]
        nodes = [e["node"] for e in reports["edges"]]
        assert reports["totalCount"] == len(nodes) > 0
        assert all(n["location"] is not None for n in nodes)

    async def test_a_street_has_no_community_map(self, api: Api, places: DemoPlaces) -> None:
        assert (await self.map_of(api, places["金山街道"]))["community"] is None
