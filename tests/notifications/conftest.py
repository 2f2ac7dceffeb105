"""The demo street with its reports, boards and councils, per test."""

from __future__ import annotations

import pytest

from neighbor_api.core.deps import Deps
from tests.conftest import Api
from tests.notifications.support import World
from tests.platform.conftest import live_server

__all__ = ["live_server"]


@pytest.fixture
async def world(api: Api, deps: Deps) -> World:
    return await World.open(api, deps)
