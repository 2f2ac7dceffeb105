"""One vote per voter and an exact tally under real concurrent requests."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta

import pytest

from neighbor_api.core.deps import Deps
from neighbor_api.core.jobs import run_once
from neighbor_api.jobs import JOBS
from tests.conftest import Api, CommandCounter, record_commands
from tests.councils.support import CHAIR, CLOSES, START, Hall, codes, object_id


class TestConcurrentVotes:
    async def test_hundred_casts_by_one_voter_leave_one_ballot(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        proposal_id = await hall.voting(ballot="SECRET")
        await hall.token(CHAIR)
        payloads = await asyncio.gather(
            *(hall.vote_payload(CHAIR, proposal_id, "赞成") for _ in range(100))
        )
        outcomes = sorted(tuple(codes(p)) for p in payloads)
        assert outcomes.count(()) == 1
        assert outcomes.count(("ALREADY_VOTED",)) == 99
        assert await deps.db["participations"].count_documents({}) == 1
        assert len(await hall.events(proposal_id, "proposal.vote_cast")) == 1
        await hall.close(proposal_id)
        assert await hall.counts(proposal_id) == {"赞成": 1, "反对": 0, "弃权": 0}

    async def test_three_hundred_voters_at_once_give_an_exact_tally(
        self, api: Api, deps: Deps
    ) -> None:
        hall = await Hall.open(api, deps)
        residents = await hall.newcomers(300)
        proposal_id = await hall.voting(
            electorate="RESIDENTS",
            ballot="SECRET",
            method="MULTIPLE_CHOICE",
            options=["三角梅", "簕杜鹃", "凤凰木"],
            maxChoices=2,
        )
        labels = ["三角梅", "簕杜鹃", "凤凰木"]
        rng = random.Random(278)
        choices = [rng.sample(labels, rng.choice((1, 2))) for _ in residents]
        payloads = await asyncio.gather(
            *(
                hall.vote_payload(r, proposal_id, *c)
                for r, c in zip(residents, choices, strict=True)
            )
        )
        assert all(p["errors"] == [] for p in payloads)
        closed = await hall.close(proposal_id)
        assert closed["outcome"] == "PASSED"
        detail = await hall.detail(proposal_id)
        assert detail["turnout"]["eligible"] == 304
        assert detail["turnout"]["voted"] == 300
        expected = {label: sum(label in c for c in choices) for label in labels}
        assert await hall.counts(proposal_id) == expected
        assert sum(expected.values()) == sum(len(c) for c in choices)

    async def test_forty_voters_at_once_each_vote_once(
        self, api: Api, deps: Deps, command_counter: CommandCounter,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:  # fmt: skip
        """A vote adds to one of the tally's shards: run together, the transactions on one
        shard would conflict there, be aborted and run again (each but one)."""
        hall = await Hall.open(api, deps)
        residents = await hall.newcomers(40)
        proposal_id = await hall.voting(electorate="RESIDENTS", ballot="SECRET")
        sent_commands = record_commands(command_counter, monkeypatch, "admin")

        payloads = await asyncio.gather(
            *(hall.vote_payload(r, proposal_id, "赞成") for r in residents)
        )

        assert all(p["errors"] == [] for p in payloads)
        finished = [next(iter(command)) for command in sent_commands]
        assert finished.count("commitTransaction") >= 40
        assert "abortTransaction" not in finished
        await hall.close(proposal_id)
        assert await hall.counts(proposal_id) == {"赞成": 40, "反对": 0, "弃权": 0}

    async def test_votes_racing_the_close_are_counted_or_refused(
        self, api: Api, deps: Deps
    ) -> None:
        hall = await Hall.open(api, deps)
        residents = await hall.newcomers(40)
        proposal_id = await hall.voting(electorate="RESIDENTS", ballot="SECRET")
        await hall.token(CHAIR)
        votes = [hall.vote_payload(r, proposal_id, "赞成") for r in residents[:20]]
        close = hall.close_payload(proposal_id)
        later = [hall.vote_payload(r, proposal_id, "反对") for r in residents[20:]]
        *payloads, closed = await asyncio.gather(*votes, *later, close)
        assert closed["errors"] == []
        counted = [p for p in payloads if p["errors"] == []]
        refused = [p for p in payloads if p["errors"]]
        assert all(codes(p) == ["VOTING_NOT_OPEN"] for p in refused)
        roll = await deps.db["participations"].count_documents(
            {"proposal_id": object_id(proposal_id)}
        )
        counts = await hall.counts(proposal_id)
        assert roll == len(counted)
        assert sum(c or 0 for c in counts.values()) == roll
        assert (await hall.detail(proposal_id))["turnout"]["voted"] == roll


class TestAutoClose:
    async def test_closes_when_the_clock_passes_and_the_job_runs(
        self, api: Api, deps: Deps
    ) -> None:
        hall = await Hall.open(api, deps)
        proposal_id = await hall.voting()
        for phone in ("13800000003", "13800000004"):
            await hall.vote(phone, proposal_id, "赞成")
        hall.advance(CLOSES - START - timedelta(seconds=1))
        assert (await run_once(deps, JOBS))["close-due-votes"] == 0
        assert (await hall.detail(proposal_id))["status"] == "VOTING"
        hall.advance(timedelta(seconds=1))
        await run_once(deps, JOBS)
        detail = await hall.detail(proposal_id)
        assert (detail["status"], detail["outcome"]) == ("CLOSED", "PASSED")
        (event,) = await hall.events(proposal_id, "proposal.closed")
        assert event["actor_id"] is None
        assert event["data"] == {"outcome": "PASSED"}

    async def test_two_concurrent_runs_close_it_once(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        proposal_ids = [await hall.voting() for _ in range(3)]
        hall.advance(CLOSES - START)
        first, second = await asyncio.gather(run_once(deps, JOBS), run_once(deps, JOBS))
        assert first["close-due-votes"] + second["close-due-votes"] == 3
        for proposal_id in proposal_ids:
            assert len(await hall.events(proposal_id, "proposal.closed")) == 1
            assert (await hall.detail(proposal_id))["outcome"] == "NO_QUORUM"
