"""The demo street, shared by the tests of a module (each test works on its own board, tasks
and rewards)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from neighbor_api.core.mongo import Client
from neighbor_api.schema import NeighborSchema
from neighbor_api.settings import Settings
from tests.boards.support import Boards
from tests.reports.support import shared_street


@pytest.fixture(scope="module")
async def boards(
    mongo_client: Client, schema: NeighborSchema, settings: Settings
) -> AsyncIterator[Boards]:
    async with shared_street(mongo_client, schema, settings) as street:
        yield Boards(street)
