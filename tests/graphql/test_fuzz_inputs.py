"""Bad cursors, ids and numbers are the client's mistake: over real HTTP, every list query of
the contract answered with forged `after` cursors, out-of-range `first` and malformed ids gives
errors with a code (INVALID_INPUT, BAD_USER_INPUT, ...) or null, never INTERNAL_SERVER_ERROR,
and logs no traceback."""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from neighbor_api.app import create_app
from neighbor_api.core.deps import Deps
from neighbor_api.graphql.relay import to_global_id
from neighbor_api.places.models import PlaceLevel
from neighbor_api.settings import Settings
from tests.conftest import DEMO_PASSWORD, OPERATIONS
from tests.graphql.conftest import cursor_of, place_named
from tests.platform.conftest import serve

WORKER = "13800000001"  # 林美华, community worker of 金安社区: sees every list there
NEAR = {"lat": 24.5029, "lng": 118.1771}
OID = {"$oid": "0123456789abcdef01234567"}


def raw(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


CURSORS = {
    "huge integer": cursor_of([10**30, OID]),
    "huge integer alone": cursor_of([10**30]),
    "just past 64 bits": cursor_of([2**63, OID]),
    "huge negative": cursor_of([-(10**40)]),
    "huge float": cursor_of([1e308, OID]),
    "long of 30 digits": cursor_of([{"$numberLong": "9" * 30}, OID]),
    "date past 9999": cursor_of([{"$date": {"$numberLong": str(2**62)}}, OID]),
    "date text": cursor_of([{"$date": "99999-01-01T00:00:00Z"}, OID]),
    "bad oid": cursor_of(["x", {"$oid": "zz"}]),
    "decimal": cursor_of([{"$numberDecimal": "1e6000"}, OID]),
    "deeply nested": raw(b"[" * 5000 + b"]" * 5000),
    "not utf-8": raw(b"\xff\xfe\xfa[1]"),
    "not base64": "!!游标!!",
    "empty": "",
    "padding only": "====",
    "null": cursor_of(None),
    "huge position": cursor_of([2**63]),
}
FIRSTS: dict[str, Any] = {
    "largest Int": 2**31 - 1,
    "past Int": 2**31,
    "huge": 10**30,
    "negative": -1,
    "smallest Int": -(2**31),
    "fraction": 1.5,
    "text": "10",
}
RADII: dict[str, Any] = {"zero": 0, "negative": -1, "largest Int": 2**31 - 1, "past Int": 2**31}
POINTS: dict[str, Any] = {
    "latitude past 90": {"lat": 1000, "lng": 118.1},
    "longitude past 180": {"lat": 24.5, "lng": -720},
    "huge": {"lat": 1e308, "lng": 1e308},
    "text": {"lat": "north", "lng": 118.1},
    "missing": {"lat": 24.5},
}
IDS: dict[str, Any] = {
    "not an id": "not-an-id",
    "empty": "",
    "huge number": 10**30,
    "type only": raw(b"Report:"),
    "long node id": raw(b"Place:" + b"9" * 500),
    "not utf-8": raw(b"\xff\xfe:\xfa"),
    "unknown type": raw(b"Nope:0123456789abcdef01234567"),
    "operator": raw(b'Place:{"$ne": null}'),
}


@pytest.fixture
async def http(settings: Settings, demo: Deps) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        serve(create_app(settings, deps=demo)) as server,
        httpx.AsyncClient(base_url=server.url, timeout=30) as client,
    ):
        yield client


