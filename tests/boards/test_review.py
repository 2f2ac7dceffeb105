"""The review workflow and points: SubmitTask (note, photos → REVIEW), ApproveTask (→ DONE,
each assignee rewarded exactly once, under retries and races), sending back (returnTask →
DOING), the points ledger, viewer.points and the Leaderboard (ties share a rank)."""

from __future__ import annotations

import asyncio

from neighbor_api.attachments import service as attachments
from neighbor_api.core.mongo import Client
from neighbor_api.graphql.relay import to_global_id
from neighbor_api.memberships.service import actor_for
from neighbor_api.schema import NeighborSchema
from neighbor_api.settings import Settings
from tests.attachments.support import jpeg
from tests.boards.support import (
    JINAN_CHAIR,
    JINAN_HOUSEMATE,
    JINAN_NEIGHBOUR,
    JINAN_RESIDENT,
    JINAN_WORKER,
    JINSHAN_RESIDENT,
    JINSHAN_WORKER,
    RETURN_TASK,
    Boards,
    codes,
    object_id,
)
from tests.reports.support import shared_street

PHOTOS = "query($id: ID!) { task(id: $id) { submission { photos { id url } } } }"


async def _ledger(boards: Boards, task_id: str) -> list[tuple[object, int]]:
    cursor = boards.deps.db["points_ledger"].find({"task_id": object_id(task_id, "Task")})
    return sorted([(e["user_id"], e["points"]) async for e in cursor], key=str)


async def _points(boards: Boards, phone: str) -> int:
    data = await boards.api.data("Viewer", token=await boards.token(phone))
    points: int = data["viewer"]["points"]
    return points


class TestSubmitTask:
    async def test_an_assignee_hands_in_a_note_and_photos(self, boards: Boards) -> None:
        board = await boards.board()
        task = await boards.task(board)
        await boards.ok("ClaimTask", JINAN_RESIDENT, taskId=task["id"])
        user = object_id(await boards.street.user_id(JINAN_RESIDENT), "User")
        upload = await attachments.upload(
            boards.deps, await actor_for(boards.deps, user), filename="绿化带.jpg", data=jpeg()
        )
        photo = to_global_id("Attachment", upload.id)

        submitted = await boards.ok(
            "SubmitTask", JINAN_RESIDENT, taskId=task["id"], note="已修剪完毕。", photoIds=[photo]
        )

        assert (submitted["status"], submitted["column"]) == ("IN_REVIEW", {"kind": "REVIEW"})
        detail = await boards.detail(task["id"], JINAN_NEIGHBOUR)
        assert detail is not None
        assert detail["submission"]["note"] == "已修剪完毕。"
        assert [p["id"] for p in detail["submission"]["photos"]] == [photo]
        assert detail["history"][-1]["action"] == "SUBMITTED"
        outsider = await boards.api.execute(
            "query($id: ID!) { node(id: $id) { id } }", {"id": photo},
            token=await boards.token(JINSHAN_RESIDENT),
        )  # fmt: skip
        assert outsider.data == {"node": None}
        neighbour = await boards.api.execute(
            "query($id: ID!) { node(id: $id) { id } }", {"id": photo},
            token=await boards.token(JINAN_NEIGHBOUR),
        )  # fmt: skip
        assert neighbour.data == {"node": {"id": photo}}

    async def test_only_an_assignee_may_submit(self, boards: Boards) -> None:
        board = await boards.board()
        task = await boards.task(board)
        await boards.ok("ClaimTask", JINAN_RESIDENT, taskId=task["id"])

        assert await boards.refused("SubmitTask", JINAN_NEIGHBOUR, taskId=task["id"]) == [
            "FORBIDDEN"
        ]

    async def test_someone_elses_photo_is_refused_and_nothing_changes(self, boards: Boards) -> None:
        board = await boards.board()
        task = await boards.task(board)
        claimed = await boards.ok("ClaimTask", JINAN_RESIDENT, taskId=task["id"])
        user = object_id(await boards.street.user_id(JINAN_NEIGHBOUR), "User")
        upload = await attachments.upload(
            boards.deps, await actor_for(boards.deps, user), filename="x.jpg", data=jpeg()
        )

        codes_ = await boards.refused(
            "SubmitTask", JINAN_RESIDENT, taskId=task["id"],
            photoIds=[to_global_id("Attachment", upload.id)],
        )  # fmt: skip

        assert codes_ == ["NOT_FOUND"]
        detail = await boards.detail(task["id"])
        assert detail is not None
        assert (detail["status"], detail["version"]) == ("IN_PROGRESS", claimed["version"])


