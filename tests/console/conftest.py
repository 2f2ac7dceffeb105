"""The console's tests: the real app over real HTTP (as tests/platform runs it). The browser
tests share one server with the demo street per module (starting one and loading the demo takes
seconds on a busy machine); each test works on demo records no other test touches."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from neighbor_api.app import create_app
from neighbor_api.core.clock import ManualClock
from neighbor_api.core.deps import Deps
from neighbor_api.core.mongo import Client, ensure_indexes
from neighbor_api.demo import load_demo
from neighbor_api.settings import Settings
from tests.platform.conftest import (  # the shared fixtures: real server, real browser
    LiveServer,
    browser,
    chromium,
    http,
    live_server,
    serve,
)

__all__ = ["browser", "chromium", "http", "live_server"]


@pytest.fixture(scope="module")
async def demo_deps(mongo_client: Client, settings: Settings) -> AsyncIterator[Deps]:
    """A database of its own with the demo street, for the whole module."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    db = mongo_client[name]
    await ensure_indexes(db)
    # Today, not a fixed day: the server removes expired documents (TTL indexes: resend gates,
    # codes, sessions) by the real clock, so a day in the past would let them vanish at random.
    clock = ManualClock()
    deps = Deps(client=mongo_client, db=db, settings=settings, clock=clock)
    await load_demo(deps)
    yield deps
    await mongo_client.drop_database(name)


@pytest.fixture(scope="module")
async def demo_server(settings: Settings, demo_deps: Deps) -> AsyncIterator[LiveServer]:
    """The real app on the demo database over real HTTP, for the whole module."""
    async with serve(create_app(settings, deps=demo_deps)) as server:
        yield server
