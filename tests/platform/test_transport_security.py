"""Who may connect and from where, over a real uvicorn server: the WebSocket connection_init
credential keys, the multipart preflight refusal, CORS for the configured origins."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from neighbor_api.app import create_app
from neighbor_api.core.deps import Deps
from tests.conftest import Api, make_settings
from tests.platform.conftest import LiveServer, serve
from tests.platform.test_websocket import TRANSPORT_WS, receive, run_operation, send

CONSOLE = "https://console.example.cn"


async def connection_init(live_server: LiveServer, payload: dict[str, Any]) -> dict[str, Any]:
    """The server's answer to connection_init: its first message, or {"closed": code}."""
    async with connect(live_server.ws_url, subprotocols=[TRANSPORT_WS]) as ws:
        await send(ws, {"type": "connection_init", "payload": payload})
        try:
            message = await receive(ws)
        except ConnectionClosed as closed:
            return {"closed": closed.rcvd.code if closed.rcvd else None}
        if message["type"] == "connection_ack":
            data = await run_operation(ws, "{ viewer { displayName } }")
            return {"viewer": data[0]["payload"]["data"]["viewer"]}
        return message


class TestWebSocketCredentials:
    async def test_the_authorization_key_is_accepted(
        self, live_server: LiveServer, api: Api, demo: Deps
    ) -> None:
        token = await api.login("13800000004")

        answer = await connection_init(live_server, {"authorization": f"Bearer {token}"})

        assert answer == {"viewer": {"displayName": "王丽娟"}}

    @pytest.mark.parametrize(
        "payload",
        [
            {"Authorization": "Bearer {token}"},
            {"authToken": "Bearer {token}"},
            {"token": "{token}"},
            {"access_token": "{token}"},
            {"Authorization": "Bearer {token}", "authorization": "Bearer {token}"},
            {"authorization": ["Bearer {token}"]},
            {"authorization": "Bearer not-a-token"},
        ],
        ids=[
            "Authorization",
            "authToken",
            "token",
            "access_token",
            "two-keys",
            "not-a-string",
            "bad-token",
        ],
    )
    async def test_anything_else_is_refused_with_4403(
        self, live_server: LiveServer, api: Api, demo: Deps, payload: dict[str, Any]
    ) -> None:
        token = await api.login("13800000004")
        filled = {
            key: [v.format(token=token) for v in value]
            if isinstance(value, list)
            else value.format(token=token)
            for key, value in payload.items()
        }

        answer = await connection_init(live_server, filled)

        assert answer == {"closed": 4403}

    async def test_no_credential_and_other_keys_are_anonymous(
        self, live_server: LiveServer
    ) -> None:
        answer = await connection_init(live_server, {"authorization": "", "clientName": "app"})

        assert answer == {"viewer": None}


class TestMultipartPreflight:
    @pytest.mark.parametrize(
        ("language", "words"), [("en", ["header"]), ("zh-CN,zh;q=0.9", ["请求头"])]
    )
    async def test_refusal_names_both_headers_in_the_request_language(
        self, http: httpx.AsyncClient, language: str, words: list[str]
    ) -> None:
        response = await http.post(
            "/graphql",
            files={"operations": (None, "{}"), "map": (None, "{}")},
            headers={"Accept-Language": language},
        )

        assert response.status_code == 400
        message = response.json()["errors"][0]["message"]
        for expected in ["GraphQL-Preflight", "Apollo-Require-Preflight", *words]:
            assert expected in message


@pytest.fixture
async def cors_http(deps: Deps) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(cors_origins=[CONSOLE, "https://other.example.cn"])
    async with (
        serve(create_app(settings, deps=deps)) as server,
        httpx.AsyncClient(base_url=server.url, timeout=10) as client,
    ):
        yield client


def preflight(origin: str) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type, graphql-preflight",
    }


class TestCorsSetting:
    @pytest.mark.parametrize(
        ("value", "origins"),
        [
            ("", []),
            (f"{CONSOLE}, https://b.example.cn", [CONSOLE, "https://b.example.cn"]),
            (f'["{CONSOLE}"]', [CONSOLE]),
        ],
    )
    def test_comma_separated_or_json(
        self, monkeypatch: pytest.MonkeyPatch, value: str, origins: list[str]
    ) -> None:
        monkeypatch.setenv("NEIGHBOR_CORS_ORIGINS", value)

        assert make_settings().cors_origins == origins


class TestCors:
    async def test_preflight_from_an_allowed_origin(self, cors_http: httpx.AsyncClient) -> None:
        response = await cors_http.options("/graphql", headers=preflight(CONSOLE))

        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == CONSOLE
        allowed = response.headers["access-control-allow-headers"].lower()
        for header in ("authorization", "content-type", "graphql-preflight"):
            assert header in allowed
        assert "POST" in response.headers["access-control-allow-methods"]

    async def test_actual_request_exposes_the_request_id(
        self, cors_http: httpx.AsyncClient
    ) -> None:
        response = await cors_http.post(
            "/graphql", json={"query": "{ __typename }"}, headers={"Origin": CONSOLE}
        )

        assert response.headers["access-control-allow-origin"] == CONSOLE
        assert "x-request-id" in response.headers["access-control-expose-headers"].lower()

    async def test_another_origin_gets_no_cors_headers(self, cors_http: httpx.AsyncClient) -> None:
        response = await cors_http.options("/graphql", headers=preflight("https://evil.example"))
        actual = await cors_http.post(
            "/graphql", json={"query": "{ __typename }"}, headers={"Origin": "https://evil.example"}
        )

        assert response.status_code == 400
        assert "access-control-allow-origin" not in response.headers
        assert "access-control-allow-origin" not in actual.headers

    async def test_none_configured_no_cors_headers(self, http: httpx.AsyncClient) -> None:
        response = await http.options("/graphql", headers=preflight(CONSOLE))
        actual = await http.post(
            "/graphql", json={"query": "{ __typename }"}, headers={"Origin": CONSOLE}
        )

        assert not [h for h in response.headers if h.startswith("access-control-")]
        assert not [h for h in actual.headers if h.startswith("access-control-")]
