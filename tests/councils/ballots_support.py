"""Helpers of the proxy, paper-ballot and suggestion tests: the contract's documents
(votes_contract.py) run in-process as clients send them, and a roll query."""

from __future__ import annotations

from typing import Any

from bson import ObjectId

from neighbor_api.attachments import service as attachments
from neighbor_api.core.policy import Actor
from neighbor_api.graphql.relay import to_global_id
from tests.attachments.support import jpeg
from tests.councils.support import Hall, Newcomer, object_id
from tests.councils.votes_contract import VOTES

ROLL = """
query Roll($id: ID!) {
  proposal(id: $id) {
    id
    turnout { voted eligible votedArea }
    voters { edges { node { channel choiceIds user { displayName } castBy { displayName } } } }
  }
}
mutation RevokeProxy($input: RevokeProxyInput!) {
  revokeProxy(input: $input) {
    proxy { id used elector { displayName } proxy { displayName } }
    errors { code message field }
  }
}
"""


async def contract(
    hall: Hall, name: str, values: dict[str, Any], who: str | Newcomer, **kwargs: Any
) -> dict[str, Any]:
    """The payload of one of the votes contract's mutations (which must not error)."""
    result = await hall.api.execute(
        VOTES[name], {"input": values}, operation_name=name, token=await hall.as_token(who),
        **kwargs,
    )  # fmt: skip
    assert result.errors is None, result.errors
    assert result.data is not None
    payload: dict[str, Any] = next(iter(result.data.values()))
    return payload


async def custom(
    hall: Hall, name: str, variables: dict[str, Any], who: str | Newcomer
) -> dict[str, Any]:
    result = await hall.api.execute(
        ROLL, variables, operation_name=name, token=await hall.as_token(who)
    )
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data


async def user_gid(hall: Hall, who: str | Newcomer) -> str:
    if isinstance(who, Newcomer):
        return to_global_id("User", who.user_id)
    return await hall.user_id(who)


async def authorize(
    hall: Hall, proposal_id: str, elector: str | Newcomer, proxy: str | Newcomer
) -> dict[str, Any]:
    values = {"proposalId": proposal_id, "proxyId": await user_gid(hall, proxy)}
    return await contract(hall, "AuthorizeProxy", values, elector)


async def proxy_vote(
    hall: Hall, proposal_id: str, proxy: str | Newcomer, elector: str | Newcomer, *labels: str
) -> dict[str, Any]:
    values = {
        "proposalId": proposal_id,
        "optionIds": hall.choice(proposal_id, *labels),
        "onBehalfOfId": await user_gid(hall, elector),
    }
    return await contract(hall, "CastProxyVote", values, proxy)


async def photo(hall: Hall, who: str) -> str:
    """A ballot's photo uploaded by `who` (through the attachments service)."""
    owner = object_id(await hall.user_id(who))
    upload = await attachments.upload(
        hall.deps, Actor(user_id=owner), filename="选票.jpg", data=jpeg()
    )
    return to_global_id("Attachment", upload.id)


async def paper(
    hall: Hall,
    proposal_id: str,
    staff: str,
    elector: str | Newcomer,
    *labels: str,
    photo_id: str | None = None,
) -> dict[str, Any]:
    values = {
        "proposalId": proposal_id,
        "electorId": await user_gid(hall, elector),
        "optionIds": hall.choice(proposal_id, *labels),
        "ballotPhotoId": photo_id or await photo(hall, staff),
    }
    return await contract(hall, "RecordPaperBallot", values, staff)


async def roll(hall: Hall, proposal_id: str, who: str | Newcomer) -> list[dict[str, Any]]:
    data = await custom(hall, "Roll", {"id": proposal_id}, who)
    return [e["node"] for e in data["proposal"]["voters"]["edges"]]


def codes(payload: dict[str, Any]) -> list[str]:
    return [e["code"] for e in payload["errors"]]


def oid(value: str) -> ObjectId:
    return object_id(value)
