"""Creating tasks (CreateTask) and reading one (TaskDetail): who may, what is checked, links
to reports, idempotency keys, WIP limits."""

from __future__ import annotations

from datetime import timedelta

from tests.boards.support import (
    JINAN_CHAIR,
    JINAN_GRID_WORKER,
    JINAN_RESIDENT,
    JINAN_WORKER,
    JINSHAN_RESIDENT,
    JINSHAN_WORKER,
    Boards,
    object_id,
)
from tests.reports.support import START, iso


class TestCreateTask:
    async def test_staff_put_a_task_at_the_top_of_the_first_todo_column(
        self, boards: Boards
    ) -> None:
        board = await boards.board()
        first = await boards.task(board)

        task = await boards.task(
            board,
            title="清理 3 栋天台杂物",
            pointReward=15,
            capacity=3,
            dueAt=iso(START + timedelta(days=2)),
            labels=["环境", " 环境 ", "消防安全"],
        )

        assert task["version"] == 1
        assert task["column"] == {"id": board.column("TODO"), "kind": "TODO"}
        assert (await boards.order(board))["TODO"] == [task["id"], first["id"]]
        detail = await boards.detail(task["id"])
        assert detail is not None
        assert detail["status"] == "OPEN"
        assert (detail["pointReward"], detail["capacity"]) == (15, 3)
        assert detail["labels"] == ["环境", "消防安全"]
        assert detail["creator"]["displayName"] == "林美华"
        assert detail["board"]["id"] == board.id
        assert await boards.events(task["id"]) == ["task.created"]

    async def test_council_members_may_create_tasks(self, boards: Boards) -> None:
        board = await boards.board()

        task = await boards.task(board, JINAN_CHAIR)

        assert task["version"] == 1

    async def test_residents_grid_workers_and_outsiders_may_not(self, boards: Boards) -> None:
        board = await boards.board()

        assert await boards.refused("CreateTask", JINAN_RESIDENT, boardId=board.id, title="x") == [
            "FORBIDDEN"
        ]
        assert await boards.refused(
            "CreateTask", JINAN_GRID_WORKER, boardId=board.id, title="x"
        ) == ["FORBIDDEN"]
        assert await boards.refused("CreateTask", JINSHAN_WORKER, boardId=board.id, title="x") == [
            "NOT_FOUND"
        ]

    async def test_bad_input_is_reported_field_by_field_and_creates_nothing(
        self, boards: Boards
    ) -> None:
        board = await boards.board()

        payload = await boards.mutate(
            "CreateTask",
            JINAN_WORKER,
            boardId=board.id,
            title=" ",
            pointReward=-1,
            capacity=0,
            dueAt=iso(START - timedelta(hours=1)),
            labels=[f"标签{i}" for i in range(11)],
        )

        assert payload["task"] is None
        fields = {tuple(e["field"]): e["code"] for e in payload["errors"]}
        assert fields == {
            ("input", "title"): "INVALID_INPUT",
            ("input", "pointReward"): "INVALID_INPUT",
            ("input", "capacity"): "INVALID_INPUT",
            ("input", "dueAt"): "INVALID_INPUT",
            ("input", "labels"): "INVALID_INPUT",
        }
        assert (await boards.order(board))["TODO"] == []

    async def test_messages_follow_the_language(self, boards: Boards) -> None:
        board = await boards.board()
        from neighbor_api.core.i18n import Locale

        data = await boards.api.data(
            "CreateTask",
            {"input": {"boardId": board.id, "title": "x", "capacity": 99}},
            token=await boards.token(JINAN_WORKER),
            locale=Locale.EN,
        )

        assert data["createTask"]["errors"][0]["message"] == "The capacity must be 1 to 50"

    async def test_not_in_review_or_done_columns(self, boards: Boards) -> None:
        board = await boards.board()

        for kind in ("REVIEW", "DONE"):
            codes = await boards.refused(
                "CreateTask", JINAN_WORKER, boardId=board.id, columnId=board.column(kind),
                title="x",
            )  # fmt: skip
            assert codes == ["INVALID_INPUT"]

    async def test_a_column_of_another_board_is_not_found(self, boards: Boards) -> None:
        board, other = await boards.board(), await boards.board()

        codes = await boards.refused(
            "CreateTask", JINAN_WORKER, boardId=board.id, columnId=other.column("TODO"), title="x"
        )

        assert codes == ["NOT_FOUND"]

    async def test_a_retry_with_the_same_key_returns_the_first_task(self, boards: Boards) -> None:
        board = await boards.board()

        first = await boards.task(board, idempotencyKey="create-1")
        again = await boards.task(board, idempotencyKey="create-1")

        assert again["id"] == first["id"]
        assert len((await boards.order(board))["TODO"]) == 1

    async def test_a_full_column_is_wip_limit_reached(self, boards: Boards) -> None:
        columns = [
            {"name": "待认领", "kind": "TODO", "wipLimit": 2},
            {"name": "进行中", "kind": "DOING"},
            {"name": "待验收", "kind": "REVIEW"},
            {"name": "已完成", "kind": "DONE"},
        ]
        board = await boards.board(columns=columns)
        await boards.tasks(board, 2)

        payload = await boards.mutate("CreateTask", JINAN_WORKER, boardId=board.id, title="第三项")

        assert [e["code"] for e in payload["errors"]] == ["WIP_LIMIT_REACHED"]
        assert "2" in payload["errors"][0]["message"]
        assert len((await boards.order(board))["TODO"]) == 2


