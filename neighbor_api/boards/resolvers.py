"""Task boards: the board, tasks, the leaderboard, and the board's mutations."""

from __future__ import annotations

import strawberry
from bson import ObjectId

from neighbor_api.boards import service
from neighbor_api.boards.models import LeaderboardPeriod, Task
from neighbor_api.boards.types import (
    ApproveTaskInput,
    ApproveTaskPayload,
    AwardType,
    BoardType,
    CancelTaskInput,
    ClaimTaskInput,
    CommentOnTaskInput,
    CommentOnTaskPayload,
    CreateBoardInput,
    CreateBoardPayload,
    CreateTaskInput,
    LeaderboardEntryType,
    MoveTaskInput,
    ReleaseTaskInput,
    ReturnTaskInput,
    SubmitTaskInput,
    TaskCommentType,
    TaskPayload,
    TaskType,
    UpdateTaskInput,
)
from neighbor_api.context import Info
from neighbor_api.graphql.errors import mutation_runner, run_mutation
from neighbor_api.graphql.relay import (
    Connection,
    from_global_id,
    input_id,
    input_ids,
    optional_input_id,
    page_under,
)


def _task_id(value: strawberry.ID) -> ObjectId:
    return input_id(value, "Task", "taskId")


def _boards(info: Info) -> service.BoardReader:
    """The request's board loader, lent to the task services: the board a service reads is
    the one the payload's `column` reads."""
    return info.context.loaders.board.load


def _task(task: Task) -> TaskPayload:
    return TaskPayload(task=TaskType.from_model(task))


# A task mutation: the task it changed, or why not.
_change = mutation_runner(TaskPayload, _task)


def _approved(approved: service.Approved) -> ApproveTaskPayload:
    return ApproveTaskPayload(
        task=TaskType.from_model(approved.task),
        awards=[AwardType(points=p, user_id=u) for u, p in approved.awards],
    )


