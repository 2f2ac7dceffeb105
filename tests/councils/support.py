"""Helpers of the councils tests: the demo street's councils as their people use them through
the contract's operations, and extra residents and owners set up through the services.

Global ids come from query results; `object_id` parses one only to look at stored documents.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bson import ObjectId

from neighbor_api.accounts import service as accounts
from neighbor_api.core.deps import Deps
from neighbor_api.core.policy import Actor, Role
from neighbor_api.graphql.relay import from_global_id
from neighbor_api.memberships import service as memberships
from tests.conftest import Api
from tests.reports.street import load_demo_street

# The demo's people (neighbor_api/fixtures/demo.json).
JINAN_WORKER = "13800000001"  # 林美华, community worker of 金安社区
CHAIR = "13800000003"  # 黄国栋, chairs 金安社区居民议事会; owner of 75.0 m²
SECRETARY = "13800000004"  # 王丽娟, secretary; household JA-5-302; owner of 89.5 m²
HOUSEMATE = "13800000005"  # 张伟, household JA-5-302, not an owner, not on the council
OWNERS_CHAIR = "13800000006"  # 李秀英, chairs 金安里业主委员会; owner of 120.0 m²
JINSHAN_WORKER = "13800000010"  # 郑晓燕, community worker of 金山社区
JINSHAN_CHAIR = "13800000011"  # 吴建华, chairs 金山社区居民议事会
HULI_ADMIN = "13800000099"  # 蔡文彬, admin of 湖里区

COUNCIL = "金安社区居民议事会"
OWNERS_COMMITTEE = "金安里业主委员会"
JINSHAN_COUNCIL = "金山社区居民议事会"
DEMO_PROPOSAL = "金安社区小广场改造为口袋公园"

START = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
CLOSES = START + timedelta(days=3)

YES, NO, ABSTAIN = "赞成", "反对", "弃权"

# The tests close votes before their time: the chair says why (closeVoting's reason).
EARLY_REASON = "议事会现场表决已完成，提前结束线上投票"

PROPOSAL: dict[str, Any] = {
    "title": "金安里 8 栋加装电梯意见征集",
    "body": "8 栋为 1995 年建成的 9 层住宅，老年住户较多。拟申请既有住宅加装电梯补助，请议事。",
    "electorate": "COUNCIL_MEMBERS",
    "ballot": "OPEN",
    "method": "YES_NO_ABSTAIN",
}

# A custom document for the council mutations the contract does not (yet) carry.
COUNCIL_MUTATIONS = """
mutation CreateCouncil($input: CreateCouncilInput!) {
  createCouncil(input: $input) {
    council { id name kind members { role user { id displayName } } }
    errors { code message field }
  }
}
mutation SetCouncilMember($input: SetCouncilMemberInput!) {
  setCouncilMember(input: $input) {
    council { id name members { role user { id displayName } } }
    errors { code message field }
  }
}
mutation WithdrawProposal($input: WithdrawProposalInput!) {
  withdrawProposal(input: $input) {
    proposal { id status }
    errors { code message field }
  }
}
"""


def object_id(global_id: str) -> ObjectId:
    found = from_global_id(global_id, None)
    assert found is not None, global_id
    return found


def codes(payload: dict[str, Any]) -> list[str]:
    return [e["code"] for e in payload["errors"]]


def iso(value: datetime) -> str:
    return value.isoformat()


@dataclass(frozen=True)
class Newcomer:
    token: str
    user_id: ObjectId


class Hall:
    """The demo street's councils as their people use them: sign-ins, proposals, votes."""

    def __init__(self, api: Api, deps: Deps) -> None:
        self.api = api
        self.deps = deps
        self._tokens: dict[str, str] = {}
        self._ids: dict[str, str] = {}
        self.communities: dict[str, str] = {}
        self.councils: dict[str, str] = {}
        self.options: dict[str, dict[str, str]] = {}  # proposal id -> label -> option id

    @classmethod
    async def open(cls, api: Api, deps: Deps) -> Hall:
        await load_demo_street(deps)
        hall = cls(api, deps)
        for worker in (JINAN_WORKER, JINSHAN_WORKER):
            viewer = (await api.data("Viewer", token=await hall.token(worker)))["viewer"]
            community = viewer["memberships"][0]["community"]
            hall.communities[community["name"]] = community["id"]
            data = await api.data(
                "Councils", {"communityId": community["id"]}, token=await hall.token(worker)
            )
            for council in data["community"]["councils"]:
                hall.councils[council["name"]] = council["id"]
        return hall

    @property
    def jinan(self) -> str:
        return self.communities["金安社区"]

    def advance(self, delta: timedelta) -> None:
        """Move the clock on; everyone signs in again (tokens live 15 minutes)."""
        self.deps.clock.advance(delta)  # type: ignore[attr-defined]
        self._tokens.clear()

    async def token(self, phone: str) -> str:
        if phone not in self._tokens:
            self._tokens[phone] = await self.api.login(phone)
        return self._tokens[phone]

    async def user_id(self, phone: str) -> str:
        if phone not in self._ids:
            viewer = await self.api.data("Viewer", token=await self.token(phone))
            self._ids[phone] = viewer["viewer"]["id"]
        return self._ids[phone]

    async def as_token(self, who: str | Newcomer) -> str:
        return who.token if isinstance(who, Newcomer) else await self.token(who)

    # --- Operations (payloads, whatever they say) ---------------------------------------------

    async def create_payload(
        self, who: str | Newcomer = CHAIR, council: str = COUNCIL, **fields: Any
    ) -> dict[str, Any]:
        values = {"councilId": self.councils[council], **PROPOSAL, **fields}
        data = await self.api.data(
            "CreateProposal", {"input": values}, token=await self.as_token(who)
        )
        payload: dict[str, Any] = data["createProposal"]
        return payload

    async def create(
        self, who: str | Newcomer = CHAIR, council: str = COUNCIL, **fields: Any
    ) -> str:
        payload = await self.create_payload(who, council, **fields)
        assert payload["errors"] == [], payload
        proposal = payload["proposal"]
        assert proposal["status"] == "DELIBERATION"
        self.options[proposal["id"]] = {o["label"]: o["id"] for o in proposal["options"]}
        proposal_id: str = proposal["id"]
        return proposal_id

    async def open_payload(
        self, proposal_id: str, who: str | Newcomer = CHAIR, closes: datetime | None = CLOSES
    ) -> dict[str, Any]:
        values: dict[str, Any] = {"proposalId": proposal_id}
        if closes is not None:
            values["votingClosesAt"] = iso(closes)
        data = await self.api.data("OpenVoting", {"input": values}, token=await self.as_token(who))
        payload: dict[str, Any] = data["openVoting"]
        return payload

    async def voting(
        self, who: str | Newcomer = CHAIR, council: str = COUNCIL, **fields: Any
    ) -> str:
        """A new proposal with voting open (by the council's chair, or `opener`)."""
        opener = fields.pop("opener", CHAIR if council == COUNCIL else OWNERS_CHAIR)
        proposal_id = await self.create(who, council, **fields)
        payload = await self.open_payload(proposal_id, opener)
        assert payload["errors"] == [], payload
        assert payload["proposal"]["status"] == "VOTING"
        return proposal_id

    def choice(self, proposal_id: str, *labels: str) -> list[str]:
        return [self.options[proposal_id][label] for label in labels]

    async def vote_payload(
        self, who: str | Newcomer, proposal_id: str, *labels: str, **fields: Any
    ) -> dict[str, Any]:
        values = {"proposalId": proposal_id, "optionIds": self.choice(proposal_id, *labels)}
        data = await self.api.data(
            "CastVote", {"input": {**values, **fields}}, token=await self.as_token(who)
        )
        payload: dict[str, Any] = data["castVote"]
        return payload

    async def vote(self, who: str | Newcomer, proposal_id: str, *labels: str) -> dict[str, Any]:
        payload = await self.vote_payload(who, proposal_id, *labels)
        assert payload["errors"] == [], payload
        return payload

    async def close_payload(
        self, proposal_id: str, who: str = CHAIR, reason: str | None = EARLY_REASON
    ) -> dict[str, Any]:
        """Close now: before the closing time, so with a reason unless told otherwise."""
        values = {"proposalId": proposal_id}
        if reason is not None:
            values["reason"] = reason
        data = await self.api.data("CloseVoting", {"input": values}, token=await self.token(who))
        payload: dict[str, Any] = data["closeVoting"]
        return payload

    async def close(
        self, proposal_id: str, who: str = CHAIR, reason: str | None = EARLY_REASON
    ) -> dict[str, Any]:
        payload = await self.close_payload(proposal_id, who, reason)
        assert payload["errors"] == [], payload
        proposal: dict[str, Any] = payload["proposal"]
        assert proposal["status"] == "CLOSED"
        return proposal

    async def detail(self, proposal_id: str, who: str | Newcomer = CHAIR) -> Any:
        data = await self.api.data(
            "ProposalDetail", {"id": proposal_id}, token=await self.as_token(who)
        )
        return data["proposal"]

    async def counts(self, proposal_id: str, who: str = CHAIR) -> dict[str, int | None]:
        detail = await self.detail(proposal_id, who)
        return {o["label"]: o["voteCount"] for o in detail["options"]}

    async def custom(self, name: str, values: dict[str, Any], who: str) -> dict[str, Any]:
        result = await self.api.execute(
            COUNCIL_MUTATIONS,
            {"input": values},
            operation_name=name,
            token=await self.token(who),
        )
        assert result.errors is None, result.errors
        assert result.data is not None
        payload: dict[str, Any] = result.data[name[0].lower() + name[1:]]
        return payload

    async def events(self, proposal_id: str, kind: str | None = None) -> list[dict[str, Any]]:
        query: dict[str, Any] = {"subject_id": object_id(proposal_id)}
        if kind is not None:
            query["kind"] = kind
        cursor = self.deps.db["events"].find(query).sort([("at", 1), ("_id", 1)])
        return [event async for event in cursor]

    # --- More people, through the services ----------------------------------------------------

    async def newcomers(
        self,
        count: int,
        *,
        areas: list[float | None] | None = None,
        start: int = 0,
        community: str = "金安社区",
        council_member: bool = False,
    ) -> list[Newcomer]:
        """`count` new residents (owners of `areas[i]` m²), registered, joining and approved by
        the community worker through the services, concurrently."""
        worker_phone = JINAN_WORKER if community == "金安社区" else JINSHAN_WORKER
        worker = await memberships.actor_for(self.deps, object_id(await self.user_id(worker_phone)))
        community_id = object_id(self.communities[community])
        roles = [Role.RESIDENT, Role.COUNCIL_MEMBER] if council_member else [Role.RESIDENT]

        async def one(index: int) -> Newcomer:
            number = start + index
            signed_in = await accounts.register(
                self.deps,
                phone=f"1395920{number:04d}",
                password="jinan-neighbour-2026",
                display_name=f"金安居民{number:03d}",
            )
            request = await memberships.join_community(
                self.deps,
                Actor(user_id=signed_in.user.id),
                community_id=community_id,
                address=f"金湖路金安里 12 栋 {number + 101} 室",
                household_code=f"JA-12-{number + 101}",
            )
            await memberships.decide_membership(
                self.deps,
                worker,
                membership_id=request.id,
                approve=True,
                roles=roles,
                owned_floor_area=areas[index] if areas else None,
            )
            return Newcomer(signed_in.access_token, signed_in.user.id)

        made: list[Newcomer] = []
        for batch in range(0, count, 50):
            made += await asyncio.gather(*(one(i) for i in range(batch, min(batch + 50, count))))
        return made
