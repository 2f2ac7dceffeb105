"""How a closed vote is decided: quorum and threshold edges, and the dual majority of the PRC
Civil Code art. 278 for owners' votes (`decide()` directly, and through the API)."""

from __future__ import annotations

from bson import ObjectId

from neighbor_api.core.deps import Deps
from neighbor_api.councils.decision import decide
from neighbor_api.councils.models import (
    Ballot,
    Electorate,
    Option,
    OptionKey,
    OptionResult,
    Proposal,
    ProposalMatter,
    ProposalOutcome,
    ProposalStatus,
    VotingMethod,
)
from tests.conftest import Api
from tests.councils.support import (
    CHAIR,
    HOUSEMATE,
    OWNERS_CHAIR,
    OWNERS_COMMITTEE,
    SECRETARY,
    START,
    Hall,
)

PASSED, REJECTED, NO_QUORUM = (
    ProposalOutcome.PASSED,
    ProposalOutcome.REJECTED,
    ProposalOutcome.NO_QUORUM,
)


def proposal(
    *,
    electorate: Electorate = Electorate.RESIDENTS,
    method: VotingMethod = VotingMethod.YES_NO_ABSTAIN,
    matter: ProposalMatter = ProposalMatter.ORDINARY,
    quorum: float = 50,
    threshold: float = 50,
    eligible: int = 10,
    eligible_area: int | None = None,
) -> Proposal:
    yes_no = method is VotingMethod.YES_NO_ABSTAIN
    return Proposal(
        council_id=ObjectId(),
        community_id=ObjectId(),
        place_path=[],
        author_id=ObjectId(),
        title="金安里 8 栋外墙维修",
        body="动用专项维修资金维修外墙。",
        status=ProposalStatus.VOTING,
        ballot=Ballot.SECRET,
        electorate=electorate,
        method=method,
        matter=matter,
        options=[Option(key=k) for k in OptionKey]
        if yes_no
        else [Option(label="甲"), Option(label="乙")],
        max_choices=1,
        quorum_percent=quorum,
        pass_threshold_percent=threshold,
        eligible_count=eligible,
        eligible_area_centi=eligible_area,
        created_at=START,
        updated_at=START,
    )


def outcome(
    p: Proposal,
    yes: int = 0,
    no: int = 0,
    abstain: int = 0,
    *,
    yes_area: int = 0,
    no_area: int = 0,
    abstain_area: int = 0,
) -> tuple[ProposalOutcome, bool]:
    ids = [o.id for o in p.options]
    results = [
        OptionResult(option_id=ids[0], count=yes, area_centi=yes_area),
        OptionResult(option_id=ids[1], count=no, area_centi=no_area),
        OptionResult(option_id=ids[2], count=abstain, area_centi=abstain_area),
    ]
    decision = decide(
        p,
        results,
        voted=yes + no + abstain,
        voted_area=yes_area + no_area + abstain_area,
    )
    return decision.outcome, decision.quorum_reached


class TestDecide:
    def test_quorum_exactly_at_the_percent_is_reached(self) -> None:
        p = proposal(quorum=40, eligible=10)
        assert outcome(p, yes=4) == (PASSED, True)
        assert outcome(p, yes=3) == (NO_QUORUM, False)

    def test_threshold_must_be_exceeded(self) -> None:
        p = proposal(quorum=0, threshold=60, eligible=10)
        assert outcome(p, yes=3, no=2) == (REJECTED, True)  # exactly 60 %
        assert outcome(p, yes=4, no=2) == (PASSED, True)
        half = proposal(quorum=0, threshold=50)
        assert outcome(half, yes=2, no=2) == (REJECTED, True)
        assert outcome(half, yes=3, no=2) == (PASSED, True)

    def test_abstentions_count_for_quorum_only(self) -> None:
        p = proposal(quorum=50, eligible=10)
        assert outcome(p, yes=1, abstain=4) == (PASSED, True)
        assert outcome(p, yes=1, no=1, abstain=3) == (REJECTED, True)
        assert outcome(p, abstain=5) == (REJECTED, True)  # yes + no = 0

    def test_choice_methods_pass_with_quorum(self) -> None:
        p = proposal(method=VotingMethod.SINGLE_CHOICE, quorum=50, eligible=4)
        a, b = (o.id for o in p.options)
        results = [OptionResult(option_id=a, count=0), OptionResult(option_id=b, count=2)]
        assert decide(p, results, voted=2, voted_area=0).outcome is PASSED
        assert decide(p, results[:1], voted=1, voted_area=0).outcome is NO_QUORUM

    def test_nobody_eligible_is_no_quorum(self) -> None:
        assert outcome(proposal(quorum=0, eligible=0)) == (NO_QUORUM, False)

    def test_art_278_participation_two_thirds_of_both(self) -> None:
        p = proposal(electorate=Electorate.OWNERS, eligible=6, eligible_area=30000)
        # Exactly 2/3 of the owners and exactly 2/3 of the area take part.
        assert outcome(p, yes=4, yes_area=20000) == (PASSED, True)
        # 2/3 of the owners, one hundredth of a m² short of 2/3 of the area.
        assert outcome(p, yes=4, yes_area=19999) == (NO_QUORUM, False)
        # All the area but 3 of 6 owners.
        assert outcome(p, yes=3, yes_area=30000) == (NO_QUORUM, False)

    def test_art_278_ordinary_needs_more_than_half_of_each(self) -> None:
        p = proposal(electorate=Electorate.OWNERS, eligible=4, eligible_area=40000)
        # Passes by area (300 of 400 m²), fails by headcount (2 of 4).
        assert outcome(p, yes=2, no=2, yes_area=30000, no_area=10000) == (REJECTED, True)
        # Passes by headcount (3 of 4), fails by area (150 of 400 m²).
        assert outcome(p, yes=3, no=1, yes_area=15000, no_area=25000) == (REJECTED, True)
        # Exactly half of the area is not more than half.
        assert outcome(p, yes=3, no=1, yes_area=20000, no_area=20000) == (REJECTED, True)
        assert outcome(p, yes=3, no=1, yes_area=20001, no_area=19999) == (PASSED, True)

    def test_art_278_major_needs_three_quarters_of_each(self) -> None:
        p = proposal(
            electorate=Electorate.OWNERS,
            matter=ProposalMatter.MAJOR,
            eligible=4,
            eligible_area=40000,
        )
        assert outcome(p, yes=3, no=1, yes_area=30000, no_area=10000) == (PASSED, True)
        assert outcome(p, yes=3, no=1, yes_area=29999, no_area=10001) == (REJECTED, True)
        assert outcome(p, yes=2, no=2, yes_area=39000, no_area=1000) == (REJECTED, True)
        # Abstaining owners take part: they count in the participating area and headcount.
        assert outcome(p, yes=3, abstain=1, yes_area=30000, abstain_area=10000) == (PASSED, True)
        assert outcome(p, yes=2, abstain=1, yes_area=25000, abstain_area=5000) == (REJECTED, True)


