"""Start-up leaves the heap it built out of the garbage collector's reach (gc.freeze), when the
app owns its process (`neighbor-api serve`); an app among others (the tests) leaves gc alone."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from neighbor_api.app import GC_THRESHOLDS, create_app
from neighbor_api.core.embedded import EmbeddedMongo
from tests.conftest import make_settings


@pytest.fixture
def collector_restored() -> Iterator[None]:
    thresholds = gc.get_threshold()
    frozen = gc.get_freeze_count()
    yield
    if gc.get_freeze_count() > frozen:  # what this test froze, back in reach
        gc.unfreeze()
    gc.set_threshold(*thresholds)


@pytest.mark.parametrize("owns_process", [True, False])
async def test_startup_freezes_only_a_process_of_its_own(
    mongo_server: EmbeddedMongo,
    fresh_database: str,
    collector_restored: None,
    owns_process: bool,
) -> None:
    settings = make_settings(mongodb_uri=mongo_server.uri, database=fresh_database)
    app = create_app(settings, owns_process=owns_process)
    frozen = gc.get_freeze_count()
    thresholds = gc.get_threshold()

    async with app.router.lifespan_context(app):
        if owns_process:
            assert gc.get_freeze_count() > frozen
            assert gc.get_threshold() == GC_THRESHOLDS
        else:
            assert gc.get_freeze_count() == frozen
            assert gc.get_threshold() == thresholds
