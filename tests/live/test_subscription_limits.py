"""Subscriptions pass the depth, alias, cost and shape limits of queries: an over-limit one is
refused over a real WebSocket before it starts, and receives nothing afterwards."""

from __future__ import annotations

import pytest

from neighbor_api.settings import Settings
from tests.live.support import BOARD_EVENTS, People, client
from tests.platform.conftest import LiveServer
from tests.reports.support import JINAN_WORKER

# Depth 14: boardEvents, task, board, community, nine parents, id.
CHAIN = "task { board { community { " + "parent { " * 9 + "id" + " }" * 9 + " } } }"


def aliased_deep(aliases: int) -> str:
    """The issue's subscription: `aliases` aliases and a chain of depth 14 on boardEvents."""
    fields = " ".join(f"a{i}: at" for i in range(aliases))
    return (
        "subscription($boardId: ID!) "
        f"{{ boardEvents(boardId: $boardId) {{ kind {fields} {CHAIN} }} }}"
    )


# Each alias of `task` costs 11,211 (its assignees, their memberships, two levels of children).
COSTLY = """subscription($boardId: ID!) { boardEvents(boardId: $boardId) {
  a: task { assignees { memberships { community { children { children { id } } } } } }
  b: task { assignees { memberships { community { children { children { id } } } } } }
} }"""

REFUSED = {
    "66 aliases at depth 14": (aliased_deep(66), "depth 14 > 12"),
    "66 aliases": (
        "subscription($boardId: ID!) { boardEvents(boardId: $boardId) { "
        + " ".join(f"a{i}: at" for i in range(66))
        + " } }",
        "aliases 66 > 30",
    ),
    "cost": (COSTLY, "cost 22423 > 20000"),
    "repeats": (
        "subscription($boardId: ID!) { boardEvents(boardId: $boardId) { "
        + " ".join(["task { id }"] * 6)
        + " } }",
        "repeats of task 6 > 5",
    ),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
async def test_an_over_limit_subscription_is_refused(
    name: str, server: LiveServer, people: People, settings: Settings
) -> None:
    document, detail = REFUSED[name]
    board = await people.boards.board()
    async with client(server, await people.token(JINAN_WORKER)) as worker:
        await worker.subscribe(document, {"boardId": board.id})
        message = await worker.receive()

        assert message["id"] == "1"
        errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
        assert [e["extensions"] for e in errors] == [
            {"code": "QUERY_TOO_COMPLEX", "detail": detail}
        ]
        assert detail in errors[0]["message"]
        assert "查询过于复杂" in errors[0]["message"]

        # Nothing runs: a task created now reaches the contract's subscription only.
        await worker.subscribe(BOARD_EVENTS, {"boardId": board.id}, operation_id="2")
        await worker.silent(0.2)
        await people.boards.task(board)
        assert (await worker.next("2"))["boardEvents"]["kind"] == "CREATED"
        await worker.silent(0.3)


async def test_the_same_subscription_within_the_limits_runs(
    server: LiveServer, people: People
) -> None:
    board = await people.boards.board()
    document = (
        aliased_deep(30).replace("parent { " * 9, "parent { " * 7).replace(" }" * 9, " }" * 7)
    )
    async with client(server, await people.token(JINAN_WORKER)) as worker:
        await worker.subscribe(document, {"boardId": board.id})
        await worker.silent(0.2)
        await people.boards.task(board)
        event = (await worker.next())["boardEvents"]

    assert event["kind"] == "CREATED"
    assert event["a29"] == event["a0"]
