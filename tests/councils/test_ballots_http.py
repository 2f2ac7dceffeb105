"""The votes contract's proxy, paper-ballot and suggestion documents over real HTTP, as a client
sends them, with the database commands each request sends (authentication included).

votes.graphql is not in schema/operations/ yet (the lead copies it once every part has
landed), so tests/graphql/test_budgets.py cannot hold these budgets yet: they are here, to move
there then."""

from __future__ import annotations

from typing import Any

import httpx

from neighbor_api.app import create_app
from neighbor_api.core.deps import Deps
from neighbor_api.settings import Settings
from tests.conftest import Api, CommandCounter
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

# Operation -> the most database commands one request may send (to move to test_budgets.py).
BUDGETS: dict[str, int] = {
    # The checks (proposal, council, elector, the proxy's membership, the roll, the proxies
    # given and held), the insert and its event, the payload's users.
    "AuthorizeProxy": 10,
    # the proposal, its council, the elector, the authorisation; the transaction (roll entry,
    # tally, event, the authorisation used, commit).
    "CastProxyVote": 9,
    # the proposal, its council, the elector; the transaction (roll entry, tally, event, the
    # photo read and attached, commit).
    "RecordPaperBallot": 9,
    # the council, the residents (for the threshold); the transaction (proposal, the author's
    # signature and the count, event, commit).
    "SuggestProposal": 6,
    # the proposal, its council; the transaction (signature, count, event, commit).
    "CoSignProposal": 5,
    # the proposal, its council; the transaction (status, event, commit).
    "AcceptSuggestion": 4,
}


class Client:
    """Sends the contract's documents over HTTP, or (`http` None) in-process, counting the
    database commands of each request. Over HTTP the running app's own background work (the
    live hub, the jobs) sends commands too, so budgets are measured in-process, as
    tests/graphql/test_budgets.py measures them."""

    def __init__(
        self, api: Api, http: httpx.AsyncClient | None, deps: Deps, counter: CommandCounter
    ) -> None:
        self.api = api
        self.http = http
        self.deps = deps
        self.counter = counter
        self.sent: dict[str, int] = {}

    async def _data(self, name: str, variables: dict[str, Any], token: str) -> Any:
        if self.http is None:
            result = await self.api.execute(
                VOTES[name], variables, operation_name=name, token=token
            )
            assert result.errors is None, result.errors
            return result.data
        response = await self.http.post(
            "/graphql",
            json={"query": VOTES[name], "operationName": name, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body
        return body["data"]

    async def send(self, name: str, values: dict[str, Any], token: str) -> dict[str, Any]:
        before = self.counter.counts.get(self.deps.db.name, 0)
        data = await self._data(name, {"input": values}, token)
        self.sent[name] = self.counter.counts.get(self.deps.db.name, 0) - before
        payload: dict[str, Any] = next(iter(data.values()))
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
    api: Api, deps: Deps, settings: Settings, command_counter: CommandCounter
) -> None:
    hall = await Hall.open(api, deps)
    async with (
        serve(create_app(settings, deps=deps)) as server,
        httpx.AsyncClient(base_url=server.url, timeout=30) as http,
    ):
        client = Client(api, http, deps, command_counter)
        await proxy_and_paper(hall, client)
        await suggestion(hall, client)


async def test_proxy_and_paper_round_trips(
    api: Api, deps: Deps, command_counter: CommandCounter
) -> None:
    hall = await Hall.open(api, deps)
    client = Client(api, None, deps, command_counter)
    await proxy_and_paper(hall, client)
    await suggestion(hall, client)
    for name, budget in BUDGETS.items():
        assert client.sent[name] <= budget, client.sent
