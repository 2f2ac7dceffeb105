"""Helpers of the patrol tests: the contract's documents sent over HTTP as the apps send them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from neighbor_api.core.deps import Deps
from neighbor_api.graphql.relay import to_global_id
from neighbor_api.places import repository as places_repository
from neighbor_api.places.models import PlaceLevel
from tests.conftest import DEMO_PASSWORD, OPERATIONS

# The contract's operations (schema/operations/fieldwork.graphql), by name: `Client.run` and
# `Client.post` send a name's document with its operationName.
LOG_PATROL = "LogPatrol"
PATROLS = "Patrols"
DISTRICT_DASHBOARD = "DistrictDashboard"

# The demo's people (neighbor_api/fixtures/demo.json).
JINAN_WORKER = "13800000001"  # 林美华, community worker of 金安社区
GRID_WORKER = "13800000002"  # 陈志强, grid worker of 金安社区第一网格
RESIDENT = "13800000004"  # 王丽娟, resident of 金安社区
JINSHAN_WORKER = "13800000010"  # 郑晓燕, community worker of 金山社区
HULI_ADMIN = "13800000099"  # 蔡文彬, admin of 湖里区

# Around 金安社区 (24.5083, 118.1846): a walk through its lanes.
JINAN = (24.5083, 118.1846)
SHANGHAI = (31.2304, 121.4737)


def walk(count: int, start: tuple[float, float] = JINAN) -> list[dict[str, float]]:
    """`count` points a few metres apart, heading north-east."""
    lat, lng = start
    return [{"lat": lat + i * 0.00003, "lng": lng + i * 0.00002} for i in range(count)]


def iso(at: datetime) -> str:
    return at.isoformat()


async def place_id(deps: Deps, level: PlaceLevel, name: str) -> str:
    place = await places_repository.by_level_and_name(deps.db, level, name)
    assert place is not None
    return to_global_id("Place", place.id)


class Client:
    """GraphQL over HTTP, with a token per person (signed in through the contract's Login)."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.tokens: dict[str, str] = {}

    async def post(
        self, query: str, variables: dict[str, Any], *, phone: str | None = None, **headers: str
    ) -> httpx.Response:
        if phone is not None:
            headers["Authorization"] = f"Bearer {await self.token(phone)}"
        body: dict[str, Any] = {"query": query, "variables": variables}
        if query in OPERATIONS:  # a contract operation's name
            body = {"query": OPERATIONS[query], "operationName": query, "variables": variables}
        return await self.http.post("/graphql", json=body, headers=headers)

    async def op(self, name: str, variables: dict[str, Any], *, phone: str) -> Any:
        """A document of schema/operations/ (a file of several operations) by name."""
        response = await self.http.post(
            "/graphql",
            json={"query": OPERATIONS[name], "operationName": name, "variables": variables},
            headers={"Authorization": f"Bearer {await self.token(phone)}"},
        )
        body = response.json()
        assert "errors" not in body, body
        return body["data"]

    async def run(
        self, query: str, variables: dict[str, Any], *, phone: str, **headers: str
    ) -> Any:
        response = await self.post(query, variables, phone=phone, **headers)
        body = response.json()
        assert "errors" not in body, body
        return body["data"]

    async def token(self, phone: str) -> str:
        if phone not in self.tokens:
            response = await self.http.post(
                "/graphql",
                json={
                    "query": OPERATIONS["Login"],
                    "operationName": "Login",
                    "variables": {"input": {"phone": phone, "password": DEMO_PASSWORD}},
                },
            )
            body = response.json()
            assert body.get("data"), body
            login = body["data"]["login"]
            assert login["errors"] == [], login
            self.tokens[phone] = login["accessToken"]
        return self.tokens[phone]
