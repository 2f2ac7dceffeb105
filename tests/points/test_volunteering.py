"""Volunteering, second edition (points.graphql): tasks open to join until full (OpenTasks),
edits and cancelling with expectedVersion (UpdateTask, CancelTask), comments (CommentOnTask,
TaskRecord), every submission kept (ReturnTask with a reason), approval naming absentees, and
points that cannot be minted (a cap per task, no self-approval, review only by submitting)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.boards.support import (
    HULI_ADMIN,
    JINAN_CHAIR,
    JINAN_HOUSEMATE,
    JINAN_NEIGHBOUR,
    JINAN_RESIDENT,
    JINAN_WORKER,
    JINSHAN_RESIDENT,
    Boards,
    codes,
    object_id,
)


async def _open(boards: Boards, phone: str, first: int = 50) -> list[dict[str, Any]]:
    data = await boards.api.data(
        "OpenTasks", {"communityId": boards.street.places["金安社区"], "first": first},
        token=await boards.token(phone),
    )  # fmt: skip
    return [e["node"] for e in data["openTasks"]["edges"]]


async def _record(boards: Boards, task_id: str, phone: str = JINAN_WORKER) -> dict[str, Any]:
    data = await boards.api.data("TaskRecord", {"id": task_id}, token=await boards.token(phone))
    task: dict[str, Any] = data["task"]
    return task


def _in(hours: int, boards: Boards) -> str:
    return (boards.street.now + timedelta(hours=hours)).isoformat()


class TestOpenTasks:
    async def test_a_half_filled_task_stays_open_until_full(self, boards: Boards) -> None:
        board = await boards.board()
        task = await boards.task(
            board, title="周六楼道杂物清理", capacity=2, startsAt=_in(48, boards),
            meetingPlace="金安社区 5 号楼大堂",
        )  # fmt: skip
        await boards.ok("ClaimTask", JINAN_RESIDENT, taskId=task["id"])

        listed = {t["id"]: t for t in await _open(boards, JINAN_NEIGHBOUR)}
        assert task["id"] in listed
        shown = listed[task["id"]]
        assert shown["meetingPlace"] == "金安社区 5 号楼大堂"
        assert shown["startsAt"] is not None
        assert shown["viewerCanClaim"] is True
        assert len(shown["assignees"]) == 1
        # Not for the volunteer who holds it; not for anyone once it is full.
        assert task["id"] not in {t["id"] for t in await _open(boards, JINAN_RESIDENT)}
        await boards.ok("ClaimTask", JINAN_NEIGHBOUR, taskId=task["id"])
        assert task["id"] not in {t["id"] for t in await _open(boards, JINAN_HOUSEMATE)}

    async def test_soonest_first_and_null_for_outsiders(self, boards: Boards) -> None:
        board = await boards.board()
        later = await boards.task(board, title="重阳节敬老活动", startsAt=_in(24 * 20, boards))
        sooner = await boards.task(board, title="垃圾分类督导", startsAt=_in(24 * 10, boards))
        undated = await boards.task(board, title="整理社区图书角")

        ids = [t["id"] for t in await _open(boards, JINAN_HOUSEMATE)]
        assert ids.index(sooner["id"]) < ids.index(later["id"]) < ids.index(undated["id"])
        outsider = await boards.api.data(
            "OpenTasks", {"communityId": boards.street.places["金安社区"]},
            token=await boards.token(JINSHAN_RESIDENT),
        )  # fmt: skip
        assert outsider["openTasks"] is None


class TestUpdateAndCancel:
    async def test_staff_edit_with_the_version_they_saw(self, boards: Boards) -> None:
        board = await boards.board()
        task = await boards.task(board, capacity=2)

        updated = await boards.mutate(
            "UpdateTask", JINAN_WORKER, taskId=task["id"], expectedVersion=1,
            title="周六上午清理楼道", startsAt=_in(72, boards), meetingPlace="5 号楼门口",
            capacity=3, pointReward=20,
        )  # fmt: skip

        assert updated["errors"] == []
        assert updated["task"]["version"] == 2
        assert updated["task"]["title"] == "周六上午清理楼道"
        assert (updated["task"]["capacity"], updated["task"]["pointReward"]) == (3, 20)
        assert updated["task"]["meetingPlace"] == "5 号楼门口"
        stale = await boards.mutate(
            "UpdateTask", JINAN_WORKER, taskId=task["id"], expectedVersion=1, title="旧版本"
        )
        assert (codes(stale), stale["task"]) == (["VERSION_CONFLICT"], None)

    async def test_residents_may_not_and_rewards_are_capped(self, boards: Boards) -> None:
        board = await boards.board()
        task = await boards.task(board)

        resident = await boards.mutate(
            "UpdateTask", JINAN_RESIDENT, taskId=task["id"], expectedVersion=1, title="改"
        )
        minted = await boards.mutate(
            "UpdateTask", JINAN_WORKER, taskId=task["id"], expectedVersion=1, pointReward=1000
        )
        created = await boards.mutate(
            "CreateTask", JINAN_WORKER, boardId=board.id, title="千分任务", pointReward=101
        )

        assert codes(resident) == ["FORBIDDEN"]
        assert [(e["code"], e["field"]) for e in minted["errors"]] == [
            ("INVALID_INPUT", ["input", "pointReward"])
        ]
        assert "100" in minted["errors"][0]["message"]
        assert codes(created) == ["INVALID_INPUT"]
        detail = await boards.detail(task["id"])
        assert detail is not None
        assert (detail["version"], detail["pointReward"]) == (1, 0)

    async def test_cancelling_tells_assignees_awards_nothing_keeps_history(
        self, boards: Boards
    ) -> None:
        board = await boards.board()
        task = await boards.task(board, capacity=2, pointReward=10)
        claimed = await boards.ok("ClaimTask", JINAN_RESIDENT, taskId=task["id"])

        cancelled = await boards.mutate(
            "CancelTask", JINAN_WORKER, taskId=task["id"], expectedVersion=claimed["version"],
            reason="台风预警，活动取消",
        )  # fmt: skip

        assert cancelled["errors"] == []
        assert cancelled["task"]["status"] == "CANCELLED"
        assert task["id"] not in (await boards.order(board))["TODO"]
        assert task["id"] not in {t["id"] for t in await _open(boards, JINAN_NEIGHBOUR)}
        again = await boards.mutate("ClaimTask", JINAN_NEIGHBOUR, taskId=task["id"])
        assert codes(again) == ["INVALID_TRANSITION"]
        detail = await boards.detail(task["id"])
        assert detail is not None
        assert [h["action"] for h in detail["history"]] == ["CREATED", "CLAIMED", "CANCELLED"]
        assert await boards.events(task["id"]) == [
            "task.created", "task.claimed", "task.cancelled",
        ]  # fmt: skip
        ledger = boards.deps.db["points_ledger"]
        assert await ledger.count_documents({"task_id": object_id(task["id"], "Task")}) == 0

    async def test_a_done_task_cannot_be_cancelled(self, boards: Boards) -> None:
        board = await boards.board()
        task = await boards.to_review(board, JINAN_RESIDENT)
        await boards.mutate("ApproveTask", JINAN_WORKER, taskId=task["id"])
        done = await boards.detail(task["id"])
        assert done is not None
        assert done["status"] == "DONE"

        refused = await boards.mutate(
            "CancelTask", JINAN_WORKER, taskId=task["id"], expectedVersion=done["version"]
        )

        assert codes(refused) == ["INVALID_TRANSITION"]
        after = await boards.detail(task["id"])
        assert after is not None
        assert (after["status"], after["version"]) == (
            "DONE",
            done["version"],
        )


class TestComments:
    async def test_members_ask_and_coordinate(self, boards: Boards) -> None:
        board = await boards.board()
        task = await boards.task(board)

        first = await boards.mutate(
            "CommentOnTask", JINAN_RESIDENT, taskId=task["id"], body="需要自带扫帚吗？",
            idempotencyKey="c-1",
        )  # fmt: skip
        retry = await boards.mutate(
            "CommentOnTask", JINAN_RESIDENT, taskId=task["id"], body="需要自带扫帚吗？",
            idempotencyKey="c-1",
        )  # fmt: skip
        await boards.mutate("CommentOnTask", JINAN_WORKER, taskId=task["id"], body="社区统一提供。")

        assert first["errors"] == []
        assert first["comment"]["author"]["displayName"] == "王丽娟"
        assert retry["comment"]["id"] == first["comment"]["id"]
        record = await _record(boards, task["id"], JINAN_NEIGHBOUR)
        assert record["comments"]["totalCount"] == 2
        assert [e["node"]["body"] for e in record["comments"]["edges"]] == [
            "需要自带扫帚吗？", "社区统一提供。",
        ]  # fmt: skip

    async def test_a_comment_of_10000_characters_is_refused(self, boards: Boards) -> None:
        board = await boards.board()
        task = await boards.task(board)

        payload = await boards.mutate(
            "CommentOnTask", JINAN_RESIDENT, taskId=task["id"], body="长" * 10_000
        )
        outsider = await boards.mutate(
            "CommentOnTask", JINSHAN_RESIDENT, taskId=task["id"], body="你好"
        )

        assert [(e["code"], e["field"]) for e in payload["errors"]] == [
            ("INVALID_INPUT", ["input", "body"])
        ]
        assert codes(outsider) == ["NOT_FOUND"]
        assert (await _record(boards, task["id"]))["comments"]["totalCount"] == 0


class TestSubmissions:
    async def test_every_submission_is_kept_with_the_reason_it_was_returned(
        self, boards: Boards
    ) -> None:
        board = await boards.board()
        task = await boards.to_review(board, JINAN_RESIDENT, JINAN_NEIGHBOUR)

        returned = await boards.mutate(
            "ReturnTask", JINAN_WORKER, taskId=task["id"], reason="照片不清楚，请补拍"
        )
        await boards.ok("SubmitTask", JINAN_NEIGHBOUR, taskId=task["id"], note="已补拍。")

        assert returned["errors"] == []
        assert returned["task"]["status"] == "IN_PROGRESS"
        record = await _record(boards, task["id"])
        submissions = record["submissions"]
        assert [s["note"] for s in submissions] == ["已完成。", "已补拍。"]
        assert [s["returnedReason"] for s in submissions] == ["照片不清楚，请补拍", None]
        assert [s["submitter"]["id"] for s in submissions] == [
            await boards.street.user_id(JINAN_RESIDENT),
            await boards.street.user_id(JINAN_NEIGHBOUR),
        ]
        assert record["status"] == "IN_REVIEW"

    async def test_absent_assignees_earn_nothing(self, boards: Boards) -> None:
        board = await boards.board()
        task = await boards.to_review(board, JINAN_RESIDENT, JINAN_NEIGHBOUR, pointReward=8)
        absent = await boards.street.user_id(JINAN_NEIGHBOUR)

        approved = await boards.mutate(
            "ApproveTask", JINAN_WORKER, taskId=task["id"], absentUserIds=[absent]
        )

        assert approved["errors"] == []
        assert [a["points"] for a in approved["awards"]] == [8]
        ledger = boards.deps.db["points_ledger"]
        entries = await ledger.find({"task_id": object_id(task["id"], "Task")}).to_list()
        assert [e["user_id"] for e in entries] == [
            object_id(await boards.street.user_id(JINAN_RESIDENT), "User")
        ]

    async def test_an_absentee_must_be_an_assignee(self, boards: Boards) -> None:
        board = await boards.board()
        task = await boards.to_review(board, JINAN_RESIDENT)
        stranger = await boards.street.user_id(JINAN_HOUSEMATE)

        refused = await boards.mutate(
            "ApproveTask", JINAN_WORKER, taskId=task["id"], absentUserIds=[stranger]
        )

        assert codes(refused) == ["INVALID_INPUT"]
        detail = await boards.detail(task["id"])
        assert detail is not None
        assert detail["status"] == "IN_REVIEW"


class TestNoMinting:
    async def test_staff_never_approve_a_task_they_hold(self, boards: Boards) -> None:
        board = await boards.board()
        task = await boards.task(board, pointReward=100)
        await boards.ok("ClaimTask", JINAN_WORKER, taskId=task["id"])
        await boards.ok("SubmitTask", JINAN_WORKER, taskId=task["id"], note="自己做完了")

        own = await boards.mutate("ApproveTask", JINAN_WORKER, taskId=task["id"])
        other = await boards.mutate("ApproveTask", HULI_ADMIN, taskId=task["id"])

        assert codes(own) == ["FORBIDDEN"]
        assert "自己" in own["errors"][0]["message"]
        assert other["errors"] == []
        assert [a["points"] for a in other["awards"]] == [100]

    async def test_a_council_member_creator_cannot_approve_either(self, boards: Boards) -> None:
        board = await boards.board()
        task = await boards.task(board, phone=JINAN_CHAIR, pointReward=5)
        await boards.ok("ClaimTask", JINAN_RESIDENT, taskId=task["id"])
        await boards.ok("SubmitTask", JINAN_RESIDENT, taskId=task["id"])

        assert codes(await boards.mutate("ApproveTask", JINAN_CHAIR, taskId=task["id"])) == [
            "FORBIDDEN"
        ]
