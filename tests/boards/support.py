"""Helpers of the task-board tests: the demo street (tests/reports/support.py's Street) with a
fresh board per test, and the contract's task operations as the apps send them.

Global ids come from query results; `object_id` parses one only to look at stored documents
(events, the points ledger) that no client sees.
"""

from __future__ import annotations

import asyncio
from typing import Any

from neighbor_api.accounts import service as accounts
from neighbor_api.core.policy import SYSTEM, Role
from neighbor_api.memberships import service as memberships
from tests.reports.support import (
    HULI_ADMIN,
    JINAN_CHAIR,
    JINAN_GRID_WORKER,
    JINAN_HOUSEMATE,
    JINAN_NEIGHBOUR,
    JINAN_RESIDENT,
    JINAN_WORKER,
    JINSHAN_RESIDENT,
    JINSHAN_WORKER,
    Street,
    codes,
    object_id,
)

__all__ = [
    "HULI_ADMIN",
    "JINAN_CHAIR",
    "JINAN_GRID_WORKER",
    "JINAN_HOUSEMATE",
    "JINAN_NEIGHBOUR",
    "JINAN_RESIDENT",
    "JINAN_WORKER",
    "JINSHAN_RESIDENT",
    "JINSHAN_WORKER",
    "codes",
    "object_id",
]

CREATE_BOARD = """
mutation CreateBoardForTest($input: CreateBoardInput!) {
  createBoard(input: $input) {
    board { id name community { id } columns { id name kind wipLimit } }
    errors { code message field }
  }
}
"""

RETURN_TASK = """
mutation ReturnTaskForTest($input: ReturnTaskInput!) {
  returnTask(input: $input) {
    task { id version status column { kind } history { action note } }
    errors { code message field }
  }
}
"""

# The order of a board's columns, compactly: each column's task ids top first.
BOARD_ORDER = """
query BoardOrder($id: ID!) {
  board(id: $id) {
    columns { id kind tasks(first: 100) { totalCount edges { node { id version } } } }
  }
}
"""


class Board:
    """A board created for one test: its id and its columns' ids by kind."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.id: str = data["id"]
        self.columns: list[dict[str, Any]] = data["columns"]

    def column(self, kind: str, index: int = 0) -> str:
        column_id: str = [c["id"] for c in self.columns if c["kind"] == kind][index]
        return column_id


class Boards:
    """The demo street's people working on task boards."""

    def __init__(self, street: Street) -> None:
        self.street = street
        self.api = street.api
        self.deps = street.deps

    async def token(self, phone: str) -> str:
        return await self.street.token(phone)

    async def create_board(
        self,
        phone: str = JINAN_WORKER,
        community: str = "金安社区",
        name: str = "周末志愿任务",
        columns: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """createBoard's payload."""
        values: dict[str, Any] = {"communityId": self.street.places[community], "name": name}
        if columns is not None:
            values["columns"] = columns
        result = await self.api.execute(
            CREATE_BOARD, {"input": values}, token=await self.token(phone)
        )
        assert result.errors is None, result.errors
        assert result.data is not None
        payload: dict[str, Any] = result.data["createBoard"]
        return payload

    async def board(self, **fields: Any) -> Board:
        payload = await self.create_board(**fields)
        assert payload["errors"] == [], payload
        return Board(payload["board"])

    async def mutate(self, operation: str, phone: str, **values: Any) -> dict[str, Any]:
        """Run a contract mutation as `phone`; its payload."""
        data = await self.api.data(operation, {"input": values}, token=await self.token(phone))
        payload: dict[str, Any] = data[operation[0].lower() + operation[1:]]
        return payload

    async def ok(self, operation: str, phone: str, **values: Any) -> dict[str, Any]:
        """A mutation that must succeed: the task it returns."""
        payload = await self.mutate(operation, phone, **values)
        assert payload["errors"] == [], (operation, payload)
        task: dict[str, Any] = payload["task"]
        return task

    async def refused(self, operation: str, phone: str, **values: Any) -> list[str]:
        """A mutation that must fail: its codes (and no task in the payload)."""
        payload = await self.mutate(operation, phone, **values)
        assert payload["task"] is None, payload
        return codes(payload)

    async def task(self, board: Board, phone: str = JINAN_WORKER, **fields: Any) -> dict[str, Any]:
        """A new task on `board` (title 修剪绿化带 unless given); createTask's task."""
        values = {"boardId": board.id, "title": "修剪 6 栋旁绿化带", **fields}
        return await self.ok("CreateTask", phone, **values)

    async def tasks(self, board: Board, count: int, **fields: Any) -> list[str]:
        """`count` new tasks in the first TODO column; their ids, top first."""
        ids = [(await self.task(board, title=f"任务 {i}", **fields))["id"] for i in range(count)]
        return list(reversed(ids))  # each new task goes to the top

    async def order(self, board: Board, phone: str = JINAN_WORKER) -> dict[str, list[str]]:
        """Each column's task ids, top first, by column kind (first column of each kind)."""
        result = await self.api.execute(
            BOARD_ORDER, {"id": board.id}, token=await self.token(phone)
        )
        assert result.errors is None, result.errors
        assert result.data is not None
        order: dict[str, list[str]] = {}
        for column in result.data["board"]["columns"]:
            ids = [e["node"]["id"] for e in column["tasks"]["edges"]]
            assert column["tasks"]["totalCount"] == len(ids)
            order.setdefault(column["kind"], ids)
        return order

    async def detail(self, task_id: str, phone: str = JINAN_WORKER) -> dict[str, Any] | None:
        data = await self.api.data("TaskDetail", {"id": task_id}, token=await self.token(phone))
        task: dict[str, Any] | None = data["task"]
        return task

    async def move(
        self,
        task_id: str,
        *,
        version: int,
        to: str | None = None,
        after: str | None = None,
        phone: str = JINAN_WORKER,
    ) -> dict[str, Any]:
        """moveTask's payload."""
        values: dict[str, Any] = {"taskId": task_id, "expectedVersion": version}
        if to is not None:
            values["toColumnId"] = to
        values["afterTaskId"] = after
        return await self.mutate("MoveTask", phone, **values)

    async def to_review(self, board: Board, *holders: str, **fields: Any) -> dict[str, Any]:
        """A new task claimed by `holders` and submitted by the first: the task."""
        task = await self.task(board, capacity=max(len(holders), 1), **fields)
        for phone in holders:
            await self.ok("ClaimTask", phone, taskId=task["id"])
        return await self.ok("SubmitTask", holders[0], taskId=task["id"], note="已完成。")

    async def events(self, task_id: str) -> list[str]:
        cursor = self.deps.db["events"].find({"subject_id": object_id(task_id, "Task")})
        return [e["kind"] async for e in cursor.sort([("at", 1), ("_id", 1)])]

    async def volunteers(self, count: int, *, first_phone: int = 13900000100) -> list[str]:
        """`count` new residents of 金安社区 (appointed by the system); their access tokens."""
        community = object_id(self.street.places["金安社区"], "Place")

        async def one(index: int) -> str:
            signed_in = await accounts.register(
                self.deps,
                phone=str(first_phone + index),
                password="volunteer-2026",
                display_name=f"志愿者{index}",
            )
            await memberships.appoint(
                self.deps, SYSTEM, user_id=signed_in.user.id, place_id=community,
                roles=[Role.RESIDENT],
            )  # fmt: skip
            return signed_in.access_token

        return list(await asyncio.gather(*(one(i) for i in range(count))))
