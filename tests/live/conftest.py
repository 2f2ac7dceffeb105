"""The real app under uvicorn, on the test's database with the demo street."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from starlette.applications import Starlette

from neighbor_api.app import create_app
from neighbor_api.core.deps import Deps
from neighbor_api.live.hub import Hub
from neighbor_api.settings import Settings
from tests.conftest import Api
from tests.live.support import People
from tests.platform.conftest import LiveServer, serve


@pytest.fixture
async def people(api: Api, demo: Deps) -> People:
    return await People.open(api, demo)


@pytest.fixture
def app(settings: Settings, demo: Deps) -> Starlette:
    return create_app(settings, deps=demo)


@pytest.fixture
async def server(app: Starlette) -> AsyncIterator[LiveServer]:
    async with serve(app) as running:
        yield running


def hub_of(app: Starlette) -> Hub:
    hub = app.state.live_hub
    assert isinstance(hub, Hub)
    return hub
