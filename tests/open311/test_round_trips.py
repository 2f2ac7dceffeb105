"""Database round trips of the gateway's work (the service calls behind each endpoint, without
the app's live hub tailing the same database): fixed, whatever the data."""

from __future__ import annotations

from collections.abc import Awaitable

from neighbor_api.core.deps import Deps
from neighbor_api.open311 import service
from tests.conftest import CommandCounter
from tests.open311.support import AT_JINAN


async def trips(counter: CommandCounter, deps: Deps, work: Awaitable[object]) -> int:
    before = counter.counts.get(deps.db.name, 0)
    await work
    return counter.counts.get(deps.db.name, 0) - before


class TestRoundTrips:
    async def test_filing_a_request(
        self, demo: Deps, api_key: str, command_counter: CommandCounter
    ) -> None:
        new = service.NewRequest(service_code="REPAIR", description="井盖松动", **AT_JINAN)

        async def post() -> None:
            key = await service.partner(demo, api_key)
            await service.create_request(demo, key, new)

        # key, rate counter (an increment, and an insert when it opens the window), nearest
        # community; then submit_report's own: the
        # number, its grid (the community's grids, checked in places/service.py `grid_at`),
        # the transaction (insert, its dashboard rollup, the reporter's follow, event, commit)
        # and the nearby duplicates (the nearest open reports of the circle's map cells, ranked
        # by the server in one read).
        # (The community is this process's already: places never change, places/service.py.)
        assert await trips(command_counter, demo, post()) == 11

    async def test_listing_requests(self, demo: Deps, command_counter: CommandCounter) -> None:
        # The reports; their communities are this process's already (places/service.py).
        assert (
            await trips(command_counter, demo, service.find_requests(demo, service.RequestQuery()))
            == 1
        )
