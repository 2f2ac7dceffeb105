"""Fixtures of the attachments tests: two users, and the real app over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from neighbor_api.app import create_app
from neighbor_api.core.deps import Deps
from neighbor_api.settings import Settings
from tests.conftest import Api
from tests.places.support import Person, register
from tests.platform.conftest import LiveServer, serve


@pytest.fixture
async def live_server(settings: Settings, deps: Deps) -> AsyncIterator[LiveServer]:
    """The real app (on this test's fresh database and clock) under uvicorn."""
    async with serve(create_app(settings, deps=deps)) as server:
        yield server


@pytest.fixture
async def http(live_server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as client:
        yield client


@pytest.fixture
async def owner(api: Api) -> Person:
    """A user who uploads photos."""
    return await register(api, "13959202001", "林小雨")


@pytest.fixture
async def stranger(api: Api) -> Person:
    """Another user."""
    return await register(api, "13959202002", "陈大海")
