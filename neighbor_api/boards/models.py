"""Micro-governance task boards (微治理任务看板): boards with ordered columns, and their tasks.

A task's place in its column is `rank`, a string compared byte by byte (`boards/ranks.py`):
moving a card rewrites only that card's rank. Every write to a task raises its `version`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from bson import ObjectId
from pydantic import BaseModel, ConfigDict, Field

from neighbor_api.core.idempotency import Idempotency
from neighbor_api.core.models import StoredModel


class ColumnKind(StrEnum):
    TODO = "TODO"
    DOING = "DOING"
    REVIEW = "REVIEW"
    DONE = "DONE"


class TaskStatus(StrEnum):
    OPEN = "OPEN"
    IN_PROGRESS = "IN_PROGRESS"
    IN_REVIEW = "IN_REVIEW"
    DONE = "DONE"
    CANCELLED = "CANCELLED"


class LeaderboardPeriod(StrEnum):
    """The calendar period a leaderboard counts (Asia/Shanghai)."""

    ALL_TIME = "ALL_TIME"
    YEAR = "YEAR"
    MONTH = "MONTH"


# A task's status is the kind of the column it is in.
STATUS_OF_KIND: dict[ColumnKind, TaskStatus] = {
    ColumnKind.TODO: TaskStatus.OPEN,
    ColumnKind.DOING: TaskStatus.IN_PROGRESS,
    ColumnKind.REVIEW: TaskStatus.IN_REVIEW,
    ColumnKind.DONE: TaskStatus.DONE,
}
# Volunteers may claim (and release) a task while it is in these statuses.
CLAIMABLE = frozenset({TaskStatus.OPEN, TaskStatus.IN_PROGRESS})


class TaskAction(StrEnum):
    """What happened to a task, on its history."""

    CREATED = "CREATED"
    MOVED = "MOVED"
    CLAIMED = "CLAIMED"
    RELEASED = "RELEASED"
    SUBMITTED = "SUBMITTED"
    APPROVED = "APPROVED"
    RETURNED = "RETURNED"
    UPDATED = "UPDATED"
    CANCELLED = "CANCELLED"


class Column(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    id: ObjectId
    name: str
    kind: ColumnKind
    wip_limit: int | None = None


class Board(StoredModel):
    community_id: ObjectId
    # The community's place path (city, district, street, community).
    place_path: list[ObjectId] = Field(default_factory=list)
    name: str
    columns: list[Column] = Field(default_factory=list)
    created_by: ObjectId | None = None
    # Incremented by every write of one of its tasks, after it (`repository.touch_tasks`): the
    # version its columns' pages are kept under (core/kept.py).
    tasks_version: int = 0
    created_at: datetime | None = None

    def column(self, column_id: ObjectId) -> Column | None:
        return next((c for c in self.columns if c.id == column_id), None)

    def first_of(self, kind: ColumnKind) -> Column | None:
        return next((c for c in self.columns if c.kind is kind), None)


class HistoryEntry(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    at: datetime
    action: TaskAction
    actor_id: ObjectId | None = None
    from_column_id: ObjectId | None = None
    to_column_id: ObjectId | None = None
    note: str | None = None


class Submission(BaseModel):
    """One hand-in of the work; every one is kept (`Task.submissions`), with the reason it
    was sent back if it was."""

    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    id: ObjectId = Field(default_factory=ObjectId)
    note: str | None = None
    photo_ids: list[ObjectId] = Field(default_factory=list)
    submitted_at: datetime
    submitted_by: ObjectId
    returned_reason: str | None = None
    returned_at: datetime | None = None
    returned_by: ObjectId | None = None


# Open tasks are listed soonest first: by `soonest` (the start, else the due time, else this).
NO_DATE = datetime(9999, 12, 31, tzinfo=UTC)


class TaskComment(StoredModel):
    """A question or a word of coordination on a task."""

    task_id: ObjectId
    author_id: ObjectId
    body: str
    created_at: datetime
    idempotency: Idempotency | None = None


class Task(StoredModel):
    board_id: ObjectId
    column_id: ObjectId
    title: str
    community_id: ObjectId | None = None
    place_path: list[ObjectId] = Field(default_factory=list)
    rank: str = "i"
    description: str | None = None
    status: TaskStatus = TaskStatus.OPEN
    point_reward: int = 0
    capacity: int = 1
    due_at: datetime | None = None
    starts_at: datetime | None = None
    meeting_place: str | None = None
    soonest: datetime = NO_DATE
    # Claimable with a place free (kept by every write: `repository.update_task`), so that
    # openTasks is one equality on an index.
    joinable: bool = True
    labels: list[str] = Field(default_factory=list)
    assignees: list[ObjectId] = Field(default_factory=list)
    creator_id: ObjectId | None = None
    source_report_id: ObjectId | None = None
    source_proposal_id: ObjectId | None = None
    version: int = 1
    # The latest hand-in (first edition), and every one of them, oldest first.
    submission: Submission | None = None
    submissions: list[Submission] = Field(default_factory=list)
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    history: list[HistoryEntry] = Field(default_factory=list)
    idempotency: Idempotency | None = None
    approved_at: datetime | None = None
    # Assignees the approval named as absent: they earned nothing.
    absent_ids: list[ObjectId] = Field(default_factory=list)
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def is_joinable(self) -> bool:
        return self.status in CLAIMABLE and len(self.assignees) < self.capacity

    def all_submissions(self) -> list[Submission]:
        """Every hand-in, oldest first (a first-edition task kept only its latest)."""
        if self.submissions:
            return list(self.submissions)
        return [self.submission] if self.submission is not None else []
