"""DataLoaders: nested lists cost a fixed number of database commands, whatever the page size."""

from __future__ import annotations

import pytest

from neighbor_api.accounts import service as accounts
from neighbor_api.core.deps import Deps
from neighbor_api.core.policy import SYSTEM, Actor
from neighbor_api.memberships import service as memberships
from neighbor_api.places import service as places
from neighbor_api.places.models import Place, PlaceLevel
from tests.conftest import Api
from tests.graphql.conftest import Commands, add_communities, appoint_grid_worker, place_named
from tests.places.support import HULI_ADMIN

BOARDS = "query($first: Int) { communities(first: $first) { edges { node { boards { name } } } } }"
COMMUNITIES = """query($first: Int) {
  communities(first: $first) {
    edges { node { street { name } district { name } grids { name workers { displayName } } } }
  }
}"""
VIEWER = "{ viewer { memberships { community { street { name } district { name } } } } }"


async def commands_for(
    api: Api,
    commands: Commands,
    document: str,
    variables: dict[str, int] | None = None,
    token: str | None = None,
) -> int:
    """How many commands running `document` sends."""
    before = commands.count
    result = await api.execute(document, variables, token=token)
    assert result.errors is None, result.errors
    return commands.count - before


class TestCommunityPage:
    """communities (1), grids (1), grid workers (1), users (1: the workers the instance kept
    from the first request are dropped first, so that the read is counted); their streets and
    districts are this process's already (places never change: places/service.py)."""

    EXPECTED = 4

    @pytest.fixture
    async def street(self, demo: Deps) -> Deps:
        """40 more communities under 金山街道, each with a grid; every tenth with a worker."""
        street = await place_named(demo, PlaceLevel.STREET, "金山街道")
        created = await add_communities(demo, street.id, 40)
        for index, (community, grid) in enumerate(created[::10]):
            await appoint_grid_worker(demo, community, grid, f"139000000{index:02}")
        return demo

    @pytest.mark.usefixtures("street")
    async def test_one_community(self, api: Api, commands: Commands, demo: Deps) -> None:
        result = await api.execute(COMMUNITIES, {"first": 1})
        (edge,) = (result.data or {})["communities"]["edges"]
        assert edge["node"]["grids"][0]["workers"] == [{"displayName": "陈志强"}]
        demo.sessions.clear()

        assert await commands_for(api, commands, COMMUNITIES, {"first": 1}) == self.EXPECTED

    @pytest.mark.usefixtures("street")
    async def test_every_community(self, api: Api, commands: Commands, demo: Deps) -> None:
        result = await api.execute(COMMUNITIES, {"first": 100})
        edges = (result.data or {})["communities"]["edges"]
        assert len(edges) == 42
        assert sum(len(g["workers"]) for e in edges for g in e["node"]["grids"]) == 5
        demo.sessions.clear()

        assert await commands_for(api, commands, COMMUNITIES, {"first": 100}) == self.EXPECTED


class TestCommunityBoards:
    """Communities (1), their boards (1): the district's staff see them all (the session comes
    from the session cache, warmed by the first request)."""

    EXPECTED = 2

    @pytest.fixture
    async def street(self, demo: Deps) -> Deps:
        street = await place_named(demo, PlaceLevel.STREET, "金山街道")
        await add_communities(demo, street.id, 20)
        return demo

    @pytest.mark.usefixtures("street")
    async def test_one_community_or_all(self, api: Api, commands: Commands) -> None:
        token = await api.login(HULI_ADMIN)
        result = await api.execute(BOARDS, {"first": 100}, token=token)
        boards = [
            b for e in (result.data or {})["communities"]["edges"] for b in e["node"]["boards"]
        ]
        assert len(boards) == 2  # the demo's two communities have a board each

        for first in (1, 10, 100):
            assert (
                await commands_for(api, commands, BOARDS, {"first": first}, token) == self.EXPECTED
            )


class TestViewerMemberships:
    """The session with the user and memberships (1); the communities, streets and districts
    were read when joining, and places never change (places/service.py)."""

    EXPECTED = 1

    @pytest.fixture
    async def communities(self, demo: Deps) -> list[Place]:
        """Twelve communities in two districts: the demo's two and ten in 思明区."""
        city = await place_named(demo, PlaceLevel.CITY, "厦门市")
        district = await places.create_place(
            demo, SYSTEM, name="思明区", level=PlaceLevel.DISTRICT, parent_id=city.id
        )
        street = await places.create_place(
            demo, SYSTEM, name="鹭江街道", level=PlaceLevel.STREET, parent_id=district.id
        )
        created = [c for c, _ in await add_communities(demo, street.id, 10, prefix="鹭江社区")]
        return [
            await place_named(demo, PlaceLevel.COMMUNITY, "金安社区"),
            await place_named(demo, PlaceLevel.COMMUNITY, "金山社区"),
            *created,
        ]

    async def token_of_member_of(self, deps: Deps, communities: list[Place]) -> str:
        signed_in = await accounts.register(
            deps, phone="13912340000", password="many-communities", display_name="周游"
        )
        for community in communities:
            await memberships.join_community(
                deps,
                Actor(user_id=signed_in.user.id),
                community_id=community.id,
                address="某路 1 号",
                household_code=None,
            )
        return signed_in.access_token

    async def test_one_membership(
        self, api: Api, demo: Deps, communities: list[Place], commands: Commands
    ) -> None:
        token = await self.token_of_member_of(demo, communities[:1])

        assert await commands_for(api, commands, VIEWER, token=token) == self.EXPECTED

    async def test_many_memberships(
        self, api: Api, demo: Deps, communities: list[Place], commands: Commands
    ) -> None:
        token = await self.token_of_member_of(demo, communities)
        result = await api.execute(VIEWER, token=token)
        shown = (result.data or {})["viewer"]["memberships"]
        assert len(shown) == 12
        assert {m["community"]["district"]["name"] for m in shown} == {"湖里区", "思明区"}

        # The request above cached the session: no authentication round trip now.
        assert await commands_for(api, commands, VIEWER, token=token) == self.EXPECTED - 1
