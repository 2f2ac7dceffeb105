"""Every MongoDB query about boards and tasks."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from bson import ObjectId
from pymongo import ASCENDING, IndexModel, ReturnDocument, UpdateOne

from neighbor_api.boards.models import CLAIMABLE, Board, Task, TaskComment, TaskStatus
from neighbor_api.core import idempotency, together
from neighbor_api.core.mongo import Database, Document, Session, register_indexes
from neighbor_api.core.pagination import Page, keyset_page

BOARDS = "boards"
TASKS = "tasks"
COMMENTS = "task_comments"

# A column's order: rank, then id (two cards given one rank by racing moves stay in a stable
# order until the column is next rebalanced).
COLUMN_ORDER = [("rank", ASCENDING), ("_id", ASCENDING)]

register_indexes(
    BOARDS,
    [IndexModel([("community_id", ASCENDING), ("_id", ASCENDING)], name="community")],
)
register_indexes(
    TASKS,
    [
        IndexModel([("source_report_id", ASCENDING)], name="source_report", sparse=True),
        IndexModel([("source_proposal_id", ASCENDING)], name="source_proposal", sparse=True),
        IndexModel(
            [("column_id", ASCENDING), ("rank", ASCENDING), ("_id", ASCENDING)],
            name="column_rank",
        ),
        # A column's cards but the cancelled (equality on the column, one `$in` on the status).
        IndexModel(
            [
                ("column_id", ASCENDING),
                ("status", ASCENDING),
                ("rank", ASCENDING),
                ("_id", ASCENDING),
            ],
            name="column_status_rank",
        ),
        IndexModel([("assignees", ASCENDING), ("status", ASCENDING)], name="assignee_status"),
        # openTasks: a community's claimable tasks, soonest first.
        IndexModel(
            [
                ("community_id", ASCENDING),
                ("joinable", ASCENDING),
                ("soonest", ASCENDING),
                ("_id", ASCENDING),
            ],
            name="community_joinable_soonest",
        ),
        idempotency.unique_index(),
    ],
)
register_indexes(
    COMMENTS,
    [
        IndexModel([("task_id", ASCENDING), ("_id", ASCENDING)], name="task_oldest"),
        idempotency.unique_index(),
    ],
)

# Cancelled tasks keep their column (and their history) but leave the board's lists: the lists
# read the other statuses (one `$in`, which SecantusDB plans; a `$ne` it would not).
NOT_CANCELLED: Document = {
    "status": {"$in": sorted(s.value for s in TaskStatus if s is not TaskStatus.CANCELLED)}
}


# --- Boards -------------------------------------------------------------------------------


async def insert_board(db: Database, board: Board, *, session: Session | None = None) -> None:
    await db[BOARDS].insert_one(board.to_document(), session=session)


async def boards_by_ids(db: Database, ids: Sequence[ObjectId]) -> list[Board]:
    """The boards of `ids` that exist (read with other requests' asks: `core/together.py`)."""
    return [Board.from_document(d) for d in await together.find_in(db, BOARDS, ids)]


async def boards_of_communities(db: Database, community_ids: Sequence[ObjectId]) -> list[Board]:
    cursor = db[BOARDS].find(
        {"community_id": {"$in": list(community_ids)}},
        sort=[("community_id", ASCENDING), ("_id", ASCENDING)],
    )
    return [Board.from_document(d) async for d in cursor]


async def touch_board(db: Database, board_id: ObjectId, *, session: Session) -> None:
    """Write the board in a transaction that fills a WIP-limited column, so that two such
    transactions conflict (and the loser counts again) instead of both passing the limit."""
    await db[BOARDS].update_one({"_id": board_id}, {"$inc": {"wip_guard": 1}}, session=session)


async def touch_tasks(db: Database, board_id: ObjectId, *, session: Session | None) -> None:
    """Count a write of the board's tasks in its `tasks_version`, after the write (in its
    transaction, if any): the column pages kept before it are read again (core/kept.py).
    Every write of a task comes here."""
    await db[BOARDS].update_one({"_id": board_id}, {"$inc": {"tasks_version": 1}}, session=session)


# --- Tasks --------------------------------------------------------------------------------


async def insert_task(db: Database, task: Task, *, session: Session | None = None) -> None:
    await db[TASKS].insert_one({**task.to_document(), "joinable": task.is_joinable()},
                               session=session)  # fmt: skip
    await touch_tasks(db, task.board_id, session=session)


async def tasks_by_ids(
    db: Database, ids: Sequence[ObjectId], *, session: Session | None = None
) -> list[Task]:
    cursor = db[TASKS].find({"_id": {"$in": list(ids)}}, session=session)
    return [Task.from_document(d) async for d in cursor]


async def tasks_from_reports(db: Database, report_ids: Sequence[ObjectId]) -> list[Task]:
    cursor = db[TASKS].find(
        {"source_report_id": {"$in": list(report_ids)}}, sort=[("_id", ASCENDING)]
    )
    return [Task.from_document(d) async for d in cursor]


async def column_page(
    db: Database, column_id: ObjectId, *, first: int | None, after: str | None
) -> Page[Task]:
    result = await keyset_page(
        db[TASKS],
        {"column_id": column_id, **NOT_CANCELLED},
        sort=COLUMN_ORDER,
        first=first,
        after=after,
    )
    return result.map(Task.from_document)


OPEN_ORDER = [("soonest", ASCENDING), ("_id", ASCENDING)]


async def open_tasks_page(
    db: Database,
    community_id: ObjectId,
    viewer_id: ObjectId,
    *,
    first: int | None,
    after: str | None,
) -> Page[Task]:
    """The community's tasks the viewer can still join (claimable with a place free:
    `joinable`; not already theirs), soonest first. The query is two equalities leading the
    index; the few joinable tasks the viewer holds are left out of the page here (a page may
    then hold that many fewer) and out of the count by reading the viewer's claimable tasks on
    `assignee_status` (a `$ne` in the query would not be planned on an index by SecantusDB)."""
    query: Document = {"community_id": community_id, "joinable": True}
    page = await keyset_page(db[TASKS], query, sort=OPEN_ORDER, first=first, after=after)

    async def held() -> int:  # the viewer's claimable tasks (a few), on assignee_status
        cursor = db[TASKS].find(
            {"assignees": viewer_id, "status": {"$in": sorted(s.value for s in CLAIMABLE)}},
            projection={"community_id": 1, "joinable": 1},
        )
        found = await cursor.to_list()
        return sum(1 for d in found if d.get("community_id") == community_id and d.get("joinable"))

    async def count() -> int:
        total, mine = await asyncio.gather(page.count(), held())
        return int(total) - mine

    edges = [(c, Task.from_document(d)) for c, d in page.edges if viewer_id not in d["assignees"]]
    return Page(edges, page.has_next_page, count)


# --- Comments -----------------------------------------------------------------------------


async def insert_comment(
    db: Database, comment: TaskComment, *, session: Session | None = None
) -> None:
    await db[COMMENTS].insert_one(comment.to_document(), session=session)


async def comments_page(
    db: Database, task_id: ObjectId, *, first: int | None, after: str | None
) -> Page[TaskComment]:
    result = await keyset_page(
        db[COMMENTS], {"task_id": task_id}, sort=[("_id", ASCENDING)], first=first, after=after
    )
    return result.map(TaskComment.from_document)


async def counts_in_columns(db: Database, column_ids: Sequence[ObjectId]) -> dict[ObjectId, int]:
    """How many tasks each column holds (absent: none), all the columns in one query."""
    cursor = await db[TASKS].aggregate(
        [
            {"$match": {"column_id": {"$in": list(column_ids)}}},
            {"$match": NOT_CANCELLED},
            {"$group": {"_id": "$column_id", "n": {"$sum": 1}}},
        ]
    )
    return {d["_id"]: int(d["n"]) async for d in cursor}


async def count_in_column(db: Database, column_id: ObjectId, *, session: Session) -> int:
    total: int = await db[TASKS].count_documents(
        {"column_id": column_id, **NOT_CANCELLED}, session=session
    )
    return total


async def neighbours(
    db: Database,
    column_id: ObjectId,
    *,
    after: Task | None,
    excluding: ObjectId | None,
    session: Session | None = None,
) -> tuple[str | None, str | None]:
    """The ranks around a slot: `after`'s (None: the top) and the next card's (None: the end),
    leaving out the card being moved."""
    condition: Document = {"column_id": column_id}
    if excluding is not None:
        condition["_id"] = {"$ne": excluding}
    if after is not None:
        condition = {
            "$and": [
                condition,
                {
                    "$or": [
                        {"rank": {"$gt": after.rank}},
                        {"rank": after.rank, "_id": {"$gt": after.id}},
                    ]
                },
            ]
        }
    following = await db[TASKS].find_one(
        condition, sort=COLUMN_ORDER, projection={"rank": 1}, session=session
    )
    return (after.rank if after else None, following["rank"] if following else None)


async def last_rank(
    db: Database, column_id: ObjectId, *, session: Session | None = None
) -> str | None:
    found = await db[TASKS].find_one(
        {"column_id": column_id},
        sort=[("rank", -1), ("_id", -1)],
        projection={"rank": 1},
        session=session,
    )
    return str(found["rank"]) if found else None


async def column_ids_in_order(
    db: Database, column_id: ObjectId, *, session: Session | None = None
) -> list[ObjectId]:
    cursor = db[TASKS].find(
        {"column_id": column_id}, sort=COLUMN_ORDER, projection={"_id": 1}, session=session
    )
    return [d["_id"] async for d in cursor]


async def set_ranks(
    db: Database, board_id: ObjectId, ranks: Sequence[tuple[ObjectId, str]],
    *, session: Session | None = None,
) -> None:  # fmt: skip
    """Rebalancing: new ranks for the cards of a column of the board (their order and versions
    unchanged; their cursors change)."""
    if ranks:
        await db[TASKS].bulk_write(
            [UpdateOne({"_id": i}, {"$set": {"rank": r}}) for i, r in ranks],
            ordered=True,
            session=session,
        )
        await touch_tasks(db, board_id, session=session)


async def update_task(
    db: Database,
    task_id: ObjectId,
    *,
    condition: Document,
    changes: Document,
    history: Sequence[Document] = (),
    extra: Document | None = None,
    session: Session | None = None,
) -> Task | None:
    """Apply a change to a task if it still matches `condition` (None if it no longer does),
    raising its version and appending to its history."""
    update: Document = {"$set": changes, "$inc": {"version": 1}, **(extra or {})}
    if history:
        update["$push"] = {**update.get("$push", {}), "history": {"$each": list(history)}}
    document = await db[TASKS].find_one_and_update(
        {"_id": task_id, **condition},
        update,
        return_document=ReturnDocument.AFTER,
        session=session,
    )
    if document is None:
        return None
    task = Task.from_document(document)
    if task.joinable != task.is_joinable():  # a claim filled it, a release freed a place, ...
        await db[TASKS].update_one(
            {"_id": task_id}, {"$set": {"joinable": task.is_joinable()}}, session=session
        )
        task = task.model_copy(update={"joinable": task.is_joinable()})
    await touch_tasks(db, task.board_id, session=session)
    return task


async def tasks_from_proposals(db: Database, proposal_ids: Sequence[ObjectId]) -> list[Task]:
    cursor = db[TASKS].find(
        {"source_proposal_id": {"$in": list(proposal_ids)}}, sort=[("_id", ASCENDING)]
    )
    return [Task.from_document(d) async for d in cursor]
