"""Pooled connections the server closed while they sat idle are never used again.

SecantusDB closes a connection that sent nothing for 300 s, as NATs and load balancers do in
front of MongoDB. PyMongo's async pool does not notice that a pooled connection was closed at
the other end: the next command on it failed with AutoReconnect (an embedded app's first write
after a quiet night; once, a test's set-up in CI). `connect` closes idle connections first.
This test runs the same SecantusDB server, in-process with a 1 s idle limit.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from pymongo.errors import AutoReconnect
from secantus import server as secantus  # type: ignore[import-untyped]  # ships no types

from neighbor_api.core.mongo import MAX_IDLE_SECONDS, connect

SERVER_IDLE_SECONDS = 1.0
CONNECTIONS = 4


@pytest.fixture(scope="module")
def uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    storage: Path = tmp_path_factory.mktemp("idle")
    server = secantus.SecantusDBServer(
        host="127.0.0.1",
        port=0,
        storage_path=str(storage),
        replica_set_name="secantus",
        client_idle_timeout_s=SERVER_IDLE_SECONDS,
    )
    server.start()
    yield f"mongodb://127.0.0.1:{server.port}/?directConnection=true&retryWrites=false"
    server.stop()


async def writes_after_a_pause(uri: str, max_idle_seconds: float) -> None:
    """Writes on several pooled connections, a pause past the server's idle limit, and the
    same writes again (not retried: the app's URIs turn retryable writes off)."""
    client = connect(uri, max_idle_seconds=max_idle_seconds)
    try:
        collections = [client.idle[f"c{i}"] for i in range(CONNECTIONS)]
        await asyncio.gather(*(c.insert_one({"n": 1}) for c in collections))
        await asyncio.sleep(SERVER_IDLE_SECONDS * 1.5)
        await asyncio.gather(*(c.insert_one({"n": 2}) for c in collections))
    finally:
        await client.close()


def test_the_clients_idle_limit_is_below_the_servers() -> None:
    assert MAX_IDLE_SECONDS < secantus.DEFAULT_CLIENT_IDLE_TIMEOUT_S


async def test_a_write_after_the_server_dropped_idle_connections_succeeds(uri: str) -> None:
    await writes_after_a_pause(uri, max_idle_seconds=SERVER_IDLE_SECONDS / 2)


async def test_without_the_limit_the_write_fails(uri: str) -> None:
    """What the limit prevents, so the test above cannot pass by chance."""
    with pytest.raises(AutoReconnect):
        await writes_after_a_pause(uri, max_idle_seconds=3600)
