"""Helpers of the points-economy tests: the contract's documents (schema/operations/points.graphql)
as the apps send them, and points given the way an approval gives them."""

from __future__ import annotations

from typing import Any

from bson import ObjectId

from neighbor_api.points import repository as points
from tests.boards.support import JINAN_WORKER, Boards, object_id


async def give(boards: Boards, phone: str, amount: int, *, community: str = "金安社区") -> None:
    """`amount` points to `phone`, written as an approval writes them (account + entry)."""
    user = object_id(await boards.street.user_id(phone), "User")
    place = object_id(boards.street.places[community], "Place")
    await points.credit(
        boards.deps.db, user_id=user, community_id=place, place_path=[place], points=amount,
        reason=points.TASK_APPROVED, at=boards.deps.clock.now(), task_id=ObjectId(),
    )  # fmt: skip


async def give_token(boards: Boards, token: str, amount: int) -> None:
    data = await boards.api.data("Viewer", token=token)
    user = object_id(data["viewer"]["id"], "User")
    place = object_id(boards.street.places["金安社区"], "Place")
    await points.credit(
        boards.deps.db, user_id=user, community_id=place, place_path=[place], points=amount,
        reason=points.TASK_APPROVED, at=boards.deps.clock.now(), task_id=ObjectId(),
    )  # fmt: skip


async def reward(
    boards: Boards, *, cost: int = 10, stock: int = 5, name: str = "洗衣液一瓶",
    phone: str = JINAN_WORKER,
) -> dict[str, Any]:  # fmt: skip
    """A new reward of 金安社区's 爱心超市: createReward's reward."""
    payload = await boards.mutate(
        "CreateReward", phone, communityId=boards.street.places["金安社区"], name=name,
        description="厦门湖里区金安社区爱心超市", cost=cost, stock=stock,
    )  # fmt: skip
    assert payload["errors"] == [], payload
    created: dict[str, Any] = payload["reward"]
    return created


async def history(boards: Boards, token: str, first: int = 50) -> dict[str, Any]:
    data = await boards.api.data("PointsHistory", {"first": first}, token=token)
    viewer: dict[str, Any] = data["viewer"]
    return viewer


async def redeem(boards: Boards, token: str, reward_id: str, key: str | None = None) -> Any:
    values: dict[str, Any] = {"rewardId": reward_id}
    if key is not None:
        values["idempotencyKey"] = key
    data = await boards.api.data("RedeemReward", {"input": values}, token=token)
    return data["redeemReward"]
