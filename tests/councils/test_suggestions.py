"""Residents' suggestions (议题征集): suggest, co-sign once, accept or decline with a reason."""

from __future__ import annotations

import asyncio
from typing import Any

from bson import ObjectId

from neighbor_api.core.deps import Deps
from neighbor_api.core.i18n import Locale
from neighbor_api.notifications import service as notifications
from tests.conftest import Api
from tests.councils.ballots_support import codes, contract, oid
from tests.councils.support import (
    CHAIR,
    COUNCIL,
    HOUSEMATE,
    JINAN_WORKER,
    JINSHAN_CHAIR,
    OWNERS_CHAIR,
    SECRETARY,
    Hall,
    Newcomer,
)

SUGGESTION = {
    "title": "金安里 5 栋楼道增设电动车充电桩",
    "body": "5 栋楼下常有电动车在楼道充电，存在火灾隐患，建议在金湖路一侧增设集中充电桩。",
}


async def suggest(hall: Hall, who: str | Newcomer, **fields: Any) -> dict[str, Any]:
    values = {"councilId": hall.councils[COUNCIL], **SUGGESTION, **fields}
    return await contract(hall, "SuggestProposal", values, who)


async def co_sign(hall: Hall, proposal_id: str, who: str | Newcomer) -> dict[str, Any]:
    return await contract(hall, "CoSignProposal", {"proposalId": proposal_id}, who)


async def decide(
    hall: Hall, proposal_id: str, who: str, accept: bool, reason: str | None = None
) -> dict[str, Any]:
    values: dict[str, Any] = {"proposalId": proposal_id, "accept": accept}
    if reason is not None:
        values["reason"] = reason
    return await contract(hall, "AcceptSuggestion", values, who)


async def told(deps: Deps, kind: str, proposal_id: str) -> dict[ObjectId, dict[str, Any]]:
    """The notifications written for the latest event of `kind` about the proposal."""
    await notifications.notify(deps)
    event = await deps.db["events"].find_one(
        {"kind": kind, "subject_id": oid(proposal_id)}, sort=[("at", -1), ("_id", -1)]
    )
    assert event is not None, kind
    found = await deps.db["notifications"].find({"event_id": event["_id"]}).to_list()
    return {n["user_id"]: n for n in found}


