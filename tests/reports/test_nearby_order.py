"""ReportsNearby ranks nearest first by the map cells' read (reports/repository.py `near`),
exactly, across pages, also when the block of rings it reads first does not hold the page,
whether the rest is read by fine rings, at once at the last of MAX_FINE_READS, or by the
radius's coarse cells past MAX_FINE_CELLS."""

from __future__ import annotations

from typing import Any

import pytest

from neighbor_api.core.deps import Deps
from neighbor_api.reports import repository
from tests.conftest import Api

NEAR = {"lat": 24.5083, "lng": 118.1846}
PAGE = """query($near: GeoPointInput!, $first: Int, $after: String) {
  reportsNearby(near: $near, radiusMeters: 2000, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id distanceMeters } }
  }
}"""


async def _pages(api: Api, token: str, first: int) -> list[tuple[str, float]]:
    seen: list[tuple[str, float]] = []
    after: str | None = None
    while True:
        result = await api.execute(
            PAGE, {"near": NEAR, "first": first, "after": after}, token=token
        )
        assert result.errors is None, result.errors
        assert result.data is not None
        page: dict[str, Any] = result.data["reportsNearby"]
        seen += [(e["node"]["id"], e["node"]["distanceMeters"]) for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return seen
        after = page["pageInfo"]["endCursor"]


async def test_nearest_first_across_pages_and_growing_circles(
    api: Api, demo: Deps, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = await api.login("13800000001")
    whole = await _pages(api, token, first=50)
    assert len(whole) == 12
    distances = [d for _, d in whole]
    assert distances == sorted(distances)
    assert 0 < distances[-1] <= 2000

    # The point's own fine cell first: every page reads it, then ring after ring (not the
    # block an earlier page needed there: none is kept).
    monkeypatch.setattr(repository, "NEAR_FIRST_RING", 0)
    monkeypatch.setattr(repository, "MAX_HOLDING", 0)
    monkeypatch.setattr(repository, "_HOLDING", {})
    for most, reads in ((100_000, 100), (1200, 3), (8, 3), (100_000, 1), (8, 1)):
        monkeypatch.setattr(repository, "MAX_FINE_CELLS", most)
        monkeypatch.setattr(repository, "MAX_FINE_READS", reads)
        paged = await _pages(api, token, first=2)

        assert [i for i, _ in paged] == [i for i, _ in whole]
        assert [d for _, d in paged] == pytest.approx(distances)
