"""GraphQL types of task boards: boards, columns, tasks, their history, and points."""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from bson import ObjectId
from strawberry import relay

from neighbor_api.accounts.types import UserType
from neighbor_api.attachments.types import AttachmentType
from neighbor_api.boards import service
from neighbor_api.boards.models import (
    Board,
    Column,
    ColumnKind,
    HistoryEntry,
    Submission,
    Task,
    TaskAction,
    TaskComment,
    TaskStatus,
)
from neighbor_api.context import Info
from neighbor_api.core.policy import Actor
from neighbor_api.graphql.enums import graphql_enum
from neighbor_api.graphql.errors import Payload
from neighbor_api.graphql.relay import Connection, node_type
from neighbor_api.graphql.sync import MaybeAwaitable, loaded_many, then
from neighbor_api.places.types import PlaceType

if TYPE_CHECKING:
    from neighbor_api.councils.types import ProposalType
    from neighbor_api.reports.types import ReportType

graphql_enum(
    ColumnKind,
    "What a board column is for.",
    {
        ColumnKind.TODO: "Tasks open to volunteers (待认领).",
        ColumnKind.DOING: "Tasks being worked on.",
        ColumnKind.REVIEW: "Work handed in, waiting for staff to approve it (待验收).",
        ColumnKind.DONE: "Approved work: entered only by approval, never left.",
    },
)
graphql_enum(
    TaskStatus,
    "Where a task is in its workflow (its column's kind).",
    {
        TaskStatus.OPEN: "In a TODO column: open to volunteers.",
        TaskStatus.IN_PROGRESS: "In a DOING column: being worked on.",
        TaskStatus.IN_REVIEW: "In a REVIEW column: handed in.",
        TaskStatus.DONE: "Approved; its points are awarded.",
        TaskStatus.CANCELLED: "Called off; no longer on offer.",
    },
)
graphql_enum(
    TaskAction,
    "What happened to a task, on its history.",
    {
        TaskAction.CREATED: "Put on the board.",
        TaskAction.MOVED: "Moved to another place or column.",
        TaskAction.CLAIMED: "A volunteer claimed it.",
        TaskAction.RELEASED: "An assignee gave their place back.",
        TaskAction.SUBMITTED: "Work handed in for review.",
        TaskAction.APPROVED: "Staff approved the work; points awarded.",
        TaskAction.RETURNED: "Staff sent the work back.",
        TaskAction.UPDATED: "Its details were edited (the note lists the fields).",
        TaskAction.CANCELLED: "Called off (the note says why).",
    },
)


async def _user(info: Info, user_id: ObjectId | None) -> UserType | None:
    if user_id is None:
        return None
    user = await info.context.loaders.user.load(user_id)
    return UserType.from_model(user) if user else None


async def _column(info: Info, board_id: ObjectId, column_id: ObjectId | None) -> Column | None:
    if column_id is None:
        return None
    board = await info.context.loaders.board.load(board_id)
    return board.column(column_id) if board else None


