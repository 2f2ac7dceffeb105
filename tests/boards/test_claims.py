"""Claiming and releasing tasks (ClaimTask, ReleaseTask): up to capacity under real
concurrency, TODO → DOING on claim, once per person."""

from __future__ import annotations

import asyncio

from tests.boards.support import (
    JINAN_CHAIR,
    JINAN_NEIGHBOUR,
    JINAN_RESIDENT,
    JINSHAN_RESIDENT,
    Boards,
    codes,
)


class TestClaimTask:
    async def test_the_claim_that_fills_a_todo_task_moves_it_to_doing(self, boards: Boards) -> None:
        board = await boards.board()
        task = await boards.task(board, capacity=1)

        claimed = await boards.ok("ClaimTask", JINAN_RESIDENT, taskId=task["id"])

        assert claimed["column"] == {"kind": "DOING"}
        assert claimed["version"] == 2
        assert claimed["assignees"] == [{"id": await boards.street.user_id(JINAN_RESIDENT)}]
        assert (await boards.order(board))["DOING"] == [task["id"]]
        assert await boards.events(task["id"]) == ["task.created", "task.claimed"]

    async def test_a_second_volunteer_joins_while_there_is_room(self, boards: Boards) -> None:
        board = await boards.board()
        task = await boards.task(board, capacity=2)
        first = await boards.ok("ClaimTask", JINAN_RESIDENT, taskId=task["id"])
        # Half full: still in 待认领, open to join.
        assert first["column"] == {"kind": "TODO"}
        assert (await boards.order(board))["TODO"] == [task["id"]]

        claimed = await boards.ok("ClaimTask", JINAN_NEIGHBOUR, taskId=task["id"])

        assert len(claimed["assignees"]) == 2
        assert claimed["column"] == {"kind": "DOING"}

    async def test_a_full_task_is_task_full(self, boards: Boards) -> None:
        board = await boards.board()
        task = await boards.task(board, capacity=1)
        await boards.ok("ClaimTask", JINAN_RESIDENT, taskId=task["id"])

        assert await boards.refused("ClaimTask", JINAN_NEIGHBOUR, taskId=task["id"]) == [
            "TASK_FULL"
        ]
        detail = await boards.detail(task["id"])
        assert detail is not None
        assert len(detail["assignees"]) == 1

    async def test_claiming_twice_changes_nothing(self, boards: Boards) -> None:
        board = await boards.board()
        task = await boards.task(board, capacity=3)
        first = await boards.ok("ClaimTask", JINAN_RESIDENT, taskId=task["id"])

        again = await boards.ok("ClaimTask", JINAN_RESIDENT, taskId=task["id"])

        assert again == first

    async def test_fifty_simultaneous_claims_leave_exactly_the_capacity(
        self, boards: Boards
    ) -> None:
        board = await boards.board()
        task = await boards.task(board, capacity=3)
        tokens = await boards.volunteers(50)

        payloads = await asyncio.gather(
            *(
                boards.api.data("ClaimTask", {"input": {"taskId": task["id"]}}, token=token)
                for token in tokens
            )
        )

        outcomes = [tuple(codes(p["claimTask"])) for p in payloads]
        assert outcomes.count(()) == 3
        assert outcomes.count(("TASK_FULL",)) == 47
        detail = await boards.detail(task["id"])
        assert detail is not None
        assert len(detail["assignees"]) == 3
        assert detail["column"]["kind"] == "DOING"
        assert detail["version"] == 4
        assert (await boards.order(board))["DOING"] == [task["id"]]

    async def test_one_person_claiming_many_times_at_once_holds_one_place(
        self, boards: Boards
    ) -> None:
        board = await boards.board()
        task = await boards.task(board, capacity=3)
        token = await boards.token(JINAN_CHAIR)

        await asyncio.gather(
            *(
                boards.api.data("ClaimTask", {"input": {"taskId": task["id"]}}, token=token)
                for _ in range(10)
            )
        )

        detail = await boards.detail(task["id"])
        assert detail is not None
        assert [a["displayName"] for a in detail["assignees"]] == ["黄国栋"]

    async def test_viewer_can_claim_follows_room_and_holding(self, boards: Boards) -> None:
        board = await boards.board()
        task = await boards.task(board, capacity=1)
        query = "query($id: ID!) { task(id: $id) { viewerCanClaim } }"

        async def can(phone: str) -> bool:
            result = await boards.api.execute(
                query, {"id": task["id"]}, token=await boards.token(phone)
            )
            assert result.data is not None
            return bool(result.data["task"]["viewerCanClaim"])

        assert await can(JINAN_RESIDENT)
        await boards.ok("ClaimTask", JINAN_RESIDENT, taskId=task["id"])
        assert not await can(JINAN_RESIDENT)
        assert not await can(JINAN_NEIGHBOUR)

    async def test_outsiders_cannot_find_it(self, boards: Boards) -> None:
        board = await boards.board()
        task = await boards.task(board)

        assert await boards.refused("ClaimTask", JINSHAN_RESIDENT, taskId=task["id"]) == [
            "NOT_FOUND"
        ]

    async def test_a_task_in_review_cannot_be_claimed(self, boards: Boards) -> None:
        board = await boards.board()
        task = await boards.to_review(board, JINAN_RESIDENT)

        assert await boards.refused("ClaimTask", JINAN_NEIGHBOUR, taskId=task["id"]) == [
            "INVALID_TRANSITION"
        ]


