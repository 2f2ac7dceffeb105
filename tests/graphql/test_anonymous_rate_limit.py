"""Anonymous GraphQL requests over HTTP are limited per client address (core/throttle.py):
counted atomically in the database, so of many at once exactly the limit run; past it RATE_LIMITED
(429, Retry-After) before anything runs; signed-in requests are not counted."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import httpx
import pytest

from neighbor_api.app import create_app
from neighbor_api.core.clock import ManualClock
from neighbor_api.core.deps import Deps
from tests.conftest import Api, make_settings
from tests.platform.conftest import serve

LIMIT = 3
QUERY = {"query": "{ communities { totalCount } }"}


@pytest.fixture
async def http(demo: Deps) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(anonymous_requests_per_minute=LIMIT)
    async with (
        serve(create_app(settings, deps=replace(demo, settings=settings))) as server,
        httpx.AsyncClient(base_url=server.url, timeout=10) as client,
    ):
        yield client


async def test_exactly_the_limit_of_concurrent_anonymous_requests_run(
    http: httpx.AsyncClient, api: Api, clock: ManualClock
) -> None:
    token = await api.login("13800000004")  # in-process: not counted

    responses = await asyncio.gather(*(http.post("/graphql", json=QUERY) for _ in range(10)))

    ran = [r for r in responses if r.status_code == 200]
    refused = [r for r in responses if r.status_code == 429]
    assert len(ran) == LIMIT
    assert all(r.json() == {"data": {"communities": {"totalCount": 2}}} for r in ran)
    assert len(refused) == 10 - LIMIT
    for response in refused:
        (error,) = response.json()["errors"]
        assert error["extensions"] == {"code": "RATE_LIMITED"}
        assert "未登录的请求过于频繁" in error["message"]
        assert 1 <= int(response.headers["retry-after"]) <= 60

    english = await http.post("/graphql", json=QUERY, headers={"Accept-Language": "en"})
    assert english.status_code == 429
    assert "Too many requests without signing in" in english.json()["errors"][0]["message"]

    # A signed-in request is not counted against the address.
    signed_in = await http.post(
        "/graphql",
        json={"query": "{ viewer { displayName } }"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert signed_in.status_code == 200
    assert signed_in.json()["data"]["viewer"]["displayName"]

    # The next window starts afresh.
    clock.advance(timedelta(minutes=1))
    assert (await http.post("/graphql", json=QUERY)).status_code == 200


async def test_no_limit_when_turned_off(demo: Deps) -> None:
    settings = make_settings(anonymous_requests_per_minute=0)
    async with (
        serve(create_app(settings, deps=replace(demo, settings=settings))) as server,
        httpx.AsyncClient(base_url=server.url, timeout=10) as http,
    ):
        responses = [await http.post("/graphql", json=QUERY) for _ in range(5)]

    assert [r.status_code for r in responses] == [200] * 5
