"""A passed proposal spawns tasks on the community's board (resultingTasks)."""

from __future__ import annotations

from typing import Any

from neighbor_api.core.deps import Deps
from tests.conftest import Api
from tests.councils.support import CHAIR, JINAN_WORKER, OWNERS_CHAIR, SECRETARY, Hall


async def _create_task(hall: Hall, proposal_id: str) -> dict[str, Any]:
    token = await hall.token(JINAN_WORKER)
    boards = await hall.api.data(
        "CommunityBoards", {"communityId": hall.communities["金安社区"]}, token=token
    )
    board = boards["community"]["boards"][0]
    todo = next(c for c in board["columns"] if c["kind"] == "TODO")
    data = await hall.api.data(
        "CreateTask",
        {
            "input": {
                "boardId": board["id"],
                "columnId": todo["id"],
                "title": "小广场铺设透水砖",
                "pointReward": 10,
                "capacity": 3,
                "sourceProposalId": proposal_id,
            }
        },
        token=token,
    )
    payload: dict[str, Any] = data["createTask"]
    return payload


class TestResultingTasks:
    async def test_a_passed_proposal_lists_the_tasks_spawned_from_it(
        self, api: Api, deps: Deps
    ) -> None:
        hall = await Hall.open(api, deps)
        proposal_id = await hall.voting(electorate="COUNCIL_MEMBERS")
        for voter in (CHAIR, SECRETARY, OWNERS_CHAIR):
            await hall.vote(voter, proposal_id, "赞成")
        assert (await hall.close(proposal_id))["outcome"] == "PASSED"

        payload = await _create_task(hall, proposal_id)

        assert payload["errors"] == []
        detail = await hall.detail(proposal_id)
        assert [t["id"] for t in detail["resultingTasks"]] == [payload["task"]["id"]]
        assert detail["resultingTasks"][0]["column"]["name"] == "待认领"

    async def test_a_proposal_not_passed_spawns_nothing(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        proposal_id = await hall.voting(electorate="COUNCIL_MEMBERS")

        payload = await _create_task(hall, proposal_id)

        assert payload["task"] is None
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [
            ("INVALID_INPUT", ["input", "sourceProposalId"])
        ]
        assert (await hall.detail(proposal_id))["resultingTasks"] == []
