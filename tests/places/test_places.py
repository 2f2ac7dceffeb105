from __future__ import annotations

from neighbor_api.core.deps import Deps
from tests.conftest import Api


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
