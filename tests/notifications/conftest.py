"""The demo street with its reports, boards and councils, per test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from neighbor_api.core.deps import Deps
from neighbor_api.core.embedded import EmbeddedMongo
from neighbor_api.core.mongo import connect
from tests.conftest import Api
from tests.notifications.support import World
from tests.platform.conftest import live_server

__all__ = ["live_server"]


@pytest.fixture
async def world(api: Api, deps: Deps) -> World:
    return await World.open(api, deps)


@pytest.fixture
async def second_instance(mongo_server: EmbeddedMongo, deps: Deps) -> AsyncIterator[Deps]:
    """Another app instance on the same database: its own client, the same clock."""
    client = connect(mongo_server.uri)
    yield Deps(client=client, db=client[deps.db.name], settings=deps.settings, clock=deps.clock)
    await client.close()
