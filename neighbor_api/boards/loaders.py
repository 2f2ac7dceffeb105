"""DataLoaders for tasks and boards."""

from __future__ import annotations

from collections.abc import Awaitable, Sequence

from bson import ObjectId
from strawberry.dataloader import DataLoader

from neighbor_api.boards import repository
from neighbor_api.boards.models import Board, Task
from neighbor_api.core.deps import Deps


def tasks_from_report_loader(deps: Deps) -> DataLoader[ObjectId, list[Task]]:
    async def load(ids: Sequence[ObjectId]) -> list[list[Task]]:
        by_report: dict[ObjectId, list[Task]] = {i: [] for i in ids}
        for task in await repository.tasks_from_reports(deps.db, ids):
            if task.source_report_id is not None:
                by_report[task.source_report_id].append(task)
        return [by_report[i] for i in ids]

    return DataLoader(load_fn=load)


def board_loader(deps: Deps) -> DataLoader[ObjectId, Board | None]:
    async def load(ids: Sequence[ObjectId]) -> list[Board | None]:
        found = {b.id: b for b in await repository.boards_by_ids(deps.db, ids)}
        return [found.get(i) for i in ids]

    return DataLoader(load_fn=load)


def boards_of_community_loader(deps: Deps) -> DataLoader[ObjectId, list[Board]]:
    """Each community's boards, all the communities of a page in one query."""

    async def load(ids: Sequence[ObjectId]) -> list[list[Board]]:
        by_community: dict[ObjectId, list[Board]] = {i: [] for i in ids}
        for board in await repository.boards_of_communities(deps.db, ids):
            by_community[board.community_id].append(board)
        return [by_community[i] for i in ids]

    return DataLoader(load_fn=load)


def column_task_counts_loader(deps: Deps) -> DataLoader[tuple[ObjectId, int | None], int]:
    """How many tasks each column (of a board with its `tasks_version`, None if not read) holds:
    a whole board's columns in one query, kept by the instance under their boards' versions
    when all are known (core/kept.py)."""

    async def load(keys: Sequence[tuple[ObjectId, int | None]]) -> list[int]:
        ids = [column_id for column_id, _ in keys]
        versions = tuple(version for _, version in keys)

        def read() -> Awaitable[dict[ObjectId, int]]:
            return repository.counts_in_columns(deps.db, ids)

        if None in versions:
            counts = await read()
        else:
            counts = await deps.keep(("boards.counts", tuple(ids)), versions, read)
        return [counts.get(i, 0) for i in ids]

    return DataLoader(load_fn=load)
