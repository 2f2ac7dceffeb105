"""The ledger's invariants and the leaderboard's periods: for any history of earning, spending
and refunds (generated, property-based), the ledger's sum = the account's balance = the newest
balance of viewer.pointsHistory = viewer.points, every entry's balance is the running sum, and
no balance is ever negative; MONTH and YEAR leaderboards (PeriodLeaderboard, viewer's
leaderboardRank) start at midnight Asia/Shanghai."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

from bson import ObjectId
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neighbor_api.boards.models import LeaderboardPeriod
from neighbor_api.boards.service import period_window
from neighbor_api.core.clock import ManualClock
from neighbor_api.points import repository as points
from tests.boards.support import (
    JINAN_WORKER,
    JINSHAN_RESIDENT,
    JINSHAN_WORKER,
    Boards,
    codes,
    object_id,
)
from tests.conftest import Api
from tests.points.support import give_token, history, redeem, reward

_phones = count(13900005000, 10)

# An operation: earn n points; redeem reward i (costs 5, 20, 50); cancel the j-th redemption.
operations = st.lists(
    st.one_of(
        st.tuples(st.just("earn"), st.integers(1, 60)),
        st.tuples(st.just("redeem"), st.integers(0, 2)),
        st.tuples(st.just("cancel"), st.integers(0, 20)),
    ),
    min_size=1,
    max_size=12,
)
COSTS = (5, 20, 50)

CANCEL = """
mutation CancelForLedger($input: CancelRedemptionInput!) {
  cancelRedemption(input: $input) { redemption { id status } errors { code } }
}
"""


class TestLedgerProperty:
    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(ops=operations)
    async def test_ledger_sum_is_history_is_balance(
        self, boards: Boards, ops: list[tuple[str, int]]
    ) -> None:
        (token,) = await boards.volunteers(1, first_phone=next(_phones))
        rewards = [(await reward(boards, cost=c, stock=100))["id"] for c in COSTS]
        expected = 0
        redeemed: list[tuple[str, int]] = []
        for verb, value in ops:
            if verb == "earn":
                await give_token(boards, token, value)
                expected += value
            elif verb == "redeem":
                payload = await redeem(boards, token, rewards[value])
                if expected >= COSTS[value]:
                    assert payload["errors"] == [], payload
                    redeemed.append((payload["redemption"]["id"], COSTS[value]))
                    expected -= COSTS[value]
                else:
                    assert codes(payload) == ["INSUFFICIENT_POINTS"]
            elif redeemed:
                redemption_id, cost = redeemed.pop(value % len(redeemed))
                result = await boards.api.execute(
                    CANCEL, {"input": {"redemptionId": redemption_id}},
                    token=await boards.token(JINAN_WORKER),
                )  # fmt: skip
                assert result.data is not None
                assert result.data["cancelRedemption"]["errors"] == []
                expected += cost

        viewer = await history(boards, token, first=100)
        user_id = viewer["id"]
        entries = [e["node"] for e in viewer["pointsHistory"]["edges"]]
        ledger_sum = sum(e["amount"] for e in entries)
        account = await points.account_balance(boards.deps.db, object_id(user_id, "User"))
        assert viewer["points"] == ledger_sum == account == expected
        assert viewer["pointsHistory"]["totalCount"] == len(entries)
        running = 0
        for entry in reversed(entries):  # oldest first
            running += entry["amount"]
            assert entry["balance"] == running
            assert entry["balance"] >= 0
        assert (entries[0]["balance"] if entries else 0) == expected


SHANGHAI = timedelta(hours=8)


def _shanghai(*parts: int) -> datetime:
    """A wall-clock time in Asia/Shanghai, as UTC."""
    return datetime(*parts, tzinfo=UTC) - SHANGHAI  # type: ignore[misc]


class TestPeriods:
    def test_windows_start_at_midnight_in_shanghai(self) -> None:
        now = _shanghai(2026, 12, 1, 0, 0, 0)
        start, end = period_window(LeaderboardPeriod.MONTH, now)
        assert (start, end) == (_shanghai(2026, 12, 1), _shanghai(2027, 1, 1))
        just_before = now - timedelta(microseconds=1)
        assert period_window(LeaderboardPeriod.MONTH, just_before)[0] == _shanghai(2026, 11, 1)
        assert period_window(LeaderboardPeriod.YEAR, _shanghai(2027, 1, 1)) == (
            _shanghai(2027, 1, 1), _shanghai(2028, 1, 1),
        )  # fmt: skip
        assert period_window(LeaderboardPeriod.YEAR, _shanghai(2026, 12, 31, 23, 59, 59))[0] == (
            _shanghai(2026, 1, 1)
        )
        assert period_window(LeaderboardPeriod.ALL_TIME, now) == (None, None)

    async def test_month_and_year_boards_and_my_rank_at_the_boundary(self, boards: Boards) -> None:
        # 金山社区: the resident earned 30 at 23:59:59 on 30 November (Shanghai), the worker
        # 10 at 00:00:00 on 1 December, and 1 more on 31 December at 23:59:59 (December: 11).
        db = boards.deps.db
        community = boards.street.places["金山社区"]
        place = object_id(community, "Place")
        for phone, amount, at in (
            (JINSHAN_RESIDENT, 30, _shanghai(2026, 11, 30, 23, 59, 59)),
            (JINSHAN_WORKER, 10, _shanghai(2026, 12, 1, 0, 0, 0)),
            (JINSHAN_WORKER, 1, _shanghai(2026, 12, 31, 23, 59, 59)),
        ):
            user = object_id(await boards.street.user_id(phone), "User")
            await points.credit(
                db, user_id=user, community_id=place, place_path=[place], points=amount,
                reason=points.TASK_APPROVED, at=at, task_id=ObjectId(),
            )  # fmt: skip

        async def board_at(now: datetime, period: str) -> tuple[list[Any], Any]:
            api = Api(boards.api.schema, dataclasses.replace(boards.deps, clock=ManualClock(now)))
            data = await api.data(
                "PeriodLeaderboard", {"communityId": community, "period": period, "first": 10},
                token=await api.login(JINSHAN_RESIDENT),  # signed in at that time
            )  # fmt: skip
            rows = [(r["rank"], r["points"], r["user"]["displayName"])
                    for r in data["pointsLeaderboard"]]  # fmt: skip
            return rows, data["viewer"]["leaderboardRank"]

        december = _shanghai(2026, 12, 1, 0, 0, 0)
        assert await board_at(december, "MONTH") == ([(1, 11, "郑晓燕")], None)
        assert await board_at(december - timedelta(seconds=1), "MONTH") == (
            [(1, 30, "吴建华")], 1,
        )  # fmt: skip
        assert await board_at(december, "YEAR") == ([(1, 30, "吴建华"), (2, 11, "郑晓燕")], 1)
        new_year = _shanghai(2027, 1, 1, 0, 0, 0)
        assert await board_at(new_year, "YEAR") == ([], None)
        assert await board_at(new_year - timedelta(seconds=1), "MONTH") == (
            [(1, 11, "郑晓燕")], None,
        )  # fmt: skip
        assert await board_at(new_year, "ALL_TIME") == (
            [(1, 30, "吴建华"), (2, 11, "郑晓燕")], 1,
        )  # fmt: skip


async def test_spending_does_not_lower_a_leaderboard_place(boards: Boards) -> None:
    (token,) = await boards.volunteers(1, first_phone=13900009000)
    await give_token(boards, token, 40)
    item = await reward(boards, cost=40, stock=1)
    await redeem(boards, token, item["id"])

    data = await boards.api.data(
        "PeriodLeaderboard", {"communityId": boards.street.places["金安社区"], "first": 100},
        token=token,
    )  # fmt: skip

    mine = [r for r in data["pointsLeaderboard"] if r["user"]["id"] == data["viewer"]["id"]]
    assert [r["points"] for r in mine] == [40]
    assert data["viewer"]["leaderboardRank"] == mine[0]["rank"]
