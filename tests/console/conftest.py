"""The console's tests: the real app over real HTTP (as tests/platform runs it)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from neighbor_api.app import create_app
from neighbor_api.core.deps import Deps
from neighbor_api.settings import Settings
from tests.platform.conftest import LiveServer, serve


@pytest.fixture
async def live_server(settings: Settings, deps: Deps) -> AsyncIterator[LiveServer]:
    async with serve(create_app(settings, deps=deps)) as server:
        yield server


@pytest.fixture
async def http(live_server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=10) as client:
        yield client
