"""Test fixtures: one real embedded database server per test session, a fresh database per
test, and an in-process GraphQL executor that runs the contract's documents."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from pymongo import monitoring
from strawberry.types import ExecutionResult

from neighbor_api.context import Context
from neighbor_api.core.clock import ManualClock
from neighbor_api.core.deps import Deps
from neighbor_api.core.embedded import EmbeddedMongo
from neighbor_api.core.i18n import Locale
from neighbor_api.core.mongo import Client, connect, ensure_indexes
from neighbor_api.demo import load_demo
from neighbor_api.schema import NeighborSchema, build_schema
from neighbor_api.settings import Environment, Settings
from tests import sms

OPERATIONS_DIR = Path(__file__).resolve().parent.parent / "schema" / "operations"
DEMO_PASSWORD = "neighbor-demo"


class CommandCounter(monitoring.CommandListener):
    """Counts the commands sent to the database (round trips), per database."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.counts[event.database_name] = self.counts.get(event.database_name, 0) + 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def make_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "environment": Environment.TEST,
        # 32+ bytes that pass the production check (settings.weak_secret_key).
        "secret_key": SecretStr("tests-only-Kq3x9Vt7pLm2Zr8Nw4Yb6Hc1Jd5Fg0"),
        # Cheap hashing keeps the suite fast; production uses argon2-cffi's defaults.
        "argon2_time_cost": 1,
        "argon2_memory_kib": 1024,
        # Verification codes go to the test session's small SMS gateway (tests/sms.py), where
        # tests read them; the suite signs up many people from one address (127.0.0.1), so the
        # per-address limit is raised here (tests of that limit set their own).
        "sms_webhook_url": sms.shared().url,
        "code_limit_per_address": 10_000,
        # Likewise logins and sign-ups from that one address, on clocks that stand still
        # (tests/accounts/test_login.py and tests/platform/test_rate_limits.py set their own).
        "login_attempts_per_address": 10_000,
        "registrations_per_address": 10_000,
        # Votes may close any time after opening (tests/councils/test_closing.py sets its own).
        "min_voting_hours": 0,
    }
    values.update(overrides)
    return Settings(**values)


def record_commands(
    counter: CommandCounter, monkeypatch: pytest.MonkeyPatch, database: str
) -> list[dict[str, Any]]:
    """The commands sent to `database` from now on, as they were sent (still counted), for a
    test to explain its finds."""
    commands: list[dict[str, Any]] = []
    count = counter.started

    def started(event: monitoring.CommandStartedEvent) -> None:
        count(event)
        if event.database_name == database:
            commands.append(dict(event.command))

    monkeypatch.setattr(counter, "started", started)
    return commands


@pytest.fixture(scope="session")
def mongo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedMongo]:
    # No TTL sweeps: the tests' clock (ManualClock, days in the past) is not the server's, so
    # a sweep by the real clock would remove codes and gates a test still holds valid.
    server = EmbeddedMongo(tmp_path_factory.mktemp("secantus") / "db", ttl_sweep=False)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def command_counter() -> CommandCounter:
    return CommandCounter()


@pytest.fixture(scope="session")
async def mongo_client(
    mongo_server: EmbeddedMongo, command_counter: CommandCounter
) -> AsyncIterator[Client]:
    client = connect(mongo_server.uri, listeners=[command_counter])
    yield client
    await client.close()


@pytest.fixture
async def fresh_database(mongo_client: Client) -> AsyncIterator[str]:
    """The name of a database no one uses, dropped after the test (for child processes)."""
    name = f"child_{uuid.uuid4().hex[:12]}"
    yield name
    await mongo_client.drop_database(name)


@pytest.fixture(scope="session")
def settings() -> Settings:
    return make_settings()


@pytest.fixture(scope="session")
def schema(settings: Settings) -> NeighborSchema:
    return build_schema(settings)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 11, 27, 9, 0, tzinfo=UTC))


@pytest.fixture
async def deps(mongo_client: Client, settings: Settings, clock: ManualClock) -> AsyncIterator[Deps]:
    name = f"test_{uuid.uuid4().hex[:12]}"
    db = mongo_client[name]
    await ensure_indexes(db)
    yield Deps(client=mongo_client, db=db, settings=settings, clock=clock)
    await mongo_client.drop_database(name)


def _operations() -> dict[str, str]:
    """Every named operation in schema/operations/, with the document it lives in."""
    found: dict[str, str] = {}
    for path in sorted(OPERATIONS_DIR.glob("*.graphql")):
        text = path.read_text(encoding="utf-8")
        for name in re.findall(r"^(?:query|mutation|subscription)\s+(\w+)", text, re.MULTILINE):
            found[name] = text
    return found


OPERATIONS = _operations()