class TestApproveTask:
    async def test_staff_approve_and_each_assignee_earns_the_reward(self, boards: Boards) -> None:
        board = await boards.board()
        task = await boards.to_review(board, JINAN_HOUSEMATE, JINAN_CHAIR, pointReward=12)
        before = await _points(boards, JINAN_HOUSEMATE)

        payload = await boards.mutate("ApproveTask", JINAN_WORKER, taskId=task["id"])

        assert payload["errors"] == []
        assert (payload["task"]["status"], payload["task"]["column"]) == ("DONE", {"kind": "DONE"})
        ids = {await boards.street.user_id(p) for p in (JINAN_HOUSEMATE, JINAN_CHAIR)}
        assert {a["user"]["id"] for a in payload["awards"]} == ids
        assert [a["points"] for a in payload["awards"]] == [12, 12]
        assert await _points(boards, JINAN_HOUSEMATE) == before + 12
        assert len(await _ledger(boards, task["id"])) == 2
        assert (await boards.events(task["id"]))[-1] == "task.approved"

    async def test_a_retry_awards_nothing_more_and_answers_the_same(self, boards: Boards) -> None:
        board = await boards.board()
        task = await boards.to_review(board, JINAN_RESIDENT, pointReward=7)
        first = await boards.mutate("ApproveTask", JINAN_WORKER, taskId=task["id"])

        again = await boards.mutate("ApproveTask", JINAN_WORKER, taskId=task["id"])

        assert again["errors"] == []
        assert again["awards"] == first["awards"]
        assert again["task"]["version"] == first["task"]["version"]
        assert len(await _ledger(boards, task["id"])) == 1

    async def test_simultaneous_approvals_award_exactly_once(self, boards: Boards) -> None:
        board = await boards.board()
        task = await boards.to_review(board, JINAN_RESIDENT, JINAN_NEIGHBOUR, pointReward=9)
        admin = boards.street  # both the worker and the district admin approve, many times
        tokens = [await admin.token(JINAN_WORKER), await admin.token("13800000099")] * 5

        payloads = await asyncio.gather(
            *(
                boards.api.data("ApproveTask", {"input": {"taskId": task["id"]}}, token=t)
                for t in tokens
            )
        )

        assert all(p["approveTask"]["errors"] == [] for p in payloads)
        ledger = await _ledger(boards, task["id"])
        assert [points for _, points in ledger] == [9, 9]
        assert len({user for user, _ in ledger}) == 2
        assert (await boards.events(task["id"])).count("task.approved") == 1

    async def test_residents_may_not_approve(self, boards: Boards) -> None:
        board = await boards.board()
        task = await boards.to_review(board, JINAN_RESIDENT)

        assert codes(await boards.mutate("ApproveTask", JINAN_RESIDENT, taskId=task["id"])) == [
            "FORBIDDEN"
        ]
        assert await _ledger(boards, task["id"]) == []

    async def test_only_tasks_in_review_can_be_approved(self, boards: Boards) -> None:
        board = await boards.board()
        task = await boards.task(board)

        payload = await boards.mutate("ApproveTask", JINAN_WORKER, taskId=task["id"])

        assert codes(payload) == ["INVALID_TRANSITION"]

    async def test_another_communitys_staff_cannot_find_it(self, boards: Boards) -> None:
        board = await boards.board()
        task = await boards.to_review(board, JINAN_RESIDENT)

        assert codes(await boards.mutate("ApproveTask", JINSHAN_WORKER, taskId=task["id"])) == [
            "NOT_FOUND"
        ]


