"""A subscription is authorised as of each event: once its session has ended (logout, expiry)
the next event closes the socket with 4403 instead of delivering anything."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

from websockets.exceptions import ConnectionClosed

from neighbor_api.core.clock import ManualClock
from neighbor_api.core.deps import Deps
from neighbor_api.graphql.auth import SESSION_ENDED_CLOSE_CODE
from tests.conftest import Api, request_code
from tests.live.support import BOARD_EVENTS, TIMEOUT_SECONDS, Client, People, client
from tests.platform.conftest import LiveServer
from tests.reports.support import JINAN_RESIDENT, JINAN_WORKER

LOGOUT = "mutation { logout { ok errors { code } } }"


async def closed_with(subscriber: Client) -> int | None:
    """Read until the server closes the socket; its close code. Fails on a delivered event."""
    async with asyncio.timeout(TIMEOUT_SECONDS):
        with contextlib.suppress(ConnectionClosed):
            while True:
                message = await subscriber.receive()
                # Pings, and the subscription's UNAUTHENTICATED error: never an event.
                assert not (message.get("payload") or {}).get("data"), message
    return subscriber.ws.close_code


async def test_logout_closes_the_subscriber_at_its_next_event(
    server: LiveServer, people: People, api: Api
) -> None:
    board = await people.boards.board()
    token = await api.login(JINAN_WORKER)  # a session of its own, ended below
    async with client(server, token) as subscriber:
        await subscriber.subscribe(BOARD_EVENTS, {"boardId": board.id})
        await people.boards.task(board)
        assert (await subscriber.next())["boardEvents"]["kind"] == "CREATED"

        assert (await api.execute(LOGOUT, token=token)).data == {
            "logout": {"ok": True, "errors": []}
        }
        await people.boards.task(board)

        assert await closed_with(subscriber) == SESSION_ENDED_CLOSE_CODE


async def test_an_expired_token_closes_the_subscriber_at_its_next_event(
    server: LiveServer, people: People, demo: Deps
) -> None:
    board = await people.boards.board()
    async with client(server, await people.token(JINAN_WORKER)) as subscriber:
        await subscriber.subscribe(BOARD_EVENTS, {"boardId": board.id})
        await subscriber.silent(0.2)

        assert isinstance(demo.clock, ManualClock)
        demo.clock.advance(demo.settings.access_token_ttl + timedelta(minutes=1))
        await people.boards.task(board)  # signed in again, with a token of the new time

        assert await closed_with(subscriber) == SESSION_ENDED_CLOSE_CODE


async def test_deleting_the_account_closes_its_subscribers(
    server: LiveServer, people: People, api: Api, demo: Deps
) -> None:
    """deleteAccount ends every session at once: the deleted person's open sockets close
    (4403) at their next event."""
    board = await people.boards.board()
    token = await api.login(JINAN_RESIDENT)
    async with client(server, token) as subscriber:
        await subscriber.subscribe(BOARD_EVENTS, {"boardId": board.id})
        await people.boards.task(board)
        assert (await subscriber.next())["boardEvents"]["kind"] == "CREATED"

        code = await request_code(
            api.send(token=token), JINAN_RESIDENT, "DELETE_ACCOUNT", clock=demo.clock
        )
        deleted = await api.data("DeleteAccount", {"input": {"code": code}}, token=token)
        assert deleted == {"deleteAccount": {"errors": []}}
        await people.boards.task(board)

        assert await closed_with(subscriber) == SESSION_ENDED_CLOSE_CODE
