"""Helpers of the live-update tests: the contract's subscription documents, a
graphql-transport-ws client, and the demo street's people (reports, boards, councils)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from neighbor_api.core.deps import Deps
from tests.boards.support import Boards
from tests.conftest import OPERATIONS, Api
from tests.councils.support import Hall
from tests.places.support import demo_places
from tests.platform.conftest import LiveServer
from tests.reports.support import Street

TRANSPORT_WS = Subprotocol("graphql-transport-ws")
TIMEOUT_SECONDS = 5.0

# The contract's subscriptions, sent as clients send them: the whole document of
# schema/operations/subscriptions.graphql with the operation's name.
BOARD_EVENTS = "BoardEvents"
REPORT_EVENTS = "ReportEvents"
PROPOSAL_EVENTS = "ProposalEvents"


class Client:
    """One graphql-transport-ws connection: subscribe, then read `next` payloads."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(message))

    async def receive(self, wait: float = TIMEOUT_SECONDS) -> dict[str, Any]:
        async with asyncio.timeout(wait):
            message: dict[str, Any] = json.loads(await self.ws.recv(decode=True))
        return message

    async def subscribe(
        self, operation: str, variables: dict[str, Any], operation_id: str = "1"
    ) -> None:
        """Subscribe to the contract operation named `operation` (or to a document of the
        test's own, given whole)."""
        payload = (
            {"query": OPERATIONS[operation], "operationName": operation}
            if operation in OPERATIONS
            else {"query": operation}
        )
        await self.send(
            {
                "id": operation_id,
                "type": "subscribe",
                "payload": {**payload, "variables": variables},
            }
        )

    async def next(self, operation_id: str = "1") -> dict[str, Any]:
        """The data of the next `next` message (pings are answered and skipped)."""
        while True:
            message = await self.receive()
            if message["type"] == "ping":
                await self.send({"type": "pong"})
                continue
            assert message.get("id") == operation_id, message
            assert message["type"] == "next", message
            assert "errors" not in message["payload"], message
            data: dict[str, Any] = message["payload"]["data"]
            return data

    async def error_codes(self, operation_id: str = "1") -> list[str]:
        """The codes of an `error` (or `next` with errors) answering the subscription."""
        message = await self.receive()
        assert message.get("id") == operation_id, message
        errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
        return [e["extensions"]["code"] for e in errors]

    async def silent(self, seconds: float = 0.5) -> None:
        """Nothing arrives for `seconds`."""
        try:
            message = await self.receive(wait=seconds)
        except TimeoutError:
            return
        raise AssertionError(f"unexpected message {message}")


@asynccontextmanager
async def client(
    server: LiveServer, token: str | None, **connect_options: Any
) -> AsyncIterator[Client]:
    """A connection past connection_init / connection_ack (authorization from `token`)."""
    async with connect(
        server.ws_url, subprotocols=[TRANSPORT_WS], open_timeout=TIMEOUT_SECONDS, **connect_options
    ) as ws:
        live = Client(ws)
        payload = {"authorization": f"Bearer {token}"} if token else {}
        await live.send({"type": "connection_init", "payload": payload})
        assert await live.receive() == {"type": "connection_ack"}
        yield live


class People:
    """The demo street (one fresh database per test) as its people use it."""

    def __init__(self, street: Street, hall: Hall) -> None:
        self.street = street
        self.boards = Boards(street)
        self.hall = hall

    @classmethod
    async def open(cls, api: Api, deps: Deps) -> People:
        street = Street(api, deps, await demo_places(api))
        hall = Hall(api, deps)
        hall.communities["金安社区"] = street.places["金安社区"]
        worker_token = await hall.token("13800000001")
        data = await api.data(
            "Councils", {"communityId": street.places["金安社区"]}, token=worker_token
        )
        for council in data["community"]["councils"]:
            hall.councils[council["name"]] = council["id"]
        return cls(street, hall)

    def community(self, name: str = "金安社区") -> str:
        return self.street.places[name]

    async def token(self, phone: str) -> str:
        return await self.street.token(phone)
