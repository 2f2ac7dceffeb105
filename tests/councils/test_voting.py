"""Opening, casting and closing votes: who may, electorates fixed at opening, every error."""

from __future__ import annotations

from datetime import timedelta

from neighbor_api.core.deps import Deps
from tests.conftest import Api
from tests.councils.support import (
    CHAIR,
    CLOSES,
    HOUSEMATE,
    HULI_ADMIN,
    JINAN_WORKER,
    JINSHAN_CHAIR,
    JINSHAN_WORKER,
    OWNERS_CHAIR,
    OWNERS_COMMITTEE,
    SECRETARY,
    START,
    Hall,
    codes,
    iso,
)


class TestOpenVoting:
    async def test_chair_opens_and_the_electorate_is_fixed(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        proposal_id = await hall.create(SECRETARY)
        payload = await hall.open_payload(proposal_id, CHAIR)
        assert payload["errors"] == []
        proposal = payload["proposal"]
        assert proposal["status"] == "VOTING"
        assert proposal["votingOpensAt"] == iso(START)
        assert proposal["votingClosesAt"] == iso(CLOSES)
        assert proposal["turnout"] == {"eligible": 3, "voted": 0, "percent": 0.0}
        (event,) = await hall.events(proposal_id, "proposal.voting_opened")
        assert event["data"]["council_id"] is not None

    async def test_staff_above_open_too(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        for phone in (JINAN_WORKER, HULI_ADMIN):
            proposal_id = await hall.create()
            assert (await hall.open_payload(proposal_id, phone))["errors"] == []

    async def test_closing_time_from_the_proposal(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        proposal_id = await hall.create(votingClosesAt=iso(START + timedelta(days=7)))
        payload = await hall.open_payload(proposal_id, closes=None)
        assert payload["proposal"]["votingClosesAt"] == iso(START + timedelta(days=7))

    async def test_no_or_past_or_naive_closing_time_is_invalid(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        proposal_id = await hall.create()
        assert codes(await hall.open_payload(proposal_id, closes=None)) == ["INVALID_INPUT"]
        past = await hall.open_payload(proposal_id, closes=START - timedelta(minutes=1))
        assert codes(past) == ["INVALID_INPUT"]
        assert past["errors"][0]["field"] == ["input", "votingClosesAt"]
        data = await api.data(
            "OpenVoting",
            {"input": {"proposalId": proposal_id, "votingClosesAt": "2026-12-01T09:00:00"}},
            token=await hall.token(CHAIR),
        )
        assert codes(data["openVoting"]) == ["INVALID_INPUT"]

    async def test_who_may_not(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        proposal_id = await hall.create()
        assert codes(await hall.open_payload(proposal_id, HOUSEMATE)) == ["FORBIDDEN"]
        # 王丽娟 is the council's secretary, not its chair.
        assert codes(await hall.open_payload(proposal_id, SECRETARY)) == ["FORBIDDEN"]
        # 李秀英 chairs the owners' committee, but is only a member here.
        assert codes(await hall.open_payload(proposal_id, OWNERS_CHAIR)) == ["FORBIDDEN"]
        assert codes(await hall.open_payload(proposal_id, JINSHAN_WORKER)) == ["NOT_FOUND"]
        assert codes(await hall.open_payload(proposal_id, JINSHAN_CHAIR)) == ["NOT_FOUND"]

    async def test_twice_is_an_invalid_transition(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        proposal_id = await hall.voting()
        assert codes(await hall.open_payload(proposal_id)) == ["INVALID_TRANSITION"]


class TestCastVote:
    async def test_open_ballot_counts_live_and_shows_choices(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        proposal_id = await hall.voting()
        payload = await hall.vote(SECRETARY, proposal_id, "反对")
        assert payload["receipt"]["id"]
        assert payload["receipt"]["proposalId"] == proposal_id
        assert payload["receipt"]["castAt"] == iso(START)
        assert payload["proposal"]["viewerHasVoted"] is True
        assert payload["proposal"]["turnout"] == {"eligible": 3, "voted": 1, "percent": 33.33}
        await hall.vote(CHAIR, proposal_id, "赞成")
        assert await hall.counts(proposal_id) == {"赞成": 1, "反对": 1, "弃权": 0}
        mine = await hall.detail(proposal_id, SECRETARY)
        assert mine["viewerChoiceIds"] == hall.choice(proposal_id, "反对")
        assert mine["viewerHasVoted"] is True
        assert mine["viewerCanVote"] is False
        voters = [
            (e["node"]["user"]["displayName"], e["node"]["choiceIds"])
            for e in mine["voters"]["edges"]
        ]
        assert voters == [
            ("王丽娟", hall.choice(proposal_id, "反对")),
            ("黄国栋", hall.choice(proposal_id, "赞成")),
        ]
        other = await hall.detail(proposal_id, OWNERS_CHAIR)
        assert other["viewerCanVote"] is True
        assert other["viewerHasVoted"] is False
        (first, _) = await hall.events(proposal_id, "proposal.vote_cast")
        assert first["data"] == {}

    async def test_choices_must_fit_the_method(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        single = await hall.voting(method="SINGLE_CHOICE", options=["周六上午", "周日上午"])
        multiple = await hall.voting(
            method="MULTIPLE_CHOICE", options=["三角梅", "簕杜鹃", "凤凰木"], maxChoices=2
        )
        yes_no = await hall.voting()
        other = hall.choice(yes_no, "赞成")[0]
        for proposal_id, option_ids in (
            (single, hall.choice(single, "周六上午", "周日上午")),
            (single, []),
            (multiple, hall.choice(multiple, "三角梅", "簕杜鹃", "凤凰木")),
            (multiple, hall.choice(multiple, "三角梅", "三角梅")),
            (single, [other]),
            (single, ["UHJvcG9zYWxPcHRpb246bm9wZQ=="]),
        ):
            data = await api.data(
                "CastVote",
                {"input": {"proposalId": proposal_id, "optionIds": option_ids}},
                token=await hall.token(CHAIR),
            )
            assert codes(data["castVote"]) == ["INVALID_INPUT"], option_ids
            assert data["castVote"]["receipt"] is None
        assert await deps.db["participations"].count_documents({}) == 0
        await hall.vote(CHAIR, multiple, "三角梅", "凤凰木")
        assert await hall.counts(multiple) == {"三角梅": 1, "簕杜鹃": 0, "凤凰木": 1}

    async def test_a_vote_is_final(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        proposal_id = await hall.voting()
        await hall.vote(CHAIR, proposal_id, "赞成")
        again = await hall.vote_payload(CHAIR, proposal_id, "反对")
        assert codes(again) == ["ALREADY_VOTED"]
        assert await hall.counts(proposal_id) == {"赞成": 1, "反对": 0, "弃权": 0}

    async def test_idempotency_key_returns_the_same_receipt(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        proposal_id = await hall.voting()
        first = await hall.vote_payload(CHAIR, proposal_id, "赞成", idempotencyKey="v-1")
        again = await hall.vote_payload(CHAIR, proposal_id, "赞成", idempotencyKey="v-1")
        assert again["errors"] == []
        assert again["receipt"]["id"] == first["receipt"]["id"]
        assert (await hall.detail(proposal_id))["turnout"]["voted"] == 1

    async def test_not_on_the_council_is_not_eligible(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        proposal_id = await hall.voting()
        for phone in (HOUSEMATE, JINAN_WORKER):
            assert codes(await hall.vote_payload(phone, proposal_id, "赞成")) == ["NOT_ELIGIBLE"]
        assert codes(await hall.vote_payload(JINSHAN_CHAIR, proposal_id, "赞成")) == ["NOT_FOUND"]

    async def test_household_votes_once(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        proposal_id = await hall.voting(electorate="HOUSEHOLDS")
        opened = await hall.detail(proposal_id)
        assert opened["turnout"]["eligible"] == 3  # JA-3-601, JA-5-302, JA-8-1102
        await hall.vote(SECRETARY, proposal_id, "赞成")
        housemate = await hall.detail(proposal_id, HOUSEMATE)
        assert housemate["viewerCanVote"] is False
        assert housemate["viewerHasVoted"] is True  # the household's vote is in
        refused = await hall.vote_payload(HOUSEMATE, proposal_id, "反对")
        assert codes(refused) == ["HOUSEHOLD_ALREADY_VOTED"]
        assert codes(await hall.vote_payload(SECRETARY, proposal_id, "反对")) == ["ALREADY_VOTED"]
        assert (await hall.detail(proposal_id))["turnout"]["voted"] == 1

    async def test_residents_electorate_is_fixed_at_opening(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        proposal_id = await hall.voting(electorate="RESIDENTS")
        assert (await hall.detail(proposal_id))["turnout"]["eligible"] == 4
        (late,) = await hall.newcomers(1)
        refused = await hall.vote_payload(late, proposal_id, "赞成")
        assert codes(refused) == ["NOT_ELIGIBLE"]
        assert (await hall.detail(proposal_id, late))["viewerCanVote"] is False
        await hall.vote(HOUSEMATE, proposal_id, "赞成")
        assert (await hall.detail(proposal_id))["turnout"] == {
            "eligible": 4,
            "voted": 1,
            "percent": 25.0,
            "eligibleArea": None,
            "votedArea": None,
            "areaPercent": None,
        }

    async def test_non_owner_is_not_eligible_on_owners_votes(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        proposal_id = await hall.voting(OWNERS_CHAIR, OWNERS_COMMITTEE, electorate="OWNERS")
        assert codes(await hall.vote_payload(HOUSEMATE, proposal_id, "赞成")) == ["NOT_ELIGIBLE"]
        await hall.vote(SECRETARY, proposal_id, "赞成")

    async def test_voting_not_open_before_and_after(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        proposal_id = await hall.create()
        assert codes(await hall.vote_payload(CHAIR, proposal_id, "赞成")) == ["VOTING_NOT_OPEN"]
        await hall.open_payload(proposal_id)
        await hall.close(proposal_id)
        assert codes(await hall.vote_payload(CHAIR, proposal_id, "赞成")) == ["VOTING_NOT_OPEN"]

    async def test_voting_not_open_once_the_time_passed(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        proposal_id = await hall.voting()
        hall.advance(CLOSES - START)
        refused = await hall.vote_payload(CHAIR, proposal_id, "赞成")
        assert codes(refused) == ["VOTING_NOT_OPEN"]
        detail = await hall.detail(proposal_id)
        assert detail["status"] == "VOTING"  # the job has not run yet
        assert detail["viewerCanVote"] is False

    async def test_unauthenticated(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        proposal_id = await hall.voting()
        result = await api.op(
            "CastVote",
            {"input": {"proposalId": proposal_id, "optionIds": hall.choice(proposal_id, "赞成")}},
        )
        assert [e.extensions["code"] for e in result.errors or []] == ["UNAUTHENTICATED"]
        assert await deps.db["participations"].count_documents({}) == 0


class TestCloseVoting:
    async def test_chair_closes_and_decides(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        proposal_id = await hall.voting()
        await hall.vote(CHAIR, proposal_id, "赞成")
        await hall.vote(SECRETARY, proposal_id, "赞成")
        hall.advance(timedelta(hours=2))
        closed = await hall.close(proposal_id)
        assert closed == {
            "id": proposal_id,
            "status": "CLOSED",
            "outcome": "PASSED",
            "quorumReached": True,
        }
        (event,) = await hall.events(proposal_id, "proposal.closed")
        assert event["data"] == {"outcome": "PASSED"}
        assert event["at"] == START + timedelta(hours=2)
        detail = await hall.detail(proposal_id, HOUSEMATE)
        assert detail["turnout"]["voted"] == 2
        assert [o["voteCount"] for o in detail["options"]] == [2, 0, 0]

    async def test_staff_close_too(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        for phone in (JINAN_WORKER, HULI_ADMIN):
            proposal_id = await hall.voting()
            assert (await hall.close(proposal_id, phone))["outcome"] == "NO_QUORUM"

    async def test_who_may_not(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        proposal_id = await hall.voting()
        for phone in (SECRETARY, OWNERS_CHAIR, HOUSEMATE):
            assert codes(await hall.close_payload(proposal_id, phone)) == ["FORBIDDEN"]
        assert codes(await hall.close_payload(proposal_id, JINSHAN_WORKER)) == ["NOT_FOUND"]
        assert (await hall.detail(proposal_id))["status"] == "VOTING"

    async def test_only_while_voting(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        proposal_id = await hall.create()
        assert codes(await hall.close_payload(proposal_id)) == ["INVALID_TRANSITION"]
        await hall.open_payload(proposal_id)
        await hall.close(proposal_id)
        assert codes(await hall.close_payload(proposal_id)) == ["INVALID_TRANSITION"]
        assert len(await hall.events(proposal_id, "proposal.closed")) == 1