@strawberry.type(name="BoardColumn", description="A column of a task board.")
class BoardColumnType(relay.Node):
    id: relay.NodeID[str]
    name: str = strawberry.field(description="The column's name, e.g. 待认领.")
    kind: ColumnKind = strawberry.field(description="TODO, DOING, REVIEW or DONE.")
    wip_limit: int | None = strawberry.field(
        default=None, description="At most this many tasks at once (null: no limit)."
    )
    model: strawberry.Private[Column]
    # Its board's `tasks_version` as this request read the board (its pages are kept under it:
    # core/kept.py); None: not read with it (its pages are read).
    tasks_version: strawberry.Private[int | None] = None

    @classmethod
    def from_model(cls, column: Column, tasks_version: int | None = None) -> BoardColumnType:
        return cls(
            id=str(column.id),
            name=column.name,
            kind=column.kind,
            wip_limit=column.wip_limit,
            model=column,
            tasks_version=tasks_version,
        )

    @strawberry.field(description="The column's tasks, in board order (top first).")
    async def tasks(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[TaskType]:
        # Asked before the page is awaited, so that the totals of all the board's columns are
        # one query (a board has a few columns), not one per column.
        total = info.context.loaders.column_task_counts.load((self.model.id, self.tasks_version))
        page = await service.column_tasks(
            info.context.deps, self.model.id, version=self.tasks_version, first=first, after=after
        )
        return Connection.of(replace(page.map(TaskType.from_model), count=lambda: total))


@node_type
@strawberry.type(name="Board", description="A community's task board (微治理任务看板).")
class BoardType(relay.Node):
    id: relay.NodeID[str]
    name: str = strawberry.field(description="The board's name.")
    model: strawberry.Private[Board]

    @classmethod
    def from_model(cls, board: Board) -> BoardType:
        return cls(id=str(board.id), name=board.name, model=board)

    @classmethod
    async def load(cls, info: Info, object_id: ObjectId) -> BoardType | None:
        board = await service.get_board(info.context.deps, await info.context.actor(), object_id)
        return cls.from_model(board) if board else None

    @strawberry.field(description="The community it belongs to.", graphql_type=PlaceType | None)
    def community(self, info: Info) -> MaybeAwaitable[PlaceType | None]:
        return PlaceType.load_now(info, self.model.community_id)

    @strawberry.field(description="Its columns, left to right.")
    def columns(self) -> list[BoardColumnType]:
        return [BoardColumnType.from_model(c, self.model.tasks_version) for c in self.model.columns]


@strawberry.type(name="TaskSubmission", description="The work handed in for review.")
class SubmissionType:
    note: str | None = strawberry.field(description="What was done.")
    submitted_at: datetime = strawberry.field(description="When it was handed in.")
    returned_reason: str | None = strawberry.field(
        default=None, description="Why staff sent it back (null: not sent back)."
    )
    returned_at: datetime | None = strawberry.field(
        default=None, description="When it was sent back."
    )
    model: strawberry.Private[Submission]

    @classmethod
    def from_model(cls, submission: Submission) -> SubmissionType:
        return cls(
            note=submission.note,
            submitted_at=submission.submitted_at,
            returned_reason=submission.returned_reason,
            returned_at=submission.returned_at,
            model=submission,
        )

    @strawberry.field(description="An id of the submission, stable within its task.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.model.id))

    @strawberry.field(description="Who handed it in.")
    async def submitted_by(self, info: Info) -> UserType | None:
        return await _user(info, self.model.submitted_by)

    @strawberry.field(description="Who handed it in (the same as submittedBy).")
    async def submitter(self, info: Info) -> UserType | None:
        return await _user(info, self.model.submitted_by)

    @strawberry.field(description="Photos of the work.")
    async def photos(self, info: Info) -> list[AttachmentType]:
        found = await info.context.loaders.attachment.load_many(self.model.photo_ids)
        return [AttachmentType.from_model(a) for a in found if a is not None]


@strawberry.type(name="TaskHistoryEntry", description="One step in a task's history.")
class HistoryEntryType:
    at: datetime = strawberry.field(description="When.")
    action: TaskAction = strawberry.field(description="What happened.")
    note: str | None = strawberry.field(description="The note given (a submission, a reason).")
    entry: strawberry.Private[HistoryEntry]
    task: strawberry.Private[Task]

    @strawberry.field(description="Who did it (null: the system).")
    async def actor(self, info: Info) -> UserType | None:
        return await _user(info, self.entry.actor_id)

    @strawberry.field(description="The column it left (null if it stayed or was created).")
    async def from_column(self, info: Info) -> BoardColumnType | None:
        column = await _column(info, self.task.board_id, self.entry.from_column_id)
        return BoardColumnType.from_model(column) if column else None

    @strawberry.field(description="The column it went to.")
    async def to_column(self, info: Info) -> BoardColumnType | None:
        column = await _column(info, self.task.board_id, self.entry.to_column_id)
        return BoardColumnType.from_model(column) if column else None


@strawberry.type(description="What the viewer may do with a task now.")
class TaskViewerCan:
    claim: bool = strawberry.field(description="Volunteer for it.")
    release: bool = strawberry.field(description="Give one's place back.")
    submit: bool = strawberry.field(description="Hand the work in for review.")
    approve: bool = strawberry.field(description="Accept the work (staff).")
    return_: bool = strawberry.field(name="return", description="Send it back (staff).")
    move: bool = strawberry.field(description="Drag the card.")
    edit: bool = strawberry.field(default=False, description="Edit or cancel it (staff, creator).")


@node_type
@strawberry.type(name="Task", description="A small task on a community's task board.")
class TaskType(relay.Node):
    id: relay.NodeID[str]
    title: str = strawberry.field(description="What is to be done.")
    description: str | None = strawberry.field(default=None, description="The details.")
    version: int = strawberry.field(
        default=1, description="Raised by every change; moves send it as expectedVersion."
    )
    status: TaskStatus = strawberry.field(
        default=TaskStatus.OPEN, description="Where it is in the workflow."
    )
    point_reward: int = strawberry.field(
        default=0, description="Points each assignee earns when it is approved."
    )
    capacity: int = strawberry.field(default=1, description="How many volunteers it takes.")
    due_at: datetime | None = strawberry.field(default=None, description="When it is due.")
    starts_at: datetime | None = strawberry.field(
        default=None, description="When the volunteers meet (e.g. Saturday 9:00)."
    )
    meeting_place: str | None = strawberry.field(
        default=None, description="Where the volunteers meet (at most 100 characters)."
    )
    labels: list[str] = strawberry.field(default_factory=list, description="Its labels.")
    created_at: datetime | None = strawberry.field(default=None, description="When created.")
    cancel_reason: str | None = strawberry.field(
        default=None, description="Why it was called off (CANCELLED only)."
    )
    model: strawberry.Private[Task]

    @classmethod
    def from_model(cls, task: Task) -> TaskType:
        return cls(
            id=str(task.id),
            title=task.title,
            description=task.description,
            version=task.version,
            status=task.status,
            point_reward=task.point_reward,
            capacity=task.capacity,
            due_at=task.due_at,
            starts_at=task.starts_at,
            meeting_place=task.meeting_place,
            labels=list(task.labels),
            created_at=task.created_at,
            cancel_reason=task.cancel_reason,
            model=task,
        )

    @classmethod
    async def load(cls, info: Info, object_id: ObjectId) -> TaskType | None:
        task = await service.get_task(info.context.deps, await info.context.actor(), object_id)
        return cls.from_model(task) if task else None

    @strawberry.field(description="The column the task is in.")
    async def column(self, info: Info) -> BoardColumnType | None:
        column = await _column(info, self.model.board_id, self.model.column_id)
        return BoardColumnType.from_model(column) if column else None

    @strawberry.field(description="The board it is on.")
    async def board(self, info: Info) -> BoardType | None:
        board = await info.context.loaders.board.load(self.model.board_id)
        return BoardType.from_model(board) if board else None

    @strawberry.field(description="Who created it.")
    async def creator(self, info: Info) -> UserType | None:
        return await _user(info, self.model.creator_id)

    @classmethod
    def prefetch(
        cls, info: Info, nodes: list[TaskType], selected: frozenset[str]
    ) -> Awaitable[Any] | None:
        """A page's assignees and creators in one DataLoader call, so those fields answer
        without a task each (graphql/sync.py)."""
        users: list[ObjectId] = []
        if "assignees" in selected:
            users += [i for n in nodes for i in n.model.assignees]
        if "creator" in selected:
            users += [n.model.creator_id for n in nodes if n.model.creator_id is not None]
        if not users:
            return None
        return info.context.loaders.user.load_many(list(dict.fromkeys(users)))

    @strawberry.field(
        description="The volunteers who claimed it, in the order they did.",
        graphql_type=list[UserType],
    )
    def assignees(self, info: Info) -> MaybeAwaitable[list[UserType]]:
        return then(
            loaded_many(info.context.loaders.user, list(self.model.assignees)),
            lambda users: [UserType.from_model(u) for u in users if u is not None],
        )

    @strawberry.field(
        description="Whether the viewer may claim it now (a place is free).", graphql_type=bool
    )
    def viewer_can_claim(self, info: Info) -> MaybeAwaitable[bool]:
        return then(
            info.context.actor_now(),
            lambda actor: service.may(actor, service.Verb.CLAIM, self.model),
        )

    @strawberry.field(description="What the viewer may do with it now.", graphql_type=TaskViewerCan)
    def viewer_can(self, info: Info) -> MaybeAwaitable[TaskViewerCan]:
        return then(info.context.actor_now(), self._viewer_can)

    def _viewer_can(self, actor: Actor | None) -> TaskViewerCan:
        task = self.model
        return TaskViewerCan(
            claim=service.may(actor, service.Verb.CLAIM, task),
            release=service.may(actor, service.Verb.RELEASE, task),
            submit=service.may(actor, service.Verb.SUBMIT, task),
            approve=service.may(actor, service.Verb.APPROVE, task),
            return_=service.may(actor, service.Verb.RETURN, task),
            move=service.may_move(actor, task),
            edit=service.may_edit(actor, task),
        )

    @strawberry.field(
        description="The report it was spawned from (if the viewer may see it).",
        graphql_type=Annotated["ReportType", strawberry.lazy("neighbor_api.reports.types")] | None,
    )
    def source_report(self, info: Info) -> MaybeAwaitable[ReportType | None]:
        from neighbor_api.reports.types import ReportType

        report_id = self.model.source_report_id  # most tasks have none: no coroutine then
        return ReportType.load(info, report_id) if report_id else None

    @strawberry.field(
        description="The proposal it came from (if the viewer may see it).",
        graphql_type=Annotated["ProposalType", strawberry.lazy("neighbor_api.councils.types")]
        | None,
    )
    def source_proposal(self, info: Info) -> MaybeAwaitable[ProposalType | None]:
        from neighbor_api.councils.types import ProposalType

        proposal_id = self.model.source_proposal_id
        return ProposalType.load(info, proposal_id) if proposal_id else None

    @strawberry.field(description="The latest work handed in for review.")
    def submission(self) -> SubmissionType | None:
        handed_in = self.model.all_submissions()
        return SubmissionType.from_model(handed_in[-1]) if handed_in else None

    @strawberry.field(
        description="Every hand-in, oldest first, each with its note, photos, submitter and "
        "the reason it was sent back."
    )
    def submissions(self) -> list[SubmissionType]:
        return [SubmissionType.from_model(s) for s in self.model.all_submissions()]

    @strawberry.field(description="Questions and coordination on the task, oldest first.")
    async def comments(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[TaskCommentType]:
        page = await service.task_comments(info.context.deps, self.model, first=first, after=after)
        return Connection.of(page.map(TaskCommentType.from_model))

    @strawberry.field(description="Assignees the approval named as absent (they earned nothing).")
    async def absentees(self, info: Info) -> list[UserType]:
        users = await info.context.loaders.user.load_many(self.model.absent_ids)
        return [UserType.from_model(u) for u in users if u is not None]

    @strawberry.field(description="Everything that happened to it, oldest first.")
    def history(self) -> list[HistoryEntryType]:
        return [
            HistoryEntryType(at=e.at, action=e.action, note=e.note, entry=e, task=self.model)
            for e in self.model.history
        ]


@node_type
@strawberry.type(name="TaskComment", description="A question or a word of coordination on a task.")
class TaskCommentType(relay.Node):
    id: relay.NodeID[str]
    body: str = strawberry.field(description="What was said (at most 1,000 characters).")
    created_at: datetime = strawberry.field(description="When.")
    model: strawberry.Private[TaskComment]

    @classmethod
    def from_model(cls, comment: TaskComment) -> TaskCommentType:
        return cls(
            id=str(comment.id), body=comment.body, created_at=comment.created_at, model=comment
        )

    @classmethod
    async def load(cls, info: Info, object_id: ObjectId) -> TaskCommentType | None:
        return None  # comments are reached through their task

    @strawberry.field(description="Who wrote it.")
    async def author(self, info: Info) -> UserType | None:
        return await _user(info, self.model.author_id)


@strawberry.type(name="LeaderboardEntry", description="One place on a points leaderboard.")
class LeaderboardEntryType:
    rank: int = strawberry.field(description="1 for the most points; ties share a rank.")
    points: int = strawberry.field(description="Points earned in the community.")
    user_id: strawberry.Private[ObjectId]

    @strawberry.field(
        description="Who; null for an anonymous entry (a user who chose not to appear on "
        "leaderboards, `updateProfile(showOnLeaderboard: false)`), except to that user."
    )
    async def user(self, info: Info) -> UserType | None:
        if await self._anonymous(info):
            return None
        return await _user(info, self.user_id)

    @strawberry.field(
        description="True when the user chose not to appear by name (`user` is then null to "
        "everyone else)."
    )
    async def anonymous(self, info: Info) -> bool:
        return await self._opted_out(info)

    async def _opted_out(self, info: Info) -> bool:
        user = await info.context.loaders.user.load(self.user_id)
        return user is not None and not user.show_on_leaderboard

    async def _anonymous(self, info: Info) -> bool:
        actor = await info.context.actor()
        is_self = actor is not None and actor.user_id == self.user_id
        return not is_self and await self._opted_out(info)


@strawberry.type(name="TaskAward", description="Points one assignee earned by an approval.")
class AwardType:
    points: int = strawberry.field(description="How many.")
    user_id: strawberry.Private[ObjectId]

    @strawberry.field(description="Who earned them.")
    async def user(self, info: Info) -> UserType | None:
        return await _user(info, self.user_id)


# --- Inputs and payloads ------------------------------------------------------------------


@strawberry.input(description="A column of a new board.")
class BoardColumnInput:
    name: str = strawberry.field(description="Its name (at most 20 characters).")
    kind: ColumnKind = strawberry.field(description="What it is for.")
    wip_limit: int | None = strawberry.field(
        default=None, description="At most this many tasks at once (1–500; null: no limit)."
    )


@strawberry.input(description="Community workers: open a task board.")
class CreateBoardInput:
    community_id: strawberry.ID = strawberry.field(description="The community.")
    name: str = strawberry.field(description="The board's name (at most 40 characters).")
    columns: list[BoardColumnInput] | None = strawberry.field(
        default=None,
        description="Left to right, at least one of each kind (default: 待认领, 进行中, "
        "待验收, 已完成).",
    )


@strawberry.type(description="The result of createBoard.")
class CreateBoardPayload(Payload):
    board: BoardType | None = strawberry.field(default=None, description="The new board.")


@strawberry.input(description="Staff and council members: put a task on a board.")
class CreateTaskInput:
    board_id: strawberry.ID = strawberry.field(description="The board.")
    column_id: strawberry.ID | None = strawberry.field(
        default=None, description="A TODO or DOING column (default: the first TODO column)."
    )
    title: str = strawberry.field(description="What is to be done (at most 60 characters).")
    description: str | None = strawberry.field(default=None, description="The details.")
    point_reward: int | None = strawberry.field(
        default=None,
        description="Points for each assignee on approval (0 to the cap per task, "
        "NEIGHBOR_MAX_TASK_REWARD, 100 by default; default 0).",
    )
    capacity: int | None = strawberry.field(
        default=None, description="How many volunteers it takes (1–50; default 1)."
    )
    due_at: datetime | None = strawberry.field(
        default=None, description="When it is due (with a UTC offset; in the future)."
    )
    labels: list[str] | None = strawberry.field(
        default=None, description="Up to 10 labels of at most 20 characters."
    )
    source_report_id: strawberry.ID | None = strawberry.field(
        default=None, description="The report of the community it comes from."
    )
    source_proposal_id: strawberry.ID | None = strawberry.field(
        default=None, description="The proposal of the community it comes from."
    )
    idempotency_key: str | None = strawberry.field(
        default=None, description="A retry with the same key returns the first task."
    )
    starts_at: datetime | None = strawberry.field(
        default=None, description="When the volunteers meet (with a UTC offset; in the future)."
    )
    meeting_place: str | None = strawberry.field(
        default=None, description="Where they meet (at most 100 characters)."
    )


@strawberry.input(description="Drag a card: to a column, after another card.")
class MoveTaskInput:
    task_id: strawberry.ID = strawberry.field(description="The card.")
    to_column_id: strawberry.ID | None = strawberry.field(
        default=None, description="A column of the same board (default: where it is)."
    )
    after_task_id: strawberry.ID | None = strawberry.field(
        default=None, description="The card it goes after (null: the top of the column)."
    )
    expected_version: int = strawberry.field(
        description="The version the client saw; another is VERSION_CONFLICT."
    )


@strawberry.input(description="Volunteer for a task.")
class ClaimTaskInput:
    task_id: strawberry.ID = strawberry.field(description="The task.")


@strawberry.input(description="Give one's place on a task back.")
class ReleaseTaskInput:
    task_id: strawberry.ID = strawberry.field(description="The task.")


@strawberry.input(description="Hand the work in for review.")
class SubmitTaskInput:
    task_id: strawberry.ID = strawberry.field(description="The task.")
    note: str | None = strawberry.field(
        default=None, description="What was done (at most 500 characters)."
    )
    photo_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Photos of the work (uploaded attachments, at most 9)."
    )


@strawberry.input(description="Staff: accept the work; each assignee earns the reward.")
class ApproveTaskInput:
    task_id: strawberry.ID = strawberry.field(description="The task.")
    absent_user_ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description="Assignees who did not take part: they earn nothing (the history says so).",
    )


@strawberry.input(description="Staff and the creator: change what a task says.")
class UpdateTaskInput:
    task_id: strawberry.ID = strawberry.field(description="The task.")
    expected_version: int = strawberry.field(
        description="The version the client saw; another is VERSION_CONFLICT."
    )
    title: str | None = strawberry.field(default=None, description="At most 60 characters.")
    description: str | None = strawberry.field(default=None, description="The details.")
    starts_at: datetime | None = strawberry.field(
        default=None, description="When the volunteers meet (with a UTC offset; in the future)."
    )
    meeting_place: str | None = strawberry.field(
        default=None, description="Where they meet (at most 100 characters)."
    )
    capacity: int | None = strawberry.field(
        default=None, description="1–50, never fewer than its assignees."
    )
    point_reward: int | None = strawberry.field(
        default=None, description="0 to the community's cap per task (default 100)."
    )
    due_at: datetime | None = strawberry.field(default=None, description="When it is due.")
    labels: list[str] | None = strawberry.field(default=None, description="Up to 10 labels.")


@strawberry.input(description="Staff and the creator: call a task off (its assignees are told).")
class CancelTaskInput:
    task_id: strawberry.ID = strawberry.field(description="The task.")
    expected_version: int = strawberry.field(
        description="The version the client saw; another is VERSION_CONFLICT."
    )
    reason: str | None = strawberry.field(default=None, description="Why (at most 500 characters).")


@strawberry.input(description="Ask or coordinate on a task.")
class CommentOnTaskInput:
    task_id: strawberry.ID = strawberry.field(description="The task.")
    body: str = strawberry.field(description="At most 1,000 characters.")
    idempotency_key: str | None = strawberry.field(
        default=None, description="A retry with the same key returns the first comment."
    )


@strawberry.type(description="The result of commentOnTask.")
class CommentOnTaskPayload(Payload):
    comment: TaskCommentType | None = strawberry.field(default=None, description="The comment.")


@strawberry.input(description="Staff: send the work back to its assignees.")
class ReturnTaskInput:
    task_id: strawberry.ID = strawberry.field(description="The task.")
    reason: str | None = strawberry.field(
        default=None, description="What is still to be done (at most 500 characters)."
    )


@strawberry.type(description="The result of a change to a task (create, move, claim, ...).")
class TaskPayload(Payload):
    task: TaskType | None = strawberry.field(default=None, description="The task now.")


@strawberry.type(description="The result of approveTask.")
class ApproveTaskPayload(Payload):
    task: TaskType | None = strawberry.field(default=None, description="The task now.")
    awards: list[AwardType] = strawberry.field(
        default_factory=list, description="The points each assignee earned (once)."
    )
