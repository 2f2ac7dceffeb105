"""The migration runner on the real database: order, records, concurrency, failures, the lock."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from neighbor_api.core.clock import SystemClock
from neighbor_api.core.deps import Deps
from neighbor_api.core.migrations import (
    COLLECTION,
    LOCK_ID,
    MigrationError,
    Step,
    migrate,
    status,
)
from neighbor_api.core.mongo import Database
from neighbor_api.migrations import STEPS

CLOCK = SystemClock()


def counting_step(number: int, *, delay: float = 0.0) -> Step:
    """A step that counts its runs (on purpose not idempotent: a second run shows)."""

    async def apply(db: Database) -> None:
        await asyncio.sleep(delay)
        await db["runs"].update_one({"_id": number}, {"$inc": {"n": 1}}, upsert=True)

    return Step(number, f"count_{number}", apply)


async def runs(db: Database) -> dict[int, int]:
    return {d["_id"]: d["n"] async for d in db["runs"].find()}


class TestMigrate:
    async def test_applies_each_step_in_order_and_records_it(self, deps: Deps) -> None:
        order: list[int] = []

        def step(number: int) -> Step:
            async def apply(db: Database) -> None:
                order.append(number)

            return Step(number, f"s{number}", apply)

        applied = await migrate(deps.db, [step(1), step(2), step(3)], clock=deps.clock)

        assert [s.number for s in applied] == [1, 2, 3]
        assert order == [1, 2, 3]
        records = [d async for d in deps.db[COLLECTION].find().sort("number")]
        assert [(r["number"], r["name"]) for r in records] == [(1, "s1"), (2, "s2"), (3, "s3")]
        assert all(r["applied_at"] == deps.clock.now() for r in records)

    async def test_a_second_run_applies_nothing(self, deps: Deps) -> None:
        steps = [counting_step(1), counting_step(2)]
        await migrate(deps.db, steps, clock=deps.clock)

        applied = await migrate(deps.db, steps, clock=deps.clock)

        assert applied == []
        assert await runs(deps.db) == {1: 1, 2: 1}

    async def test_a_new_step_is_the_only_one_applied(self, deps: Deps) -> None:
        await migrate(deps.db, [counting_step(1)], clock=deps.clock)

        applied = await migrate(deps.db, [counting_step(1), counting_step(2)], clock=deps.clock)

        assert [s.number for s in applied] == [2]
        assert await runs(deps.db) == {1: 1, 2: 1}

    async def test_status_lists_applied_and_pending(self, deps: Deps) -> None:
        await migrate(deps.db, [counting_step(1)], clock=deps.clock)

        listed = await status(deps.db, [counting_step(1), counting_step(2)])

        assert [(s.step.number, s.applied_at) for s in listed] == [
            (1, deps.clock.now()),
            (2, None),
        ]

    @pytest.mark.parametrize("numbers", [[1, 3], [2], [1, 1], [2, 1]])
    async def test_steps_must_be_numbered_from_one_without_gaps(
        self, deps: Deps, numbers: list[int]
    ) -> None:
        with pytest.raises(MigrationError, match="numbered"):
            await migrate(deps.db, [counting_step(n) for n in numbers], clock=deps.clock)
        assert await deps.db[COLLECTION].count_documents({}) == 0

    async def test_a_database_upgraded_by_a_newer_release_is_refused(self, deps: Deps) -> None:
        await migrate(deps.db, [counting_step(1), counting_step(2)], clock=deps.clock)

        with pytest.raises(MigrationError, match=r"newer release"):
            await migrate(deps.db, [counting_step(1)], clock=deps.clock)


class TestConcurrency:
    async def test_two_runners_at_once_apply_each_step_once(self, deps: Deps) -> None:
        steps = [counting_step(1, delay=0.2), counting_step(2, delay=0.2)]

        results = await asyncio.gather(
            migrate(deps.db, steps, clock=CLOCK, poll_seconds=0.05),
            migrate(deps.db, steps, clock=CLOCK, poll_seconds=0.05),
            migrate(deps.db, steps, clock=CLOCK, poll_seconds=0.05),
        )

        assert await runs(deps.db) == {1: 1, 2: 1}
        # One runner applied both steps; the others waited and applied nothing.
        assert sorted(len(applied) for applied in results) == [0, 0, 2]
        assert await deps.db[COLLECTION].find_one({"_id": LOCK_ID}) is None

    async def test_a_runner_waits_for_a_live_lock(self, deps: Deps) -> None:
        now = CLOCK.now()
        await deps.db[COLLECTION].insert_one(
            {"_id": LOCK_ID, "owner": "other", "expires_at": now + timedelta(seconds=30)}
        )
        runner = asyncio.create_task(
            migrate(deps.db, [counting_step(1)], clock=CLOCK, poll_seconds=0.05)
        )
        await asyncio.sleep(0.3)
        assert not runner.done()
        assert await runs(deps.db) == {}

        # The holder finishes: records the step and lets go.
        await deps.db[COLLECTION].insert_one(
            {"_id": 1, "number": 1, "name": "count_1", "applied_at": now}
        )
        await deps.db[COLLECTION].delete_one({"_id": LOCK_ID})

        assert await asyncio.wait_for(runner, 5) == []
        assert await runs(deps.db) == {}

    async def test_a_long_step_keeps_its_lock(self, deps: Deps) -> None:
        # The step outlasts the lock's lifetime three times over: renewed while it runs, the
        # lock never expires, so the second runner waits instead of applying it again.
        steps = [counting_step(1, delay=0.9)]
        ttl = timedelta(seconds=0.3)

        first = asyncio.create_task(migrate(deps.db, steps, clock=CLOCK, lock_ttl=ttl))
        await asyncio.sleep(0.1)
        second = await migrate(deps.db, steps, clock=CLOCK, lock_ttl=ttl, poll_seconds=0.05)

        assert [s.number for s in await first] == [1]
        assert second == []
        assert await runs(deps.db) == {1: 1}

    async def test_an_expired_lock_is_taken_over(self, deps: Deps) -> None:
        # Its holder died while applying: the lock expires and another instance carries on.
        await deps.db[COLLECTION].insert_one(
            {"_id": LOCK_ID, "owner": "dead", "expires_at": CLOCK.now() + timedelta(seconds=0.5)}
        )

        applied = await asyncio.wait_for(
            migrate(deps.db, [counting_step(1)], clock=CLOCK, poll_seconds=0.05), 5
        )

        assert [s.number for s in applied] == [1]
        assert await runs(deps.db) == {1: 1}


def failing_once(number: int) -> Step:
    """A step that does half its work and fails the first time; idempotent when run again."""
    failed = False

    async def apply(db: Database) -> None:
        nonlocal failed
        await db["items"].update_one({"_id": "a"}, {"$set": {"v": 2}}, upsert=True)
        if not failed:
            failed = True
            raise RuntimeError("the database went away")
        await db["items"].update_one({"_id": "b"}, {"$set": {"v": 2}}, upsert=True)

    return Step(number, "half_then_rest", apply)


class TestFailure:
    async def test_a_failed_step_is_not_recorded_and_resumes_on_the_next_run(
        self, deps: Deps
    ) -> None:
        second = failing_once(2)
        steps = [counting_step(1), second, counting_step(3)]

        with pytest.raises(RuntimeError, match="went away"):
            await migrate(deps.db, steps, clock=deps.clock)

        listed = await status(deps.db, steps)
        assert [s.applied_at is not None for s in listed] == [True, False, False]
        assert await deps.db[COLLECTION].find_one({"_id": LOCK_ID}) is None  # released

        applied = await migrate(deps.db, steps, clock=deps.clock)

        assert [s.number for s in applied] == [2, 3]
        assert await runs(deps.db) == {1: 1, 3: 1}
        assert {d["_id"]: d["v"] async for d in deps.db["items"].find()} == {"a": 2, "b": 2}


class TestSteps:
    async def test_the_release_steps_apply_to_an_empty_database(self, deps: Deps) -> None:
        applied = await migrate(deps.db, STEPS, clock=deps.clock)

        assert [s.number for s in applied] == list(range(1, len(STEPS) + 1))
        assert await migrate(deps.db, STEPS, clock=deps.clock) == []

    async def test_user_locale_gives_unknown_and_missing_languages_the_default(
        self, deps: Deps
    ) -> None:
        users = deps.db["users"]
        await users.insert_many(
            [
                {"_id": 1, "phone": "+8613800000001"},
                {"_id": 2, "phone": "+8613800000002", "locale": "zh"},
                {"_id": 3, "phone": "+8613800000003", "locale": None},
                {"_id": 4, "phone": "+8613800000004", "locale": "en"},
                {"_id": 5, "phone": "+8613800000005", "locale": "zh-CN"},
            ]
        )

        await migrate(deps.db, STEPS, clock=deps.clock)

        locales = {d["_id"]: d["locale"] async for d in users.find()}
        assert locales == {1: "zh-CN", 2: "zh-CN", 3: "zh-CN", 4: "en", 5: "zh-CN"}
