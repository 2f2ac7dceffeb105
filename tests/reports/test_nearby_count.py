"""ReportsNearby counts every visible report in the radius, not only the page."""

from __future__ import annotations

from neighbor_api.core.deps import Deps
from tests.conftest import Api


class TestNearbyCount:
    async def test_total_count_counts_every_visible_report_in_the_radius(
        self, api: Api, demo: Deps
    ) -> None:
        token = await api.login("13800000001")
        query = """query($near: GeoPointInput!, $r: Int!) {
          reportsNearby(near: $near, radiusMeters: $r, first: 2) {
            totalCount edges { node { id } }
          }
        }"""
        near = {"lat": 24.5083, "lng": 118.1846}
        wide = await api.execute(query, {"near": near, "r": 2000}, token=token)
        narrow = await api.execute(query, {"near": near, "r": 30}, token=token)
        assert wide.errors is None
        assert narrow.errors is None
        assert wide.data is not None
        assert narrow.data is not None
        assert wide.data["reportsNearby"]["totalCount"] == 12
        assert len(wide.data["reportsNearby"]["edges"]) == 2
        assert 0 < narrow.data["reportsNearby"]["totalCount"] < 12
