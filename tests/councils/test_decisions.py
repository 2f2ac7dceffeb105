"""Decisions a person can read (issue 15, part A): the rules that decided, in integers at
their exact edges and in words; winners and ties; who runs an owners' vote and for which
buildings; closing early with a reason and cancelling; the minimum voting period.

The contract's documents ProposalDecision and CancelVoting (schema/operations/votes.graphql)
are sent over HTTP as a client sends them (their round trips are budgeted in
tests/graphql/test_budgets.py)."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from bson import ObjectId

from neighbor_api.app import create_app
from neighbor_api.core.deps import Deps
from neighbor_api.core.errors import DomainError
from neighbor_api.core.i18n import Locale
from neighbor_api.core.policy import SYSTEM
from neighbor_api.councils import service
from neighbor_api.councils.decision import decide, reason_text, rule_text
from neighbor_api.councils.models import (
    Electorate,
    Option,
    OptionResult,
    ProposalMatter,
    ProposalOutcome,
    VotingMethod,
)
from neighbor_api.graphql.relay import to_global_id
from neighbor_api.notifications import service as notifications
from neighbor_api.places import service as places
from neighbor_api.places.models import PlaceLevel
from neighbor_api.settings import Settings
from tests.conftest import OPERATIONS, make_settings
from tests.councils.support import (
    CHAIR,
    CLOSES,
    COUNCIL,
    EARLY_REASON,
    HOUSEMATE,
    JINAN_WORKER,
    JINSHAN_CHAIR,
    JINSHAN_COUNCIL,
    JINSHAN_WORKER,
    OWNERS_CHAIR,
    OWNERS_COMMITTEE,
    SECRETARY,
    Hall,
    codes,
    object_id,
)
from tests.councils.test_outcomes import proposal
from tests.platform.conftest import serve

PASSED, REJECTED, NO_QUORUM, TIED = (
    ProposalOutcome.PASSED,
    ProposalOutcome.REJECTED,
    ProposalOutcome.NO_QUORUM,
    ProposalOutcome.TIED,
)


def owners(*, eligible: int, area: int, matter: ProposalMatter = ProposalMatter.ORDINARY) -> Any:
    return proposal(
        electorate=Electorate.OWNERS, eligible=eligible, eligible_area=area, matter=matter
    )


def yes_no(p: Any, *, yes: int, no: int, yes_area: int = 0, no_area: int = 0) -> Any:
    ids = [o.id for o in p.options]
    results = [
        OptionResult(option_id=ids[0], count=yes, area_centi=yes_area),
        OptionResult(option_id=ids[1], count=no, area_centi=no_area),
    ]
    return decide(p, results, voted=yes + no, voted_area=yes_area + no_area)


class TestArt278RuleTable:
    """Every row at an exact edge, in integers (areas in hundredths of m²): the four rules'
    `met` flags and the outcome come from the same checks."""

    @pytest.mark.parametrize(
        ("matter", "eligible", "area", "yes", "no", "yes_area", "no_area", "mets", "outcome"),
        [
            # Participation: exactly 2/3 of the owners and exactly 2/3 of the area.
            ("ORDINARY", 3, 30000, 2, 0, 20000, 0, [True, True, True, True], PASSED),
            # One hundredth of a m² short of 2/3 of the area.
            ("ORDINARY", 3, 30000, 2, 0, 19999, 0, [False, True, True, True], NO_QUORUM),
            # All the area, 1 of 3 owners (< 2/3).
            ("ORDINARY", 3, 30000, 1, 0, 30000, 0, [True, False, True, True], NO_QUORUM),
            # Ordinary: exactly half of the participating area is not more than half.
            ("ORDINARY", 4, 40000, 3, 1, 20000, 20000, [True, True, False, True], REJECTED),
            ("ORDINARY", 4, 40000, 3, 1, 20001, 19999, [True, True, True, True], PASSED),
            # Ordinary: exactly half of the participating owners is not more than half.
            ("ORDINARY", 4, 40000, 2, 2, 30000, 10000, [True, True, True, False], REJECTED),
            # Major: exactly 3/4 of each passes; a hundredth of a m² less does not.
            ("MAJOR", 4, 40000, 3, 1, 30000, 10000, [True, True, True, True], PASSED),
            ("MAJOR", 4, 40000, 3, 1, 29999, 10001, [True, True, False, True], REJECTED),
            # Major: 2 of 4 owners (< 3/4) with almost all the area.
            ("MAJOR", 4, 40000, 2, 2, 39000, 1000, [True, True, True, False], REJECTED),
            # The issue's owners' vote: 68.5 % of the voting area for a MAJOR matter.
            ("MAJOR", 3, 28450, 2, 1, 19500, 8950, [True, True, False, False], REJECTED),
        ],
    )
    def test_rules_at_their_edges(
        self,
        matter: str,
        eligible: int,
        area: int,
        yes: int,
        no: int,
        yes_area: int,
        no_area: int,
        mets: list[bool],
        outcome: ProposalOutcome,
    ) -> None:
        p = owners(eligible=eligible, area=area, matter=ProposalMatter(matter))
        decision = yes_no(p, yes=yes, no=no, yes_area=yes_area, no_area=no_area)
        assert [c.met for c in decision.checks] == mets
        assert decision.outcome is outcome
        assert decision.quorum_reached is (outcome is not NO_QUORUM)

    def test_the_rules_in_words(self) -> None:
        p = owners(eligible=3, area=28450, matter=ProposalMatter.MAJOR)
        decision = yes_no(p, yes=2, no=1, yes_area=19500, no_area=8950)
        zh = [rule_text(c, Locale.ZH_CN) for c in decision.checks]
        assert [r.name for r in zh] == [
            "参与表决的专有部分面积（占全体业主专有部分面积）",
            "参与表决的业主人数（占全体业主人数）",
            "同意的专有部分面积（占参与表决的专有部分面积）",
            "同意的业主人数（占参与表决的业主人数）",
        ]
        assert [r.required for r in zh] == [
            "≥ 2/3",
            "≥ 2/3",
            "≥ 参与表决的 3/4",
            "≥ 参与表决的 3/4",
        ]
        assert zh[0].achieved == "100.0%（284.50 平方米 / 284.50 平方米）"
        assert zh[2].achieved == "68.5%（195.00 平方米 / 284.50 平方米）"
        assert zh[3].achieved == "66.7%（2 人 / 3 人）"
        assert [r.met for r in zh] == [True, True, False, False]
        record = decision.record()
        assert reason_text(REJECTED, record, Locale.ZH_CN, {}) == (
            "同意的专有部分面积（占参与表决的专有部分面积）为 68.5%，未达到 ≥ 参与表决的 3/4，"
            "议题未通过。"
        )
        assert reason_text(REJECTED, record, Locale.EN, {}) == (
            "Floor area approving (of the floor area taking part) was 68.5%, short of ≥ 3/4 "
            "of those taking part, so the proposal was rejected."
        )
        en = rule_text(decision.checks[2], Locale.EN)
        assert en.required == "≥ 3/4 of those taking part"
        assert en.achieved == "68.5% (195.00 m² of 284.50 m²)"

    def test_ordinary_matter_needs_more_than_half(self) -> None:
        p = owners(eligible=4, area=40000)
        decision = yes_no(p, yes=3, no=1, yes_area=20000, no_area=20000)
        text = rule_text(decision.checks[2], Locale.ZH_CN)
        assert (text.required, text.achieved, text.met) == (
            "> 参与表决的 1/2", "50.0%（200.00 平方米 / 400.00 平方米）", False,
        )  # fmt: skip


class TestYesNoAndTies:
    def test_yes_equal_to_no_is_rejected_whatever_the_threshold(self) -> None:
        p = proposal(quorum=0, threshold=40)
        decision = yes_no(p, yes=2, no=2)
        assert decision.outcome is REJECTED
        assert [c.met for c in decision.checks] == [True, True, False]
        assert reason_text(REJECTED, decision.record(), Locale.ZH_CN, {}) == (
            "赞成票与反对票相同（各 2 票），议题未通过。"
        )
        assert yes_no(p, yes=3, no=2).outcome is PASSED

    def test_percent_thresholds_are_exact_fractions(self) -> None:
        p = proposal(quorum=66.67, eligible=3)
        assert yes_no(p, yes=2, no=0).outcome is NO_QUORUM  # 2/3 = 66.666…% < 66.67 %
        assert yes_no(proposal(quorum=66.66, eligible=3), yes=2, no=0).outcome is PASSED

    @staticmethod
    def choice(counts: list[int], *, seats: int = 1) -> Any:
        method = VotingMethod.MULTIPLE_CHOICE if seats > 1 else VotingMethod.SINGLE_CHOICE
        p = proposal(method=method, quorum=0, eligible=20)
        options = [Option(label=label) for label in "甲乙丙丁"[: len(counts)]]
        p = p.model_copy(update={"options": options, "max_choices": seats})
        results = [
            OptionResult(option_id=o.id, count=n) for o, n in zip(options, counts, strict=False)
        ]
        return p, decide(p, results, voted=sum(counts), voted_area=0)

    def test_single_choice(self) -> None:
        p, decision = self.choice([3, 2])
        assert (decision.outcome, decision.winners) == (PASSED, (p.options[0].id,))
        p, decision = self.choice([2, 2])
        assert (decision.outcome, decision.winners) == (TIED, ())
        assert decision.tied == (p.options[0].id, p.options[1].id)
        labels = {o.id: o.label or "" for o in p.options}
        assert reason_text(TIED, decision.record(), Locale.ZH_CN, labels) == (
            "「甲」、「乙」票数并列，无法确定胜出选项。"
        )

    def test_multiple_choice(self) -> None:
        p, decision = self.choice([3, 3, 1], seats=2)
        assert (decision.outcome, decision.winners) == (PASSED, (p.options[0].id, p.options[1].id))
        # 3, 2, 2 for two places: 甲 wins, 乙 and 丙 tie for the second.
        p, decision = self.choice([3, 2, 2], seats=2)
        assert (decision.outcome, decision.winners) == (TIED, (p.options[0].id,))
        assert decision.tied == (p.options[1].id, p.options[2].id)
        # Options without votes never win; a tie among them decides nothing.
        p, decision = self.choice([2, 0, 0], seats=2)
        assert (decision.outcome, decision.winners) == (PASSED, (p.options[0].id,))
        # Tied below the winners (3, 2, 1, 1 for two places) is no tie.
        p, decision = self.choice([3, 2, 1, 1], seats=2)
        assert decision.outcome is PASSED


# --- Through the API ----------------------------------------------------------------------------


@pytest.fixture
async def http(settings: Settings, deps: Deps) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        serve(create_app(settings, deps=deps)) as server,
        httpx.AsyncClient(base_url=server.url, timeout=20) as client,
    ):
        yield client


async def post(
    http: httpx.AsyncClient, name: str, variables: dict[str, Any], token: str,
    language: str = "zh-CN",
) -> dict[str, Any]:  # fmt: skip
    """A contract operation (schema/operations/) over HTTP, as a client sends it."""
    response = await http.post(
        "/graphql",
        json={"query": OPERATIONS[name], "operationName": name, "variables": variables},
        headers={"Authorization": f"Bearer {token}", "Accept-Language": language},
    )
    body = response.json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


async def building(deps: Deps, name: str) -> str:
    found = await deps.db["places"].find_one({"name": name, "level": "BUILDING"})
    assert found is not None, name
    return str(to_global_id("Place", found["_id"]))


class TestDecisionOverHttp:
    async def test_an_owners_major_vote_says_why(
        self, api: Any, deps: Deps, http: httpx.AsyncClient
    ) -> None:
        """The issue's vote: 李秀英 (120.0 m²) and 黄国栋 (75.0 m²) for, 王丽娟 (89.5 m²)
        against, a MAJOR matter: 68.5 % of the voting area is not 3/4."""
        hall = await Hall.open(api, deps)
        proposal_id = await hall.voting(
            OWNERS_CHAIR, OWNERS_COMMITTEE, electorate="OWNERS", matter="MAJOR"
        )
        detail = await hall.detail(proposal_id, OWNERS_CHAIR)
        assert (detail["quorumPercent"], detail["passThresholdPercent"]) == (None, None)
        await hall.vote(OWNERS_CHAIR, proposal_id, "赞成")
        await hall.vote(CHAIR, proposal_id, "赞成")
        await hall.vote(SECRETARY, proposal_id, "反对")
        closed = await hall.close(proposal_id, OWNERS_CHAIR, reason=None)  # all voted
        assert closed["outcome"] == "REJECTED"
        token = await hall.token(HOUSEMATE)
        data = await post(http, "ProposalDecision", {"id": proposal_id}, token)
        found = data["proposal"]
        assert (found["outcome"], found["electorate"], found["matter"]) == (
            "REJECTED", "OWNERS", "MAJOR",
        )  # fmt: skip
        decision = found["decision"]
        assert decision["outcome"] == "REJECTED"
        assert [(r["required"], r["met"]) for r in decision["rules"]] == [
            ("≥ 2/3", True),
            ("≥ 2/3", True),
            ("≥ 参与表决的 3/4", False),
            ("≥ 参与表决的 3/4", False),
        ]
        assert decision["rules"][2]["achieved"] == "68.5%（195.00 平方米 / 284.50 平方米）"
        assert "68.5%" in decision["reason"]
        assert "未通过" in decision["reason"]
        assert found["winners"] is None  # a yes/no vote names no winner
        assert found["scope"] == []
        assert found["turnout"] == {
            "voted": 3, "eligible": 3, "votedArea": 284.5, "eligibleArea": 284.5,
        }  # fmt: skip
        english = await post(
            http, "ProposalDecision", {"id": proposal_id}, await hall.token(HOUSEMATE), "en"
        )
        rules = english["proposal"]["decision"]["rules"]
        assert rules[0]["name"] == "Floor area taking part (of all owners' floor area)"
        assert rules[2]["required"] == "≥ 3/4 of those taking part"

    async def test_a_tied_single_choice_names_no_winner(self, api: Any, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        others = await hall.newcomers(2, start=40)
        proposal_id = await hall.voting(
            method="SINGLE_CHOICE", options=["周六上午", "周日上午"], electorate="RESIDENTS"
        )
        await hall.vote(CHAIR, proposal_id, "周六上午")
        await hall.vote(SECRETARY, proposal_id, "周六上午")
        await hall.vote(others[0], proposal_id, "周日上午")
        await hall.vote(others[1], proposal_id, "周日上午")
        closed = await hall.close(proposal_id)
        assert closed["outcome"] == "TIED"
        result = await hall.api.op(
            "ProposalDecision", {"id": proposal_id}, token=await hall.token(HOUSEMATE)
        )
        assert result.errors is None
        assert result.data is not None
        found = result.data["proposal"]
        assert found["winners"] == []
        assert (
            found["decision"]["reason"] == "「周六上午」、「周日上午」票数并列，无法确定胜出选项。"
        )
        assert found["decision"]["rules"][1]["met"] is False
        # One more vote for Sunday would have named it.
        clear = await hall.voting(
            method="SINGLE_CHOICE", options=["周六上午", "周日上午"], electorate="RESIDENTS"
        )
        for who in (CHAIR, *others):
            await hall.vote(who, clear, "周日上午" if who != CHAIR else "周六上午")
        await hall.close(clear)
        result = await hall.api.op(
            "ProposalDecision", {"id": clear}, token=await hall.token(HOUSEMATE)
        )
        assert result.data is not None
        assert [w["label"] for w in result.data["proposal"]["winners"]] == ["周日上午"]
        assert result.data["proposal"]["winners"][0]["voteCount"] == 2

    async def test_choices_are_checked_with_the_methods_own_words(
        self, api: Any, deps: Deps
    ) -> None:
        hall = await Hall.open(api, deps)
        single = await hall.voting(method="SINGLE_CHOICE", options=["周六上午", "周日上午"])
        multiple = await hall.voting(
            method="MULTIPLE_CHOICE", options=["三角梅", "簕杜鹃", "凤凰木"], maxChoices=2
        )
        yes_no_id = await hall.voting()
        cases = [
            (single, ["周六上午", "周日上午"], "请选择本议题的一个选项"),
            (multiple, ["三角梅", "簕杜鹃", "凤凰木"], "请选择本议题的 1 到 2 个不同选项"),
            (yes_no_id, ["赞成", "反对"], "请在赞成、反对、弃权中选择一项"),
        ]
        for proposal_id, labels, message in cases:
            payload = await hall.vote_payload(CHAIR, proposal_id, *labels)
            assert payload["errors"] == [
                {"code": "INVALID_INPUT", "message": message, "field": ["input", "optionIds"]}
            ]


class TestWhoRunsWhat:
    async def test_owners_votes_belong_to_the_owners_committee(self, api: Any, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        for who in (CHAIR, JINAN_WORKER):  # 金安社区 has an owners' committee
            payload = await hall.create_payload(who, COUNCIL, electorate="OWNERS")
            assert codes(payload) == ["FORBIDDEN"]
            assert payload["errors"][0]["message"].startswith("业主共同决定须由业主委员会发起")
        assert await deps.db["proposals"].count_documents({"electorate": "OWNERS"}) == 0
        await hall.create(OWNERS_CHAIR, OWNERS_COMMITTEE, electorate="OWNERS")
        # 金山社区 has none: its staff organise the owners' meeting, its council's chair not.
        payload = await hall.create_payload(JINSHAN_CHAIR, JINSHAN_COUNCIL, electorate="OWNERS")
        assert codes(payload) == ["FORBIDDEN"]
        await hall.create(JINSHAN_WORKER, JINSHAN_COUNCIL, electorate="OWNERS")

    async def test_a_vote_of_some_buildings(self, api: Any, deps: Deps) -> None:
        """8 栋's lift: only its owners (李秀英, 120.0 m²) vote; 3 栋 and 5 栋's do not."""
        hall = await Hall.open(api, deps)
        eight = await building(deps, "金安里 8 栋")
        proposal_id = await hall.voting(
            OWNERS_CHAIR, OWNERS_COMMITTEE, electorate="OWNERS", scopeBuildingIds=[eight]
        )
        detail = await hall.detail(proposal_id, OWNERS_CHAIR)
        assert (detail["turnout"]["eligible"], detail["turnout"]["eligibleArea"]) == (1, 120.0)
        assert codes(await hall.vote_payload(CHAIR, proposal_id, "赞成")) == ["NOT_ELIGIBLE"]
        await hall.vote(OWNERS_CHAIR, proposal_id, "赞成")
        result = await api.op(
            "ProposalDecision", {"id": proposal_id}, token=await hall.token(CHAIR)
        )
        assert result.data is not None
        assert result.data["proposal"]["scope"] == [
            {"id": eight, "name": "金安里 8 栋", "level": "BUILDING"}
        ]
        # Households of 5 栋: 王丽娟 and 张伟's one household.
        five = await building(deps, "金安里 5 栋")
        households = await hall.voting(electorate="HOUSEHOLDS", scopeBuildingIds=[five])
        assert (await hall.detail(households))["turnout"]["eligible"] == 1

    async def test_a_scope_must_be_buildings_of_the_community(self, api: Any, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        eight = await building(deps, "金安里 8 栋")
        jinshan_grid = await deps.db["places"].find_one({"name": "金山社区第一网格"})
        assert jinshan_grid is not None
        elsewhere = await places.create_place(
            deps, SYSTEM, name="金山小区 2 栋", level=PlaceLevel.BUILDING,
            parent_id=jinshan_grid["_id"],
        )  # fmt: skip
        grid = await deps.db["places"].find_one({"name": "金安社区第二网格"})
        assert grid is not None
        for fields, field in (
            ({"electorate": "RESIDENTS", "scopeBuildingIds": [eight]}, "scopeBuildingIds"),
            (
                {"electorate": "OWNERS", "scopeBuildingIds": [eight, str(to_global_id(
                    "Place", elsewhere.id))]},
                "scopeBuildingIds.1",
            ),
            (
                {"electorate": "OWNERS",
                 "scopeBuildingIds": [str(to_global_id("Place", grid["_id"]))]},
                "scopeBuildingIds.0",
            ),
        ):  # fmt: skip
            payload = await hall.create_payload(OWNERS_CHAIR, OWNERS_COMMITTEE, **fields)
            assert codes(payload) == ["INVALID_INPUT"], fields
            assert ".".join(payload["errors"][0]["field"][1:]) == field
        assert (
            await deps.db["proposals"].count_documents({"scope_building_ids.0": {"$exists": 1}})
            == 0
        )


class TestClosingHonestly:
    async def test_early_only_when_all_voted_or_with_a_reason(self, api: Any, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        proposal_id = await hall.voting()  # the council's three members
        await hall.vote(CHAIR, proposal_id, "赞成")
        refused = await hall.close_payload(proposal_id, reason=None)
        assert codes(refused) == ["INVALID_INPUT"]
        assert refused["errors"][0]["field"] == ["input", "reason"]
        assert refused["errors"][0]["message"] == "尚有选民未投票，提前结束投票须说明理由"
        assert (await hall.detail(proposal_id))["status"] == "VOTING"
        await hall.vote(SECRETARY, proposal_id, "赞成")  # a vote still counts after the refusal
        closed = await hall.close(proposal_id, reason=EARLY_REASON)
        assert closed["outcome"] == "PASSED"
        result = await api.execute(
            "query($id: ID!) { proposal(id: $id) { closeReason decision { closeReason } } }",
            {"id": proposal_id}, token=await hall.token(HOUSEMATE),
        )  # fmt: skip
        assert result.data == {
            "proposal": {"closeReason": EARLY_REASON, "decision": {"closeReason": EARLY_REASON}}
        }
        # Told to the electors, with the outcome and the rule that decided.
        await notifications.notify(deps)
        event = await deps.db["events"].find_one(
            {"kind": "proposal.closed", "subject_id": object_id(proposal_id)}
        )
        assert event is not None
        told = await deps.db["notifications"].find({"event_id": event["_id"]}).to_list()
        secretary = object_id(await hall.user_id(SECRETARY))
        (body,) = [n["body"] for n in told if n["user_id"] == secretary]
        assert "通过" in body
        assert "各项规则均已满足" in body
        assert EARLY_REASON in body
        # Everyone voted: no reason needed.
        everyone = await hall.voting()
        for who in (CHAIR, SECRETARY, OWNERS_CHAIR):
            await hall.vote(who, everyone, "赞成")
        assert (await hall.close(everyone, reason=None))["outcome"] == "PASSED"

    async def test_after_the_closing_time_no_reason_is_needed(self, api: Any, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        proposal_id = await hall.voting()
        await hall.vote(CHAIR, proposal_id, "赞成")
        hall.advance(CLOSES - deps.clock.now())
        closed = await hall.close(proposal_id, reason=None)
        assert closed["outcome"] == "NO_QUORUM"

    async def test_cancel_voting_over_http(
        self, api: Any, deps: Deps, http: httpx.AsyncClient
    ) -> None:
        hall = await Hall.open(api, deps)
        proposal_id = await hall.voting(ballot="SECRET")
        await hall.vote(CHAIR, proposal_id, "赞成")
        chair = await hall.token(CHAIR)
        for who, reason, code in (
            (HOUSEMATE, "不想投了", "FORBIDDEN"),
            (CHAIR, "  ", "INVALID_INPUT"),
        ):
            data = await post(
                http, "CancelVoting", {"input": {"proposalId": proposal_id, "reason": reason}},
                await hall.token(who),
            )  # fmt: skip
            assert codes(data["cancelVoting"]) == [code]
        reason = "议题所涉电梯补助政策已调整，重新拟定方案后再表决"
        data = await post(
            http, "CancelVoting", {"input": {"proposalId": proposal_id, "reason": reason}}, chair
        )
        assert data["cancelVoting"] == {
            "proposal": {"id": proposal_id, "status": "CLOSED", "outcome": "CANCELLED"},
            "errors": [],
        }
        again = await post(
            http, "CancelVoting", {"input": {"proposalId": proposal_id, "reason": reason}}, chair
        )
        assert codes(again["cancelVoting"]) == ["INVALID_TRANSITION"]
        assert codes(await hall.vote_payload(SECRETARY, proposal_id, "赞成")) == ["VOTING_NOT_OPEN"]
        shown = await post(http, "ProposalDecision", {"id": proposal_id}, chair)
        assert shown["proposal"]["decision"] == {
            "outcome": "CANCELLED",
            "reason": f"投票已取消，不形成决议：{reason}",
            "rules": [],
        }
        detail = await hall.detail(proposal_id, JINAN_WORKER)
        assert [o["voteCount"] for o in detail["options"]] == [None, None, None]
        await notifications.notify(deps)
        event = await deps.db["events"].find_one(
            {"kind": "proposal.voting_cancelled", "subject_id": object_id(proposal_id)}
        )
        assert event is not None
        told = await deps.db["notifications"].find({"event_id": event["_id"]}).to_list()
        assert told
        assert all(reason in n["body"] for n in told)

    async def test_the_minimum_voting_period(self, api: Any, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        proposal_id = await hall.create()
        strict = dataclasses.replace(deps, settings=make_settings(min_voting_hours=24))
        now = deps.clock.now()
        with pytest.raises(DomainError) as refused:
            await service.open_voting(
                strict, SYSTEM, proposal_id=object_id(proposal_id),
                voting_closes_at=now + timedelta(hours=23, minutes=59),
            )  # fmt: skip
        problem = refused.value.problems[0]
        assert (problem.message, problem.params) == ("proposal.min_voting_period", {"hours": 24})
        opened = await service.open_voting(
            strict, SYSTEM, proposal_id=object_id(proposal_id),
            voting_closes_at=now + timedelta(hours=24),
        )  # fmt: skip
        assert opened.status.value == "VOTING"
        assert isinstance(opened.id, ObjectId)


class TestSecrecyThatSurvivesArithmetic:
    async def test_a_resident_cannot_recover_secret_owners_votes(
        self, api: Any, deps: Deps
    ) -> None:
        """张伟 (not an owner) reads everything he may while 金安里's three owners vote in
        secret and after the close: the proposal after each vote, its roll, its events and
        the decision. No owner's floor area ever shows, so the published percentages admit
        every assignment the counts allow; and with three voters the decision says so."""
        hall = await Hall.open(api, deps)
        areas = {OWNERS_CHAIR: 120.0, CHAIR: 75.0, SECRETARY: 89.5}
        proposal_id = await hall.voting(
            OWNERS_CHAIR, OWNERS_COMMITTEE, electorate="OWNERS", ballot="SECRET"
        )
        seen: list[Any] = []
        order = [(OWNERS_CHAIR, "赞成"), (SECRETARY, "反对"), (CHAIR, "赞成")]
        for who, label in order:
            await hall.vote(who, proposal_id, label)
            detail = await hall.detail(proposal_id, HOUSEMATE)
            seen.append(detail)
            turnout = detail["turnout"]
            assert (turnout["eligibleArea"], turnout["votedArea"], turnout["areaPercent"]) == (
                None, None, None,
            )  # fmt: skip
            assert all(o["voteArea"] is None and o["voteCount"] is None for o in detail["options"])
            assert all(e["node"]["castAt"] is None for e in detail["voters"]["edges"])
        # Staff see the area figures while voting.
        staff = await hall.detail(proposal_id, JINAN_WORKER)
        assert staff["turnout"]["votedArea"] == 284.5
        # The roll is in no order of time: the same order whoever voted first.
        roll = [e["node"]["user"]["displayName"] for e in seen[-1]["voters"]["edges"]]
        keys = sorted([(f"user:{object_id(await hall.user_id(w))}", w) for w, _ in order])
        names = {OWNERS_CHAIR: "李秀英", CHAIR: "黄国栋", SECRETARY: "王丽娟"}
        assert roll == [names[w] for _, w in keys]
        # The vote-cast events carry nothing of the vote.
        for event in await hall.events(proposal_id, "proposal.vote_cast"):
            assert event["data"] == {}
        await hall.close(proposal_id, OWNERS_CHAIR, reason=None)
        after = await hall.detail(proposal_id, HOUSEMATE)
        seen.append(after)
        decision = await api.op(
            "ProposalDecision", {"id": proposal_id}, token=await hall.token(HOUSEMATE)
        )
        assert decision.data is not None
        seen.append(decision.data)
        found = decision.data["proposal"]
        assert [o["voteCount"] for o in after["options"]] == [2, 1, 0]
        assert all(o["voteArea"] is None for o in after["options"])
        assert after["turnout"]["areaPercent"] == 100.0
        rules = found["decision"]["rules"]
        assert [r["achieved"] for r in rules][2:] == ["68.5%", "66.7%"]  # no m² figures
        # Every number the resident read: none is an owner's area or a sum of some of them.
        text = repr(seen)
        sums = {75.0, 89.5, 120.0, 164.5, 195.0, 209.5}
        for value in sums:
            assert f"{value}" not in text, value
            assert f"{value:.2f}" not in text, value
        # Without the areas, the counts (2 yes, 1 no) admit three assignments: no one's vote
        # follows from them alone; and the decision says that three voters are few.
        counts = [o["voteCount"] for o in after["options"]]
        assignments = [
            choice
            for choice in itertools.product(range(3), repeat=len(areas))
            if [choice.count(i) for i in range(3)] == counts
        ]
        assert len(assignments) == 3
        disclosure = await api.execute(
            "query($id: ID!) { proposal(id: $id) { decision { disclosure } } }",
            {"id": proposal_id}, token=await hall.token(HOUSEMATE),
        )  # fmt: skip
        assert disclosure.data is not None
        assert disclosure.data["proposal"]["decision"]["disclosure"] == (
            "本次仅 3 人参与投票（不超过 10 人），公布的合计可能推算出个人的选择。"
        )
