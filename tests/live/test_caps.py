"""The WebSocket caps (graphql/sockets.py): one account opening more subscriptions and
connections than it may is refused past the caps — TOO_MANY_SUBSCRIPTIONS on the `subscribe`,
close 1013 for a connection — while another user's HTTP requests and subscriptions still work."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from neighbor_api.app import create_app
from neighbor_api.core.deps import Deps
from neighbor_api.graphql.sockets import TOO_MANY_CONNECTIONS_CLOSE_CODE
from tests.conftest import make_settings
from tests.live.support import BOARD_EVENTS, TIMEOUT_SECONDS, TRANSPORT_WS, Client, People, client
from tests.platform.conftest import LiveServer, serve
from tests.reports.support import JINAN_RESIDENT, JINAN_WORKER

PER_CONNECTION, PER_USER, CONNECTIONS, ANONYMOUS = 3, 5, 3, 2


@pytest.fixture
def app(demo: Deps) -> Starlette:
    settings = make_settings(
        max_subscriptions_per_connection=PER_CONNECTION,
        max_subscriptions_per_user=PER_USER,
        max_connections_per_user=CONNECTIONS,
        max_anonymous_connections_per_address=ANONYMOUS,
    )
    return create_app(settings, deps=demo)


@pytest.fixture
async def server(app: Starlette) -> AsyncIterator[LiveServer]:
    async with serve(app) as running:
        yield running


async def refusal(live: Client, operation_id: str) -> dict[str, Any]:
    """The `error` answering the subscription `operation_id`."""
    while True:
        message = await live.receive()
        if message["type"] == "ping":
            continue
        assert message == {"id": operation_id, "type": "error", "payload": message["payload"]}
        (error,) = message["payload"]
        return dict(error)


async def delivered(live: Client, count: int) -> set[str]:
    """The ids of the next `count` events (in whatever order the subscriptions send them)."""
    ids = set()
    while len(ids) < count:
        message = await live.receive()
        if message["type"] == "ping":
            continue
        assert message["type"] == "next", message
        assert message["payload"]["data"]["boardEvents"]["kind"] == "CREATED"
        ids.add(message["id"])
    return ids


async def close_code_of_init(server: LiveServer, token: str | None) -> int | None:
    """Open a connection and send connection_init: the close code, or None if acknowledged."""
    async with connect(
        server.ws_url, subprotocols=[TRANSPORT_WS], open_timeout=TIMEOUT_SECONDS
    ) as ws:
        payload = {"authorization": f"Bearer {token}"} if token else {}
        try:
            await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
            async with asyncio.timeout(TIMEOUT_SECONDS):
                message = json.loads(await ws.recv(decode=True))
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None
        assert message == {"type": "connection_ack"}
        return None


async def test_subscriptions_past_the_caps_are_refused_and_others_unaffected(
    server: LiveServer, people: People
) -> None:
    board = await people.boards.board()
    variables = {"boardId": board.id}
    token = await people.token(JINAN_WORKER)
    async with contextlib.AsyncExitStack() as stack:
        first = await stack.enter_async_context(client(server, token))
        for index in range(PER_CONNECTION):
            await first.subscribe(BOARD_EVENTS, variables, operation_id=f"a{index}")
        await first.subscribe(BOARD_EVENTS, variables, operation_id="a-over")
        error = await refusal(first, "a-over")
        assert error["extensions"] == {"code": "TOO_MANY_SUBSCRIPTIONS"}
        assert str(PER_CONNECTION) in error["message"]
        assert "订阅" in error["message"]

        # A second connection of the same account: the user's cap (5) counts both.
        second = await stack.enter_async_context(client(server, token))
        for index in range(PER_USER - PER_CONNECTION):
            await second.subscribe(BOARD_EVENTS, variables, operation_id=f"b{index}")
        await second.subscribe(BOARD_EVENTS, variables, operation_id="b-over")
        error = await refusal(second, "b-over")
        assert error["extensions"] == {"code": "TOO_MANY_SUBSCRIPTIONS"}
        assert str(PER_USER) in error["message"]

        # Connections: a third is accepted, a fourth closed with 1013.
        await stack.enter_async_context(client(server, token))
        assert await close_code_of_init(server, token) == TOO_MANY_CONNECTIONS_CLOSE_CODE

        # Another user is not in the way: their subscription and HTTP request work.
        other = await stack.enter_async_context(client(server, await people.token(JINAN_RESIDENT)))
        await other.subscribe(BOARD_EVENTS, variables, operation_id="o")
        await other.silent(0.2)
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
            response = await http.post("/graphql", json={"query": "{ communities { totalCount } }"})
        assert response.json() == {"data": {"communities": {"totalCount": 2}}}

        # Every subscription within the caps delivers the next event; the refused ones none.
        await people.boards.task(board)
        assert await delivered(first, PER_CONNECTION) == {f"a{i}" for i in range(PER_CONNECTION)}
        extra = PER_USER - PER_CONNECTION
        assert await delivered(second, extra) == {f"b{i}" for i in range(extra)}
        assert await delivered(other, 1) == {"o"}
        await first.silent(0.2)

        # Completing one frees its slot for another.
        await first.send({"id": "a0", "type": "complete"})
        await asyncio.sleep(0.1)
        await second.subscribe(BOARD_EVENTS, variables, operation_id="b-again")
        await second.silent(0.3)


async def test_a_closed_connection_gives_its_slots_back(server: LiveServer, people: People) -> None:
    token = await people.token(JINAN_WORKER)
    for _ in range(2):
        async with contextlib.AsyncExitStack() as stack:
            for _ in range(CONNECTIONS):
                await stack.enter_async_context(client(server, token))
            assert await close_code_of_init(server, token) == TOO_MANY_CONNECTIONS_CLOSE_CODE
        await asyncio.sleep(0.2)  # the server sees the closes


async def test_anonymous_connections_are_capped_per_address(
    server: LiveServer, people: People
) -> None:
    async with contextlib.AsyncExitStack() as stack:
        for _ in range(ANONYMOUS):
            await stack.enter_async_context(client(server, None))
        assert await close_code_of_init(server, None) == TOO_MANY_CONNECTIONS_CLOSE_CODE
        # A signed-in user from the same address is counted as themselves.
        assert await close_code_of_init(server, await people.token(JINAN_WORKER)) is None
