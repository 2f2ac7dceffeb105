"""Start-up leaves the heap it built out of the garbage collector's reach (gc.freeze)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from neighbor_api.app import create_app
from neighbor_api.core.embedded import EmbeddedMongo
from tests.conftest import make_settings


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # the test process's objects back in reach


async def test_startup_freezes_what_it_built(
    mongo_server: EmbeddedMongo, fresh_database: str, unfrozen: None
) -> None:
    settings = make_settings(mongodb_uri=mongo_server.uri, database=fresh_database)
    app = create_app(settings)
    assert gc.get_freeze_count() == 0

    async with app.router.lifespan_context(app):
        assert gc.get_freeze_count() > 0
