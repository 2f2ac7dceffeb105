"""The mobile mix: the contract's operations as the apps send them, each request rotating over
signed-in residents and staff of sample communities and over their objects."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.generate import PASSWORD
from bench.load import Case, Request
from bench.people import GRID_WORKERS, WORKER, Community
from neighbor_api.core.mongo import Database
from neighbor_api.graphql.relay import to_global_id

OPERATIONS = Path(__file__).resolve().parent.parent / "schema" / "operations"
# Each operation's share of the mix (per 100 requests), for the mix's average cost.
WEIGHTS = {
    "Viewer": 15,
    "Reports (resident)": 20,
    "Reports (staff)": 10,
    "ReportDetail": 20,
    "ReportsNearby": 10,
    "Board": 8,
    "ProposalDetail": 8,
    "CastVote": 4,
    "SubmitReport": 5,
}
VIEWER_ID = "{ viewer { id } }"
PEER_HELLO = "{ hello }"
PEER_LIST = "{ items(n: 20) { id title status votes createdAt } }"


def document(name: str) -> str:
    """The whole contract file that defines operation `name` (as clients send it)."""
    for path in sorted(OPERATIONS.glob("*.graphql")):
        text = path.read_text(encoding="utf-8")
        if re.search(rf"^(query|mutation)\s+{name}\b", text, re.MULTILINE):
            return text
    raise KeyError(name)


@dataclass
class Viewer:
    token: str
    community: Community
    place_id: str
    board_id: str = ""
    proposals: list[tuple[str, list[str]]] = field(default_factory=list)  # (id, option ids)
    reports: list[str] = field(default_factory=list)


async def sign_in(client: httpx.AsyncClient, url: str, phone: str) -> str:
    body = {"query": document("Login"), "operationName": "Login",
            "variables": {"input": {"phone": phone, "password": PASSWORD}}}  # fmt: skip
    payload = (await client.post(url, json=body)).json()
    token: str = payload["data"]["login"]["accessToken"]
    return token


async def viewers(
    url: str, db: Database, communities: list[Community], *, residents_each: int
) -> tuple[list[Viewer], list[Viewer]]:
    """Residents and the community worker of each sample community, signed in over HTTP,
    with their community's board, open proposals and reports."""
    gate = asyncio.Semaphore(4)  # argon2 is meant to be slow: a few sign-ins at a time

    async def one(client: httpx.AsyncClient, community: Community, position: int) -> Viewer:
        async with gate:
            token = await sign_in(client, url, community.phones[position])
        return Viewer(token, community, to_global_id("Place", community.id))

    first_resident = GRID_WORKERS[-1] + 1
    async with httpx.AsyncClient(timeout=120) as client:
        staff = await asyncio.gather(*(one(client, c, WORKER) for c in communities))
        residents = await asyncio.gather(*(
            one(client, c, first_resident + i) for c in communities for i in range(residents_each)
        ))  # fmt: skip
    for viewer in staff:
        await with_objects(db, viewer, resident=False)
    for viewer in residents:
        await with_objects(db, viewer, resident=True)
    return list(staff), list(residents)


async def with_objects(db: Database, viewer: Viewer, *, resident: bool) -> None:
    """Give a signed-in viewer their community's board, open proposals and reports (the
    reports a resident may see: the community's public ones)."""
    community_id = viewer.community.id
    board = await db["boards"].find_one({"community_id": community_id})
    viewer.board_id = to_global_id("Board", board["_id"]) if board else ""
    async for proposal in db["proposals"].find({"community_id": community_id,
                                                "status": "VOTING"}):  # fmt: skip
        options = [to_global_id("ProposalOption", o["id"]) for o in proposal["options"][:2]]
        viewer.proposals.append((to_global_id("Proposal", proposal["_id"]), options))
    visible: dict[str, Any] = {"community_id": community_id}
    if resident:
        visible["visibility"] = "COMMUNITY"
    cursor = db["reports"].find(visible, projection={"_id": 1}, limit=50)
    viewer.reports = [to_global_id("Report", r["_id"]) async for r in cursor]


def _query(text: str, name: str | None, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"query": text, "variables": variables or {}}
    if name:
        body["operationName"] = name
    return body


def api_cases(url: str, staff: list[Viewer], residents: list[Viewer]) -> list[Case]:
    def rotate(viewers: list[Viewer], i: int) -> Viewer:
        return viewers[i % len(viewers)]

    def op(name: str, viewer: Viewer, variables: dict[str, Any] | None = None) -> Request:
        return Request(_query(document(name), name, variables), viewer.token)

    def detail(i: int) -> Request:
        viewer = rotate(residents, i)
        report = viewer.reports[i // len(residents) % len(viewer.reports)]
        return op("ReportDetail", viewer, {"id": report, "commentsFirst": 20})

    def nearby(i: int) -> Request:
        viewer = rotate(residents, i)
        near = {"lat": viewer.community.lat, "lng": viewer.community.lng}
        return op("ReportsNearby", viewer, {"near": near, "radiusMeters": 500, "first": 20})

    # Every (voter, open proposal) pair once (the run stops when they are used up).
    ballots = [(v, p, options) for v in residents for p, options in v.proposals]

    def vote(i: int) -> Request:
        viewer, proposal, options = ballots[i % len(ballots)]
        choice = options[i % len(options)]
        return op("CastVote", viewer, {"input": {"proposalId": proposal, "optionIds": [choice]}})

    def submit(i: int) -> Request:
        viewer = rotate(residents, i)
        location = {"lat": viewer.community.lat + 0.001, "lng": viewer.community.lng}
        return op("SubmitReport", viewer, {"input": {
            "communityId": viewer.place_id, "category": "ENVIRONMENT",
            "title": "楼下垃圾桶满溢", "description": "垃圾桶已经满了两天，气味很大。",
            "location": location, "address": f"{viewer.community.name} 3 号楼",
        }})  # fmt: skip

    def reports_of(viewers: list[Viewer]) -> Any:
        return lambda i: op("Reports", v := rotate(viewers, i), {"communityId": v.place_id,
                                                                "first": 20})  # fmt: skip

    return [
        Case("{ viewer { id } }", url,
             lambda i: Request(_query(VIEWER_ID, None), rotate(residents, i).token)),
        Case("Viewer", url, lambda i: op("Viewer", rotate(residents, i))),
        Case("Reports (resident)", url, reports_of(residents)),
        Case("Reports (staff)", url, reports_of(staff)),
        Case("ReportDetail", url, detail),
        Case("ReportsNearby", url, nearby),
        Case("Board", url, lambda i: op("Board", v := rotate(residents, i),
                                        {"id": v.board_id, "tasksFirst": 20})),
        Case("ProposalDetail", url, lambda i: op("ProposalDetail", v := rotate(residents, i),
                                                 {"id": v.proposals[i % len(v.proposals)][0]})),
        Case("CastVote", url, vote, limit=len(ballots)),
        Case("SubmitReport", url, submit),
    ]  # fmt: skip


def peer_cases(url: str) -> list[Case]:
    endpoint = f"{url}/graphql/"
    return [
        Case("peer { hello }", endpoint, lambda i: Request(_query(PEER_HELLO, None))),
        Case("peer 20 objects × 5 fields", endpoint, lambda i: Request(_query(PEER_LIST, None))),
    ]


def fresh_ballots(residents: list[Viewer]) -> int:
    return sum(len(v.proposals) for v in residents)
