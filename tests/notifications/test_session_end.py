"""notificationReceived is authorised as of each notification: after logout the next one
closes the socket with 4403 instead of being delivered."""

from __future__ import annotations

import asyncio
import contextlib
import json

from websockets.exceptions import ConnectionClosed

from neighbor_api.graphql.auth import SESSION_ENDED_CLOSE_CODE
from tests.conftest import Api
from tests.notifications.support import NOTIFICATION_RECEIVED, World
from tests.notifications.test_live import QUIET_SECONDS, _next, _probe
from tests.platform.conftest import LiveServer
from tests.platform.test_websocket import send, transport_ws
from tests.reports.support import JINAN_RESIDENT

LOGOUT = "mutation { logout { ok errors { code } } }"


async def test_logout_closes_the_subscriber_at_its_next_notification(
    world: World, live_server: LiveServer, api: Api
) -> None:
    resident = await world.user(JINAN_RESIDENT)
    token = await api.login(JINAN_RESIDENT)  # a session of its own, ended below
    async with transport_ws(live_server, {"authorization": f"Bearer {token}"}) as ws:
        await send(ws, {"id": "n", "type": "subscribe", "payload": NOTIFICATION_RECEIVED})
        for _ in range(20):  # a subscription has no acknowledgement: probe until it delivers
            await _probe(world, resident)
            if await _next(ws, QUIET_SECONDS) is not None:
                break
        else:
            raise AssertionError("the subscription never delivered")
        while await _next(ws, 0.2):
            pass  # late probes

        assert (await api.execute(LOGOUT, token=token)).data == {
            "logout": {"ok": True, "errors": []}
        }
        await _probe(world, resident)

        async with asyncio.timeout(5):
            with contextlib.suppress(ConnectionClosed):
                while True:
                    message = json.loads(await ws.recv(decode=True))
                    assert not (message.get("payload") or {}).get("data"), message
        assert ws.close_code == SESSION_ENDED_CLOSE_CODE
