"""The 爱心超市 (points.graphql: Rewards, CreateReward, RedeemReward, FulfilRedemption,
PointsHistory): staff stock rewards; residents spend points in one transaction with the stock;
balances and stocks never below zero under concurrent requests; a pickup code; handing over
once; a cancel refunding exactly once."""

from __future__ import annotations

import asyncio
from typing import Any

from neighbor_api.core.i18n import Locale
from tests.boards.support import (
    JINAN_CHAIR,
    JINAN_HOUSEMATE,
    JINAN_NEIGHBOUR,
    JINAN_RESIDENT,
    JINAN_WORKER,
    JINSHAN_RESIDENT,
    Boards,
    codes,
)
from tests.points.support import give, give_token, history, redeem, reward

CANCEL = """
mutation CancelRedemptionForTest($input: CancelRedemptionInput!) {
  cancelRedemption(input: $input) { redemption { id status } errors { code message field } }
}
"""
REDEMPTIONS = """
query CommunityRedemptionsForTest($communityId: ID!, $status: RedemptionStatus) {
  redemptions(communityId: $communityId, status: $status, first: 100) {
    totalCount edges { node { id status pickupCode user { id } } }
  }
}
"""
RETIRE = """
mutation RetireRewardForTest($input: RetireRewardInput!) {
  retireReward(input: $input) { reward { id retired } errors { code } }
}
"""


async def _stock(boards: Boards, reward_id: str) -> int:
    data = await boards.api.data(
        "Rewards", {"communityId": boards.street.places["金安社区"]},
        token=await boards.token(JINAN_WORKER),
    )  # fmt: skip
    (found,) = [r for r in data["rewards"] if r["id"] == reward_id]
    stock: int = found["stock"]
    return stock


async def _cancel(boards: Boards, phone: str, redemption_id: str) -> dict[str, Any]:
    result = await boards.api.execute(
        CANCEL, {"input": {"redemptionId": redemption_id}}, token=await boards.token(phone)
    )
    assert result.errors is None, result.errors
    assert result.data is not None
    payload: dict[str, Any] = result.data["cancelRedemption"]
    return payload


class TestRewards:
    async def test_staff_stock_and_members_see_the_rewards(self, boards: Boards) -> None:
        created = await reward(boards, cost=30, stock=12, name="大米 5 斤")

        data = await boards.api.data(
            "Rewards", {"communityId": boards.street.places["金安社区"]},
            token=await boards.token(JINAN_RESIDENT),
        )  # fmt: skip
        outsider = await boards.api.data(
            "Rewards", {"communityId": boards.street.places["金安社区"]},
            token=await boards.token(JINSHAN_RESIDENT),
        )  # fmt: skip

        (shown,) = [r for r in data["rewards"] if r["id"] == created["id"]]
        assert (shown["name"], shown["cost"], shown["stock"]) == ("大米 5 斤", 30, 12)
        assert shown["description"] == "厦门湖里区金安社区爱心超市"
        assert outsider["rewards"] is None

    async def test_bad_costs_and_stocks_are_refused_and_nothing_written(
        self, boards: Boards
    ) -> None:
        community = boards.street.places["金安社区"]
        bad = [{"cost": 0, "stock": 5}, {"cost": -3, "stock": 5}, {"cost": 5, "stock": 0},
               {"cost": 5, "stock": -1}]  # fmt: skip
        before = await boards.deps.db["rewards"].count_documents({})
        for values in bad:
            payload = await boards.mutate(
                "CreateReward", JINAN_WORKER, communityId=community, name="毛巾", **values
            )
            assert codes(payload) == ["INVALID_INPUT"], values
            assert payload["reward"] is None
        resident = await boards.mutate(
            "CreateReward", JINAN_RESIDENT, communityId=community, name="毛巾", cost=5, stock=5
        )
        assert codes(resident) == ["FORBIDDEN"]
        english = await boards.api.data(
            "CreateReward",
            {"input": {"communityId": community, "name": "毛巾", "cost": 0, "stock": 5}},
            token=await boards.token(JINAN_WORKER), locale=Locale.EN,
        )  # fmt: skip
        assert "cost" in english["createReward"]["errors"][0]["message"]
        assert await boards.deps.db["rewards"].count_documents({}) == before