class TestReturnTask:
    async def test_staff_send_it_back_to_doing_with_a_reason(self, boards: Boards) -> None:
        board = await boards.board()
        task = await boards.to_review(board, JINAN_RESIDENT)

        result = await boards.api.execute(
            RETURN_TASK, {"input": {"taskId": task["id"], "reason": "东侧还没有修剪。"}},
            token=await boards.token(JINAN_WORKER),
        )  # fmt: skip

        assert result.data is not None
        payload = result.data["returnTask"]
        assert payload["errors"] == []
        assert (payload["task"]["status"], payload["task"]["column"]) == (
            "IN_PROGRESS", {"kind": "DOING"},
        )  # fmt: skip
        assert payload["task"]["history"][-1] == {"action": "RETURNED", "note": "东侧还没有修剪。"}
        # ... and it can be handed in again.
        assert codes(await boards.mutate("SubmitTask", JINAN_RESIDENT, taskId=task["id"])) == []

    async def test_residents_may_not(self, boards: Boards) -> None:
        board = await boards.board()
        task = await boards.to_review(board, JINAN_RESIDENT)

        result = await boards.api.execute(
            RETURN_TASK, {"input": {"taskId": task["id"]}},
            token=await boards.token(JINAN_RESIDENT),
        )  # fmt: skip

        assert result.data is not None
        assert codes(result.data["returnTask"]) == ["FORBIDDEN"]


class TestLeaderboard:
    async def test_ranks_with_ties_sharing_a_rank(
        self, mongo_client: Client, schema: NeighborSchema, settings: Settings
    ) -> None:
        async with shared_street(mongo_client, schema, settings) as street:
            fresh = Boards(street)
            # The demo approved one task of 20 points for 王丽娟 and 李秀英.
            board = await fresh.board()
            for phone, reward in ((JINAN_CHAIR, 25), (JINAN_HOUSEMATE, 5)):
                task = await fresh.to_review(board, phone, pointReward=reward)
                await fresh.ok("ApproveTask", JINAN_WORKER, taskId=task["id"])

            data = await fresh.api.data(
                "Leaderboard", {"communityId": street.places["金安社区"], "first": 10},
                token=await fresh.token(JINAN_RESIDENT),
            )  # fmt: skip

            rows = [
                (r["rank"], r["points"], r["user"]["displayName"])
                for r in data["pointsLeaderboard"]
            ]
            assert rows[0] == (1, 25, "黄国栋")
            assert sorted(rows[1:3]) == [(2, 20, "李秀英"), (2, 20, "王丽娟")]
            assert rows[3] == (4, 5, "张伟")
            assert len(rows) == 4
            assert await _points(fresh, JINAN_CHAIR) == 25

    async def test_first_limits_the_rows(self, boards: Boards) -> None:
        data = await boards.api.data(
            "Leaderboard", {"communityId": boards.street.places["金安社区"], "first": 1},
            token=await boards.token(JINAN_RESIDENT),
        )  # fmt: skip

        assert len(data["pointsLeaderboard"]) == 1
        assert data["pointsLeaderboard"][0]["rank"] == 1

    async def test_is_null_for_outsiders(self, boards: Boards) -> None:
        data = await boards.api.data(
            "Leaderboard", {"communityId": boards.street.places["金安社区"]},
            token=await boards.token(JINSHAN_RESIDENT),
        )  # fmt: skip

        assert data["pointsLeaderboard"] is None

    async def test_uses_an_index(self, boards: Boards) -> None:
        community = object_id(boards.street.places["金安社区"], "Place")

        plan = await boards.deps.db.command(
            "explain",
            {"aggregate": "points_ledger", "pipeline": [{"$match": {"community_id": community}}],
             "cursor": {}},
            verbosity="queryPlanner",
        )  # fmt: skip

        assert "community_user" in str(plan)