class TestReleaseTask:
    async def test_an_assignee_gives_the_place_back(self, boards: Boards) -> None:
        board = await boards.board()
        task = await boards.task(board, capacity=1)
        await boards.ok("ClaimTask", JINAN_RESIDENT, taskId=task["id"])

        released = await boards.ok("ReleaseTask", JINAN_RESIDENT, taskId=task["id"])

        assert released["assignees"] == []
        assert released["version"] == 3
        assert codes(await boards.mutate("ClaimTask", JINAN_NEIGHBOUR, taskId=task["id"])) == []
        assert await boards.events(task["id"]) == [
            "task.created", "task.claimed", "task.released", "task.claimed",
        ]  # fmt: skip

    async def test_the_last_assignee_leaving_puts_the_task_back_in_todo(
        self, boards: Boards
    ) -> None:
        board = await boards.board()
        task = await boards.task(board, capacity=2)
        for phone in (JINAN_RESIDENT, JINAN_NEIGHBOUR):
            await boards.ok("ClaimTask", phone, taskId=task["id"])
        doing = await boards.detail(task["id"])
        assert doing is not None
        assert (doing["status"], doing["column"]["kind"]) == ("IN_PROGRESS", "DOING")

        await boards.ok("ReleaseTask", JINAN_RESIDENT, taskId=task["id"])
        still = await boards.detail(task["id"])
        assert still is not None
        assert still["column"]["kind"] == "DOING"  # someone still holds it

        await boards.ok("ReleaseTask", JINAN_NEIGHBOUR, taskId=task["id"])
        back = await boards.detail(task["id"])
        assert back is not None
        assert (back["status"], back["column"]["kind"]) == ("OPEN", "TODO")
        assert back["assignees"] == []
        assert (await boards.order(board))["TODO"][0] == task["id"]
        last = back["history"][-1]
        assert (last["fromColumn"]["name"], last["toColumn"]["name"]) == ("进行中", "待认领")

    async def test_only_assignees_may_release(self, boards: Boards) -> None:
        board = await boards.board()
        task = await boards.task(board)
        await boards.ok("ClaimTask", JINAN_RESIDENT, taskId=task["id"])

        assert await boards.refused("ReleaseTask", JINAN_NEIGHBOUR, taskId=task["id"]) == [
            "FORBIDDEN"
        ]
