"""A board's column pages and counts kept by the instance (core/kept.py,
`service.column_tasks`, `loaders.column_task_counts_loader`).

They are kept under the board's `tasks_version`, which every write of one of its tasks
increments after it (`repository.touch_tasks`). Each write here is made through the contract on
instance A; instance B (its own caches, the same database) showed the board before and shows
the write at once after, as it does once it dropped what it kept.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import pytest

from neighbor_api.boards import repository
from neighbor_api.core.kept import Kept
from neighbor_api.core.session_cache import SessionCache
from tests.boards.support import (
    JINAN_NEIGHBOUR,
    JINAN_RESIDENT,
    JINAN_WORKER,
    Board,
    Boards,
    object_id,
)
from tests.conftest import Api, CommandCounter


@pytest.fixture
def other(boards: Boards) -> Api:
    """Instance B: the same database and schema, caches of its own."""
    return Api(boards.api.schema, replace(boards.deps, sessions=SessionCache(), kept=Kept()))


async def shown(boards: Boards, api: Api, board: Board, phone: str = JINAN_WORKER) -> Any:
    """The contract's Board document as `phone` sees it through `api`."""
    token = await boards.token(phone)
    return await api.data("Board", {"id": board.id, "tasksFirst": 100}, token=token)


async def fresh(boards: Boards, api: Api, board: Board) -> Any:
    api.deps.kept.clear()
    return await shown(boards, api, board)


class TestKeptColumns:
    async def test_shown_again_unchanged_reads_the_board_only(
        self, boards: Boards, command_counter: CommandCounter
    ) -> None:
        board = await boards.board()
        await boards.tasks(board, 3)
        first = await shown(boards, boards.api, board)
        before = command_counter.counts.get(boards.deps.db.name, 0)
        again = await shown(boards, boards.api, board)
        sent = command_counter.counts.get(boards.deps.db.name, 0) - before

        assert again == first
        assert sent == 1  # the board (its version); its columns' pages and counts were kept

    async def test_each_write_elsewhere_shows_at_once(self, boards: Boards, other: Api) -> None:
        board = await boards.board()
        task = await boards.task(board, capacity=2, pointReward=10)
        task_id = task["id"]

        async def version() -> int:
            detail = await boards.detail(task_id)
            assert detail is not None
            found: int = detail["version"]
            return found

        async def move() -> None:
            payload = await boards.move(task_id, version=await version(), to=board.column("DOING"))
            assert payload["errors"] == [], payload

        async def move_back() -> None:
            payload = await boards.move(task_id, version=await version(), to=board.column("TODO"))
            assert payload["errors"] == [], payload

        async def update() -> None:
            expected = await version()
            await boards.ok(
                "UpdateTask", JINAN_WORKER, taskId=task_id, expectedVersion=expected,
                title="修剪绿化带（周六上午）",
            )  # fmt: skip

        steps: list[tuple[str, Callable[[], Awaitable[Any]]]] = [
            ("create", lambda: boards.task(board, title="清理 3 栋楼道杂物")),
            ("move", move),
            ("move back", move_back),
            ("claim", lambda: boards.ok("ClaimTask", JINAN_RESIDENT, taskId=task_id)),
            ("claim", lambda: boards.ok("ClaimTask", JINAN_NEIGHBOUR, taskId=task_id)),
            ("release", lambda: boards.ok("ReleaseTask", JINAN_NEIGHBOUR, taskId=task_id)),
            ("update", update),
            ("submit", lambda: boards.ok("SubmitTask", JINAN_RESIDENT, taskId=task_id, note="好")),
            ("approve", lambda: boards.ok("ApproveTask", JINAN_WORKER, taskId=task_id)),
        ]
        for name, write in steps:
            before = await shown(boards, other, board)  # B keeps its pages
            await write()  # on A
            after = await shown(boards, other, board)

            assert after != before, name
            assert after == await fresh(boards, other, board), name

    async def test_cancel(self, boards: Boards, other: Api) -> None:
        board = await boards.board()
        task = await boards.task(board)
        before = await shown(boards, other, board)
        await boards.ok("CancelTask", JINAN_WORKER, taskId=task["id"],
                        expectedVersion=task["version"], reason="天气原因取消")  # fmt: skip
        after = await shown(boards, other, board)

        assert after != before
        assert after == await fresh(boards, other, board)

    async def test_rebalancing_counts_as_a_write(self, boards: Boards) -> None:
        """Rebalanced ranks change the cards' cursors: a write like any other."""
        board = await boards.board()
        ids = await boards.tasks(board, 2)
        board_id = object_id(board.id, "Board")
        before = (await repository.boards_by_ids(boards.deps.db, [board_id]))[0].tasks_version
        await repository.set_ranks(
            boards.deps.db, board_id, [(object_id(i, "Task"), f"m{n}") for n, i in enumerate(ids)]
        )
        after = (await repository.boards_by_ids(boards.deps.db, [board_id]))[0].tasks_version

        assert after == before + 1
