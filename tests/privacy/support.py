"""Helpers of the personal-data tests: a resident with a footprint everywhere (membership,
report, comment, vote), contract operations over HTTP, and a scan of the raw storage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import bson
import httpx

from neighbor_api.core.deps import Deps
from tests.conftest import OPERATIONS, request_code
from tests.councils.support import Hall, Newcomer, object_id

PHONE = "13959208001"
NAME = "欧阳明月"
HOME = "金湖路金安里 9 栋 902 室"
HOUSEHOLD = "JA-9-902"
PASSWORD = "ouyang-mingyue-2026"


async def call(
    http: httpx.AsyncClient,
    name: str,
    variables: dict[str, Any] | None = None,
    *,
    token: str | None = None,
    locale: str | None = None,
) -> dict[str, Any]:
    """A contract operation over HTTP: the whole response body."""
    headers = {}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if locale is not None:
        headers["Accept-Language"] = locale
    response = await http.post(
        "/graphql",
        json={"query": OPERATIONS[name], "operationName": name, "variables": variables or {}},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def sender(http: httpx.AsyncClient, token: str | None = None) -> Any:
    async def send(name: str, variables: dict[str, Any]) -> Any:
        body = await call(http, name, variables, token=token)
        assert "errors" not in body, body
        return body["data"]

    return send


@dataclass
class Resident:
    token: str
    user_id: str
    membership_id: str
    report_id: str
    proposal_id: str


async def resident_with_a_footprint(hall: Hall, http: httpx.AsyncClient) -> Resident:
    """欧阳明月: registered with a code, member of 金安社区 (home, household, 80 m²), the
    reporter of a report she commented on, and a voter in a secret ballot."""
    api = hall.api
    registered = await api.register(PHONE, PASSWORD, NAME)
    assert registered["errors"] == [], registered
    token = registered["accessToken"]
    user_id = registered["viewer"]["id"]
    joined = await api.data(
        "JoinCommunity",
        {"input": {"communityId": hall.jinan, "address": HOME, "householdCode": HOUSEHOLD}},
        token=token,
    )
    membership_id = joined["joinCommunity"]["membership"]["id"]
    decided = await api.data(
        "DecideMembership",
        {"input": {"membershipId": membership_id, "approve": True, "ownedFloorArea": 80.0}},
        token=await hall.token("13800000001"),
    )
    assert decided["decideMembership"]["errors"] == [], decided
    submitted = await api.data(
        "SubmitReport",
        {
            "input": {
                "communityId": hall.jinan,
                "category": "REPAIR",
                "title": "金湖路路灯不亮",
                "description": "金湖路 3 号路灯已经三个晚上不亮了。",
                "location": {"lat": 24.5060, "lng": 118.1890},
                "address": "金湖路 3 号",
            }
        },
        token=token,
    )
    assert submitted["submitReport"]["errors"] == [], submitted
    report_id = submitted["submitReport"]["report"]["id"]
    commented = await api.data(
        "CommentOnReport",
        {"input": {"reportId": report_id, "body": "晚上路过要小心。"}},
        token=token,
    )
    assert commented["commentOnReport"]["errors"] == [], commented
    proposal_id = await hall.voting(electorate="RESIDENTS", ballot="SECRET")
    await hall.vote(Newcomer(token, object_id(user_id)), proposal_id, "赞成")
    return Resident(token, user_id, membership_id, report_id, proposal_id)


async def delete_code(http: httpx.AsyncClient, token: str, deps: Deps) -> str:
    """A DELETE_ACCOUNT code sent to the resident's phone (waiting out the resend interval on
    the test's clock)."""
    return await request_code(sender(http, token), PHONE, "DELETE_ACCOUNT", clock=deps.clock)


TRACES = {
    "name": NAME,
    "phone": PHONE,
    "home": HOME,
    "household": HOUSEHOLD,
}


async def traces(deps: Deps) -> dict[str, list[str]]:
    """Where each of the person's name, phone, address and household code is still stored:
    every document of every collection, as raw BSON bytes."""
    found: dict[str, list[str]] = {what: [] for what in TRACES}
    for collection in await deps.db.list_collection_names():
        async for document in deps.db[collection].find({}):
            raw = bson.encode(document)
            for what, text in TRACES.items():
                if text.encode() in raw:
                    found[what].append(f"{collection}:{document['_id']}")
    return found
