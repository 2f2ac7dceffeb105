"""MongoDB queries about boards and tasks (the read side other features need)."""

from __future__ import annotations

from collections.abc import Sequence

from bson import ObjectId
from pymongo import ASCENDING, IndexModel

from neighbor_api.boards.models import Board, Task
from neighbor_api.core.mongo import Database, register_indexes

BOARDS = "boards"
TASKS = "tasks"

register_indexes(
    TASKS,
    [
        IndexModel([("source_report_id", ASCENDING)], name="source_report", sparse=True),
        IndexModel([("source_proposal_id", ASCENDING)], name="source_proposal", sparse=True),
    ],
)


async def tasks_from_reports(db: Database, report_ids: Sequence[ObjectId]) -> list[Task]:
    cursor = db[TASKS].find(
        {"source_report_id": {"$in": list(report_ids)}}, sort=[("_id", ASCENDING)]
    )
    return [Task.from_document(d) async for d in cursor]


async def boards_by_ids(db: Database, ids: Sequence[ObjectId]) -> list[Board]:
    return [Board.from_document(d) async for d in db[BOARDS].find({"_id": {"$in": list(ids)}})]
