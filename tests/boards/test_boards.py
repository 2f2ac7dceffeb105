"""Boards: created by community workers, seen by the community's members (CommunityBoards,
Board), with the demo's board per community."""

from __future__ import annotations

from tests.boards.support import (
    HULI_ADMIN,
    JINAN_CHAIR,
    JINAN_RESIDENT,
    JINAN_WORKER,
    JINSHAN_RESIDENT,
    JINSHAN_WORKER,
    Boards,
    codes,
)

DEFAULT_COLUMNS = [
    {"name": "待认领", "kind": "TODO"},
    {"name": "进行中", "kind": "DOING"},
    {"name": "待验收", "kind": "REVIEW"},
    {"name": "已完成", "kind": "DONE"},
]


class TestCreateBoard:
    async def test_a_worker_opens_a_board_with_the_four_default_columns(
        self, boards: Boards
    ) -> None:
        payload = await boards.create_board(JINAN_WORKER, name="楼道清洁看板")

        assert payload["errors"] == []
        board = payload["board"]
        assert board["name"] == "楼道清洁看板"
        assert board["community"]["id"] == boards.street.places["金安社区"]
        assert [{"name": c["name"], "kind": c["kind"]} for c in board["columns"]] == (
            DEFAULT_COLUMNS
        )
        assert all(c["wipLimit"] is None for c in board["columns"])

    async def test_custom_columns_keep_their_order_names_and_wip_limits(
        self, boards: Boards
    ) -> None:
        columns = [
            {"name": "想法", "kind": "TODO"},
            {"name": "本周", "kind": "TODO", "wipLimit": 5},
            {"name": "在做", "kind": "DOING", "wipLimit": 2},
            {"name": "验收", "kind": "REVIEW"},
            {"name": "完成", "kind": "DONE"},
        ]

        payload = await boards.create_board(HULI_ADMIN, columns=columns)

        assert payload["errors"] == []
        got = [
            {"name": c["name"], "kind": c["kind"], "wipLimit": c["wipLimit"]}
            for c in payload["board"]["columns"]
        ]
        assert got == [{**c, "wipLimit": c.get("wipLimit")} for c in columns]

    async def test_residents_and_council_members_may_not(self, boards: Boards) -> None:
        for phone in (JINAN_RESIDENT, JINAN_CHAIR):
            assert codes(await boards.create_board(phone)) == ["FORBIDDEN"]

    async def test_another_communitys_worker_may_not(self, boards: Boards) -> None:
        assert codes(await boards.create_board(JINSHAN_WORKER)) == ["FORBIDDEN"]

    async def test_a_board_needs_every_kind_of_column(self, boards: Boards) -> None:
        payload = await boards.create_board(columns=[{"name": "待办", "kind": "TODO"}])

        assert codes(payload) == ["INVALID_INPUT"]
        assert payload["errors"][0]["field"] == ["input", "columns"]

    async def test_bad_names_and_limits_are_all_reported_and_nothing_is_created(
        self, boards: Boards
    ) -> None:
        before = await boards.deps.db["boards"].count_documents({})
        columns = [{**c, "wipLimit": 0} for c in DEFAULT_COLUMNS]
        columns[0]["name"] = " "

        payload = await boards.create_board(name="", columns=columns)

        fields = [e["field"] for e in payload["errors"]]
        assert ["input", "name"] in fields
        assert ["input", "columns", "0", "name"] in fields
        assert ["input", "columns", "3", "wipLimit"] in fields
        assert await boards.deps.db["boards"].count_documents({}) == before

    async def test_it_is_recorded_as_an_event(self, boards: Boards) -> None:
        board = await boards.board()

        from tests.boards.support import object_id

        event = await boards.deps.db["events"].find_one(
            {"subject_id": object_id(board.id, "Board")}
        )
        assert event is not None
        assert event["kind"] == "board.created"


