"""Sockets that would compute the same result for an event share one execution
(graphql/execution.py): the same operation and variables, the same actor, the same language.
Different actors still get their own answers."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from typing import Any

import pytest
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from neighbor_api.live.resolvers import BoardEvent
from tests.live.support import Client, People, client
from tests.platform.conftest import LiveServer
from tests.reports.support import JINAN_WORKER

RESIDENT = "13800000004"
SOCKETS_EACH = 5
# The contract's BoardEvents and what each viewer may do with the task now.
WITH_VIEWER_CAN = """
subscription BoardWithRights($boardId: ID!) {
  boardEvents(boardId: $boardId) {
    kind
    task { id title viewerCanClaim viewerCan { claim move approve } }
  }
}
"""


@pytest.fixture
def board_executions(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The viewer key of each execution of a board event's selection (a spy: the real
    execution runs)."""
    seen: list[Any] = []
    execute = StrawberryGraphQLCoreExecutionContext.execute_operation

    def counted(self: StrawberryGraphQLCoreExecutionContext, serially: bool | None = None) -> Any:
        if isinstance(self.root_value, BoardEvent):
            seen.append(self.root_value.live_share)
        return execute(self, serially)

    monkeypatch.setattr(StrawberryGraphQLCoreExecutionContext, "execute_operation", counted)
    return seen


async def test_one_execution_per_actor_whatever_the_sockets(
    server: LiveServer, people: People, board_executions: list[Any]
) -> None:
    board = await people.boards.board()
    tokens = {phone: await people.token(phone) for phone in (JINAN_WORKER, RESIDENT)}
    async with AsyncExitStack() as stack:
        sockets: dict[str, list[Client]] = {}
        for phone, token in tokens.items():
            sockets[phone] = [
                await stack.enter_async_context(client(server, token)) for _ in range(SOCKETS_EACH)
            ]
            for live in sockets[phone]:
                await live.subscribe(WITH_VIEWER_CAN, {"boardId": board.id})
            await sockets[phone][0].silent(0.2)

        task = await people.boards.task(board)
        events = {
            phone: await asyncio.gather(*(live.next() for live in lives))
            for phone, lives in sockets.items()
        }

    # One execution for the worker's five sockets, one for the resident's five.
    assert len(board_executions) == 2, board_executions
    worker = [e["boardEvents"]["task"] for e in events[JINAN_WORKER]]
    resident = [e["boardEvents"]["task"] for e in events[RESIDENT]]
    assert all(t["id"] == task["id"] for t in worker + resident)
    # Each actor's own rights: staff may drag the card, the resident may not.
    assert {t["viewerCan"]["move"] for t in worker} == {True}
    assert {t["viewerCan"]["move"] for t in resident} == {False}


async def test_the_language_is_part_of_what_is_shared(
    server: LiveServer, people: People, board_executions: list[Any]
) -> None:
    board = await people.boards.board()
    token = await people.token(JINAN_WORKER)
    async with (
        client(server, token) as chinese,
        client(server, token, additional_headers={"Accept-Language": "en"}) as english,
    ):
        for live in (chinese, english):
            await live.subscribe(WITH_VIEWER_CAN, {"boardId": board.id})
        await chinese.silent(0.2)
        await people.boards.task(board)
        await asyncio.gather(chinese.next(), english.next())

    assert len(board_executions) == 2
    assert board_executions[0].viewer != board_executions[1].viewer
