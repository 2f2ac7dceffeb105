"""GET /metrics: the whole app (its own database client, jobs and live hub) under uvicorn,
driven over HTTP and WebSocket, its Prometheus text parsed with prometheus-client's parser."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from bson import ObjectId
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from websockets.asyncio.client import connect

from neighbor_api.app import create_app
from neighbor_api.core import events, jobs
from neighbor_api.core.clock import SystemClock
from neighbor_api.core.deps import Deps
from neighbor_api.core.embedded import EmbeddedMongo
from neighbor_api.core.events import EventKind
from neighbor_api.core.metrics import ANONYMOUS, OTHER, BoundedNames, Metrics
from neighbor_api.core.mongo import Client
from tests.conftest import OPERATIONS, http_send, make_settings, register_with_code
from tests.platform.conftest import LiveServer, serve

TIMEOUT_SECONDS = 10.0
NEW_ACCOUNT = {
    "input": {
        "phone": "13900000321",
        "password": "a-long-password",
        "displayName": "Metrics Neighbour",
        "locale": "en",
    }
}


def sample(text: str, name: str, **labels: str) -> float:
    """The sum of the samples called `name` whose labels include `labels`."""
    return sum(
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == name and labels.items() <= s.labels.items()
    )


@dataclass
class Running:
    server: LiveServer
    http: httpx.AsyncClient
    deps: Deps  # the app's database, through the test's own client

    async def metrics(self) -> str:
        response = await self.http.get("/metrics")
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/plain")
        return response.text

    async def until(self, check: Callable[[str], bool]) -> str:
        """The metrics text once `check` holds on it (polled; the app runs in this loop)."""
        async with asyncio.timeout(TIMEOUT_SECONDS):
            while True:
                text = await self.metrics()
                if check(text):
                    return text
                await asyncio.sleep(0.1)

    async def graphql(self, query: str, **payload: object) -> dict[str, object]:
        response = await self.http.post("/graphql", json={"query": query, **payload})
        body: dict[str, object] = response.json()
        return body


@pytest.fixture
async def running(mongo_server: EmbeddedMongo, mongo_client: Client) -> AsyncIterator[Running]:
    """The app as `serve` starts it: it connects to the database itself (so its command
    listener is on its client), runs its jobs and its live hub."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    settings = make_settings(**{"MONGODB_URI": mongo_server.uri}, database=name)
    try:
        async with (
            serve(create_app(settings)) as server,
            httpx.AsyncClient(base_url=server.url, timeout=10) as http,
        ):
            deps = Deps(
                client=mongo_client, db=mongo_client[name], settings=settings, clock=SystemClock()
            )
            yield Running(server=server, http=http, deps=deps)
    finally:
        await mongo_client.drop_database(name)


async def register_new_account(running: Running) -> dict[str, Any]:
    account = NEW_ACCOUNT["input"]
    payload = await register_with_code(
        http_send(running.http),
        phone=account["phone"],
        password=account["password"],
        display_name=account["displayName"],
        locale=account["locale"],
        policy_version=running.deps.settings.privacy_policy_version,
    )
    assert payload["errors"] == [], payload
    return payload


class TestGraphQLOperations:
    async def test_operations_by_name_and_outcome(self, running: Running) -> None:
        await running.graphql("query Hello { __typename }")
        await running.graphql("query Hello { __typename }")
        await running.graphql("{ __typename }")
        await running.graphql("query Broken { nope }")

        text = await running.metrics()

        ops = "neighbor_graphql_operations_total"
        assert sample(text, ops, operation="Hello", type="query", outcome="ok") == 2
        assert sample(text, ops, operation=ANONYMOUS, outcome="ok") == 1
        assert sample(text, ops, operation="Broken", outcome="GRAPHQL_VALIDATION_FAILED") == 1
        assert sample(text, "neighbor_graphql_errors_total", code="GRAPHQL_VALIDATION_FAILED") == 1
        assert sample(text, "neighbor_graphql_operation_seconds_count", operation="Hello") == 2

    async def test_payload_errors_count_by_code(self, running: Running) -> None:
        wrong = {"input": {"phone": "13900000999", "password": "not-the-password"}}
        body = await running.graphql(OPERATIONS["Login"], operationName="Login", variables=wrong)
        assert json.dumps(body).count("INVALID_CREDENTIALS") == 1, body

        text = await running.metrics()

        assert (
            sample(
                text,
                "neighbor_graphql_operations_total",
                operation="Login",
                type="mutation",
                outcome="INVALID_CREDENTIALS",
            )
            == 1
        )
        assert sample(text, "neighbor_graphql_errors_total", code="INVALID_CREDENTIALS") == 1

    async def test_database_round_trips_by_command(self, running: Running) -> None:
        before = sample(await running.metrics(), "neighbor_db_commands_total", command="insert")

        await register_new_account(running)

        text = await running.metrics()
        assert sample(text, "neighbor_db_commands_total", command="insert") > before
        assert sample(text, "neighbor_db_commands_total", command="find") >= 1
        assert sample(text, "neighbor_db_command_seconds_count", command="find") >= 1


