"""Rate limits that hold (core/rate_limit.py), over real HTTP against a real uvicorn server:
counted before the check, so concurrent attempts cannot race past them; keyed on the real
client address (X-Forwarded-For believed only from trusted proxies); progressive delays on a
phone's failed logins instead of a lockout."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest

from neighbor_api.accounts import security
from neighbor_api.app import create_app
from neighbor_api.core.clock import ManualClock, SystemClock
from neighbor_api.core.deps import Deps
from neighbor_api.core.rate_limit import Limiter
from neighbor_api.settings import Settings
from tests.conftest import DEMO_PASSWORD, OPERATIONS, make_settings
from tests.platform.conftest import serve

RESIDENT = "13800000004"  # 王丽娟, 金安社区
# The contract's Login, plus the wait a RATE_LIMITED error carries.
LOGIN = """
mutation Login($input: LoginInput!) {
  login(input: $input) {
    accessToken
    errors { code message field retryAfter }
  }
}
"""


@dataclasses.dataclass
class Client:
    http: httpx.AsyncClient

    async def login(
        self,
        phone: str,
        password: str,
        *,
        forwarded_for: str | None = None,
        language: str | None = None,
    ) -> dict[str, Any]:
        headers = {}
        if forwarded_for is not None:
            headers["X-Forwarded-For"] = forwarded_for
        if language is not None:
            headers["Accept-Language"] = language
        response = await self.http.post(
            "/graphql",
            json={"query": LOGIN, "variables": {"input": {"phone": phone, "password": password}}},
            headers=headers,
        )
        assert response.status_code == 200, response.text
        payload: dict[str, Any] = response.json()["data"]["login"]
        return payload


def code(payload: dict[str, Any]) -> str | None:
    return payload["errors"][0]["code"] if payload["errors"] else None


@pytest.fixture
def client_for(deps: Deps) -> Callable[..., Any]:
    """A client of the real app under uvicorn, with these settings on this test's database."""

    def make(**overrides: Any) -> Any:
        settings = make_settings(**overrides)

        async def run() -> AsyncIterator[Client]:
            app_deps = dataclasses.replace(deps, settings=settings)
            async with (
                serve(create_app(settings, deps=app_deps)) as server,
                httpx.AsyncClient(base_url=server.url, timeout=30) as http,
            ):
                yield Client(http)

        return run()

    return make


@pytest.fixture(autouse=True)
def clock_in_the_future(clock: ManualClock) -> None:
    """The counters expire by the database's TTL sweeper on its own (real) clock: keep the
    test's clock ahead of it, so no sweep removes one during a test."""
    clock.advance(SystemClock().now() - clock.now() + timedelta(days=1))


