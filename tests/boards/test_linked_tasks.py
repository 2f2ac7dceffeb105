"""A report's `linkedTasks` reads the tasks made from it only when there are some.

`createTask` with `sourceReportId` counts the task on the report in the task's transaction
(`Report.linked_task_count`, never taken back), and the count is a write of the community's
reports (its version), so a kept list page shows it at once. Step 13
(`m0013_report_linked_tasks`) counts the tasks of the reports stored before it.
"""

from __future__ import annotations

from typing import Any

import pytest

from neighbor_api.boards.repository import TASKS
from neighbor_api.migrations import m0013_report_linked_tasks
from neighbor_api.reports.repository import REPORTS
from tests.boards.support import JINAN_RESIDENT, JINAN_WORKER, Boards, object_id
from tests.conftest import CommandCounter, record_commands

LINKED_LIST = """
query LinkedList($communityId: ID!) {
  reports(communityId: $communityId, first: 5) { edges { node { id linkedTasks { id } } } }
}
"""


def task_reads(commands: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [c for c in commands if c.get("find") == TASKS]


async def count_of(boards: Boards, report_id: str) -> int | None:
    found = await boards.street.deps.db[REPORTS].find_one({"_id": object_id(report_id)})
    assert found is not None
    count: int | None = found.get("linked_task_count")
    return count


class TestLinkedTasks:
    async def test_a_report_no_task_was_made_from_reads_none(
        self, boards: Boards, command_counter: CommandCounter, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        report_id = await boards.street.submit(JINAN_RESIDENT)
        await boards.token(JINAN_RESIDENT)
        commands = record_commands(command_counter, monkeypatch, boards.street.deps.db.name)

        report = await boards.street.detail(report_id, JINAN_RESIDENT)

        assert report is not None
        assert report["linkedTasks"] == []
        assert task_reads(commands) == []

    async def test_each_task_made_from_it_is_counted_and_shown(
        self, boards: Boards, command_counter: CommandCounter, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        board = await boards.board()
        report_id = await boards.street.submit(JINAN_RESIDENT)
        first = await boards.task(board, sourceReportId=report_id, title="更换 6 栋声控灯")
        second = await boards.task(board, sourceReportId=report_id, title="检查 6 栋线路")
        await boards.task(board, title="与此无关")
        await boards.token(JINAN_RESIDENT)
        commands = record_commands(command_counter, monkeypatch, boards.street.deps.db.name)

        report = await boards.street.detail(report_id, JINAN_RESIDENT)

        assert await count_of(boards, report_id) == 2
        assert report is not None
        assert [t["id"] for t in report["linkedTasks"]] == [first["id"], second["id"]]
        assert len(task_reads(commands)) == 1

    async def test_a_kept_page_shows_a_task_made_since(self, boards: Boards) -> None:
        board = await boards.board()
        report_id = await boards.street.submit(JINAN_RESIDENT)
        token = await boards.token(JINAN_WORKER)
        variables = {"communityId": boards.street.places["金安社区"]}

        async def linked() -> list[dict[str, str]]:
            result = await boards.street.api.execute(LINKED_LIST, variables, token=token)
            assert result.errors is None, result.errors
            assert result.data is not None
            edges = result.data["reports"]["edges"]
            (node,) = [e["node"] for e in edges if e["node"]["id"] == report_id]
            tasks: list[dict[str, str]] = node["linkedTasks"]
            return tasks

        assert await linked() == []  # the page is kept now
        task = await boards.task(board, sourceReportId=report_id, title="更换 6 栋声控灯")

        assert await linked() == [{"id": task["id"]}]


class TestStep13:
    async def test_counts_the_tasks_of_reports_stored_before_it(self, boards: Boards) -> None:
        board = await boards.board()
        linked = await boards.street.submit(JINAN_RESIDENT)
        alone = await boards.street.submit(JINAN_RESIDENT)
        for title in ("更换 6 栋声控灯", "检查 6 栋线路"):
            await boards.task(board, sourceReportId=linked, title=title)
        db = boards.street.deps.db
        ids = [object_id(linked), object_id(alone)]
        await db[REPORTS].update_many(
            {"_id": {"$in": ids}}, {"$unset": {"linked_task_count": ""}}
        )  # as a release before this one stored them

        await m0013_report_linked_tasks.apply(db)
        assert (await count_of(boards, linked), await count_of(boards, alone)) == (2, None)
        report = await boards.street.detail(linked, JINAN_RESIDENT)
        assert report is not None
        assert len(report["linkedTasks"]) == 2

        await m0013_report_linked_tasks.apply(db)  # again: nothing changes
        assert (await count_of(boards, linked), await count_of(boards, alone)) == (2, None)
