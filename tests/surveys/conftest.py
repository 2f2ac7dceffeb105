"""The real application over real HTTP (as tests/platform's), for the surveys' tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from neighbor_api.app import create_app
from neighbor_api.core.deps import Deps
from neighbor_api.settings import Settings
from tests.platform.conftest import LiveServer, serve
from tests.surveys.support import Town


@pytest.fixture
async def live_server(settings: Settings, deps: Deps) -> AsyncIterator[LiveServer]:
    async with serve(create_app(settings, deps=deps)) as server:
        yield server


@pytest.fixture
async def town(live_server: LiveServer, deps: Deps) -> AsyncIterator[Town]:
    """The demo street (厦门市湖里区金山街道: 金安社区, 金山社区), its people over HTTP."""
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as http:
        yield await Town.open(http, deps)
