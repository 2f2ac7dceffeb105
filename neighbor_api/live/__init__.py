"""Live updates: the per-process hub tailing domain events, and the GraphQL subscriptions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from neighbor_api.core.deps import Deps
from neighbor_api.live.hub import Hub


@asynccontextmanager
async def running(deps: Deps) -> AsyncIterator[Hub]:
    """A started hub on the app's database, stopped when the block ends."""
    hub = Hub(deps.db, queue_size=deps.settings.live_queue_size)
    await hub.start()
    try:
        yield hub
    finally:
        await hub.stop()