class TestHttp:
    async def test_requests_by_route_and_status(self, running: Running) -> None:
        await running.http.get("/healthz")
        await running.http.get("/no/such/13900000321")
        await running.http.put("/graphql")

        text = await running.metrics()

        requests = "neighbor_http_requests_total"
        assert sample(text, requests, route="/healthz", method="GET", status="200") == 1
        # Paths nobody routes share one label, whatever the client sent.
        assert sample(text, requests, route="unmatched", method="GET", status="404") == 1
        assert sample(text, requests, route="/graphql", method="PUT", status="405") == 1
        assert sample(text, "neighbor_http_request_seconds_count", route="/healthz") == 1
        assert "13900000321" not in text

    async def test_unknown_methods_share_one_label(self, running: Running) -> None:
        await running.http.request("PROPFIND", "/healthz")

        text = await running.metrics()

        assert sample(text, "neighbor_http_requests_total", route="/healthz", method=OTHER) == 1
        assert "PROPFIND" not in text


class TestLive:
    async def test_websocket_subscription_and_hub_lag(self, running: Running) -> None:
        token = (await register_new_account(running))["accessToken"]
        field = 'field="notificationReceived"'
        async with connect(
            running.server.ws_url,
            subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
        ) as ws:
            await ws.send(
                json.dumps({"type": "connection_init", "payload": {"authorization": token}})
            )
            assert json.loads(await ws.recv()) == {"type": "connection_ack"}
            await ws.send(
                json.dumps(
                    {
                        "id": "1",
                        "type": "subscribe",
                        "payload": {
                            "query": OPERATIONS["NotificationReceived"],
                            "operationName": "NotificationReceived",
                        },
                    }
                )
            )
            text = await running.until(
                lambda t: f"neighbor_subscriptions_active{{{field}}} 1.0" in t
            )
            assert sample(text, "neighbor_websocket_connections") == 1

            await events.record(
                running.deps, kind=EventKind.REPORT_ENDORSED, subject_id=ObjectId(), actor_id=None
            )
            await running.until(
                lambda t: sample(t, "neighbor_live_delivery_lag_seconds_count") >= 1
            )

        text = await running.until(lambda t: sample(t, "neighbor_websocket_connections") == 0)
        assert sample(text, "neighbor_subscriptions_active", field="notificationReceived") == 0
        assert (
            sample(
                text,
                "neighbor_graphql_operations_total",
                operation="NotificationReceived",
                type="subscription",
            )
            == 1
        )


class TestJobs:
    async def test_the_apps_jobs_are_counted(self, running: Running) -> None:
        # `notify` runs every 3 s in the app.
        text = await running.until(
            lambda t: sample(t, "neighbor_job_runs_total", job="notify") >= 1
        )

        assert sample(text, "neighbor_job_seconds_count", job="notify") >= 1
        assert sample(text, "neighbor_job_failures_total", job="notify") == 0

    async def test_a_failing_job_is_counted_as_a_failure(self, deps: Deps) -> None:
        metrics = Metrics()

        async def fails(deps: Deps) -> int:
            raise RuntimeError("the job broke")

        async def works(deps: Deps) -> int:
            return 2

        run: Callable[[Deps], Awaitable[int]] = fails
        await jobs.run_once(
            deps,
            [jobs.Job("broken", timedelta(1), run), jobs.Job("fine", timedelta(1), works)],
            metrics=metrics,
        )

        text = metrics.exposition().decode()
        assert sample(text, "neighbor_job_runs_total", job="broken") == 1
        assert sample(text, "neighbor_job_failures_total", job="broken") == 1
        assert sample(text, "neighbor_job_runs_total", job="fine") == 1
        assert sample(text, "neighbor_job_failures_total", job="fine") == 0


class TestOperationNames:
    def test_names_past_the_limit_fold_into_other(self) -> None:
        names = BoundedNames(2)

        assert [names(n) for n in ("A", "B", "C", "A", None, "")] == [
            "A",
            "B",
            OTHER,
            "A",
            ANONYMOUS,
            ANONYMOUS,
        ]

    def test_apps_do_not_share_counts(self) -> None:
        first, second = Metrics(), Metrics()
        first.graphql_operation(operation="A", kind="query", codes=[], seconds=0.01)

        assert sample(second.exposition().decode(), "neighbor_graphql_operations_total") == 0


class TestToken:
    TOKEN = "metrics-scraper-token-123"

    @pytest.fixture
    async def http(self, deps: Deps) -> AsyncIterator[httpx.AsyncClient]:
        settings = make_settings(metrics_token=SecretStr(self.TOKEN))
        async with (
            serve(create_app(settings, deps=deps)) as server,
            httpx.AsyncClient(base_url=server.url, timeout=10) as http,
        ):
            yield http

    @pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", f"Basic {TOKEN}", TOKEN])
    async def test_refused_without_the_token(
        self, http: httpx.AsyncClient, authorization: str | None
    ) -> None:
        headers = {"Accept-Language": "en"}
        if authorization is not None:
            headers["Authorization"] = authorization

        response = await http.get("/metrics", headers=headers)

        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert response.json()["errors"][0] == {
            "message": "The metrics need a valid token",
            "extensions": {"code": "UNAUTHENTICATED"},
        }

    async def test_served_with_the_token(self, http: httpx.AsyncClient) -> None:
        response = await http.get("/metrics", headers={"Authorization": f"Bearer {self.TOKEN}"})

        assert response.status_code == 200
        assert sample(response.text, "neighbor_websocket_connections") == 0
