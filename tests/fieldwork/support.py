"""Helpers of the field-work tests: the contract's documents (schema/operations/fieldwork.graphql
among them), run over real HTTP as a client sends them."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import OPERATIONS

# Documents of the tests' own, besides the contract's (a test adds the view it reads).
FIELDWORK: dict[str, str] = {}

# 金安社区's two grids (neighbor_api/fixtures/demo.json) meet along 24.5084° N west of
# 118.1858° E: the first grid lies north of it, the second south.
GRID_1_POINT = {"lat": 24.5095, "lng": 118.1870}
GRID_2_POINT = {"lat": 24.5068, "lng": 118.1861}
SHARED_EDGE = {"lat": 24.5084, "lng": 118.1840}
# 60 m north of 金安社区's northern edge: within the 200 m tolerance (the first grid's).
JUST_OUTSIDE = {"lat": 24.5111, "lng": 118.1845}
# The Bund, Shanghai.
SHANGHAI = {"lat": 31.2400, "lng": 121.4900}


async def run(
    http: httpx.AsyncClient, token: str, name: str, variables: dict[str, Any] | None = None,
    language: str = "zh-CN",
) -> dict[str, Any]:  # fmt: skip
    """One operation over HTTP (a test's own document, else schema/operations'); the body."""
    response = await http.post(
        "/graphql",
        json={
            "query": FIELDWORK.get(name) or OPERATIONS[name],
            "operationName": name,
            "variables": variables or {},
        },
        headers={"Authorization": f"Bearer {token}", "Accept-Language": language},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body
