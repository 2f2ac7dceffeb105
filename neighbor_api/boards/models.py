"""Micro-governance task boards (微治理任务看板): boards with ordered columns, and tasks.

The task-board issue builds the boards themselves; what is here is what other features read:
a task, the column it is in, and where it came from.
"""

from __future__ import annotations

from enum import StrEnum

from bson import ObjectId
from pydantic import BaseModel, ConfigDict, Field

from neighbor_api.core.models import StoredModel


class ColumnKind(StrEnum):
    TODO = "TODO"
    DOING = "DOING"
    REVIEW = "REVIEW"
    DONE = "DONE"


class Column(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    id: ObjectId
    name: str
    kind: ColumnKind
    wip_limit: int | None = None


class Board(StoredModel):
    community_id: ObjectId
    name: str
    columns: list[Column] = Field(default_factory=list)


class Task(StoredModel):
    board_id: ObjectId
    column_id: ObjectId
    title: str
    source_report_id: ObjectId | None = None
    source_proposal_id: ObjectId | None = None
