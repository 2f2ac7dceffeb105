"""Pooled connections the server closed while they sat idle are never used again.

SecantusDB closes a connection that sent nothing for 300 s, as NATs and load balancers do in
front of MongoDB. PyMongo's async pool does not notice that a pooled connection was closed at
the other end: the next command on it failed with AutoReconnect (an embedded app's first write
after a quiet night; once, a test's set-up in CI). `connect` closes idle connections first.
These tests run the same SecantusDB server, in a process of its own, with a 1 s idle limit.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pymongo import MongoClient
from pymongo.errors import AutoReconnect, PyMongoError

from neighbor_api.core.embedded import free_port
from neighbor_api.core.mongo import MAX_IDLE_SECONDS, connect

SERVER_IDLE_SECONDS = 1.0
CONNECTIONS = 4

# SecantusDB's server with its idle limit set, in a process of its own (never imported here,
# as core/embedded.py says); it prints its default limit, then serves until killed.
SERVER = """
import sys, threading
from secantus import server
print(server.DEFAULT_CLIENT_IDLE_TIMEOUT_S, flush=True)
server.SecantusDBServer(
    host="127.0.0.1", port=int(sys.argv[1]), storage_path=sys.argv[2],
    replica_set_name="secantus", client_idle_timeout_s=float(sys.argv[3]),
).start()
threading.Event().wait()
"""


@dataclass(frozen=True)
class Server:
    uri: str
    default_idle_seconds: float


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    storage: Path = tmp_path_factory.mktemp("idle")
    port = free_port()
    command = [
        sys.executable,
        "-P",
        "-c",
        SERVER,
        str(port),
        str(storage),
        str(SERVER_IDLE_SECONDS),
    ]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            default_idle_seconds = float(process.stdout.readline())
            uri = f"mongodb://127.0.0.1:{port}/?directConnection=true&retryWrites=false"
            deadline = time.monotonic() + 30
            with MongoClient(uri, serverSelectionTimeoutMS=200) as client:
                while True:
                    try:
                        client.admin.command("ping")
                        break
                    except PyMongoError:
                        assert time.monotonic() < deadline, "the server did not start"
                        time.sleep(0.05)
            yield Server(uri, default_idle_seconds)
        finally:
            process.kill()


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


def test_the_clients_idle_limit_is_below_the_servers(server: Server) -> None:
    assert server.default_idle_seconds > MAX_IDLE_SECONDS


async def test_a_write_after_the_server_dropped_idle_connections_succeeds(server: Server) -> None:
    await writes_after_a_pause(server.uri, max_idle_seconds=SERVER_IDLE_SECONDS / 2)


async def test_without_the_limit_the_write_fails(server: Server) -> None:
    """What the limit prevents, so the test above cannot pass by chance."""
    with pytest.raises(AutoReconnect):
        await writes_after_a_pause(server.uri, max_idle_seconds=3600)