@pytest.fixture
def verifications(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every password verification (argon2) the server runs."""
    seen: list[str] = []
    verify = security.verify_password

    def counting(settings: Settings, password_hash: str, password: str) -> bool:
        seen.append(password)
        return verify(settings, password_hash, password)

    monkeypatch.setattr(security, "verify_password", counting)
    return seen


class TestCountedBeforeTheCheck:
    async def test_concurrent_hits_on_a_new_window_allow_exactly_the_limit(
        self, deps: Deps
    ) -> None:
        limiter = Limiter(deps.db, deps.clock)

        decisions = await asyncio.gather(
            *(limiter.hit("test:burst", 5, timedelta(minutes=1)) for _ in range(20))
        )

        assert sum(d.allowed for d in decisions) == 5
        assert all(d.retry_after_seconds > 0 for d in decisions if not d.allowed)

    async def test_the_next_window_counts_from_zero(self, deps: Deps, clock: ManualClock) -> None:
        limiter = Limiter(deps.db, clock)
        for _ in range(3):
            await limiter.hit("test:window", 2, timedelta(minutes=1))
        refused = await limiter.hit("test:window", 2, timedelta(minutes=1))
        assert not refused.allowed

        clock.advance(refused.retry_after)

        assert (await limiter.hit("test:window", 2, timedelta(minutes=1))).allowed

    async def test_twenty_concurrent_wrong_passwords_from_one_address_evaluate_the_limit(
        self, client_for: Callable[..., Any], demo: Deps, verifications: list[str]
    ) -> None:
        # Twenty phones, so that only the address limit applies.
        phones = [f"139000001{n:02d}" for n in range(20)]
        async for client in client_for(login_attempts_per_address=5):
            payloads = await asyncio.gather(*(client.login(p, "wrong-password") for p in phones))

        codes = [code(p) for p in payloads]
        assert codes.count("INVALID_CREDENTIALS") == 5
        assert codes.count("RATE_LIMITED") == 15
        assert len(verifications) == 5

    async def test_twenty_concurrent_wrong_passwords_on_one_phone_evaluate_few(
        self, client_for: Callable[..., Any], demo: Deps, verifications: list[str]
    ) -> None:
        # The test's clock stands still, so no wait earned by a failure ever ends.
        async for client in client_for(login_free_failures=3):
            payloads = await asyncio.gather(
                *(client.login(RESIDENT, f"wrong-password-{n}") for n in range(20))
            )
            assert code(await client.login(RESIDENT, DEMO_PASSWORD)) == "RATE_LIMITED"

        codes = [code(p) for p in payloads]
        assert 1 <= codes.count("INVALID_CREDENTIALS") <= 3
        assert codes.count("RATE_LIMITED") == 20 - codes.count("INVALID_CREDENTIALS")
        assert len(verifications) == codes.count("INVALID_CREDENTIALS")
        assert all(p["accessToken"] is None for p in payloads)


class TestClientAddress:
    async def test_forwarded_for_from_an_untrusted_peer_is_ignored(
        self, client_for: Callable[..., Any], demo: Deps
    ) -> None:
        async for client in client_for(login_attempts_per_address=3):
            for n in range(3):  # a different spoofed address each time
                payload = await client.login(
                    f"139000002{n:02d}", "wrong-password", forwarded_for=f"203.0.113.{n}"
                )
                assert code(payload) == "INVALID_CREDENTIALS"

            spoofed = await client.login(RESIDENT, DEMO_PASSWORD, forwarded_for="198.51.100.99")

        # All counted against the real peer, 127.0.0.1.
        assert code(spoofed) == "RATE_LIMITED"

    async def test_forwarded_for_from_a_trusted_proxy_is_honoured(
        self, client_for: Callable[..., Any], demo: Deps
    ) -> None:
        async for client in client_for(
            login_attempts_per_address=3, trusted_proxies="10.0.0.0/8, 127.0.0.1"
        ):
            for n in range(3):
                # What the client wrote itself (left) is not believed; the rightmost hop that
                # is not a trusted proxy is the client.
                payload = await client.login(
                    f"139000003{n:02d}",
                    "wrong-password",
                    forwarded_for=f"198.51.100.{n}, 203.0.113.7, 10.1.2.3",
                )
                assert code(payload) == "INVALID_CREDENTIALS"

            same_client = await client.login(RESIDENT, DEMO_PASSWORD, forwarded_for="203.0.113.7")
            another_client = await client.login(
                RESIDENT, DEMO_PASSWORD, forwarded_for="203.0.113.8"
            )

        assert code(same_client) == "RATE_LIMITED"
        assert another_client["errors"] == []
        assert another_client["accessToken"]


class TestProgressiveDelays:
    async def test_the_wait_doubles_and_the_right_password_works_after_it(
        self, client_for: Callable[..., Any], demo: Deps, clock: ManualClock
    ) -> None:
        async for client in client_for(
            login_free_failures=2, login_delay_base=timedelta(seconds=1)
        ):
            for _ in range(2):  # free failures: no wait
                assert code(await client.login(RESIDENT, "wrong")) == "INVALID_CREDENTIALS"
            # The third failure earns a wait of 1 s; it is answered as such.
            assert code(await client.login(RESIDENT, "wrong")) == "INVALID_CREDENTIALS"
            waiting = await client.login(RESIDENT, DEMO_PASSWORD)
            assert waiting["errors"] == [
                {
                    "code": "RATE_LIMITED",
                    "message": "尝试过于频繁，请 1 秒后再试",
                    "field": None,
                    "retryAfter": 1,
                }
            ]

            clock.advance(timedelta(seconds=1))
            assert code(await client.login(RESIDENT, "wrong")) == "INVALID_CREDENTIALS"
            doubled = await client.login(RESIDENT, DEMO_PASSWORD, language="en")
            assert doubled["errors"][0]["retryAfter"] == 2
            assert doubled["errors"][0]["message"] == "Too many attempts; try again in 2 seconds"

            clock.advance(timedelta(seconds=2))
            signed_in = await client.login(RESIDENT, DEMO_PASSWORD)
            assert signed_in["errors"] == []
            assert signed_in["accessToken"]

            # Success clears the failures: a typo now costs no wait.
            assert code(await client.login(RESIDENT, "wrong")) == "INVALID_CREDENTIALS"
            assert (await client.login(RESIDENT, DEMO_PASSWORD))["errors"] == []

    async def test_the_wait_is_capped(
        self, client_for: Callable[..., Any], demo: Deps, clock: ManualClock
    ) -> None:
        async for client in client_for(
            login_free_failures=0,
            login_delay_base=timedelta(seconds=1),
            login_delay_max=timedelta(seconds=5),
        ):
            waits = []
            for _ in range(5):
                assert code(await client.login(RESIDENT, "wrong")) == "INVALID_CREDENTIALS"
                refused = await client.login(RESIDENT, DEMO_PASSWORD)
                waits.append(refused["errors"][0]["retryAfter"])
                clock.advance(timedelta(seconds=waits[-1]))

            assert waits == [1, 2, 4, 5, 5]
            assert (await client.login(RESIDENT, DEMO_PASSWORD))["errors"] == []

    async def test_another_phone_is_not_delayed(
        self, client_for: Callable[..., Any], demo: Deps
    ) -> None:
        async for client in client_for(login_free_failures=0):
            assert code(await client.login(RESIDENT, "wrong")) == "INVALID_CREDENTIALS"
            assert code(await client.login(RESIDENT, DEMO_PASSWORD)) == "RATE_LIMITED"

            neighbour = await client.login("13800000005", DEMO_PASSWORD)

        assert neighbour["errors"] == []

    async def test_failures_are_forgotten_after_the_window(
        self, client_for: Callable[..., Any], demo: Deps, clock: ManualClock
    ) -> None:
        async for client in client_for(login_free_failures=1, login_window=timedelta(minutes=5)):
            assert code(await client.login(RESIDENT, "wrong")) == "INVALID_CREDENTIALS"
            assert code(await client.login(RESIDENT, "wrong")) == "INVALID_CREDENTIALS"
            clock.advance(timedelta(minutes=6))
            # Counted from zero again: one free failure, then the right password at once.
            assert code(await client.login(RESIDENT, "wrong")) == "INVALID_CREDENTIALS"
            assert (await client.login(RESIDENT, DEMO_PASSWORD))["errors"] == []


class TestRegistrationLimit:
    async def test_accounts_per_address_are_limited(
        self, client_for: Callable[..., Any], deps: Deps
    ) -> None:
        async for client in client_for(registrations_per_address=2):
            answers = []
            for n in range(3):
                response = await client.http.post(
                    "/graphql",
                    json={
                        "query": OPERATIONS["Register"],
                        "operationName": "Register",
                        "variables": {
                            "input": {
                                "phone": f"139000004{n:02d}",
                                "password": "a-long-password",
                                "displayName": f"邻居{n}",
                            }
                        },
                    },
                )
                answers.append(response.json()["data"]["register"])

        assert [a["errors"] for a in answers[:2]] == [[], []]
        assert [e["code"] for e in answers[2]["errors"]] == ["RATE_LIMITED"]
        assert answers[2]["accessToken"] is None
        assert await deps.db["users"].count_documents({}) == 2