async def post(
    http: httpx.AsyncClient, query: str, variables: dict[str, Any], token: str | None = None
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await http.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def contract(
    http: httpx.AsyncClient, name: str, variables: dict[str, Any], token: str | None = None
) -> dict[str, Any]:
    response = await http.post(
        "/graphql",
        json={"query": OPERATIONS[name], "operationName": name, "variables": variables},
        headers={"Authorization": f"Bearer {token}"} if token else {},
    )
    body = response.json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


class Street:
    """The demo street's ids, and the list queries of the contract over them."""

    def __init__(self, ids: dict[str, str]) -> None:
        self.ids = ids

    @classmethod
    async def open(cls, http: httpx.AsyncClient, demo: Deps, token: str) -> Street:
        community = to_global_id(
            "Place", (await place_named(demo, PlaceLevel.COMMUNITY, "金安社区")).id
        )
        councils = await contract(http, "Councils", {"communityId": community}, token)
        boards = await contract(http, "CommunityBoards", {"communityId": community}, token)
        reports = await contract(http, "Reports", {"communityId": community, "first": 1}, token)
        return cls(
            {
                "community": community,
                "council": councils["community"]["councils"][0]["id"],
                "board": boards["community"]["boards"][0]["id"],
                "report": reports["reports"]["edges"][0]["node"]["id"],
            }
        )

    def lists(self) -> dict[str, tuple[str, dict[str, Any]]]:
        """Each list query (its document taking `$first` and `$after`) with its variables."""
        page = "first: $first, after: $after"
        found: dict[str, tuple[str, dict[str, Any]]] = {
            "communities": (f"communities({page}) {{ totalCount edges {{ cursor }} }}", {}),
            "communities near": (
                f"communities(near: $near, {page}) {{ edges {{ cursor }} }}",
                {"near": ("GeoPointInput", NEAR)},
            ),
            "memberships": (
                f"memberships(communityId: $id, {page}) {{ totalCount edges {{ cursor }} }}",
                {"id": ("ID!", self.ids["community"])},
            ),
            "reports nearby": (
                f"reportsNearby(near: $near, radiusMeters: 500, {page}) {{ edges {{ cursor }} }}",
                {"near": ("GeoPointInput!", NEAR)},
            ),
            "escalated reports": (
                f"escalatedReports(placeId: $id, {page}) {{ edges {{ cursor }} }}",
                {"id": ("ID!", self.ids["community"])},
            ),
            "proposals": (
                f"proposals(councilId: $id, {page}) {{ totalCount edges {{ cursor }} }}",
                {"id": ("ID!", self.ids["council"])},
            ),
            "notifications": (f"notifications({page}) {{ edges {{ cursor }} }}", {}),
            "report comments": (
                f"report(id: $id) {{ comments({page}) {{ edges {{ cursor }} }} }}",
                {"id": ("ID!", self.ids["report"])},
            ),
            "board tasks": (
                f"board(id: $id) {{ columns {{ tasks({page}) {{ edges {{ cursor }} }} }} }}",
                {"id": ("ID!", self.ids["board"])},
            ),
        }
        for order in ("NEWEST", "OLDEST", "MOST_ENDORSED", "DUE_SOONEST"):
            found[f"reports by {order}"] = (
                f"reports(communityId: $id, orderBy: {order}, {page}) {{ edges {{ cursor }} }}",
                {"id": ("ID!", self.ids["community"])},
            )
        return found


def document(selection: str, extra: dict[str, tuple[str, Any]]) -> str:
    declared = "".join(f", ${name}: {kind}" for name, (kind, _) in extra.items())
    return f"query($first: Int, $after: String{declared}) {{ {selection} }}"


def problems(body: dict[str, Any]) -> list[str]:
    """What is wrong with an answer to a client's mistake: an internal error, an error with
    no code."""
    found = []
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        if code is None or code == "INTERNAL_SERVER_ERROR":
            found.append(f"{code}: {error.get('message')}")
    return found


async def gather_in_batches(calls: list[Any], size: int = 8) -> list[Any]:
    results = []
    for start in range(0, len(calls), size):
        results += await asyncio.gather(*calls[start : start + size])
    return results


async def test_bad_cursors_numbers_and_ids_are_client_errors(
    http: httpx.AsyncClient, demo: Deps, caplog: pytest.LogCaptureFixture
) -> None:
    login = await contract(http, "Login", {"input": {"phone": WORKER, "password": DEMO_PASSWORD}})
    token = login["login"]["accessToken"]
    street = await Street.open(http, demo, token)
    cases: list[tuple[str, str, dict[str, Any]]] = []
    for name, (selection, extra) in street.lists().items():
        query = document(selection, extra)
        base = {key: value for key, (_, value) in extra.items()}
        cases += [(f"{name}, after {c}", query, {**base, "after": v}) for c, v in CURSORS.items()]
        cases += [(f"{name}, first {f}", query, {**base, "first": v}) for f, v in FIRSTS.items()]
        if "id" in extra:
            cases += [(f"{name}, id {i}", query, {**base, "id": v}) for i, v in IDS.items()]
    nearby = (
        "query($near: GeoPointInput!, $radius: Int!) "
        "{ reportsNearby(near: $near, radiusMeters: $radius) { totalCount edges { cursor } } "
        "communities(near: $near, first: 1) { edges { cursor } } }"
    )
    cases += [
        (f"nearby, radius {r}", nearby, {"near": NEAR, "radius": v}) for r, v in RADII.items()
    ]
    cases += [(f"nearby, at {p}", nearby, {"near": v, "radius": 500}) for p, v in POINTS.items()]
    by_id = "query($id: ID!) { node(id: $id) { id } report(id: $id) { id } board(id: $id) { id } }"
    cases += [(f"node, id {i}", by_id, {"id": v}) for i, v in IDS.items()]
    caplog.clear()

    with caplog.at_level(logging.WARNING):
        bodies = await gather_in_batches(
            [post(http, query, variables, token) for _, query, variables in cases]
        )

    found = {name: problems(body) for (name, _, _), body in zip(cases, bodies, strict=True)}
    assert {name: p for name, p in found.items() if p} == {}
    refused = [b for b in bodies if b.get("errors")]
    assert len(refused) > len(cases) // 2  # most were refused, each with its code
    logged = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert logged == [], [r.getMessage() for r in logged]


async def test_a_huge_integer_cursor_names_the_argument(
    http: httpx.AsyncClient, demo: Deps
) -> None:
    body = await post(
        http,
        "query($after: String) { communities(after: $after) { totalCount } }",
        {"after": CURSORS["huge integer"]},
    )

    (error,) = body["errors"]
    assert error["extensions"]["code"] == "INVALID_INPUT"
