"""Live updates: the per-process hub tailing domain events, and the GraphQL subscriptions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from neighbor_api.core.deps import Deps
from neighbor_api.core.metrics import Metrics
from neighbor_api.live.hub import Hub, LiveEvent
from neighbor_api.notifications.service import LIVE_COLLECTION as NOTIFICATIONS


@asynccontextmanager
async def running(deps: Deps, *, metrics: Metrics | None = None) -> AsyncIterator[Hub]:
    """A started hub on the app's database, stopped when the block ends."""

    def delivered(event: LiveEvent) -> None:
        if metrics is not None:
            metrics.live_delivery(event_at=event.at, now=deps.clock.now())

    hub = Hub(
        deps.db,
        queue_size=deps.settings.live_queue_size,
        on_publish=delivered,
        notifications=NOTIFICATIONS,
    )
    await hub.start()
    try:
        yield hub
    finally:
        await hub.stop()
