"""The 爱心超市's queries and mutations."""

from __future__ import annotations

import strawberry

from neighbor_api.context import Info
from neighbor_api.graphql.errors import run_mutation
from neighbor_api.graphql.relay import Connection, from_global_id, input_id
from neighbor_api.rewards import service
from neighbor_api.rewards.models import RedemptionStatus, Reward
from neighbor_api.rewards.types import (
    CancelRedemptionInput,
    CreateRewardInput,
    FulfilRedemptionInput,
    RedeemRewardInput,
    RedemptionPayload,
    RedemptionType,
    RetireRewardInput,
    RewardPayload,
    RewardType,
    UpdateRewardInput,
)


def _reward(reward: Reward) -> RewardPayload:
    return RewardPayload(reward=RewardType.from_model(reward))


def _redemption(redeemed: service.Redeemed) -> RedemptionPayload:
    return RedemptionPayload(
        redemption=RedemptionType.from_model(redeemed.redemption, redeemed.reward)
    )


@strawberry.type
class RewardQuery:
    @strawberry.field(
        description="A community's 爱心超市: the rewards on offer (staff may include the retired "
        "ones). Null for those outside the community."
    )
    async def rewards(
        self, info: Info, community_id: strawberry.ID, include_retired: bool = False
    ) -> list[RewardType] | None:
        actor = await info.context.require_actor()
        place_id = from_global_id(community_id, "Place")
        if place_id is None:
            return None
        found = await service.rewards_of(
            info.context.deps, actor, community_id=place_id, retired=include_retired
        )
        return [RewardType.from_model(r) for r in found] if found is not None else None

    @strawberry.field(
        description="Staff: the community's redemptions, newest first (optionally of one "
        "status: PENDING is what waits to be handed over). Null for anyone else."
    )
    async def redemptions(
        self,
        info: Info,
        community_id: strawberry.ID,
        status: RedemptionStatus | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[RedemptionType] | None:
        actor = await info.context.require_actor()
        place_id = from_global_id(community_id, "Place")
        if place_id is None:
            return None
        page = await service.community_redemptions(
            info.context.deps, actor, community_id=place_id, status=status, first=first,
            after=after,
        )  # fmt: skip
        return Connection.of(page.map(RedemptionType.from_model)) if page is not None else None

    @strawberry.field(description="The viewer's own redemptions, newest first.")
    async def my_redemptions(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[RedemptionType]:
        actor = await info.context.require_actor()
        page = await service.my_redemptions(info.context.deps, actor, first=first, after=after)
        return Connection.of(page.map(RedemptionType.from_model))


def _fields(
    input: CreateRewardInput | UpdateRewardInput,
) -> service.RewardFields:
    return service.RewardFields(
        name=input.name, description=input.description, cost=input.cost, stock=input.stock
    )


@strawberry.type
class RewardMutation:
    @strawberry.mutation(description="Community staff: put a reward on offer in the 爱心超市.")
    async def create_reward(self, info: Info, input: CreateRewardInput) -> RewardPayload:
        return await run_mutation(
            info, RewardPayload,
            lambda actor: service.create_reward(
                info.context.deps, actor,
                community_id=input_id(input.community_id, "Place", "communityId"),
                fields=_fields(input),
            ),
            _reward,
        )  # fmt: skip

    @strawberry.mutation(description="Community staff: change a reward on offer.")
    async def update_reward(self, info: Info, input: UpdateRewardInput) -> RewardPayload:
        return await run_mutation(
            info, RewardPayload,
            lambda actor: service.update_reward(
                info.context.deps, actor, reward_id=input_id(input.reward_id, "Reward", "rewardId"),
                fields=_fields(input),
            ),
            _reward,
        )  # fmt: skip

    @strawberry.mutation(description="Community staff: withdraw a reward from the 爱心超市.")
    async def retire_reward(self, info: Info, input: RetireRewardInput) -> RewardPayload:
        return await run_mutation(
            info, RewardPayload,
            lambda actor: service.retire_reward(
                info.context.deps, actor, reward_id=input_id(input.reward_id, "Reward", "rewardId")
            ),
            _reward,
        )  # fmt: skip

    @strawberry.mutation(
        description="Spend points on a reward: the points and one unit of stock are taken "
        "together or not at all (INSUFFICIENT_POINTS, OUT_OF_STOCK); answers a pickup code."
    )
    async def redeem_reward(self, info: Info, input: RedeemRewardInput) -> RedemptionPayload:
        return await run_mutation(
            info, RedemptionPayload,
            lambda actor: service.redeem_reward(
                info.context.deps, actor,
                reward_id=input_id(input.reward_id, "Reward", "rewardId"),
                idempotency_key=input.idempotency_key,
            ),
            _redemption,
        )  # fmt: skip

    @strawberry.mutation(description="Community staff: the goods were handed over (once).")
    async def fulfil_redemption(
        self, info: Info, input: FulfilRedemptionInput
    ) -> RedemptionPayload:
        return await run_mutation(
            info, RedemptionPayload,
            lambda actor: service.fulfil_redemption(
                info.context.deps, actor,
                redemption_id=input_id(input.redemption_id, "Redemption", "redemptionId"),
            ),
            _redemption,
        )  # fmt: skip

    @strawberry.mutation(
        description="Staff or the resident: call a pending redemption off; the unit goes back "
        "to stock and the points are refunded, exactly once."
    )
    async def cancel_redemption(
        self, info: Info, input: CancelRedemptionInput
    ) -> RedemptionPayload:
        return await run_mutation(
            info, RedemptionPayload,
            lambda actor: service.cancel_redemption(
                info.context.deps, actor,
                redemption_id=input_id(input.redemption_id, "Redemption", "redemptionId"),
                reason=input.reason,
            ),
            _redemption,
        )  # fmt: skip
