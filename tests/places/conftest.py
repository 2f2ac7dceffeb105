"""Fixtures of the places tests: the demo street's ids, and more communities on it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from neighbor_api.core.deps import Deps
from neighbor_api.core.policy import SYSTEM
from neighbor_api.places import repository
from neighbor_api.places import service as places_service
from neighbor_api.places.models import GeoPoint, PlaceLevel
from tests.conftest import Api
from tests.places.support import DemoPlaces, demo_places

AddCommunities = Callable[[list[tuple[str, float, float]]], Awaitable[None]]


@pytest.fixture
async def places(api: Api, demo: Deps) -> DemoPlaces:
    return await demo_places(api)


@pytest.fixture
def add_communities(demo: Deps) -> AddCommunities:
    """Add communities (name, lat, lng) to 金山街道, through the places service."""

    async def add(communities: list[tuple[str, float, float]]) -> None:
        street = await repository.by_level_and_name(demo.db, PlaceLevel.STREET, "金山街道")
        assert street is not None
        await asyncio.gather(
            *(
                places_service.create_place(
                    demo,
                    SYSTEM,
                    name=name,
                    level=PlaceLevel.COMMUNITY,
                    parent_id=street.id,
                    location=GeoPoint.at(lat=lat, lng=lng),
                )
                for name, lat, lng in communities
            )
        )

    return add