class TestSourceReport:
    async def test_a_task_spawned_from_a_report_shows_on_both_sides(self, boards: Boards) -> None:
        board = await boards.board()
        report_id = await boards.street.submit(JINAN_RESIDENT)

        task = await boards.task(board, sourceReportId=report_id, title="更换 6 栋声控灯")

        report = await boards.street.detail(report_id, JINAN_RESIDENT)
        assert report is not None
        assert report["linkedTasks"] == [
            {"id": task["id"], "title": "更换 6 栋声控灯",
             "column": {"id": board.column("TODO"), "name": "待认领"}},
        ]  # fmt: skip
        data = await boards.api.data(
            "Board", {"id": board.id}, token=await boards.token(JINAN_RESIDENT)
        )
        (edge,) = data["board"]["columns"][0]["tasks"]["edges"]
        assert edge["node"]["sourceReport"]["id"] == report_id

    async def test_a_report_of_another_community_is_not_found(self, boards: Boards) -> None:
        board = await boards.board()
        theirs = await boards.street.api.data(
            "SubmitReport",
            {
                "input": {
                    "communityId": boards.street.places["金山社区"],
                    "category": "REPAIR",
                    "title": "金山公园路灯不亮",
                    "description": "公园东门两盏路灯不亮。",
                    "location": {"lat": 24.5029, "lng": 118.1771},
                }
            },
            token=await boards.token(JINSHAN_RESIDENT),
        )
        report_id = theirs["submitReport"]["report"]["id"]

        payload = await boards.mutate(
            "CreateTask", JINAN_WORKER, boardId=board.id, title="x", sourceReportId=report_id
        )

        assert [(e["code"], e["field"]) for e in payload["errors"]] == [
            ("NOT_FOUND", ["input", "sourceReportId"])
        ]

    async def test_an_unknown_proposal_is_not_found(self, boards: Boards) -> None:
        board = await boards.board()
        from neighbor_api.graphql.relay import to_global_id

        payload = await boards.mutate(
            "CreateTask", JINAN_WORKER, boardId=board.id, title="x",
            sourceProposalId=to_global_id("Proposal", object_id(board.id, "Board")),
        )  # fmt: skip

        assert [(e["code"], e["field"]) for e in payload["errors"]] == [
            ("NOT_FOUND", ["input", "sourceProposalId"])
        ]


class TestTaskDetail:
    async def test_shows_the_history_with_columns_and_people(self, boards: Boards) -> None:
        board = await boards.board()
        task = await boards.task(board)
        await boards.ok("ClaimTask", JINAN_RESIDENT, taskId=task["id"])

        detail = await boards.detail(task["id"], JINAN_RESIDENT)

        assert detail is not None
        steps = [
            (h["action"], h["actor"]["displayName"], h["fromColumn"], h["toColumn"]["name"])
            for h in detail["history"]
        ]
        assert steps == [
            ("CREATED", "林美华", None, "待认领"),
            ("CLAIMED", "王丽娟", {"name": "待认领"}, "进行中"),
        ]
        assert detail["status"] == "IN_PROGRESS"
        assert detail["column"]["kind"] == "DOING"

    async def test_is_null_for_outsiders(self, boards: Boards) -> None:
        board = await boards.board()
        task = await boards.task(board)

        assert await boards.detail(task["id"], JINSHAN_RESIDENT) is None
        assert await boards.detail(task["id"], JINSHAN_WORKER) is None
