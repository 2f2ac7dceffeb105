"""Moving cards (MoveTask): ranks keep any sequence of moves in the order a plain list would,
one document is written per move, a stale expectedVersion is VERSION_CONFLICT and changes
nothing, WIP limits, DONE only by approval, and who may move what."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neighbor_api.boards import ranks
from tests.boards.support import (
    BOARD_ORDER,
    JINAN_NEIGHBOUR,
    JINAN_RESIDENT,
    JINAN_WORKER,
    JINSHAN_WORKER,
    Board,
    Boards,
    codes,
    object_id,
)

CARDS = 5
KINDS = ("TODO", "DOING")


async def _versions(boards: Boards, board: Board) -> dict[str, int]:
    result = await boards.api.execute(
        BOARD_ORDER, {"id": board.id}, token=await boards.token(JINAN_WORKER)
    )
    assert result.data is not None
    return {
        e["node"]["id"]: e["node"]["version"]
        for c in result.data["board"]["columns"]
        for e in c["tasks"]["edges"]
    }


# A move: which card (by index), to which column (by index into KINDS), after which of the
# cards then in that column (an index into it, wrapped; None: the top).
moves_strategy = st.lists(
    st.tuples(
        st.integers(0, CARDS - 1),
        st.integers(0, len(KINDS) - 1),
        st.one_of(st.none(), st.integers(0, CARDS)),
    ),
    min_size=1,
    max_size=16,
)


class TestOrderingProperty:
    @settings(
        max_examples=30,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(moves=moves_strategy)
    async def test_any_sequence_of_moves_orders_like_a_list(
        self, boards: Boards, moves: list[tuple[int, int, int | None]]
    ) -> None:
        await _check_moves(boards, moves)

    @settings(
        max_examples=15,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(moves=moves_strategy)
    async def test_so_it_does_when_columns_are_rebalanced_all_the_time(
        self,
        boards: Boards,
        monkeypatch: pytest.MonkeyPatch,
        moves: list[tuple[int, int, int | None]],
    ) -> None:
        monkeypatch.setattr(ranks, "MAX_RANK_LENGTH", 1)
        await _check_moves(boards, moves)


async def _check_moves(boards: Boards, moves: list[tuple[int, int, int | None]]) -> None:
    """Apply `moves` through MoveTask and to a plain list per column: same order."""
    board = await boards.board()
    cards = await boards.tasks(board, CARDS)
    model: dict[str, list[str]] = {"TODO": list(cards), "DOING": []}
    versions = dict.fromkeys(cards, 1)
    for card_index, kind_index, after_index in moves:
        card, kind = cards[card_index], KINDS[kind_index]
        for column in model.values():
            if card in column:
                column.remove(card)
        target = model[kind]
        after = None if after_index is None or not target else target[after_index % len(target)]
        target.insert(0 if after is None else target.index(after) + 1, card)

        payload = await boards.move(
            card, version=versions[card], to=board.column(kind), after=after
        )

        assert payload["errors"] == [], payload
        versions[card] = payload["task"]["version"]
    order = await boards.order(board)
    assert {k: order[k] for k in KINDS} == model


class TestMoveTask:
    async def test_moves_a_card_after_another_in_its_column(self, boards: Boards) -> None:
        board = await boards.board()
        a, b, c = await boards.tasks(board, 3)

        payload = await boards.move(a, version=1, after=c)

        assert payload["errors"] == []
        assert payload["task"]["version"] == 2
        assert (await boards.order(board))["TODO"] == [b, c, a]

    async def test_null_after_puts_it_at_the_top(self, boards: Boards) -> None:
        board = await boards.board()
        a, b, c = await boards.tasks(board, 3)

        await boards.move(c, version=1, after=None)

        assert (await boards.order(board))["TODO"] == [c, a, b]

    async def test_moves_between_columns_and_records_it(self, boards: Boards) -> None:
        board = await boards.board()
        a, b = await boards.tasks(board, 2)

        payload = await boards.move(b, version=1, to=board.column("DOING"))

        assert payload["task"]["column"]["id"] == board.column("DOING")
        order = await boards.order(board)
        assert (order["TODO"], order["DOING"]) == ([a], [b])
        detail = await boards.detail(b)
        assert detail is not None
        assert detail["status"] == "IN_PROGRESS"
        last = detail["history"][-1]
        assert (last["action"], last["fromColumn"]["name"], last["toColumn"]["name"]) == (
            "MOVED", "待认领", "进行中",
        )  # fmt: skip
        assert await boards.events(b) == ["task.created", "task.moved"]

    async def test_review_is_reached_only_by_submitting(self, boards: Boards) -> None:
        board = await boards.board()
        (card,) = await boards.tasks(board, 1)
        await boards.ok("ClaimTask", JINAN_RESIDENT, taskId=card)

        for phone in (JINAN_RESIDENT, JINAN_WORKER):
            detail = await boards.detail(card)
            assert detail is not None
            payload = await boards.move(
                card, version=detail["version"], to=board.column("REVIEW"), phone=phone
            )
            assert codes(payload) == ["INVALID_TRANSITION"]
        assert (await boards.order(board))["REVIEW"] == []
        assert await boards.events(card) == ["task.created", "task.claimed"]

    async def test_writes_only_the_moved_card(self, boards: Boards) -> None:
        board = await boards.board()
        ids = await boards.tasks(board, 6)
        tasks = boards.deps.db["tasks"]
        before = {d["_id"]: d async for d in tasks.find({"board_id": object_id(board.id, "Board")})}

        await boards.move(ids[0], version=1, after=ids[3])

        after = {d["_id"]: d async for d in tasks.find({"board_id": object_id(board.id, "Board")})}
        changed = [i for i in before if before[i] != after[i]]
        assert changed == [object_id(ids[0], "Task")]

    async def test_a_stale_version_is_a_conflict_and_changes_nothing(self, boards: Boards) -> None:
        board = await boards.board()
        a, b = await boards.tasks(board, 2)
        await boards.move(a, version=1, after=b)

        payload = await boards.move(a, version=1, to=board.column("DOING"))

        assert codes(payload) == ["VERSION_CONFLICT"]
        assert payload["errors"][0]["field"] == ["input", "expectedVersion"]
        assert payload["task"] is None
        order = await boards.order(board)
        assert (order["TODO"], order["DOING"]) == ([b, a], [])
        assert (await _versions(boards, board))[a] == 2

    async def test_two_people_moving_one_card_at_once_cannot_both_win(self, boards: Boards) -> None:
        board = await boards.board()
        (card,) = await boards.tasks(board, 1)

        results = await asyncio.gather(
            boards.move(card, version=1, to=board.column("DOING")),
            boards.move(card, version=1, to=board.column("TODO")),
        )

        outcomes = sorted(codes(r) for r in results)
        assert outcomes == [[], ["VERSION_CONFLICT"]]
        assert (await _versions(boards, board))[card] == 2

    async def test_into_a_full_column_is_wip_limit_reached(self, boards: Boards) -> None:
        columns = [
            {"name": "待认领", "kind": "TODO"},
            {"name": "进行中", "kind": "DOING", "wipLimit": 1},
            {"name": "待验收", "kind": "REVIEW"},
            {"name": "已完成", "kind": "DONE"},
        ]
        board = await boards.board(columns=columns)
        a, b = await boards.tasks(board, 2)
        await boards.move(a, version=1, to=board.column("DOING"))

        payload = await boards.move(b, version=1, to=board.column("DOING"))

        assert codes(payload) == ["WIP_LIMIT_REACHED"]
        assert (await boards.order(board))["DOING"] == [a]
        # Reordering inside a full column is fine.
        assert codes(await boards.move(a, version=2, after=None)) == []

    async def test_racing_moves_into_the_last_place_of_a_column_let_one_in(
        self, boards: Boards
    ) -> None:
        columns = [
            {"name": "待认领", "kind": "TODO"},
            {"name": "进行中", "kind": "DOING", "wipLimit": 2},
            {"name": "待验收", "kind": "REVIEW"},
            {"name": "已完成", "kind": "DONE"},
        ]
        board = await boards.board(columns=columns)
        first, *others = await boards.tasks(board, 5)
        await boards.move(first, version=1, to=board.column("DOING"))

        results = await asyncio.gather(
            *(boards.move(card, version=1, to=board.column("DOING")) for card in others)
        )

        assert sorted(tuple(codes(r)) for r in results) == [
            (),
            ("WIP_LIMIT_REACHED",),
            ("WIP_LIMIT_REACHED",),
            ("WIP_LIMIT_REACHED",),
        ]
        assert len((await boards.order(board))["DOING"]) == 2

    async def test_done_is_reached_only_by_approval(self, boards: Boards) -> None:
        board = await boards.board()
        (card,) = await boards.tasks(board, 1)

        payload = await boards.move(card, version=1, to=board.column("DONE"))

        assert codes(payload) == ["INVALID_TRANSITION"]

    async def test_after_a_card_of_another_column_is_not_found(self, boards: Boards) -> None:
        board = await boards.board()
        a, b = await boards.tasks(board, 2)

        payload = await boards.move(a, version=1, to=board.column("DOING"), after=b)

        assert [(e["code"], e["field"]) for e in payload["errors"]] == [
            ("NOT_FOUND", ["input", "afterTaskId"])
        ]

    async def test_a_column_of_another_board_is_not_found(self, boards: Boards) -> None:
        board, other = await boards.board(), await boards.board()
        (card,) = await boards.tasks(board, 1)

        payload = await boards.move(card, version=1, to=other.column("DOING"))

        assert codes(payload) == ["NOT_FOUND"]

    async def test_volunteers_move_only_cards_they_hold(self, boards: Boards) -> None:
        board = await boards.board()
        mine, theirs = await boards.tasks(board, 2)
        claimed = await boards.ok("ClaimTask", JINAN_RESIDENT, taskId=mine)

        own = await boards.move(mine, version=claimed["version"], after=None, phone=JINAN_RESIDENT)
        other = await boards.move(theirs, version=1, after=None, phone=JINAN_NEIGHBOUR)

        assert codes(own) == []
        assert codes(other) == ["FORBIDDEN"]

    async def test_another_communitys_staff_cannot_find_the_card(self, boards: Boards) -> None:
        board = await boards.board()
        (card,) = await boards.tasks(board, 1)

        payload = await boards.move(card, version=1, after=None, phone=JINSHAN_WORKER)

        assert codes(payload) == ["NOT_FOUND"]


class TestRebalancing:
    async def test_long_ranks_are_spread_out_and_the_order_kept(
        self, boards: Boards, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(ranks, "MAX_RANK_LENGTH", 2)
        board = await boards.board()
        first, second = await boards.tasks(board, 2)
        versions = {first: 1, second: 1}
        expected = [first, second]
        # Always between the first two cards: ranks grow until the column is rebalanced.
        for _ in range(12):
            card = expected[-1]
            payload = await boards.move(card, version=versions[card], after=expected[0])
            versions[card] = payload["task"]["version"]
            expected.insert(1, expected.pop())

        assert (await boards.order(board))["TODO"] == expected
        stored = boards.deps.db["tasks"].find({"board_id": object_id(board.id, "Board")})
        assert max([len(d["rank"]) async for d in stored]) <= 3


def _assert_sorted(values: list[Any]) -> None:
    assert values == sorted(values)


class TestRanks:
    def test_between_is_strictly_between(self) -> None:
        low, high = "1", "2"
        for _ in range(50):
            middle = ranks.between(low, high)
            assert low < middle < high
            assert not middle.endswith("0")
            high = middle

    def test_spread_is_ordered_and_short(self) -> None:
        spread = ranks.spread(1000)
        _assert_sorted(spread)
        assert len(set(spread)) == 1000
        assert max(len(r) for r in spread) == 3
