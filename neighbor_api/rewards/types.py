"""GraphQL types of the 爱心超市: rewards, redemptions, their inputs and payloads."""

from __future__ import annotations

from datetime import datetime

import strawberry
from bson import ObjectId
from strawberry import relay

from neighbor_api.accounts.types import UserType
from neighbor_api.context import Info
from neighbor_api.graphql.enums import graphql_enum
from neighbor_api.graphql.errors import Payload
from neighbor_api.graphql.relay import node_type
from neighbor_api.rewards import service
from neighbor_api.rewards.models import Redemption, RedemptionStatus, Reward

graphql_enum(
    RedemptionStatus,
    "Where a redemption is.",
    {
        RedemptionStatus.PENDING: "Points spent, the goods waiting to be picked up with the code "
        "(待领取).",
        RedemptionStatus.FULFILLED: "Handed over by staff.",
        RedemptionStatus.CANCELLED: "Called off: the unit went back to stock and the points were "
        "refunded.",
    },
)


@node_type
@strawberry.type(
    name="Reward", description="Goods of the community's 爱心超市, bought with points."
)
class RewardType(relay.Node):
    id: relay.NodeID[str]
    name: str = strawberry.field(description="What it is, e.g. 洗衣液一瓶.")
    description: str | None = strawberry.field(default=None, description="The details.")
    cost: int = strawberry.field(description="Its price in points.")
    stock: int = strawberry.field(description="How many are left.")
    retired: bool = strawberry.field(default=False, description="No longer on offer.")
    model: strawberry.Private[Reward]

    @classmethod
    def from_model(cls, reward: Reward) -> RewardType:
        return cls(
            id=str(reward.id), name=reward.name, description=reward.description,
            cost=reward.cost, stock=reward.stock, retired=reward.retired, model=reward,
        )  # fmt: skip

    @classmethod
    async def load(cls, info: Info, object_id: ObjectId) -> RewardType | None:
        found = await service.get_reward(info.context.deps, await info.context.actor(), object_id)
        return cls.from_model(found) if found else None


@node_type
@strawberry.type(name="Redemption", description="Points spent on a reward (兑换记录).")
class RedemptionType(relay.Node):
    id: relay.NodeID[str]
    status: RedemptionStatus = strawberry.field(description="PENDING, FULFILLED or CANCELLED.")
    cost: int = strawberry.field(description="The points it took.")
    reward_name: str = strawberry.field(description="The reward's name when redeemed.")
    created_at: datetime = strawberry.field(description="When it was redeemed.")
    fulfilled_at: datetime | None = strawberry.field(
        default=None, description="When the goods were handed over."
    )
    cancelled_at: datetime | None = strawberry.field(default=None, description="When cancelled.")
    model: strawberry.Private[Redemption]
    reward_model: strawberry.Private[Reward | None] = None

    @classmethod
    def from_model(cls, redemption: Redemption, reward: Reward | None = None) -> RedemptionType:
        return cls(
            id=str(redemption.id), status=redemption.status, cost=redemption.cost,
            reward_name=redemption.reward_name, created_at=redemption.created_at,
            fulfilled_at=redemption.fulfilled_at, cancelled_at=redemption.cancelled_at,
            model=redemption, reward_model=reward,
        )  # fmt: skip

    @classmethod
    async def load(cls, info: Info, object_id: ObjectId) -> RedemptionType | None:
        found = await service.get_redemption(
            info.context.deps, await info.context.actor(), object_id
        )
        return cls.from_model(found) if found else None

    @strawberry.field(
        description="The code the resident shows at pickup (the resident and staff only)."
    )
    async def pickup_code(self, info: Info) -> str | None:
        actor = await info.context.actor()
        return self.model.pickup_code if service.sees_redemption(actor, self.model) else None

    @strawberry.field(description="The reward (as it is now).")
    async def reward(self, info: Info) -> RewardType | None:
        if self.reward_model is not None:
            return RewardType.from_model(self.reward_model)
        return await RewardType.load(info, self.model.reward_id)

    @strawberry.field(description="The resident who redeemed it.")
    async def user(self, info: Info) -> UserType | None:
        user = await info.context.loaders.user.load(self.model.user_id)
        return UserType.from_model(user) if user else None


# --- Inputs and payloads ------------------------------------------------------------------


@strawberry.input(description="Community staff: put a reward on offer.")
class CreateRewardInput:
    community_id: strawberry.ID = strawberry.field(description="The community.")
    name: str = strawberry.field(description="At most 40 characters.")
    description: str | None = strawberry.field(default=None, description="At most 500.")
    cost: int = strawberry.field(description="Its price in points (1–100,000).")
    stock: int = strawberry.field(description="How many there are (1–100,000).")


@strawberry.input(description="Community staff: change a reward on offer.")
class UpdateRewardInput:
    reward_id: strawberry.ID = strawberry.field(description="The reward.")
    name: str | None = strawberry.field(default=None, description="At most 40 characters.")
    description: str | None = strawberry.field(default=None, description="At most 500.")
    cost: int | None = strawberry.field(default=None, description="1–100,000 points.")
    stock: int | None = strawberry.field(default=None, description="0–100,000 (0: sold out).")


@strawberry.input(description="Community staff: withdraw a reward.")
class RetireRewardInput:
    reward_id: strawberry.ID = strawberry.field(description="The reward.")


@strawberry.input(description="Spend points on a reward.")
class RedeemRewardInput:
    reward_id: strawberry.ID = strawberry.field(description="The reward.")
    idempotency_key: str | None = strawberry.field(
        default=None, description="A retry with the same key returns the first redemption."
    )


@strawberry.input(description="Community staff: the goods were handed over.")
class FulfilRedemptionInput:
    redemption_id: strawberry.ID = strawberry.field(description="The redemption.")


@strawberry.input(description="Staff or the resident: call a pending redemption off.")
class CancelRedemptionInput:
    redemption_id: strawberry.ID = strawberry.field(description="The redemption.")
    reason: str | None = strawberry.field(default=None, description="Why (at most 200).")


@strawberry.type(description="The result of a change to a reward.")
class RewardPayload(Payload):
    reward: RewardType | None = strawberry.field(default=None, description="The reward now.")


@strawberry.type(description="The result of a redemption or a change to one.")
class RedemptionPayload(Payload):
    redemption: RedemptionType | None = strawberry.field(
        default=None, description="The redemption now."
    )
