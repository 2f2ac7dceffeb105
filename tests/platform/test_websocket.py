"""WebSocket on /graphql: graphql-transport-ws only, over a real uvicorn server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Origin, Subprotocol

from neighbor_api.app import create_app
from neighbor_api.cli import UVICORN_OPTIONS
from neighbor_api.core.deps import Deps
from neighbor_api.graphql.view import DEAD_PEER_CLOSE_CODE
from tests.conftest import Api, make_settings
from tests.platform.conftest import LiveServer, serve

TRANSPORT_WS = Subprotocol("graphql-transport-ws")
LEGACY_WS = Subprotocol("graphql-ws")
RECEIVE_TIMEOUT_SECONDS = 5


async def receive(ws: ClientConnection) -> dict[str, Any]:
    async with asyncio.timeout(RECEIVE_TIMEOUT_SECONDS):
        message: dict[str, Any] = json.loads(await ws.recv(decode=True))
    return message


async def send(ws: ClientConnection, message: dict[str, Any]) -> None:
    await ws.send(json.dumps(message))


@asynccontextmanager
async def transport_ws(
    live_server: LiveServer, payload: dict[str, Any] | None = None
) -> AsyncIterator[ClientConnection]:
    """A connection past connection_init / connection_ack."""
    async with connect(
        live_server.ws_url, subprotocols=[TRANSPORT_WS], open_timeout=RECEIVE_TIMEOUT_SECONDS
    ) as ws:
        init: dict[str, Any] = {"type": "connection_init"}
        if payload is not None:
            init["payload"] = payload
        await send(ws, init)
        assert await receive(ws) == {"type": "connection_ack"}
        yield ws


async def run_operation(
    ws: ClientConnection, query: str, operation_id: str = "1", **payload: Any
) -> list[dict[str, Any]]:
    """Send `subscribe`; every message for it up to `complete` or `error`."""
    await send(
        ws, {"id": operation_id, "type": "subscribe", "payload": {"query": query, **payload}}
    )
    messages = []
    while True:
        message = await receive(ws)
        assert message["id"] == operation_id, message
        messages.append(message)
        if message["type"] in ("complete", "error"):
            return messages


class TestHandshake:
    async def test_transport_ws_is_accepted(self, live_server: LiveServer) -> None:
        async with connect(live_server.ws_url, subprotocols=[TRANSPORT_WS]) as ws:
            assert ws.subprotocol == TRANSPORT_WS
            await send(ws, {"type": "connection_init", "payload": {}})

            assert await receive(ws) == {"type": "connection_ack"}

    async def test_ping_pong(self, live_server: LiveServer) -> None:
        async with transport_ws(live_server) as ws:
            await send(ws, {"type": "ping"})

            assert await receive(ws) == {"type": "pong"}

    async def test_legacy_graphql_ws_is_refused(self, live_server: LiveServer) -> None:
        async with connect(live_server.ws_url, subprotocols=[LEGACY_WS]) as ws:
            assert ws.subprotocol is None
            with pytest.raises(ConnectionClosed) as closed:
                await receive(ws)

        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 4406

    async def test_no_subprotocol_is_refused(self, live_server: LiveServer) -> None:
        async with connect(live_server.ws_url) as ws:
            with pytest.raises(ConnectionClosed) as closed:
                await receive(ws)

        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 4406

    async def test_subscribe_before_connection_init_is_refused(
        self, live_server: LiveServer
    ) -> None:
        async with connect(live_server.ws_url, subprotocols=[TRANSPORT_WS]) as ws:
            await send(ws, {"id": "1", "type": "subscribe", "payload": {"query": "{ __typename }"}})
            with pytest.raises(ConnectionClosed) as closed:
                await receive(ws)

        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 4401

    async def test_non_json_message_closes_with_4400(self, live_server: LiveServer) -> None:
        async with transport_ws(live_server) as ws:
            await ws.send("not json")
            with pytest.raises(ConnectionClosed) as closed:
                await receive(ws)

        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 4400

    async def test_cross_site_page_is_refused(self, live_server: LiveServer) -> None:
        with pytest.raises(InvalidStatus) as refused:
            async with connect(
                live_server.ws_url,
                subprotocols=[TRANSPORT_WS],
                origin=Origin("https://evil.example"),
            ):
                pass

        assert refused.value.response.status_code == 403


class TestOperations:
    async def test_a_query_over_websocket(self, live_server: LiveServer) -> None:
        async with transport_ws(live_server) as ws:
            messages = await run_operation(ws, "{ __typename }")

        assert messages == [
            {"id": "1", "type": "next", "payload": {"data": {"__typename": "Query"}}},
            {"id": "1", "type": "complete"},
        ]

    async def test_subscription_without_a_subscription_root_is_an_error(
        self, live_server: LiveServer
    ) -> None:
        async with transport_ws(live_server) as ws:
            messages = await run_operation(ws, "subscription { reportEvents { kind } }")

            assert [m["type"] for m in messages] == ["error"]
            errors = messages[0]["payload"]
            assert errors
            assert [e["extensions"]["code"] for e in errors] == ["GRAPHQL_VALIDATION_FAILED"]
            # the connection survives a bad operation
            await send(ws, {"type": "ping"})
            assert await receive(ws) == {"type": "pong"}

    async def test_unparseable_document_closes_with_4400(self, live_server: LiveServer) -> None:
        async with transport_ws(live_server) as ws:
            await send(ws, {"id": "1", "type": "subscribe", "payload": {"query": "{ viewer {"}})
            with pytest.raises(ConnectionClosed) as closed:
                await receive(ws)

        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 4400
        assert "Syntax Error" in closed.value.rcvd.reason

    async def test_token_in_connection_init_payload(
        self, live_server: LiveServer, api: Api, demo: Deps
    ) -> None:
        token = await api.login("13800000004")

        async with transport_ws(live_server, {"authorization": f"Bearer {token}"}) as ws:
            messages = await run_operation(ws, "{ viewer { displayName } }")

        assert messages[0] == {
            "id": "1",
            "type": "next",
            "payload": {"data": {"viewer": {"displayName": "王丽娟"}}},
        }

    async def test_bad_token_in_connection_init_payload_is_refused(
        self, live_server: LiveServer
    ) -> None:
        async with connect(live_server.ws_url, subprotocols=[TRANSPORT_WS]) as ws:
            await send(ws, {"type": "connection_init", "payload": {"authorization": "Bearer x"}})
            with pytest.raises(ConnectionClosed) as closed:
                await receive(ws)

        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 4403

    async def test_no_token_viewer_is_null(self, live_server: LiveServer) -> None:
        async with transport_ws(live_server, {}) as ws:
            messages = await run_operation(ws, "{ viewer { displayName } }")

        assert messages[0]["payload"] == {"data": {"viewer": None}}


class TestMalformedMessages:
    """A message of the wrong shape closes the connection with 4400, as graphql-transport-ws
    requires: never an exception in the server, an internal error or an operation that hangs."""

    @pytest.mark.parametrize(
        "message",
        [
            pytest.param("42", id="number"),
            pytest.param("[]", id="array"),
            pytest.param('"subscribe"', id="string"),
            pytest.param("null", id="null"),
            pytest.param("[" * 100_000, id="nested-too-deep"),
            pytest.param('{"type": "subscribe", "id": "1"}', id="no-payload"),
            pytest.param('{"type": "subscribe", "id": "1", "payload": 42}', id="payload-number"),
            pytest.param(
                '{"type": "subscribe", "id": "1", "payload": {"query": 42}}',
                id="query-not-a-string",
            ),
            pytest.param(
                '{"type": "subscribe", "id": "1", '
                '"payload": {"query": "{ __typename }", "variables": 42}}',
                id="variables-number",
            ),
            pytest.param(
                '{"type": "subscribe", "id": "1", '
                '"payload": {"query": "{ __typename }", "variables": []}}',
                id="variables-empty-array",
            ),
            pytest.param(
                '{"type": "subscribe", "id": "1", '
                '"payload": {"query": "{ __typename }", "operationName": 5}}',
                id="operation-name-number",
            ),
            pytest.param(
                '{"type": "subscribe", "id": 1, "payload": {"query": "{ __typename }"}}',
                id="id-number",
            ),
            pytest.param('{"type": 5}', id="type-number"),
        ],
    )
    async def test_closes_with_4400(self, live_server: LiveServer, message: str) -> None:
        async with transport_ws(live_server) as ws:
            await ws.send(message)
            with pytest.raises(ConnectionClosed) as closed:
                await receive(ws)

        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 4400

    async def test_null_variables_and_operation_name_are_fine(
        self, live_server: LiveServer
    ) -> None:
        async with transport_ws(live_server) as ws:
            messages = await run_operation(
                ws, "query Q { __typename }", variables=None, operationName=None, extensions={}
            )

        assert messages[0]["payload"] == {"data": {"__typename": "Query"}}


class TestServerPing:
    async def test_the_server_pings_an_acknowledged_connection(self, deps: Deps) -> None:
        app = create_app(make_settings(ws_ping_seconds=0.2), deps=deps)
        async with serve(app) as server, transport_ws(server) as ws:
            assert await receive(ws) == {"type": "ping"}
            await send(ws, {"type": "pong"})
            assert await receive(ws) == {"type": "ping"}  # and again, while it lives

    async def test_a_peer_that_answers_nothing_is_closed(self, deps: Deps) -> None:
        """uvicorn's own ping is off (cli.UVICORN_OPTIONS): the app's finds dead peers. A peer
        that answers no ping (nor sends anything) is closed at the next ping, 1011."""
        app = create_app(make_settings(ws_ping_seconds=0.2), deps=deps)
        async with serve(app) as server, transport_ws(server) as ws:
            assert await receive(ws) == {"type": "ping"}  # not answered
            with pytest.raises(ConnectionClosed) as closed:
                await receive(ws)

        assert closed.value.rcvd is not None
        assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (
            DEAD_PEER_CLOSE_CODE,
            "keepalive ping timeout",
        )

    async def test_any_message_answers_a_ping(self, deps: Deps) -> None:
        app = create_app(make_settings(ws_ping_seconds=0.2), deps=deps)
        async with serve(app) as server, transport_ws(server) as ws:
            for _ in range(3):
                assert await receive(ws) == {"type": "ping"}
                await send(ws, {"type": "ping"})  # the client's own ping, not a pong
                assert await receive(ws) == {"type": "pong"}

    async def test_uvicorn_sends_no_ping_of_its_own(self) -> None:
        assert UVICORN_OPTIONS["ws_ping_interval"] is None

    async def test_no_ping_before_connection_init(self, deps: Deps) -> None:
        app = create_app(make_settings(ws_ping_seconds=0.1), deps=deps)
        async with (
            serve(app) as server,
            connect(server.ws_url, subprotocols=[TRANSPORT_WS]) as ws,
        ):
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.5):
                    await ws.recv()