class TestSuggestions:
    async def test_suggest_co_sign_and_accept(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        suggested = await suggest(hall, HOUSEMATE)  # 张伟, a resident on no council
        assert suggested["errors"] == []
        proposal = suggested["proposal"]
        # 金安社区 has 4 residents: 5% of them is under the floor of 3.
        assert proposal["status"] == "SUGGESTED"
        assert proposal["title"] == SUGGESTION["title"]
        assert (proposal["coSignatureCount"], proposal["coSignaturesNeeded"]) == (1, 3)
        proposal_id = proposal["id"]

        signed = await co_sign(hall, proposal_id, SECRETARY)
        assert signed["errors"] == []
        assert signed["proposal"]["coSignatureCount"] == 2
        assert signed["proposal"]["viewerHasCoSigned"] is True
        # Accepting too early says how many are still needed.
        early = await decide(hall, proposal_id, CHAIR, True)
        assert codes(early) == ["INVALID_TRANSITION"]
        assert "2/3" in early["errors"][0]["message"]

        last = await co_sign(hall, proposal_id, OWNERS_CHAIR)
        assert last["proposal"]["coSignatureCount"] == 3
        ready = await told(deps, "proposal.co_signed", proposal_id)
        chair, worker = oid(await hall.user_id(CHAIR)), oid(await hall.user_id(JINAN_WORKER))
        assert set(ready) == {chair, worker}
        assert {n["kind"] for n in ready.values()} == {"PROPOSAL_SUGGESTED"}
        assert "已有 3 人联署" in ready[chair]["body"]

        accepted = await decide(hall, proposal_id, CHAIR, True)
        assert accepted["errors"] == []
        assert accepted["proposal"]["status"] == "DELIBERATION"
        told_accepted = await told(deps, "proposal.suggestion_accepted", proposal_id)
        signers = {oid(await hall.user_id(p)) for p in (HOUSEMATE, SECRETARY, OWNERS_CHAIR)}
        assert set(told_accepted) == signers
        # Now a proposal like any other: the chair opens voting on it.
        opened = await hall.open_payload(proposal_id)
        assert opened["errors"] == []
        assert opened["proposal"]["status"] == "VOTING"

    async def test_decline_tells_author_and_co_signers_why(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        proposal_id = (await suggest(hall, HOUSEMATE))["proposal"]["id"]
        assert (await co_sign(hall, proposal_id, OWNERS_CHAIR))["errors"] == []
        # A reason is required to decline; the council's secretary is not the chair.
        assert codes(await decide(hall, proposal_id, JINAN_WORKER, False)) == ["INVALID_INPUT"]
        assert codes(await decide(hall, proposal_id, SECRETARY, False, "不需要")) == ["FORBIDDEN"]
        reason = "金湖路一侧已列入街道 2027 年充电设施建设计划，届时统一建设。"
        declined = await decide(hall, proposal_id, JINAN_WORKER, False, reason)
        assert declined["errors"] == []
        assert declined["proposal"]["status"] == "WITHDRAWN"
        written = await told(deps, "proposal.suggestion_declined", proposal_id)
        housemate, owner = oid(await hall.user_id(HOUSEMATE)), oid(await hall.user_id(OWNERS_CHAIR))
        assert set(written) == {housemate, owner}
        assert "街道 2027 年充电设施建设计划" in written[housemate]["body"]
        assert written[housemate]["title"] == "议题建议未被采纳"
        # Decided: no more signatures, no second decision.
        assert codes(await co_sign(hall, proposal_id, SECRETARY)) == ["INVALID_TRANSITION"]
        assert codes(await decide(hall, proposal_id, CHAIR, True)) == ["INVALID_TRANSITION"]

    async def test_bad_input_changes_nothing(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        proposal_id = (await suggest(hall, HOUSEMATE))["proposal"]["id"]
        # Co-signed twice (the author signed by suggesting).
        for who in (HOUSEMATE, SECRETARY, SECRETARY):
            await co_sign(hall, proposal_id, who)
        twice = await co_sign(hall, proposal_id, SECRETARY)
        assert codes(twice) == ["INVALID_INPUT"]
        assert "已联署" in twice["errors"][0]["message"]
        english = await contract(
            hall, "CoSignProposal", {"proposalId": proposal_id}, SECRETARY, locale=Locale.EN
        )
        assert english["errors"][0]["message"] == "You have already co-signed this suggestion"
        stored = await deps.db["proposals"].find_one({"_id": oid(proposal_id)})
        assert stored is not None
        assert stored["co_signature_count"] == 2
        assert await deps.db["co_signatures"].count_documents({}) == 2
        # The community worker is staff, not a resident: neither suggests nor co-signs.
        assert codes(await co_sign(hall, proposal_id, JINAN_WORKER)) == ["FORBIDDEN"]
        assert codes(await suggest(hall, JINAN_WORKER)) == ["FORBIDDEN"]
        # Outside the community the council does not exist.
        assert codes(await suggest(hall, JINSHAN_CHAIR)) == ["NOT_FOUND"]
        assert codes(await suggest(hall, HOUSEMATE, title="  ")) == ["INVALID_INPUT"]
        assert await deps.db["proposals"].count_documents({"status": "SUGGESTED"}) == 1

    async def test_concurrent_co_signatures_by_one_person_count_once(
        self, api: Api, deps: Deps
    ) -> None:
        hall = await Hall.open(api, deps)
        residents = await hall.newcomers(40)  # 44 residents: 5% → 3 (ceil 2.2, floor 3)
        proposal = (await suggest(hall, residents[0]))["proposal"]
        assert proposal["coSignaturesNeeded"] == 3
        await hall.user_id(SECRETARY)
        payloads = await asyncio.gather(
            *(co_sign(hall, proposal["id"], SECRETARY) for _ in range(30)),
            *(co_sign(hall, proposal["id"], r) for r in residents[1:11]),
        )
        assert sum(p["errors"] == [] for p in payloads) == 11
        stored = await deps.db["proposals"].find_one({"_id": oid(proposal["id"])})
        assert stored is not None
        assert stored["co_signature_count"] == 12
        assert await deps.db["co_signatures"].count_documents({}) == 12
        # The threshold was crossed by exactly one signature: the chair is told once.
        reached = await deps.db["events"].count_documents(
            {"kind": "proposal.co_signed", "data.threshold_reached": True}
        )
        assert reached == 1

    async def test_comments_while_suggested(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        proposal_id = (await suggest(hall, HOUSEMATE))["proposal"]["id"]
        data = await api.data(
            "CommentOnProposal",
            {"input": {"proposalId": proposal_id, "body": "支持！建议同时加装烟感报警器。"}},
            token=await hall.token(SECRETARY),
        )
        assert data["commentOnProposal"]["errors"] == []


class TestThresholdPerCouncil:
    async def test_a_council_sets_its_percent(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        await hall.newcomers(6)  # 10 residents in 金安社区
        made = await hall.custom(
            "CreateCouncil",
            {
                "communityId": hall.jinan,
                "name": "金安里 12 栋楼栋议事会",
                "kind": "CAMPUS_COUNCIL",
                "coSignaturePercent": 50,
            },
            JINAN_WORKER,
        )
        assert made["errors"] == []
        hall.councils["金安里 12 栋楼栋议事会"] = made["council"]["id"]
        values = {"councilId": made["council"]["id"], **SUGGESTION}
        suggested = await contract(hall, "SuggestProposal", values, HOUSEMATE)
        assert suggested["proposal"]["coSignaturesNeeded"] == 5  # ceil(50% of 10)
        wrong = await hall.custom(
            "CreateCouncil",
            {"communityId": hall.jinan, "name": "某议事会", "kind": "CAMPUS_COUNCIL",
             "coSignaturePercent": 101},
            JINAN_WORKER,
        )  # fmt: skip
        assert codes(wrong) == ["INVALID_INPUT"]
        assert wrong["errors"][0]["field"] == ["input", "coSignaturePercent"]
