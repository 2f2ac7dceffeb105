"""GraphQL types of tasks as other features show them (the task-board issue extends them)."""

from __future__ import annotations

import strawberry
from strawberry import relay

from neighbor_api.boards.models import Column, ColumnKind, Task
from neighbor_api.context import Info

strawberry.enum(ColumnKind, description="What a board column is for.")


@strawberry.type(name="BoardColumn", description="A column of a task board.")
class BoardColumnType(relay.Node):
    id: relay.NodeID[str]
    name: str = strawberry.field(description="The column's name, e.g. 待认领.")
    kind: ColumnKind = strawberry.field(description="TODO, DOING, REVIEW or DONE.")

    @classmethod
    def from_model(cls, column: Column) -> BoardColumnType:
        return cls(id=str(column.id), name=column.name, kind=column.kind)


@strawberry.type(name="Task", description="A small task on a community's task board.")
class TaskType(relay.Node):
    id: relay.NodeID[str]
    title: str = strawberry.field(description="What is to be done.")
    model: strawberry.Private[Task]

    @classmethod
    def from_model(cls, task: Task) -> TaskType:
        return cls(id=str(task.id), title=task.title, model=task)

    @strawberry.field(description="The column the task is in.")
    async def column(self, info: Info) -> BoardColumnType | None:
        board = await info.context.loaders.board.load(self.model.board_id)
        column = (
            next((c for c in board.columns if c.id == self.model.column_id), None)
            if board
            else None
        )
        return BoardColumnType.from_model(column) if column else None
