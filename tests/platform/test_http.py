"""The /graphql endpoint and the probes, over real HTTP against a real uvicorn server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from gql import Client, GraphQLRequest
from gql.transport.httpx import HTTPXAsyncTransport

from neighbor_api.app import create_app
from neighbor_api.core.deps import Deps
from neighbor_api.core.embedded import free_port
from neighbor_api.core.mongo import connect
from neighbor_api.settings import Settings
from tests.conftest import DEMO_PASSWORD, OPERATIONS, http_send, register_with_code
from tests.platform.conftest import LiveServer, serve

RESIDENT = "13800000004"  # 王丽娟, resident of 金安社区
VIEWER_QUERY = "query { viewer { displayName } }"
NEW_ACCOUNT = {
    "input": {
        "phone": "13900000123",
        "password": "a-long-password",
        "displayName": "New Neighbour",
        "locale": "en",
    }
}


def login_variables(phone: str = RESIDENT, password: str = DEMO_PASSWORD) -> dict[str, Any]:
    return {"input": {"phone": phone, "password": password}}


async def login(http: httpx.AsyncClient, phone: str = RESIDENT) -> str:
    response = await http.post(
        "/graphql",
        json={
            "query": OPERATIONS["Login"],
            "operationName": "Login",
            "variables": login_variables(phone),
        },
    )
    payload = response.json()["data"]["login"]
    assert payload["errors"] == [], payload
    token: str = payload["accessToken"]
    return token


async def run_gql(
    live_server: LiveServer,
    name: str,
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    transport = HTTPXAsyncTransport(url=live_server.graphql_url, headers=headers, timeout=10)
    async with Client(transport=transport) as session:
        request = GraphQLRequest(OPERATIONS[name], variable_values=variables, operation_name=name)
        result: dict[str, Any] = await session.execute(request)
        return result


class TestGqlClient:
    async def test_login_then_viewer_with_bearer_token(
        self, live_server: LiveServer, demo: Deps
    ) -> None:
        login = await run_gql(live_server, "Login", login_variables())
        assert login["login"]["errors"] == []
        assert login["login"]["viewer"]["displayName"] == "王丽娟"
        token = login["login"]["accessToken"]

        data = await run_gql(live_server, "Viewer", headers={"Authorization": f"Bearer {token}"})

        viewer = data["viewer"]
        assert viewer["displayName"] == "王丽娟"
        assert viewer["phone"].endswith("13800000004")
        assert [m["community"]["name"] for m in viewer["memberships"]] == ["金安社区"]

    async def test_viewer_without_token_is_null(self, live_server: LiveServer) -> None:
        data = await run_gql(live_server, "Viewer")

        assert data == {"viewer": None}


class TestPost:
    async def test_application_json(self, http: httpx.AsyncClient, demo: Deps) -> None:
        token = await login(http)

        response = await http.post(
            "/graphql",
            json={"query": VIEWER_QUERY},
            headers={"Authorization": f"Bearer {token}"},
        )

        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/json")
        assert response.json() == {"data": {"viewer": {"displayName": "王丽娟"}}}

    async def test_a_mutation(self, http: httpx.AsyncClient, deps: Deps) -> None:
        payload = await register_with_code(
            http_send(http),
            phone=NEW_ACCOUNT["input"]["phone"],
            password=NEW_ACCOUNT["input"]["password"],
            display_name=NEW_ACCOUNT["input"]["displayName"],
            locale="en",
            policy_version=deps.settings.privacy_policy_version,
        )

        assert payload["errors"] == []
        assert await deps.db["users"].count_documents({}) == 1

    async def test_graphql_response_json_accept(self, http: httpx.AsyncClient) -> None:
        response = await http.post(
            "/graphql",
            json={"query": "{ __typename }"},
            headers={"Accept": "application/graphql-response+json"},
        )

        assert response.status_code == 200
        assert response.json() == {"data": {"__typename": "Query"}}

    async def test_every_response_has_a_request_id(self, http: httpx.AsyncClient) -> None:
        first = await http.post("/graphql", json={"query": "{ __typename }"})
        second = await http.post("/graphql", json={"query": "{ __typename }"})

        ids = [first.headers.get("x-request-id"), second.headers.get("x-request-id")]
        assert all(ids), ids
        assert ids[0] != ids[1]

    async def test_invalid_token_is_unauthenticated(self, http: httpx.AsyncClient) -> None:
        response = await http.post(
            "/graphql",
            json={"query": VIEWER_QUERY},
            headers={"Authorization": "Bearer not-a-token"},
        )

        assert response.status_code == 200
        body = response.json()
        assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHENTICATED"]
        assert "Traceback" not in response.text


class TestGet:
    async def test_query_via_get(self, http: httpx.AsyncClient, demo: Deps) -> None:
        token = await login(http)

        response = await http.get(
            "/graphql",
            params={"query": VIEWER_QUERY},
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
        )

        assert response.status_code == 200
        assert response.json() == {"data": {"viewer": {"displayName": "王丽娟"}}}
        assert response.headers.get("x-request-id")

    async def test_query_with_variables_via_get(self, http: httpx.AsyncClient, demo: Deps) -> None:
        response = await http.get(
            "/graphql",
            params={
                "query": OPERATIONS["NearbyCommunities"],
                "operationName": "NearbyCommunities",
                "variables": json.dumps({"near": {"lat": 24.5029, "lng": 118.1771}, "first": 1}),
            },
            headers={"Accept": "application/json"},
        )

        assert response.status_code == 200
        edges = response.json()["data"]["communities"]["edges"]
        assert [e["node"]["name"] for e in edges] == ["金山社区"]

    async def test_mutation_via_get_is_refused(self, http: httpx.AsyncClient, deps: Deps) -> None:
        response = await http.get(
            "/graphql",
            params={
                "query": OPERATIONS["Register"],
                "operationName": "Register",
                "variables": json.dumps(NEW_ACCOUNT),
            },
            headers={"Accept": "application/json"},
        )

        assert response.status_code == 405, response.text
        assert response.headers["allow"] == "POST"
        assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert response.headers.get("x-request-id")
        assert await deps.db["users"].count_documents({}) == 0

    async def test_browser_gets_graphiql(self, http: httpx.AsyncClient) -> None:
        response = await http.get("/graphql", headers={"Accept": "text/html"})

        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        assert "graphiql" in response.text.lower()


class TestProbes:
    async def test_healthz(self, http: httpx.AsyncClient) -> None:
        response = await http.get("/healthz")

        assert response.status_code == 200
        assert response.json() == {"status": "ok"}

    async def test_readyz(self, http: httpx.AsyncClient) -> None:
        response = await http.get("/readyz")

        assert response.status_code == 200
        assert response.json() == {"status": "ready"}

    async def test_readyz_when_the_database_is_unreachable(
        self, settings: Settings, deps: Deps
    ) -> None:
        client = connect(
            f"mongodb://127.0.0.1:{free_port()}/?directConnection=true&serverSelectionTimeoutMS=300"
        )
        dead = Deps(client=client, db=client["unreachable"], settings=settings, clock=deps.clock)
        try:
            async with (
                serve(create_app(settings, deps=dead)) as server,
                httpx.AsyncClient(base_url=server.url, timeout=10) as http,
            ):
                ready = await http.get("/readyz")
                healthy = await http.get("/healthz")
        finally:
            await client.close()

        assert ready.status_code == 503
        assert ready.json() == {"status": "unavailable"}
        assert healthy.status_code == 200


class TestBodyLimits:
    async def test_too_large_with_content_length(
        self, http: httpx.AsyncClient, settings: Settings
    ) -> None:
        body = json.dumps({"query": "{ __typename }", "x": "a" * settings.max_body_bytes})

        response = await http.post(
            "/graphql", content=body, headers={"Content-Type": "application/json"}
        )

        assert response.status_code == 413
        assert [e["extensions"]["code"] for e in response.json()["errors"]] == ["QUERY_TOO_COMPLEX"]
        assert response.headers.get("x-request-id")

    async def test_too_large_chunked(self, http: httpx.AsyncClient, settings: Settings) -> None:
        chunk = b"a" * 65536
        chunks = settings.max_body_bytes // len(chunk) + 2

        async def body() -> AsyncIterator[bytes]:
            yield b'{"query": "{ __typename }", "x": "'
            for _ in range(chunks):
                yield chunk
            yield b'"}'

        response = await http.post(
            "/graphql", content=body(), headers={"Content-Type": "application/json"}
        )

        assert "content-length" not in response.request.headers
        assert response.request.headers["transfer-encoding"] == "chunked"
        assert response.status_code == 413
        assert [e["extensions"]["code"] for e in response.json()["errors"]] == ["QUERY_TOO_COMPLEX"]

    async def test_too_large_message_in_english(
        self, http: httpx.AsyncClient, settings: Settings
    ) -> None:
        body = b"x" * (settings.max_body_bytes + 1)

        response = await http.post(
            "/graphql",
            content=body,
            headers={"Content-Type": "application/json", "Accept-Language": "en"},
        )

        assert response.status_code == 413
        assert response.json()["errors"][0]["message"].startswith("The query is too complex")

    async def test_a_body_at_the_limit_is_accepted(
        self, http: httpx.AsyncClient, settings: Settings
    ) -> None:
        body = json.dumps({"query": "{ __typename }"}).encode()
        body = body[:-1] + b" " * (settings.max_body_bytes - len(body)) + b"}"

        response = await http.post(
            "/graphql", content=body, headers={"Content-Type": "application/json"}
        )

        assert len(body) == settings.max_body_bytes
        assert response.status_code == 200
        assert response.json() == {"data": {"__typename": "Query"}}


class TestMultipart:
    """Uploads (GraphQL multipart request spec) must carry a header a cross-site form cannot."""

    def _form(self) -> dict[str, Any]:
        operations = {"query": "{ __typename }", "variables": {}}
        return {
            "data": {
                "operations": json.dumps(operations),
                "map": json.dumps({"0": ["variables.file"]}),
            },
            "files": {"0": ("a.txt", b"hello", "text/plain")},
        }

    async def test_without_preflight_header_is_refused(self, http: httpx.AsyncClient) -> None:
        response = await http.post("/graphql", **self._form())

        assert response.status_code == 400
        assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert response.headers.get("x-request-id")

    @pytest.mark.parametrize(
        "header", ["GraphQL-Preflight", "Apollo-Require-Preflight", "X-Apollo-Operation-Name"]
    )
    async def test_with_preflight_header_reaches_graphql(
        self, http: httpx.AsyncClient, header: str
    ) -> None:
        response = await http.post("/graphql", headers={header: "1"}, **self._form())

        assert response.status_code == 200, response.text
        assert response.json() == {"data": {"__typename": "Query"}}

    async def test_a_form_post_without_preflight_changes_nothing(
        self, http: httpx.AsyncClient, deps: Deps
    ) -> None:
        operations = {
            "query": OPERATIONS["Register"],
            "operationName": "Register",
            "variables": NEW_ACCOUNT,
        }
        response = await http.post(
            "/graphql",
            data={"operations": json.dumps(operations), "map": "{}"},
            files={"0": ("a.txt", b"x", "text/plain")},
        )

        assert response.status_code == 400
        assert await deps.db["users"].count_documents({}) == 0


class TestMalformedRequests:
    @pytest.mark.parametrize(
        "body",
        [
            pytest.param(b"{", id="truncated"),
            pytest.param(b"not json", id="not-json"),
            pytest.param(b"", id="empty"),
            pytest.param(b"\xff\xfe{}", id="not-utf-8"),
            pytest.param(b"[" * 100_000, id="nested-too-deep"),
            pytest.param(b"[]", id="array"),
            pytest.param(b'"a string"', id="string"),
            pytest.param(b"42", id="number"),
            pytest.param(b"null", id="null"),
            pytest.param(b"{}", id="no-query"),
            pytest.param(b'{"query": 42}', id="query-not-a-string"),
            pytest.param(b'{"query": "{ __typename }", "variables": 42}', id="variables-number"),
        ],
    )
    async def test_is_a_400_never_500(self, http: httpx.AsyncClient, body: bytes) -> None:
        response = await http.post(
            "/graphql", content=body, headers={"Content-Type": "application/json"}
        )

        assert response.status_code == 400, (response.status_code, response.text)
        assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"

    async def test_unparseable_document(self, http: httpx.AsyncClient) -> None:
        response = await http.post("/graphql", json={"query": "{ viewer {"})

        assert response.status_code in (200, 400)
        codes = [e["extensions"]["code"] for e in response.json()["errors"]]
        assert codes == ["GRAPHQL_PARSE_FAILED"]

    @pytest.mark.parametrize("variables", ["{not json", "42", "[1]"])
    async def test_bad_variables_in_get(self, http: httpx.AsyncClient, variables: str) -> None:
        response = await http.get(
            "/graphql",
            params={"query": VIEWER_QUERY, "variables": variables},
            headers={"Accept": "application/json"},
        )

        assert response.status_code == 400, response.text

    @pytest.mark.parametrize(
        ("operations", "files_map"),
        [
            pytest.param("{not json", "{}", id="operations-not-json"),
            pytest.param("42", "{}", id="operations-number"),
            pytest.param('{"query": "{ __typename }"}', "42", id="map-number"),
            pytest.param('{"query": "{ __typename }"}', '{"0": 42}', id="map-entry-number"),
            pytest.param(
                '{"query": "{ __typename }"}', '{"0": ["variables.nope"]}', id="map-bad-path"
            ),
            pytest.param('{"query": "{ __typename }"}', '{"1": ["variables.f"]}', id="no-file"),
        ],
    )
    async def test_bad_multipart(
        self, http: httpx.AsyncClient, operations: str, files_map: str
    ) -> None:
        response = await http.post(
            "/graphql",
            headers={"GraphQL-Preflight": "1"},
            data={"operations": operations, "map": files_map},
            files={"0": ("a.txt", b"hello", "text/plain")},
        )

        assert response.status_code == 400, (response.status_code, response.text)


class TestLanguage:
    async def _failed_login(self, http: httpx.AsyncClient, accept_language: str | None) -> str:
        response = await http.post(
            "/graphql",
            json={
                "query": OPERATIONS["Login"],
                "operationName": "Login",
                "variables": login_variables(password="wrong-password"),
            },
            headers={"Accept-Language": accept_language} if accept_language else {},
        )
        errors = response.json()["data"]["login"]["errors"]
        assert [e["code"] for e in errors] == ["INVALID_CREDENTIALS"]
        message: str = errors[0]["message"]
        return message

    async def test_english(self, http: httpx.AsyncClient, demo: Deps) -> None:
        message = await self._failed_login(http, "en")

        assert message == "Wrong phone number or password"

    async def test_english_by_q_values(self, http: httpx.AsyncClient, demo: Deps) -> None:
        message = await self._failed_login(http, "fr-FR,en-US;q=0.8,zh-CN;q=0.5")

        assert message == "Wrong phone number or password"

    async def test_chinese_by_default(self, http: httpx.AsyncClient, demo: Deps) -> None:
        message = await self._failed_login(http, None)

        assert message == "手机号或密码不正确"


class TestConcurrency:
    async def test_concurrent_requests(self, http: httpx.AsyncClient, demo: Deps) -> None:
        token = await login(http)

        responses = await asyncio.gather(
            *(
                http.post(
                    "/graphql",
                    json={"query": VIEWER_QUERY},
                    headers={"Authorization": f"Bearer {token}"},
                )
                for _ in range(20)
            )
        )

        assert [r.status_code for r in responses] == [200] * 20
        assert {r.text for r in responses} == {'{"data":{"viewer":{"displayName":"王丽娟"}}}'}
        assert len({r.headers["x-request-id"] for r in responses}) == 20
