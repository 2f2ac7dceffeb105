"""The demo street (with its grids' boundaries) per test, and the app over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from neighbor_api.core.deps import Deps
from tests.conftest import Api
from tests.notifications.support import World
from tests.platform.conftest import LiveServer, live_server

__all__ = ["live_server"]


@pytest.fixture
async def world(api: Api, deps: Deps) -> World:
    return await World.open(api, deps)


@pytest.fixture
async def client(world: World, live_server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=10) as http:
        yield http
