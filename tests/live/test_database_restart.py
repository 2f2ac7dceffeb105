"""The hub survives its database going away: a dropped connection or a database restart loses
no event (the change stream resumes after the last token it saw) and repeats none."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from bson import ObjectId

from neighbor_api.core.embedded import EmbeddedMongo
from neighbor_api.core.mongo import Client, connect
from neighbor_api.live.hub import ALL, Hub, LiveEvent, Subscription


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[EmbeddedMongo]:
    embedded = EmbeddedMongo(tmp_path / "db")
    await embedded.astart()
    yield embedded
    await embedded.astop()


async def _write(client: Client, n: int) -> list[ObjectId]:
    ids = [ObjectId() for _ in range(n)]
    for event_id in ids:
        await client["live"]["events"].insert_one(
            {
                "_id": event_id,
                "kind": "report.submitted",
                "subject_id": ObjectId(),
                "actor_id": None,
                "place_path": [],
                "data": {},
                "at": datetime.now(UTC),
            }
        )
    return ids


async def _take(subscription: Subscription, n: int) -> list[ObjectId]:
    received: list[LiveEvent] = []
    async with asyncio.timeout(30):
        async for event in subscription:
            received.append(event)
            if len(received) == n:
                break
    return [e.id for e in received]


# Short: PyMongo's change stream resumes by itself. Longer than the client's server selection
# timeout (5 s in the embedded URI): the driver gives up and the hub reopens with its token.
@pytest.mark.parametrize("downtime", [0.5, 6.0], ids=["blip", "outage"])
async def test_events_written_across_a_database_restart_all_arrive_once(
    server: EmbeddedMongo, downtime: float
) -> None:
    client = connect(server.uri)
    hub = Hub(client["live"])
    await hub.start()
    try:
        with hub.subscribe({ALL}) as subscription:
            before = await _write(client, 3)
            assert await _take(subscription, 3) == before

            # The database dies hard and comes back on the same storage and port.
            await asyncio.to_thread(server.kill)
            await asyncio.sleep(downtime)
            await server.astart()
            after = await _write(client, 3)

            assert await _take(subscription, 3) == after
            if downtime > 5:
                assert hub.reconnects >= 1
            with pytest.raises(TimeoutError):  # and nothing twice
                async with asyncio.timeout(1):
                    await anext(aiter(subscription))
    finally:
        await hub.stop()
        await client.close()
