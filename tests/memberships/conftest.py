"""Fixtures of the memberships tests: the demo street's ids and newcomers asking to join."""

from __future__ import annotations

import pytest

from neighbor_api.core.deps import Deps
from tests.conftest import Api
from tests.places.support import DemoPlaces, Person, demo_places, join, register


@pytest.fixture
async def places(api: Api, demo: Deps) -> DemoPlaces:
    return await demo_places(api)


@pytest.fixture
async def newcomer(api: Api, demo: Deps) -> Person:
    """A new account with no membership yet."""
    return await register(api, "13959201001", "许雅婷")


@pytest.fixture
async def applicant(api: Api, places: DemoPlaces, newcomer: Person) -> Person:
    """The newcomer, having asked to join 金安社区 (their request pending)."""
    payload = await join(
        api, newcomer, places["金安社区"], "金山路 132 号金安里 10 栋 501 室", "JA-10-501"
    )
    assert payload["errors"] == [], payload
    newcomer.memberships = [payload["membership"]]
    return newcomer