class TestCommunityBoards:
    async def test_members_see_the_demo_board_with_its_chinese_columns(
        self, boards: Boards
    ) -> None:
        community = boards.street.places["金山社区"]

        data = await boards.api.data(
            "CommunityBoards",
            {"communityId": community},
            token=await boards.token(JINSHAN_RESIDENT),
        )

        (board,) = data["community"]["boards"]
        assert board["name"] == "金山社区微治理任务看板"
        assert [{"name": c["name"], "kind": c["kind"]} for c in board["columns"]] == (
            DEFAULT_COLUMNS
        )

    async def test_outsiders_see_no_boards(self, boards: Boards) -> None:
        community = boards.street.places["金山社区"]

        data = await boards.api.data(
            "CommunityBoards", {"communityId": community}, token=await boards.token(JINAN_RESIDENT)
        )

        assert data["community"]["boards"] == []

    async def test_admins_above_see_them(self, boards: Boards) -> None:
        community = boards.street.places["金安社区"]

        data = await boards.api.data(
            "CommunityBoards", {"communityId": community}, token=await boards.token(HULI_ADMIN)
        )

        assert "金安社区微治理任务看板" in [b["name"] for b in data["community"]["boards"]]


class TestBoard:
    async def _demo_board(self, boards: Boards, phone: str) -> dict[str, str]:
        data = await boards.api.data(
            "CommunityBoards",
            {"communityId": boards.street.places["金安社区"]},
            token=await boards.token(phone),
        )
        board: dict[str, str] = next(
            b for b in data["community"]["boards"] if b["name"] == "金安社区微治理任务看板"
        )
        return board

    async def test_shows_the_columns_with_their_tasks_in_order(self, boards: Boards) -> None:
        board = await self._demo_board(boards, JINAN_RESIDENT)

        data = await boards.api.data(
            "Board", {"id": board["id"], "tasksFirst": 10}, token=await boards.token(JINAN_RESIDENT)
        )

        shown = data["board"]
        assert shown["community"]["name"] == "金安社区"
        columns = {c["kind"]: c for c in shown["columns"]}
        todo = [e["node"]["title"] for e in columns["TODO"]["tasks"]["edges"]]
        # Half claimed (one of two places), 周六楼道杂物清理 stays in 待认领, open to join.
        assert todo == ["更新宣传栏防诈骗海报", "陪同独居老人体检", "周六楼道杂物清理"]
        assert columns["DOING"]["tasks"]["edges"] == []
        half = columns["TODO"]["tasks"]["edges"][2]["node"]
        assert [a["displayName"] for a in half["assignees"]] == ["黄国栋"]
        assert half["viewerCanClaim"] is True
        (done,) = columns["DONE"]["tasks"]["edges"]
        assert done["node"]["sourceReport"]["number"].startswith("JA-")
        assert done["node"]["sourceProposal"] is None
        assert done["node"]["pointReward"] == 20
        assert done["node"]["labels"] == ["环境", "志愿服务"]
        assert columns["TODO"]["tasks"]["totalCount"] == 3

    async def test_pages_through_a_column(self, boards: Boards) -> None:
        board = await self._demo_board(boards, JINAN_RESIDENT)

        data = await boards.api.data(
            "Board", {"id": board["id"], "tasksFirst": 1}, token=await boards.token(JINAN_RESIDENT)
        )

        todo = next(c for c in data["board"]["columns"] if c["kind"] == "TODO")
        assert len(todo["tasks"]["edges"]) == 1
        assert todo["tasks"]["totalCount"] == 3

    async def test_is_null_for_outsiders(self, boards: Boards) -> None:
        board = await self._demo_board(boards, JINAN_RESIDENT)

        data = await boards.api.data(
            "Board", {"id": board["id"]}, token=await boards.token(JINSHAN_RESIDENT)
        )

        assert data["board"] is None

    async def test_is_reachable_by_node(self, boards: Boards) -> None:
        board = await self._demo_board(boards, JINAN_RESIDENT)
        query = "query($id: ID!) { node(id: $id) { __typename ... on Board { name } } }"

        mine = await boards.api.execute(
            query, {"id": board["id"]}, token=await boards.token(JINAN_RESIDENT)
        )
        theirs = await boards.api.execute(
            query, {"id": board["id"]}, token=await boards.token(JINSHAN_RESIDENT)
        )

        assert mine.data == {"node": {"__typename": "Board", "name": "金安社区微治理任务看板"}}
        assert theirs.data == {"node": None}