@strawberry.type
class BoardQuery:
    @strawberry.field(description="A task board, if the viewer may see it.")
    async def board(self, info: Info, id: strawberry.ID) -> BoardType | None:
        object_id = from_global_id(id, "Board")
        return await BoardType.load(info, object_id) if object_id else None

    @strawberry.field(description="A task, if the viewer may see it.")
    async def task(self, info: Info, id: strawberry.ID) -> TaskType | None:
        object_id = from_global_id(id, "Task")
        return await TaskType.load(info, object_id) if object_id else None

    @strawberry.field(
        description="The community's tasks the viewer can still join (a place free, wherever "
        "the card is), soonest first (start, else due time). Null for those outside it."
    )
    async def open_tasks(
        self,
        info: Info,
        community_id: strawberry.ID,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[TaskType] | None:
        return await page_under(
            info, community_id, "Place",
            lambda actor, place_id: service.open_tasks(
                info.context.deps, actor, community_id=place_id, first=first, after=after
            ),
            TaskType.from_model,
        )  # fmt: skip

    @strawberry.field(
        description="A community's points leaderboard (积分榜) of points earned on tasks in the "
        "period (ALL_TIME by default; YEAR, MONTH: calendar, Asia/Shanghai), most points first; "
        "ties share a rank. Null for those outside the community."
    )
    async def points_leaderboard(
        self,
        info: Info,
        community_id: strawberry.ID,
        first: int | None = None,
        period: LeaderboardPeriod | None = LeaderboardPeriod.ALL_TIME,
    ) -> list[LeaderboardEntryType] | None:
        actor = await info.context.require_actor()
        place_id = from_global_id(community_id, "Place")
        if place_id is None:
            return None
        standings = await service.leaderboard(
            info.context.deps, actor, community_id=place_id, first=first,
            period=period or LeaderboardPeriod.ALL_TIME,
        )  # fmt: skip
        if standings is None:
            return None
        return [
            LeaderboardEntryType(rank=s.rank, points=s.points, user_id=s.user_id) for s in standings
        ]


@strawberry.type
class BoardMutation:
    @strawberry.mutation(description="Community workers: open a task board for the community.")
    async def create_board(self, info: Info, input: CreateBoardInput) -> CreateBoardPayload:
        columns = (
            [service.ColumnSpec(c.name, c.kind, c.wip_limit) for c in input.columns]
            if input.columns is not None
            else None
        )
        return await run_mutation(
            info, CreateBoardPayload,
            lambda actor: service.create_board(
                info.context.deps, actor,
                community_id=input_id(input.community_id, "Place", "communityId"),
                name=input.name, columns=columns,
            ),
            lambda board: CreateBoardPayload(board=BoardType.from_model(board)),
        )  # fmt: skip

    @strawberry.mutation(description="Staff and council members: put a task on a board.")
    async def create_task(self, info: Info, input: CreateTaskInput) -> TaskPayload:
        return await _change(
            info,
            lambda actor: service.create_task(
                info.context.deps,
                actor,
                service.NewTask(
                    board_id=input_id(input.board_id, "Board", "boardId"),
                    column_id=optional_input_id(input.column_id, "BoardColumn", "columnId"),
                    title=input.title,
                    description=input.description,
                    point_reward=input.point_reward,
                    capacity=input.capacity,
                    due_at=input.due_at,
                    labels=input.labels or [],
                    source_report_id=optional_input_id(
                        input.source_report_id, "Report", "sourceReportId"
                    ),
                    source_proposal_id=optional_input_id(
                        input.source_proposal_id, "Proposal", "sourceProposalId"
                    ),
                    idempotency_key=input.idempotency_key,
                    starts_at=input.starts_at,
                    meeting_place=input.meeting_place,
                ),
                boards=_boards(info),
            ),
        )

    @strawberry.mutation(
        description="Drag a card to a column, after another card (null: the top). Staff move "
        "any card, volunteers the cards they hold. A stale expectedVersion is VERSION_CONFLICT."
    )
    async def move_task(self, info: Info, input: MoveTaskInput) -> TaskPayload:
        return await _change(
            info,
            lambda actor: service.move_task(
                info.context.deps,
                actor,
                task_id=_task_id(input.task_id),
                to_column_id=optional_input_id(input.to_column_id, "BoardColumn", "toColumnId"),
                after_task_id=optional_input_id(input.after_task_id, "Task", "afterTaskId"),
                expected_version=input.expected_version,
                boards=_boards(info),
            ),
        )

    @strawberry.mutation(
        description="Volunteer for a task (up to its capacity: TASK_FULL). A TODO task moves "
        "to DOING."
    )
    async def claim_task(self, info: Info, input: ClaimTaskInput) -> TaskPayload:
        return await _change(
            info,
            lambda actor: service.claim_task(
                info.context.deps, actor, task_id=_task_id(input.task_id), boards=_boards(info)
            ),
        )

    @strawberry.mutation(description="Give one's place on a task back.")
    async def release_task(self, info: Info, input: ReleaseTaskInput) -> TaskPayload:
        return await _change(
            info,
            lambda actor: service.release_task(
                info.context.deps, actor, task_id=_task_id(input.task_id), boards=_boards(info)
            ),
        )

    @strawberry.mutation(description="An assignee hands the work in, with a note and photos.")
    async def submit_task(self, info: Info, input: SubmitTaskInput) -> TaskPayload:
        return await _change(
            info,
            lambda actor: service.submit_task(
                info.context.deps,
                actor,
                task_id=_task_id(input.task_id),
                note=input.note,
                photo_ids=input_ids(input.photo_ids, "Attachment", "photoIds"),
                boards=_boards(info),
            ),
        )

    @strawberry.mutation(
        description="Staff: accept the work (→ DONE); each assignee earns the reward exactly "
        "once, however often this is sent."
    )
    async def approve_task(self, info: Info, input: ApproveTaskInput) -> ApproveTaskPayload:
        return await run_mutation(
            info, ApproveTaskPayload,
            lambda actor: service.approve_task(
                info.context.deps, actor, task_id=_task_id(input.task_id),
                absent_user_ids=input_ids(input.absent_user_ids, "User", "absentUserIds"),
                boards=_boards(info),
            ),
            _approved,
        )  # fmt: skip

    @strawberry.mutation(description="Staff: send the work back to its assignees (→ DOING).")
    async def return_task(self, info: Info, input: ReturnTaskInput) -> TaskPayload:
        return await _change(
            info,
            lambda actor: service.return_task(
                info.context.deps,
                actor,
                task_id=_task_id(input.task_id),
                reason=input.reason,
                boards=_boards(info),
            ),
        )

    @strawberry.mutation(
        description="Staff and the creator: edit a task (a stale expectedVersion is "
        "VERSION_CONFLICT)."
    )
    async def update_task(self, info: Info, input: UpdateTaskInput) -> TaskPayload:
        return await _change(
            info,
            lambda actor: service.update_task(
                info.context.deps,
                actor,
                task_id=_task_id(input.task_id),
                expected_version=input.expected_version,
                edit=service.TaskEdit(
                    title=input.title,
                    description=input.description,
                    starts_at=input.starts_at,
                    meeting_place=input.meeting_place,
                    capacity=input.capacity,
                    point_reward=input.point_reward,
                    due_at=input.due_at,
                    labels=input.labels,
                ),
            ),
        )

    @strawberry.mutation(
        description="Staff and the creator: call a task off; its assignees are told, nobody "
        "earns its points, its history stays. A DONE task cannot be cancelled."
    )
    async def cancel_task(self, info: Info, input: CancelTaskInput) -> TaskPayload:
        return await _change(
            info,
            lambda actor: service.cancel_task(
                info.context.deps,
                actor,
                task_id=_task_id(input.task_id),
                expected_version=input.expected_version,
                reason=input.reason,
            ),
        )

    @strawberry.mutation(description="Members: ask or coordinate on a task.")
    async def comment_on_task(self, info: Info, input: CommentOnTaskInput) -> CommentOnTaskPayload:
        return await run_mutation(
            info, CommentOnTaskPayload,
            lambda actor: service.comment_on_task(
                info.context.deps, actor, task_id=_task_id(input.task_id), body=input.body,
                idempotency_key=input.idempotency_key,
            ),
            lambda comment: CommentOnTaskPayload(comment=TaskCommentType.from_model(comment)),
        )  # fmt: skip
