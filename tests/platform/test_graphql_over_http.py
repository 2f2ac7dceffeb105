"""The GraphQL-over-HTTP spec over a real uvicorn server: media types, status codes, the npm
`graphql-http` conformance audit, and the operations HTTP does not carry."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.platform.conftest import LiveServer

JS_DIR = Path(__file__).resolve().parent.parent / "js"
AUDIT_SCRIPT = JS_DIR / "audit-graphql-http.mjs"
AUDIT_TIMEOUT_SECONDS = 60
NEW = "application/graphql-response+json"
LEGACY = "application/json"

# Audits that may warn, with the reason. Empty: the server passes every MUST and SHOULD.
ALLOWED_WARNINGS: dict[str, str] = {}


def _node() -> str:
    """The node executable with tests/js installed (`scripts/test` runs `npm ci`); a skip
    with the reason otherwise, a failure on CI."""
    node = shutil.which("node")
    missing = (
        "node is not installed"
        if node is None
        else "tests/js/node_modules is missing (npm ci --prefix tests/js)"
        if not (JS_DIR / "node_modules" / "graphql-http").is_dir()
        else None
    )
    if missing is not None:
        if os.environ.get("CI"):
            pytest.fail(f"{missing}: CI must run the graphql-http audit")
        pytest.skip(missing)
    assert node is not None
    return node


async def post(
    http: httpx.AsyncClient, body: dict[str, Any], accept: str | None = None
) -> httpx.Response:
    headers = {"Accept": accept} if accept else {}
    return await http.post("/graphql", json=body, headers=headers)


class TestAudit:
    async def test_graphql_http_audit_passes_without_warnings(
        self, live_server: LiveServer
    ) -> None:
        node = _node()
        process = await asyncio.create_subprocess_exec(
            node,
            str(AUDIT_SCRIPT),
            live_server.graphql_url,
            cwd=JS_DIR,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        async with asyncio.timeout(AUDIT_TIMEOUT_SECONDS):
            stdout, stderr = await process.communicate()
        assert process.returncode == 0, stderr.decode()
        results = [json.loads(line) for line in stdout.decode().splitlines()]

        assert len(results) > 40  # the audit ran (graphql-http 1.23.1 has ~70 audits)
        failed = {r["id"]: r for r in results if r["status"] == "error"}
        warned = {r["id"]: r for r in results if r["status"] in ("warn", "notice")}
        assert failed == {}
        assert {id: r for id, r in warned.items() if id not in ALLOWED_WARNINGS} == {}


class TestMediaType:
    @pytest.mark.parametrize(
        "accept",
        [NEW, f"{NEW}, {LEGACY};q=0.9", f"{LEGACY};q=0.5, {NEW}", f"{NEW}, */*"],
    )
    async def test_success_in_the_new_media_type(
        self, http: httpx.AsyncClient, accept: str
    ) -> None:
        response = await post(http, {"query": "{ __typename }"}, accept)

        assert response.status_code == 200
        assert response.headers["content-type"] == f"{NEW}; charset=utf-8"
        assert response.json() == {"data": {"__typename": "Query"}}

    @pytest.mark.parametrize("accept", [None, LEGACY, "*/*", f"{LEGACY}, {NEW};q=0.5"])
    async def test_legacy_clients_get_application_json(
        self, http: httpx.AsyncClient, accept: str | None
    ) -> None:
        response = await post(http, {"query": "{ __typename }"}, accept)

        assert response.status_code == 200
        assert response.headers["content-type"].startswith(LEGACY)

    @pytest.mark.parametrize(
        ("body", "code"),
        [
            ({"query": "{ viewer {"}, "GRAPHQL_PARSE_FAILED"),
            ({"query": "{ noSuchField }"}, "GRAPHQL_VALIDATION_FAILED"),
            (
                {"query": "query ($id: ID!) { node(id: $id) { id } }", "variables": {"id": []}},
                "BAD_USER_INPUT",
            ),
        ],
        ids=["parse", "validation", "variables"],
    )
    async def test_request_error_is_400_without_data(
        self, http: httpx.AsyncClient, body: dict[str, Any], code: str
    ) -> None:
        new = await post(http, body, NEW)
        legacy = await post(http, body, LEGACY)

        assert new.status_code == 400
        assert "data" not in new.json()
        assert new.json()["errors"][0]["extensions"]["code"] == code
        # The legacy media type keeps 200 with data null, as the spec prescribes.
        assert legacy.status_code == 200
        assert legacy.json()["data"] is None
        assert legacy.json()["errors"][0]["extensions"]["code"] == code

    async def test_unauthenticated_is_200_with_data_null(self, http: httpx.AsyncClient) -> None:
        response = await http.post(
            "/graphql",
            json={"query": "{ viewer { id } }"},
            headers={"Accept": NEW, "Authorization": "Bearer not-a-token"},
        )

        assert response.status_code == 200
        assert response.json()["data"] is None
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

    async def test_malformed_body_is_400_in_both(self, http: httpx.AsyncClient) -> None:
        for accept in (NEW, LEGACY):
            response = await http.post(
                "/graphql",
                content=b"{not json",
                headers={"Content-Type": "application/json", "Accept": accept},
            )
            assert response.status_code == 400
            assert response.headers["content-type"].startswith(accept)
            assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


class TestSubscriptionOverHttp:
    SUBSCRIPTION = "subscription { notificationReceived { id } }"

    @pytest.mark.parametrize("accept", [NEW, LEGACY])
    async def test_post_is_refused_with_a_code_and_no_traceback(
        self, http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture, accept: str
    ) -> None:
        caplog.set_level(logging.INFO)
        response = await http.post(
            "/graphql",
            json={"query": self.SUBSCRIPTION},
            headers={"Accept": accept, "Accept-Language": "en"},
        )

        assert response.status_code == 400
        error = response.json()["errors"][0]
        assert error["extensions"] == {"code": "OPERATION_NOT_SUPPORTED"}
        assert "WebSocket" in error["message"]
        assert "graphql-transport-ws" in error["message"]
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]

    async def test_get_is_refused_in_chinese_by_default(self, http: httpx.AsyncClient) -> None:
        response = await http.get(
            "/graphql", params={"query": self.SUBSCRIPTION}, headers={"Accept": LEGACY}
        )

        assert response.status_code == 400
        error = response.json()["errors"][0]
        assert error["extensions"]["code"] == "OPERATION_NOT_SUPPORTED"
        assert "订阅" in error["message"]


class TestMutationOverGet:
    async def test_is_405_with_allow_post(self, http: httpx.AsyncClient) -> None:
        response = await http.get(
            "/graphql", params={"query": "mutation { logout { errors { code } } }"}
        )

        assert response.status_code == 405
        assert response.headers["allow"] == "POST"
