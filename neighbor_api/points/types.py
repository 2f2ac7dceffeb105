"""GraphQL types of the points ledger: a user's history (积分明细)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from neighbor_api.boards.models import LeaderboardPeriod
from neighbor_api.context import Info
from neighbor_api.graphql.enums import graphql_enum
from neighbor_api.points import repository
from neighbor_api.points.repository import Entry

if TYPE_CHECKING:
    from neighbor_api.boards.types import TaskType
    from neighbor_api.rewards.types import RedemptionType


class PointsReason(StrEnum):
    TASK_APPROVED = "TASK_APPROVED"
    REWARD_REDEEMED = "REWARD_REDEEMED"
    REDEMPTION_REFUNDED = "REDEMPTION_REFUNDED"


_REASONS = {
    repository.TASK_APPROVED: PointsReason.TASK_APPROVED,
    repository.REDEEMED: PointsReason.REWARD_REDEEMED,
    repository.REFUNDED: PointsReason.REDEMPTION_REFUNDED,
}

graphql_enum(
    PointsReason,
    "Why points were given or taken.",
    {
        PointsReason.TASK_APPROVED: "Earned: a task one worked on was approved.",
        PointsReason.REWARD_REDEEMED: "Spent on a reward of the 爱心超市.",
        PointsReason.REDEMPTION_REFUNDED: "Given back: a redemption was cancelled.",
    },
)


# Registered here, where the viewer's leaderboardRank first needs it.
graphql_enum(
    LeaderboardPeriod,
    "The calendar period a leaderboard counts, in Asia/Shanghai time.",
    {
        LeaderboardPeriod.ALL_TIME: "Every point ever earned in the community.",
        LeaderboardPeriod.YEAR: "Since midnight of 1 January this year.",
        LeaderboardPeriod.MONTH: "Since midnight of the 1st of this month.",
    },
)


@strawberry.type(name="PointsEntry", description="One line of a user's points history (积分明细).")
class PointsEntryType(relay.Node):
    id: relay.NodeID[str]
    amount: int = strawberry.field(description="Points given (positive) or taken (negative).")
    balance: int = strawberry.field(description="The balance right after this entry.")
    reason: PointsReason = strawberry.field(description="Why.")
    created_at: datetime = strawberry.field(description="When.")
    entry: strawberry.Private[Entry]

    @classmethod
    def from_entry(cls, entry: Entry) -> PointsEntryType:
        return cls(
            id=str(entry.id), amount=entry.points, balance=entry.balance,
            reason=_REASONS.get(entry.reason, PointsReason.TASK_APPROVED),
            created_at=entry.at, entry=entry,
        )  # fmt: skip

    @strawberry.field(description="The task that earned it (if the viewer may still see it).")
    async def task(
        self, info: Info
    ) -> Annotated[TaskType, strawberry.lazy("neighbor_api.boards.types")] | None:
        from neighbor_api.boards.types import TaskType

        task_id = self.entry.task_id
        return await TaskType.load(info, task_id) if task_id else None

    @strawberry.field(description="The redemption that spent or refunded it.")
    async def redemption(
        self, info: Info
    ) -> Annotated[RedemptionType, strawberry.lazy("neighbor_api.rewards.types")] | None:
        from neighbor_api.rewards.types import RedemptionType

        redemption_id = self.entry.redemption_id
        return await RedemptionType.load(info, redemption_id) if redemption_id else None