class TestOutcomesThroughTheApi:
    async def test_quorum_and_threshold_edges(self, api: Api, deps: Deps) -> None:
        """金安社区 has 4 active residents (黄国栋, 王丽娟, 张伟, 李秀英); quorum 50 %."""
        hall = await Hall.open(api, deps)
        cases: list[tuple[list[tuple[str, str]], str, bool]] = [
            ([(CHAIR, "赞成")], "NO_QUORUM", False),  # one below the quorum
            ([(CHAIR, "赞成"), (HOUSEMATE, "反对")], "REJECTED", True),  # exactly at 50 %
            ([(CHAIR, "赞成"), (HOUSEMATE, "反对"), (SECRETARY, "赞成")], "PASSED", True),
            ([(CHAIR, "赞成"), (HOUSEMATE, "弃权")], "PASSED", True),
            ([(CHAIR, "弃权"), (HOUSEMATE, "弃权")], "REJECTED", True),  # yes + no = 0
        ]
        for votes, expected, quorum in cases:
            proposal_id = await hall.voting(
                electorate="RESIDENTS", quorumPercent=50, passThresholdPercent=50
            )
            for phone, label in votes:
                await hall.vote(phone, proposal_id, label)
            closed = await hall.close(proposal_id)
            assert (closed["outcome"], closed["quorumReached"]) == (expected, quorum), votes

    async def test_single_choice_passes_with_quorum(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        proposal_id = await hall.voting(
            method="SINGLE_CHOICE", options=["周六上午", "周日上午"], quorumPercent=60
        )
        await hall.vote(CHAIR, proposal_id, "周日上午")
        await hall.vote(SECRETARY, proposal_id, "周日上午")
        assert (await hall.close(proposal_id))["outcome"] == "PASSED"  # 2 of 3 ≥ 60 %
        assert await hall.counts(proposal_id) == {"周六上午": 0, "周日上午": 2}
        short = await hall.voting(
            method="SINGLE_CHOICE", options=["周六上午", "周日上午"], quorumPercent=70
        )
        await hall.vote(CHAIR, short, "周六上午")
        await hall.vote(SECRETARY, short, "周六上午")
        assert (await hall.close(short))["outcome"] == "NO_QUORUM"  # 2 of 3 < 70 %


class TestOwnersVote:
    """金安里's owners: 黄国栋 75.0 m², 王丽娟 89.5 m², 李秀英 120.0 m² (284.5 m² in all)."""

    async def test_area_turnout_and_option_areas(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        proposal_id = await hall.voting(OWNERS_CHAIR, OWNERS_COMMITTEE, electorate="OWNERS")
        await hall.vote(OWNERS_CHAIR, proposal_id, "赞成")
        await hall.vote(SECRETARY, proposal_id, "赞成")
        await hall.vote(CHAIR, proposal_id, "反对")
        during = await hall.detail(proposal_id, OWNERS_CHAIR)
        assert during["turnout"] == {
            "eligible": 3,
            "voted": 3,
            "percent": 100.0,
            "eligibleArea": 284.5,
            "votedArea": 284.5,
            "areaPercent": 100.0,
        }
        assert [(o["voteCount"], o["voteArea"]) for o in during["options"]] == [
            (2, 209.5),
            (1, 75.0),
            (0, 0.0),
        ]
        closed = await hall.close(proposal_id, OWNERS_CHAIR)
        assert (closed["outcome"], closed["quorumReached"]) == ("PASSED", True)

    async def test_exactly_two_thirds_of_owners_with_enough_area(
        self, api: Api, deps: Deps
    ) -> None:
        hall = await Hall.open(api, deps)
        proposal_id = await hall.voting(OWNERS_CHAIR, OWNERS_COMMITTEE, electorate="OWNERS")
        await hall.vote(OWNERS_CHAIR, proposal_id, "赞成")
        await hall.vote(SECRETARY, proposal_id, "赞成")  # 2 of 3 owners, 209.5 of 284.5 m²
        detail = await hall.detail(proposal_id, OWNERS_CHAIR)
        assert detail["turnout"]["areaPercent"] == 73.64
        closed = await hall.close(proposal_id, OWNERS_CHAIR)
        assert (closed["outcome"], closed["quorumReached"]) == ("PASSED", True)

    async def test_two_thirds_of_owners_without_the_area(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        proposal_id = await hall.voting(OWNERS_CHAIR, OWNERS_COMMITTEE, electorate="OWNERS")
        await hall.vote(CHAIR, proposal_id, "赞成")
        await hall.vote(SECRETARY, proposal_id, "赞成")  # 2 of 3 owners, 164.5 of 284.5 m²
        closed = await hall.close(proposal_id, OWNERS_CHAIR)
        assert (closed["outcome"], closed["quorumReached"]) == ("NO_QUORUM", False)

    async def test_majority_by_area_or_by_headcount_alone_fails(self, api: Api, deps: Deps) -> None:
        """Two more owners of 30 m² each: 5 owners, 344.5 m²."""
        hall = await Hall.open(api, deps)
        small = await hall.newcomers(2, areas=[30.0, 30.0])
        by_area = await hall.voting(OWNERS_CHAIR, OWNERS_COMMITTEE, electorate="OWNERS")
        by_heads = await hall.voting(OWNERS_CHAIR, OWNERS_COMMITTEE, electorate="OWNERS")
        # By area: 李秀英 and 王丽娟 (209.5 m², 2 of 5 owners) for.
        for who, label in ((OWNERS_CHAIR, "赞成"), (SECRETARY, "赞成"), (CHAIR, "反对")):
            await hall.vote(who, by_area, label)
        for newcomer in small:
            await hall.vote(newcomer, by_area, "反对")
        # By headcount: 黄国栋 and the two newcomers (135 m², 3 of 5 owners) for.
        for who, label in ((OWNERS_CHAIR, "反对"), (SECRETARY, "反对"), (CHAIR, "赞成")):
            await hall.vote(who, by_heads, label)
        for newcomer in small:
            await hall.vote(newcomer, by_heads, "赞成")
        for proposal_id in (by_area, by_heads):
            detail = await hall.detail(proposal_id, OWNERS_CHAIR)
            assert detail["turnout"]["eligibleArea"] == 344.5
            closed = await hall.close(proposal_id, OWNERS_CHAIR)
            assert (closed["outcome"], closed["quorumReached"]) == ("REJECTED", True)

    async def test_major_matter_needs_three_quarters(self, api: Api, deps: Deps) -> None:
        """Four more owners (100, 100, 100 and 300 m²): 7 owners, 884.5 m²."""
        hall = await Hall.open(api, deps)
        owners = await hall.newcomers(4, areas=[100.0, 100.0, 100.0, 300.0], start=10)
        proposal_id = await hall.voting(
            OWNERS_CHAIR, OWNERS_COMMITTEE, electorate="OWNERS", matter="MAJOR"
        )
        detail = await hall.detail(proposal_id, OWNERS_CHAIR)
        assert detail["turnout"]["eligibleArea"] == 884.5
        assert detail["matter"] == "MAJOR"
        # All 7 owners vote; yes: 4 newcomers + 李秀英 + 王丽娟 = 6 of 7 ≥ 3/4, 809.5 of 884.5 m².
        for who in [*owners, OWNERS_CHAIR, SECRETARY]:
            await hall.vote(who, proposal_id, "赞成")
        await hall.vote(CHAIR, proposal_id, "反对")
        assert (await hall.close(proposal_id, OWNERS_CHAIR))["outcome"] == "PASSED"
        short = await hall.voting(
            OWNERS_CHAIR, OWNERS_COMMITTEE, electorate="OWNERS", matter="MAJOR"
        )
        # yes: 5 of 7 owners (< 3/4), 509.5 of 884.5 m² (< 3/4).
        for who in [*owners[:3], OWNERS_CHAIR, SECRETARY]:
            await hall.vote(who, short, "赞成")
        for who in [owners[3], CHAIR]:
            await hall.vote(who, short, "反对")
        assert (await hall.close(short, OWNERS_CHAIR))["outcome"] == "REJECTED"
