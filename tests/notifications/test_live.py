"""NotificationReceived over a real uvicorn server (graphql-transport-ws)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from bson import ObjectId
from websockets.asyncio.client import ClientConnection

from neighbor_api.notifications import repository, service
from neighbor_api.notifications.models import Notification, NotificationKind
from tests.notifications.support import NOTIFICATION_RECEIVED, World
from tests.platform.conftest import LiveServer
from tests.platform.test_websocket import send, transport_ws
from tests.reports.support import (
    JINAN_GRID_WORKER,
    JINAN_RESIDENT,
    JINAN_WORKER,
    JINSHAN_RESIDENT,
    object_id,
)

QUIET_SECONDS = 0.5


async def _next(ws: ClientConnection, seconds: float) -> dict[str, Any] | None:
    try:
        async with asyncio.timeout(seconds):
            message: dict[str, Any] = json.loads(await ws.recv(decode=True))
    except TimeoutError:
        return None
    return message


async def _probe(world: World, user_id: ObjectId) -> None:
    await repository.insert_many(
        world.deps.db,
        [
            Notification(
                user_id=user_id,
                event_id=ObjectId(),
                kind=NotificationKind.TASK_APPROVED,
                title="probe",
                body="probe",
                subject_type="Task",
                subject_id=ObjectId(),
                created_at=world.deps.clock.now(),
            )
        ],
    )


async def test_a_new_notification_reaches_its_connected_recipient_only(
    world: World, live_server: LiveServer
) -> None:
    resident, outsider = await world.user(JINAN_RESIDENT), await world.user(JINSHAN_RESIDENT)
    await service.notify(world.deps)  # the demo's own history, before anyone listens
    tokens = [await world.street.token(p) for p in (JINAN_RESIDENT, JINSHAN_RESIDENT)]
    async with (
        transport_ws(live_server, {"authorization": f"Bearer {tokens[0]}"}) as mine,
        transport_ws(live_server, {"authorization": f"Bearer {tokens[1]}"}) as theirs,
    ):
        for ws in (mine, theirs):
            await send(ws, {"id": "n", "type": "subscribe",
                            "payload": NOTIFICATION_RECEIVED})  # fmt: skip
        # A subscription has no acknowledgement: probe until each stream is surely open.
        for ws, user_id in ((mine, resident), (theirs, outsider)):
            for _ in range(20):
                await _probe(world, user_id)
                if (message := await _next(ws, QUIET_SECONDS)) is not None:
                    assert message["payload"]["data"]["notificationReceived"]["title"] == "probe"
                    break
            else:
                raise AssertionError("the subscription never delivered")
        while await _next(mine, 0.2) or await _next(theirs, 0.2):
            pass  # late probes

        report_id = await world.street.submit(JINAN_RESIDENT)
        await world.street.ok("accept", report_id, JINAN_WORKER)
        await service.notify(world.deps)

        message = await _next(mine, 5)
        assert message is not None
        assert message["type"] == "next", message
        received = message["payload"]["data"]["notificationReceived"]
        (written,) = await world.written("report.accept", object_id(report_id))
        assert received["kind"] == "REPORT_STATUS_CHANGED"
        assert received["title"] == written["title"] == "您的诉求有新进展"
        assert await _next(theirs, QUIET_SECONDS) is None


async def test_signed_out_connections_cannot_subscribe(
    world: World, live_server: LiveServer
) -> None:
    async with transport_ws(live_server) as ws:
        await send(ws, {"id": "n", "type": "subscribe",
                        "payload": NOTIFICATION_RECEIVED})  # fmt: skip
        message = await _next(ws, 5)
        assert message is not None
        # Refused before it starts, as every subscription is, with the code and a message in
        # the request's language.
        assert message["type"] == "error", message
        (error,) = message["payload"]
        assert error["extensions"]["code"] == "UNAUTHENTICATED"
        assert error["message"] == "请先登录"


async def test_an_assignment_reaches_the_assignee_live(
    world: World, live_server: LiveServer
) -> None:
    """The second edition's kinds ride the same stream (written in the notifier's transaction)."""
    grid_worker = await world.user(JINAN_GRID_WORKER)
    await service.notify(world.deps)
    token = await world.street.token(JINAN_GRID_WORKER)
    async with transport_ws(live_server, {"authorization": f"Bearer {token}"}) as ws:
        await send(ws, {"id": "n", "type": "subscribe", "payload": NOTIFICATION_RECEIVED})
        for _ in range(20):
            await _probe(world, grid_worker)
            if await _next(ws, QUIET_SECONDS) is not None:
                break
        else:
            raise AssertionError("the subscription never delivered")
        while await _next(ws, 0.2):
            pass  # late probes

        report_id = await world.street.reach("ASSIGNED")
        await service.notify(world.deps)

        kinds: dict[str, dict[str, Any]] = {}
        while "REPORT_ASSIGNED" not in kinds and (message := await _next(ws, 5)) is not None:
            assert message["type"] == "next", message
            received = message["payload"]["data"]["notificationReceived"]
            kinds[received["kind"]] = received
        # It is in their grid by the time the notifier reads it: the new report too.
        assert set(kinds) <= {"REPORT_SUBMITTED", "REPORT_ASSIGNED"}
        received = kinds["REPORT_ASSIGNED"]
        assert received["title"] == "新的诉求派给您"
        (written,) = [
            n
            for n in await world.written("report.assign", object_id(report_id))
            if n["user_id"] == grid_worker
        ]
        assert received["body"] == written["body"]
