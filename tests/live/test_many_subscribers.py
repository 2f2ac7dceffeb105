"""A heated board and a heated vote: 200 WebSocket subscribers (a few people, many sockets
each) all receive one card move, 100 one vote, and the fan-out reads the database per event
and per session, not per socket. The 1,000-socket
version with its timings is `bench/subscribers.py`; nothing here is timed."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from neighbor_api.app import create_app
from neighbor_api.core.deps import Deps
from tests.conftest import OPERATIONS, CommandCounter, make_settings
from tests.live.conftest import hub_of
from tests.live.support import BOARD_EVENTS, PROPOSAL_EVENTS, Client, People, client
from tests.platform.conftest import LiveServer
from tests.reports.support import JINAN_WORKER

SUBSCRIBERS = 200
VOTE_SUBSCRIBERS = 100
CHAIR = "13800000003"  # 黄国栋, chairs 金安社区居民议事会
OPENING_AT_ONCE = 25
# The community worker and three residents of 金安社区 hold the sockets in turn.
HOLDERS = (JINAN_WORKER, "13800000003", "13800000004", "13800000006")
# The move or vote (its own commands) and its fan-out: per session the re-read viewer and the
# event's loaders, the task or proposal once, the hub's getMores. Per socket: hundreds.
MOVE_AND_FAN_OUT_COMMANDS = 50


@pytest.fixture
def app(demo: Deps) -> Starlette:
    """The app with the WebSocket caps (graphql/sockets.py) raised: a few people hold all
    the sockets here, far more than one person may (tests/live/test_caps.py)."""
    settings = make_settings(
        max_connections_per_user=SUBSCRIBERS, max_subscriptions_per_user=SUBSCRIBERS
    )
    return create_app(settings, deps=demo)


async def _until_in_hub(app: Starlette, count: int) -> None:
    """A subscription has no acknowledgement: wait until `count` are in the hub."""
    for _ in range(500):
        if hub_of(app).subscriber_count == count:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{hub_of(app).subscriber_count} subscriptions in the hub")


async def test_two_hundred_subscribers_all_receive_the_move(
    app: Starlette,
    server: LiveServer,
    people: People,
    demo: Deps,
    command_counter: CommandCounter,
) -> None:
    board = await people.boards.board()
    task = await people.boards.task(board)
    tokens = [await people.token(phone) for phone in HOLDERS]
    async with AsyncExitStack() as stack:
        sockets: list[Client] = []
        for start in range(0, SUBSCRIBERS, OPENING_AT_ONCE):
            sockets += await asyncio.gather(
                *(
                    stack.enter_async_context(client(server, tokens[i % len(tokens)]))
                    for i in range(start, start + OPENING_AT_ONCE)
                )
            )
        for live in sockets:
            await live.subscribe(BOARD_EVENTS, {"boardId": board.id})
        await _until_in_hub(app, SUBSCRIBERS)

        before = command_counter.counts.get(demo.db.name, 0)
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            response = await http.post(
                "/graphql",
                json={
                    "query": OPERATIONS["MoveTask"],
                    "operationName": "MoveTask",
                    "variables": {
                        "input": {
                            "taskId": task["id"],
                            "toColumnId": board.column("DOING"),
                            "expectedVersion": task["version"],
                        }
                    },
                },
                headers={"Authorization": f"Bearer {tokens[0]}"},
            )
        assert response.json()["data"]["moveTask"]["errors"] == [], response.text

        events: list[dict[str, Any]] = await asyncio.gather(*(live.next() for live in sockets))
        commands = command_counter.counts.get(demo.db.name, 0) - before

    assert len(events) == SUBSCRIBERS
    for event in events:
        assert event["boardEvents"]["kind"] == "MOVED"
        assert event["boardEvents"]["task"]["id"] == task["id"]
        assert event["boardEvents"]["task"]["column"] == {"id": board.column("DOING")}
    print(f"move and fan-out to {SUBSCRIBERS} sockets: {commands} commands")  # noqa: T201
    assert commands <= MOVE_AND_FAN_OUT_COMMANDS, commands


async def test_a_heated_vote_reads_the_proposal_once_per_vote(
    app: Starlette,
    server: LiveServer,
    people: People,
    demo: Deps,
    command_counter: CommandCounter,
) -> None:
    hall = people.hall
    proposal_id = await hall.create(CHAIR)
    assert (await hall.open_payload(proposal_id, CHAIR))["errors"] == []
    tokens = [await people.token(phone) for phone in HOLDERS]
    async with AsyncExitStack() as stack:
        sockets: list[Client] = []
        for start in range(0, VOTE_SUBSCRIBERS, OPENING_AT_ONCE):
            sockets += await asyncio.gather(
                *(
                    stack.enter_async_context(client(server, tokens[i % len(tokens)]))
                    for i in range(start, start + OPENING_AT_ONCE)
                )
            )
        for live in sockets:
            await live.subscribe(PROPOSAL_EVENTS, {"proposalId": proposal_id})
        await _until_in_hub(app, VOTE_SUBSCRIBERS)

        before = command_counter.counts.get(demo.db.name, 0)
        await hall.vote(CHAIR, proposal_id, "赞成")
        events = await asyncio.gather(*(live.next() for live in sockets))
        commands = command_counter.counts.get(demo.db.name, 0) - before

    for event in events:
        assert event["proposalEvents"]["kind"] == "VOTE_CAST"
        assert event["proposalEvents"]["proposal"]["turnout"]["voted"] == 1
    print(f"vote and fan-out to {VOTE_SUBSCRIBERS} sockets: {commands} commands")  # noqa: T201
    assert commands <= MOVE_AND_FAN_OUT_COMMANDS, commands