class TestRedeem:
    async def test_points_debited_stock_decremented_pickup_code_history(
        self, boards: Boards
    ) -> None:
        token = await boards.token(JINAN_NEIGHBOUR)
        await give(boards, JINAN_NEIGHBOUR, 50)
        before = await history(boards, token)
        item = await reward(boards, cost=20, stock=3)

        redeemed = await redeem(boards, token, item["id"], key="r-1")
        retry = await redeem(boards, token, item["id"], key="r-1")

        assert redeemed["errors"] == []
        redemption = redeemed["redemption"]
        assert redemption["status"] == "PENDING"
        assert len(redemption["pickupCode"]) == 6
        assert redemption["pickupCode"].isdigit()
        assert redemption["reward"] == {"id": item["id"], "stock": 2}
        assert retry["redemption"]["id"] == redemption["id"]
        assert await _stock(boards, item["id"]) == 2
        after = await history(boards, token)
        assert after["points"] == before["points"] - 20
        newest = after["pointsHistory"]["edges"][0]["node"]
        assert (newest["amount"], newest["balance"], newest["reason"]) == (
            -20, after["points"], "REWARD_REDEEMED",
        )  # fmt: skip
        assert newest["redemption"] == {"id": redemption["id"]}
        assert after["pointsHistory"]["totalCount"] == before["pointsHistory"]["totalCount"] + 1

    async def test_insufficient_points_and_out_of_stock_change_nothing(
        self, boards: Boards
    ) -> None:
        token = await boards.token(JINAN_HOUSEMATE)
        before = await history(boards, token)
        dear = await reward(boards, cost=before["points"] + 10, stock=3)
        await give(boards, JINAN_HOUSEMATE, 5)
        single = await reward(boards, cost=1, stock=1)
        await redeem(boards, await boards.token(JINAN_HOUSEMATE), single["id"])

        poor = await redeem(boards, token, dear["id"])
        gone = await redeem(boards, token, single["id"])

        assert codes(poor) == ["INSUFFICIENT_POINTS"]
        assert poor["redemption"] is None
        assert codes(gone) == ["OUT_OF_STOCK"]
        assert await _stock(boards, dear["id"]) == 3
        assert await _stock(boards, single["id"]) == 0
        after = await history(boards, token)
        assert after["points"] == before["points"] + 5 - 1

    async def test_a_retired_reward_cannot_be_redeemed(self, boards: Boards) -> None:
        await give(boards, JINAN_CHAIR, 10)
        item = await reward(boards, cost=1, stock=9)
        result = await boards.api.execute(
            RETIRE, {"input": {"rewardId": item["id"]}}, token=await boards.token(JINAN_WORKER)
        )
        assert result.data is not None
        assert result.data["retireReward"]["reward"]["retired"] is True

        refused = await redeem(boards, await boards.token(JINAN_CHAIR), item["id"])

        assert codes(refused) == ["INVALID_TRANSITION"]
        assert "下架" in refused["errors"][0]["message"]


class TestRaces:
    async def test_100_residents_racing_for_5_in_stock_get_exactly_5(self, boards: Boards) -> None:
        tokens = await boards.volunteers(100, first_phone=13900001000)
        await asyncio.gather(*(give_token(boards, t, 10) for t in tokens))
        item = await reward(boards, cost=10, stock=5, name="食用油一桶")

        results = await asyncio.gather(*(redeem(boards, t, item["id"]) for t in tokens))

        outcomes = sorted(tuple(codes(r)) for r in results)
        assert outcomes.count(()) == 5
        assert outcomes.count(("OUT_OF_STOCK",)) == 95
        assert await _stock(boards, item["id"]) == 0
        balances = [(await history(boards, t, first=1))["points"] for t in tokens]
        assert sorted(balances) == [0] * 5 + [10] * 95

    async def test_one_resident_with_points_for_2_gets_exactly_2_of_50(
        self, boards: Boards
    ) -> None:
        (token,) = await boards.volunteers(1, first_phone=13900002000)
        await give_token(boards, token, 30)
        item = await reward(boards, cost=15, stock=50, name="抽纸一提")

        results = await asyncio.gather(*(redeem(boards, token, item["id"]) for _ in range(50)))

        outcomes = sorted(tuple(codes(r)) for r in results)
        assert outcomes.count(()) == 2
        assert outcomes.count(("INSUFFICIENT_POINTS",)) == 48
        assert await _stock(boards, item["id"]) == 48
        mine = await history(boards, token)
        assert mine["points"] == 0
        assert [e["node"]["balance"] for e in mine["pointsHistory"]["edges"]] == [0, 15, 30]


class TestHandOver:
    async def test_fulfilled_once_and_listed_for_staff(self, boards: Boards) -> None:
        token = await boards.token(JINAN_RESIDENT)
        await give(boards, JINAN_RESIDENT, 5)
        item = await reward(boards, cost=5, stock=2)
        redemption = (await redeem(boards, token, item["id"]))["redemption"]

        listed = await boards.api.execute(
            REDEMPTIONS, {"communityId": boards.street.places["金安社区"], "status": "PENDING"},
            token=await boards.token(JINAN_WORKER),
        )  # fmt: skip
        by_resident = await boards.api.execute(
            REDEMPTIONS, {"communityId": boards.street.places["金安社区"]}, token=token
        )
        first = await boards.mutate("FulfilRedemption", JINAN_WORKER, redemptionId=redemption["id"])
        twice = await boards.mutate("FulfilRedemption", JINAN_WORKER, redemptionId=redemption["id"])
        resident = await boards.mutate("FulfilRedemption", JINAN_RESIDENT,
                                       redemptionId=redemption["id"])  # fmt: skip

        assert listed.data is not None
        pending = {e["node"]["id"]: e["node"] for e in listed.data["redemptions"]["edges"]}
        assert pending[redemption["id"]]["pickupCode"] == redemption["pickupCode"]
        assert by_resident.data == {"redemptions": None}
        assert first["redemption"] == {"id": redemption["id"], "status": "FULFILLED"}
        assert codes(twice) == ["INVALID_TRANSITION"]
        assert codes(resident) == ["FORBIDDEN"]
        assert codes(await _cancel(boards, JINAN_WORKER, redemption["id"])) == [
            "INVALID_TRANSITION"
        ]

    async def test_a_cancel_refunds_exactly_once(self, boards: Boards) -> None:
        (token,) = await boards.volunteers(1, first_phone=13900003000)
        await give_token(boards, token, 12)
        item = await reward(boards, cost=12, stock=1)
        redemption = (await redeem(boards, token, item["id"]))["redemption"]

        results = await asyncio.gather(
            *(_cancel(boards, JINAN_WORKER, redemption["id"]) for _ in range(10))
        )

        assert sorted(tuple(codes(r)) for r in results).count(()) == 1
        mine = await history(boards, token)
        assert mine["points"] == 12
        reasons = [e["node"]["reason"] for e in mine["pointsHistory"]["edges"]]
        assert reasons == ["REDEMPTION_REFUNDED", "REWARD_REDEEMED", "TASK_APPROVED"]
        assert await _stock(boards, item["id"]) == 1
