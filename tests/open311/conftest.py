"""The Open311 gateway of the real app, on the demo street, over real HTTP (uvicorn)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from neighbor_api.app import create_app
from neighbor_api.core.deps import Deps
from neighbor_api.open311 import service
from tests.platform.conftest import LiveServer, serve

PARTNER = "12345热线"


@pytest.fixture
async def server(demo: Deps) -> AsyncIterator[LiveServer]:
    async with serve(create_app(demo.settings, deps=demo)) as live:
        yield live


@pytest.fixture
async def gateway(server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client whose base URL is the gateway's, /open311/v2."""
    async with httpx.AsyncClient(base_url=f"{server.url}/open311/v2", timeout=10) as client:
        yield client


@pytest.fixture
async def api_key(demo: Deps) -> str:
    """A key issued to the partner PARTNER, as `neighbor-api open311 issue-key` does."""
    return (await service.issue_key(demo, name=PARTNER)).secret
