"""Across instances, across restarts, and with slow subscribers."""

from __future__ import annotations

import time

import httpx
import pytest
from starlette.applications import Starlette
from websockets.exceptions import ConnectionClosed

from neighbor_api.app import create_app
from neighbor_api.core.deps import Deps
from neighbor_api.core.embedded import EmbeddedMongo
from neighbor_api.core.mongo import connect
from tests.conftest import OPERATIONS, make_settings
from tests.live.conftest import hub_of
from tests.live.support import BOARD_EVENTS, REPORT_EVENTS, Client, People, client
from tests.platform.conftest import LiveServer, serve
from tests.reports.support import JINAN_RESIDENT, JINAN_WORKER, REPORT


async def _read_until_closed(live: Client) -> None:
    while True:
        await live.receive()


async def test_a_change_through_one_instance_reaches_a_subscriber_of_another(
    people: People, demo: Deps, mongo_server: EmbeddedMongo
) -> None:
    """Two app instances, each with its own client and hub, on one database."""
    settings = make_settings()
    client_a, client_b = connect(mongo_server.uri), connect(mongo_server.uri)
    try:
        deps_a, deps_b = (
            Deps(client=c, db=c[demo.db.name], settings=settings, clock=demo.clock)
            for c in (client_a, client_b)
        )
        async with (
            serve(create_app(settings, deps=deps_a)) as a,
            serve(create_app(settings, deps=deps_b)) as b,
            client(b, await people.token(JINAN_WORKER)) as subscriber,
            httpx.AsyncClient(base_url=a.url, timeout=10) as http,
        ):
            await subscriber.subscribe(REPORT_EVENTS, {"communityId": people.community()})
            await subscriber.silent(0.2)
            response = await http.post(
                "/graphql",
                json={
                    "query": OPERATIONS["SubmitReport"],
                    "operationName": "SubmitReport",
                    "variables": {"input": {"communityId": people.community(), **REPORT}},
                },
                headers={"Authorization": f"Bearer {await people.token(JINAN_RESIDENT)}"},
            )
            report = response.json()["data"]["submitReport"]["report"]

            event = (await subscriber.next())["reportEvents"]

        assert event["kind"] == "CREATED"
        assert event["report"]["id"] == report["id"]
    finally:
        await client_a.close()
        await client_b.close()


async def test_events_written_while_the_hub_is_down_are_delivered_on_restart(
    app: Starlette, server: LiveServer, people: People
) -> None:
    hub = hub_of(app)
    async with client(server, await people.token(JINAN_WORKER)) as worker:
        await worker.subscribe(REPORT_EVENTS, {"communityId": people.community()})
        first = await people.street.submit(JINAN_RESIDENT)
        assert (await worker.next())["reportEvents"]["report"]["id"] == first

        await hub.stop()  # the change stream is gone, its resume token kept
        missed = [await people.street.submit(JINAN_RESIDENT) for _ in range(3)]
        await worker.silent(0.3)
        await hub.start()
        after = await people.street.submit(JINAN_RESIDENT)

        received = [(await worker.next())["reportEvents"]["report"]["id"] for _ in range(4)]
        assert received == [*missed, after]
        await worker.silent(0.3)  # nothing twice


async def test_a_subscriber_too_slow_is_disconnected_and_the_others_keep_up(
    people: People, demo: Deps
) -> None:
    settings = make_settings(live_queue_size=5)
    app = create_app(settings, deps=demo)
    board = await people.boards.board()
    # Big events (the same long description under many aliases) fill the socket buffers soon.
    aliases = " ".join(f"t{i}: task {{ description }}" for i in range(25))
    heavy = f"subscription($boardId: ID!) {{ boardEvents(boardId: $boardId) {{ kind {aliases} }} }}"
    description = "长" * 2000
    token = await people.token(JINAN_WORKER)
    async with (
        serve(app) as server,
        client(server, token) as fast,
        client(server, token, max_queue=1, compression=None) as slow,
    ):
        await fast.subscribe(BOARD_EVENTS, {"boardId": board.id})
        await slow.subscribe(heavy, {"boardId": board.id})
        await fast.silent(0.2)
        started = time.monotonic()
        count = 0
        received = 0
        while hub_of(app).too_slow == 0:
            await people.boards.task(board, title=f"任务 {count}", description=description)
            count += 1
            while received < count:  # the fast one reads as it goes
                assert (await fast.next())["boardEvents"]["kind"] == "CREATED"
                received += 1
            assert count < 400, "the slow subscriber was never disconnected"
        elapsed = time.monotonic() - started

        # The fast subscriber still receives.
        await people.boards.task(board, title="之后")
        assert (await fast.next())["boardEvents"]["task"]["title"] == "之后"
        # The slow one, reading at last, finds the connection closed with the reason.
        with pytest.raises(ConnectionClosed) as closed:
            await _read_until_closed(slow)
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4008, "subscriber too slow")
    print(f"slow subscriber dropped after {count} events in {elapsed:.2f}s")  # noqa: T201


async def test_ping_pong_while_subscribed(server: LiveServer, people: People) -> None:
    """graphql-transport-ws keep-alive: a client ping is answered with a pong, mid-stream."""
    async with client(server, await people.token(JINAN_WORKER)) as worker:
        await worker.subscribe(REPORT_EVENTS, {"communityId": people.community()})
        await worker.send({"type": "ping"})
        assert await worker.receive() == {"type": "pong"}
        report_id = await people.street.submit(JINAN_RESIDENT)
        assert (await worker.next())["reportEvents"]["report"]["id"] == report_id
        await worker.send({"type": "ping", "payload": {"at": 1}})
        assert (await worker.receive())["type"] == "pong"
