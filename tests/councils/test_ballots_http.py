"""The votes contract's proxy, paper-ballot and suggestion documents over real HTTP, as a client
sends them (their round trips are budgeted in tests/graphql/test_budgets.py)."""

from __future__ import annotations

from typing import Any

import httpx

from neighbor_api.app import create_app
from neighbor_api.core.deps import Deps
from neighbor_api.settings import Settings
from tests.conftest import Api
from tests.councils.ballots_support import photo, user_gid
from tests.councils.support import (
    CHAIR,
    COUNCIL,
    HOUSEMATE,
    JINAN_WORKER,
    OWNERS_CHAIR,
    OWNERS_COMMITTEE,
    SECRETARY,
    Hall,
)
from tests.councils.votes_contract import VOTES
from tests.platform.conftest import serve


class Client:
    """Sends the contract's documents over HTTP."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def send(self, name: str, values: dict[str, Any], token: str) -> dict[str, Any]:
        response = await self.http.post(
            "/graphql",
            json={"query": VOTES[name], "operationName": name, "variables": {"input": values}},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body
        payload: dict[str, Any] = next(iter(body["data"].values()))
        assert payload["errors"] == [], payload
        return payload


async def proxy_and_paper(hall: Hall, client: Client) -> None:
    """Each document once, on a new secret owners' vote: 黄国栋 gives his vote to 张伟, who
    casts it; 林美华 enters 王丽娟's paper ballot."""
    proposal_id = await hall.voting(
        OWNERS_CHAIR, OWNERS_COMMITTEE, electorate="OWNERS", ballot="SECRET"
    )
    tokens = {p: await hall.token(p) for p in (CHAIR, HOUSEMATE, JINAN_WORKER, SECRETARY)}
    ids = {p: await user_gid(hall, p) for p in (CHAIR, HOUSEMATE, SECRETARY)}
    photo_id = await photo(hall, JINAN_WORKER)
    given = await client.send(
        "AuthorizeProxy", {"proposalId": proposal_id, "proxyId": ids[HOUSEMATE]}, tokens[CHAIR]
    )
    assert given["proxy"]["proxy"]["displayName"] == "张伟"
    assert given["proxy"]["elector"]["displayName"] == "黄国栋"
    cast = await client.send(
        "CastProxyVote",
        {
            "proposalId": proposal_id,
            "optionIds": hall.choice(proposal_id, "赞成"),
            "onBehalfOfId": ids[CHAIR],
        },
        tokens[HOUSEMATE],
    )
    assert cast["proposal"]["turnout"] == {"voted": 1, "eligible": 3}
    recorded = await client.send(
        "RecordPaperBallot",
        {
            "proposalId": proposal_id,
            "electorId": ids[SECRETARY],
            "optionIds": hall.choice(proposal_id, "反对"),
            "ballotPhotoId": photo_id,
        },
        tokens[JINAN_WORKER],
    )
    assert recorded["proposal"]["turnout"] == {"voted": 2, "eligible": 3}


async def suggestion(hall: Hall, client: Client) -> None:
    """张伟 suggests, 王丽娟 and 李秀英 co-sign, the chair accepts."""
    tokens = {p: await hall.token(p) for p in (CHAIR, HOUSEMATE, SECRETARY, OWNERS_CHAIR)}
    suggested = await client.send(
        "SuggestProposal",
        {
            "councilId": hall.councils[COUNCIL],
            "title": "金安里 3 栋屋顶防水维修",
            "body": "3 栋顶楼每逢台风季漏水，建议动用维修资金统一做屋顶防水。",
        },
        tokens[HOUSEMATE],
    )
    proposal = suggested["proposal"]
    assert (proposal["status"], proposal["coSignatureCount"]) == ("SUGGESTED", 1)
    for phone in (SECRETARY, OWNERS_CHAIR):
        signed = await client.send("CoSignProposal", {"proposalId": proposal["id"]}, tokens[phone])
        assert signed["proposal"]["viewerHasCoSigned"] is True
    assert signed["proposal"]["coSignatureCount"] == 3
    accepted = await client.send(
        "AcceptSuggestion", {"proposalId": proposal["id"], "accept": True}, tokens[CHAIR]
    )
    assert accepted["proposal"]["status"] == "DELIBERATION"


async def test_proxy_and_paper_documents_over_http(
    api: Api, deps: Deps, settings: Settings
) -> None:
    hall = await Hall.open(api, deps)
    async with (
        serve(create_app(settings, deps=deps)) as server,
        httpx.AsyncClient(base_url=server.url, timeout=30) as http,
    ):
        client = Client(http)
        await proxy_and_paper(hall, client)
        await suggestion(hall, client)