# Runs a contract operation as a client does: (name, variables) -> the response's `data`
# (the operation itself must not error).
Send = Callable[[str, dict[str, Any]], Awaitable[Any]]


async def request_code(
    send: Send,
    phone: str,
    purpose: str,
    *,
    clock: object = None,
    capture: sms.SmsCapture | None = None,
) -> str:
    """Ask for a verification code through RequestVerificationCode and read it at the SMS
    gateway. A phone asked for again within the resend interval waits it out on a ManualClock."""
    capture = capture or sms.shared()
    variables = {"input": {"phone": phone, "purpose": purpose}}
    for _ in range(2):
        before = len(capture.sent_to(phone, purpose))
        payload = (await send("RequestVerificationCode", variables))["requestVerificationCode"]
        codes = [e["code"] for e in payload["errors"]]
        if codes == ["RATE_LIMITED"] and isinstance(clock, ManualClock):
            clock.advance(timedelta(seconds=61))
            continue
        assert payload["errors"] == [], payload
        assert len(capture.sent_to(phone, purpose)) == before + 1
        return capture.code(phone, purpose)
    raise AssertionError("no code could be requested")


async def register_with_code(
    send: Send,
    *,
    phone: str,
    password: str,
    display_name: str,
    policy_version: str,
    locale: str | None = None,
    clock: object = None,
) -> dict[str, Any]:
    """THE way tests sign up through the contract: RequestVerificationCode (REGISTER), the code
    read at the test SMS gateway, then Register with it and the current policy version. The
    `register` payload (check its `errors`)."""
    code = await request_code(send, phone, "REGISTER", clock=clock)
    variables: dict[str, Any] = {
        "input": {
            "phone": phone,
            "password": password,
            "displayName": display_name,
            "verificationCode": code,
            "acceptedPolicyVersion": policy_version,
        }
    }
    if locale is not None:
        variables["input"]["locale"] = locale
    payload: dict[str, Any] = (await send("Register", variables))["register"]
    return payload


def http_send(http: Any, **headers: str) -> Send:
    """`Send` over real HTTP with an httpx client (base URL: the live server)."""

    async def send(name: str, variables: dict[str, Any]) -> Any:
        response = await http.post(
            "/graphql",
            json={"query": OPERATIONS[name], "operationName": name, "variables": variables},
            headers=headers,
        )
        body = response.json()
        assert "errors" not in body, body
        return body["data"]

    return send


class FakeTimer:
    """An in-process cache's clock (`time.monotonic` in the app), moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Api:
    """Runs GraphQL in-process against the real database, as a client would send it."""

    def __init__(self, schema: NeighborSchema, deps: Deps) -> None:
        self.schema = schema
        self.deps = deps

    async def execute(
        self,
        document: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        locale: Locale = Locale.ZH_CN,
        operation_name: str | None = None,
        client_address: str = "127.0.0.1",
    ) -> ExecutionResult:
        context = Context(
            deps=self.deps,
            locale=locale,
            request_id="test",
            token=token,
            client_address=client_address,
        )
        return await self.schema.execute(
            document,
            variable_values=variables,
            context_value=context,
            operation_name=operation_name,
        )

    async def op(
        self, name: str, variables: dict[str, Any] | None = None, **kwargs: Any
    ) -> ExecutionResult:
        """Run the contract operation `name` (its whole document, as clients send it)."""
        return await self.execute(OPERATIONS[name], variables, operation_name=name, **kwargs)

    async def data(self, name: str, variables: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        """Run a contract operation that must succeed; its data."""
        result = await self.op(name, variables, **kwargs)
        assert result.errors is None, result.errors
        return result.data

    def send(self, **kwargs: Any) -> Send:
        async def send(name: str, variables: dict[str, Any]) -> Any:
            return await self.data(name, variables, **kwargs)

        return send

    async def register(
        self,
        phone: str,
        password: str,
        display_name: str,
        account_locale: str | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Sign up through the contract with a captured code (`register_with_code`);
        `kwargs` go to each request (`locale`: the request's language)."""
        return await register_with_code(
            self.send(**kwargs),
            phone=phone,
            password=password,
            display_name=display_name,
            locale=account_locale,
            policy_version=self.deps.settings.privacy_policy_version,
            clock=self.deps.clock,
        )

    async def login(self, phone: str, password: str = DEMO_PASSWORD) -> str:
        data = await self.data("Login", {"input": {"phone": phone, "password": password}})
        assert data["login"]["errors"] == [], data
        token: str = data["login"]["accessToken"]
        return token


@pytest.fixture
def api(schema: NeighborSchema, deps: Deps) -> Api:
    return Api(schema, deps)


@pytest.fixture
async def demo(deps: Deps) -> Deps:
    """The demo street of neighbor_api/fixtures/, loaded through the services."""
    await load_demo(deps)
    return deps
