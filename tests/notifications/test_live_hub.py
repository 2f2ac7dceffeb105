"""notificationReceived rides the live hub: many subscriptions, one change stream per process,
each notification to its own recipient's subscriptions only, the session re-checked."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import httpx
import pytest
from bson import ObjectId
from pymongo import monitoring
from starlette.applications import Starlette
from websockets.asyncio.client import ClientConnection

from neighbor_api.app import create_app
from neighbor_api.core.deps import Deps
from neighbor_api.live.hub import Hub
from neighbor_api.notifications import repository
from neighbor_api.notifications.models import Notification, NotificationKind
from neighbor_api.settings import Settings
from tests.conftest import OPERATIONS, CommandCounter
from tests.notifications.support import NOTIFICATION_RECEIVED, World
from tests.platform.conftest import LiveServer, serve
from tests.platform.test_websocket import send, transport_ws
from tests.reports.support import JINAN_HOUSEMATE, JINAN_RESIDENT, JINAN_WORKER, JINSHAN_RESIDENT

# Four residents, one of them on two sockets; ten subscriptions per socket.
HOLDERS = (JINAN_RESIDENT, JINAN_HOUSEMATE, JINAN_WORKER, "13800000003", JINAN_RESIDENT)
PER_SOCKET = 10


def _hub(app: Starlette) -> Hub:
    hub = app.state.live_hub
    assert isinstance(hub, Hub)
    return hub


async def _next(ws: ClientConnection, seconds: float) -> dict[str, Any] | None:
    try:
        async with asyncio.timeout(seconds):
            message: dict[str, Any] = json.loads(await ws.recv(decode=True))
    except TimeoutError:
        return None
    return message


async def _notify(world: World, user_id: ObjectId, title: str) -> None:
    await repository.insert_many(
        world.deps.db,
        [
            Notification(
                user_id=user_id,
                event_id=ObjectId(),
                kind=NotificationKind.TASK_APPROVED,
                title=title,
                body=title,
                subject_type="Task",
                subject_id=ObjectId(),
                created_at=world.deps.clock.now(),
            )
        ],
    )


@pytest.fixture
def change_streams(
    command_counter: CommandCounter, deps: Deps, monkeypatch: pytest.MonkeyPatch
) -> list[str]:
    """The collections on which this test's database is asked to open a change stream."""
    opened: list[str] = []
    count = command_counter.started

    def started(event: monitoring.CommandStartedEvent) -> None:
        count(event)
        command = event.command
        if (
            event.database_name == deps.db.name
            and event.command_name == "aggregate"
            and any("$changeStream" in stage for stage in command.get("pipeline", []))
        ):
            opened.append(str(command["aggregate"]))

    monkeypatch.setattr(command_counter, "started", started)
    return opened


@asynccontextmanager
async def _running(settings: Settings, deps: Deps) -> AsyncIterator[tuple[Starlette, LiveServer]]:
    app = create_app(settings, deps=deps)
    async with serve(app) as server:
        yield app, server


async def test_fifty_subscriptions_share_one_stream_and_each_gets_its_own(
    world: World, settings: Settings, change_streams: list[str]
) -> None:
    tokens = {phone: await world.street.token(phone) for phone in set(HOLDERS)}
    outsider_token = await world.street.token(JINSHAN_RESIDENT)
    async with _running(settings, world.deps) as (app, server), AsyncExitStack() as stack:
        sockets = [
            await stack.enter_async_context(
                transport_ws(server, {"authorization": f"Bearer {tokens[phone]}"})
            )
            for phone in HOLDERS
        ]
        for ws in sockets:
            for n in range(PER_SOCKET):
                await send(ws, {"id": f"n{n}", "type": "subscribe",
                                "payload": NOTIFICATION_RECEIVED})  # fmt: skip
        for _ in range(500):  # a subscription has no acknowledgement: until all are in the hub
            if _hub(app).subscriber_count == len(HOLDERS) * PER_SOCKET:
                break
            await asyncio.sleep(0.02)
        else:
            raise AssertionError(f"{_hub(app).subscriber_count} subscriptions in the hub")

        # The hub's stream on events and on notifications, and the session cache's one stream
        # on the database (sessions, users, memberships: aggregate on 1), opened at start-up;
        # none per socket.
        assert sorted(change_streams) == ["1", "events", "notifications"]

        # A signed-in user with no socket is answered at once over HTTP meanwhile.
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
            response = await http.post(
                "/graphql",
                json={"query": OPERATIONS["Viewer"], "operationName": "Viewer"},
                headers={"Authorization": f"Bearer {outsider_token}"},
            )
        assert response.status_code == 200
        assert response.json()["data"]["viewer"]["displayName"] == "吴建华"

        for phone in (*set(HOLDERS), JINSHAN_RESIDENT):
            await _notify(world, await world.user(phone), f"for {phone}")

        for ws, phone in zip(sockets, HOLDERS, strict=True):
            received: dict[str, str] = {}
            for _ in range(PER_SOCKET):
                message = await _next(ws, 5)
                assert message is not None, phone
                assert message["type"] == "next", message
                received[message["id"]] = message["payload"]["data"]["notificationReceived"][
                    "title"
                ]
            assert received == {f"n{n}": f"for {phone}" for n in range(PER_SOCKET)}
        for ws in sockets:
            assert await _next(ws, 0.3) is None  # nothing twice, nothing of anyone else's
        assert sorted(change_streams) == ["1", "events", "notifications"]

    hub = _hub(app)
    assert hub.subscriber_count == 0  # every subscription left the hub with its socket


async def test_a_signed_out_session_gets_no_more_notifications(
    world: World, live_server: LiveServer
) -> None:
    resident = await world.user(JINAN_RESIDENT)
    token = await world.street.token(JINAN_RESIDENT)
    async with transport_ws(live_server, {"authorization": f"Bearer {token}"}) as ws:
        await send(ws, {"id": "n", "type": "subscribe", "payload": NOTIFICATION_RECEIVED})
        for _ in range(20):  # until the subscription is surely open
            await _notify(world, resident, "before")
            if (message := await _next(ws, 0.5)) is not None:
                assert message["payload"]["data"]["notificationReceived"]["title"] == "before"
                break
        else:
            raise AssertionError("the subscription never delivered")
        while await _next(ws, 0.2) is not None:
            pass  # late probes

        async with httpx.AsyncClient(base_url=live_server.url, timeout=10) as http:
            response = await http.post(
                "/graphql",
                json={"query": OPERATIONS["Logout"], "operationName": "Logout"},
                headers={"Authorization": f"Bearer {token}"},
            )
        assert response.json()["data"]["logout"]["ok"] is True, response.text
        await asyncio.sleep(1.1)  # the subscriber's session is re-read at most 1 s old
        await _notify(world, resident, "after logout")

        message = await _next(ws, 5)
        assert message is not None
        assert "after logout" not in json.dumps(message, ensure_ascii=False)
        errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
        assert [e["extensions"]["code"] for e in errors] == ["UNAUTHENTICATED"]
