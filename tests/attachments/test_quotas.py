"""Upload quotas per user per day (files and bytes), over real HTTP: counted atomically before
(files) and as soon as the size is known (bytes), so concurrent uploads cannot slip past."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from neighbor_api.app import create_app
from neighbor_api.core.clock import ManualClock, SystemClock
from neighbor_api.core.deps import Deps
from tests.attachments.support import file_counts, jpeg, upload_over_http
from tests.conftest import make_settings
from tests.places.support import Person
from tests.platform.conftest import serve


@pytest.fixture(autouse=True)
def clock_in_the_future(clock: ManualClock) -> None:
    """Keep the test's clock ahead of the database's TTL sweeper (it removes counters whose
    window ended by its own clock)."""
    clock.advance(SystemClock().now() - clock.now() + timedelta(days=1))


async def client(deps: Deps, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(**overrides)
    app_deps = dataclasses.replace(deps, settings=settings)
    async with (
        serve(create_app(settings, deps=app_deps)) as server,
        httpx.AsyncClient(base_url=server.url, timeout=60) as http,
    ):
        yield http


def errors(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["data"]["uploadAttachment"]["errors"]
    return found


class TestUploadQuotas:
    async def test_files_per_day(self, deps: Deps, owner: Person, stranger: Person) -> None:
        async for http in client(deps, uploads_per_day=2):
            first = [errors(await upload_over_http(http, jpeg(), token=owner.token))]
            first.append(errors(await upload_over_http(http, jpeg(), token=owner.token)))
            refused = await upload_over_http(http, jpeg(), token=owner.token, locale="en")
            others = errors(await upload_over_http(http, jpeg(), token=stranger.token))

        assert first == [[], []]
        (error,) = errors(refused)
        assert error["code"] == "RATE_LIMITED"
        assert error["field"] == ["file"]
        assert error["message"].startswith("You have uploaded 2 files today, the most allowed")
        assert others == []
        assert (await file_counts(deps))[0] == 3

    async def test_concurrent_uploads_store_at_most_the_quota(
        self, deps: Deps, owner: Person
    ) -> None:
        async for http in client(deps, uploads_per_day=3):
            responses = await asyncio.gather(
                *(upload_over_http(http, jpeg(), token=owner.token) for _ in range(10))
            )

        codes = [e["code"] for r in responses for e in errors(r)]
        assert codes == ["RATE_LIMITED"] * 7
        assert (await file_counts(deps))[0] == 3

    async def test_bytes_per_day(self, deps: Deps, owner: Person) -> None:
        async for http in client(deps, upload_bytes_per_day=5000):
            accepted = errors(await upload_over_http(http, jpeg(3000), token=owner.token))
            too_much = errors(await upload_over_http(http, jpeg(3000), token=owner.token))
            still_fits = errors(await upload_over_http(http, jpeg(1500), token=owner.token))

        assert accepted == []
        assert [e["code"] for e in too_much] == ["RATE_LIMITED"]
        assert "5000" not in too_much[0]["message"]  # said in MB
        assert still_fits == []  # the refused upload's bytes were not counted
        assert (await file_counts(deps))[0] == 2
