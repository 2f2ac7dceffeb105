"""The 爱心超市's queries and mutations."""

from __future__ import annotations

import strawberry

from neighbor_api.context import Info
from neighbor_api.graphql.errors import mutation_runner
from neighbor_api.graphql.relay import Connection, from_global_id, input_id, page_under
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


# A reward's mutation: the reward it changed, or why not.
_reward_change = mutation_runner(RewardPayload, _reward)


def _redemption(redeemed: service.Redeemed) -> RedemptionPayload:
    return RedemptionPayload(
        redemption=RedemptionType.from_model(redeemed.redemption, redeemed.reward)
    )


# A redemption's mutation: the redemption, or why not.
_redemption_change = mutation_runner(RedemptionPayload, _redemption)


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
        return await page_under(
            info, community_id, "Place",
            lambda actor, place_id: service.community_redemptions(
                info.context.deps, actor, community_id=place_id, status=status, first=first,
                after=after,
            ),
            RedemptionType.from_model,
        )  # fmt: skip

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
        return await _reward_change(
            info,
            lambda actor: service.create_reward(
                info.context.deps, actor,
                community_id=input_id(input.community_id, "Place", "communityId"),
                fields=_fields(input),
            ),
        )  # fmt: skip

    @strawberry.mutation(description="Community staff: change a reward on offer.")
    async def update_reward(self, info: Info, input: UpdateRewardInput) -> RewardPayload:
        return await _reward_change(
            info,
            lambda actor: service.update_reward(
                info.context.deps, actor, reward_id=input_id(input.reward_id, "Reward", "rewardId"),
                fields=_fields(input),
            ),
        )  # fmt: skip

    @strawberry.mutation(description="Community staff: withdraw a reward from the 爱心超市.")
    async def retire_reward(self, info: Info, input: RetireRewardInput) -> RewardPayload:
        return await _reward_change(
            info,
            lambda actor: service.retire_reward(
                info.context.deps, actor, reward_id=input_id(input.reward_id, "Reward", "rewardId")
            ),
        )  # fmt: skip

    @strawberry.mutation(
        description="Spend points on a reward: the points and one unit of stock are taken "
        "together or not at all (INSUFFICIENT_POINTS, OUT_OF_STOCK); answers a pickup code."
    )
    async def redeem_reward(self, info: Info, input: RedeemRewardInput) -> RedemptionPayload:
        return await _redemption_change(
            info,
            lambda actor: service.redeem_reward(
                info.context.deps, actor,
                reward_id=input_id(input.reward_id, "Reward", "rewardId"),
                idempotency_key=input.idempotency_key,
            ),
        )  # fmt: skip

    @strawberry.mutation(description="Community staff: the goods were handed over (once).")
    async def fulfil_redemption(
        self, info: Info, input: FulfilRedemptionInput
    ) -> RedemptionPayload:
        return await _redemption_change(
            info,
            lambda actor: service.fulfil_redemption(
                info.context.deps, actor,
                redemption_id=input_id(input.redemption_id, "Redemption", "redemptionId"),
            ),
        )  # fmt: skip

    @strawberry.mutation(
        description="Staff or the resident: call a pending redemption off; the unit goes back "
        "to stock and the points are refunded, exactly once."
    )
    async def cancel_redemption(
        self, info: Info, input: CancelRedemptionInput
    ) -> RedemptionPayload:
        return await _redemption_change(
            info,
            lambda actor: service.cancel_redemption(
                info.context.deps, actor,
                redemption_id=input_id(input.redemption_id, "Redemption", "redemptionId"),
                reason=input.reason,
            ),
        )  # fmt: skip
