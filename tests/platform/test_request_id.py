"""X-Request-Id on every response, from one middleware, over a real uvicorn server: the id in
the header is the id the GraphQL context quotes."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
from bson import ObjectId
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from neighbor_api.accounts import service as accounts
from neighbor_api.attachments import service as attachments
from neighbor_api.core.deps import Deps
from neighbor_api.places import service as places_service
from tests.attachments.support import link_viewer, stored
from tests.conftest import OPERATIONS
from tests.platform.conftest import LiveServer

ID = re.compile(r"[A-Za-z0-9-]{8,64}")
NEARBY = {
    "query": OPERATIONS["NearbyCommunities"],
    "operationName": "NearbyCommunities",
    "variables": {"near": {"lat": 24.5, "lng": 118.1}},
}


def request_id(response: httpx.Response) -> str:
    values = response.headers.get_list("x-request-id")
    assert len(values) == 1, (response.status_code, values)
    assert ID.fullmatch(values[0]), values
    return values[0]


async def someone(deps: Deps) -> attachments.LinkViewer:
    """A new account, signed in: whom a download link is made for."""
    signed_in = await accounts.register(
        deps, phone="13959203001", password="a-long-password", display_name="邻居"
    )
    return link_viewer(deps, signed_in.access_token)


class TestEveryResponse:
    @pytest.mark.parametrize(
        ("method", "path", "headers", "status"),
        [
            pytest.param("GET", "/healthz", {}, 200, id="healthz"),
            pytest.param("GET", "/readyz", {}, 200, id="readyz"),
            pytest.param("GET", "/graphql", {"Accept": "text/html"}, 200, id="graphiql"),
            pytest.param("GET", "/no/such/path", {}, 404, id="404"),
            pytest.param("DELETE", "/graphql", {}, 405, id="405"),
            pytest.param("POST", "/healthz", {}, 405, id="405-healthz"),
            pytest.param("GET", "/attachments/not-an-id", {}, 404, id="attachment-404"),
            pytest.param("GET", f"/attachments/{ObjectId()}", {}, 403, id="attachment-403"),
            pytest.param("GET", "/metrics", {}, 200, id="metrics"),
        ],
    )
    async def test_routes(
        self, http: httpx.AsyncClient, method: str, path: str, headers: dict[str, str], status: int
    ) -> None:
        response = await http.request(method, path, headers=headers)

        assert response.status_code == status, response.text
        request_id(response)

    async def test_an_attachment_download(self, http: httpx.AsyncClient, deps: Deps) -> None:
        me = await someone(deps)
        attachment = await stored(deps, me.user_id)

        response = await http.get(
            attachments.signed_url(deps.settings, attachment.id, viewer=me, now=deps.clock.now())
        )

        assert response.status_code == 200
        request_id(response)

    @pytest.mark.parametrize(
        ("content", "headers", "status"),
        [
            pytest.param(
                b"{}",
                {"Content-Type": "multipart/form-data; boundary=x"},
                400,
                id="multipart-without-preflight",
            ),
            pytest.param(
                b"x" * 2_000_000, {"Content-Type": "application/json"}, 413, id="body-too-large"
            ),
            pytest.param(b"{not json", {"Content-Type": "application/json"}, 400, id="bad-json"),
        ],
    )
    async def test_refusals(
        self, http: httpx.AsyncClient, content: bytes, headers: dict[str, str], status: int
    ) -> None:
        response = await http.post("/graphql", content=content, headers=headers)

        assert response.status_code == status, response.text
        request_id(response)

    async def test_graphql_responses_each_get_their_own(self, http: httpx.AsyncClient) -> None:
        responses = [await http.post("/graphql", json={"query": "{ __typename }"}) for _ in "ab"]

        assert len({request_id(r) for r in responses}) == 2

    async def test_the_websocket_handshake(self, live_server: LiveServer) -> None:
        async with connect(
            live_server.ws_url, subprotocols=[Subprotocol("graphql-transport-ws")]
        ) as ws:
            assert ws.response is not None
            assert ID.fullmatch(ws.response.headers["X-Request-Id"])


class TestIncomingId:
    async def test_a_well_formed_one_is_kept(self, http: httpx.AsyncClient) -> None:
        response = await http.get("/healthz", headers={"X-Request-Id": "proxy-0123abcd"})

        assert request_id(response) == "proxy-0123abcd"

    @pytest.mark.parametrize(
        "incoming", ["short", "x" * 65, "has space in it", "under_score_id", "a;b=c;d=e"]
    )
    async def test_anything_else_is_replaced(self, http: httpx.AsyncClient, incoming: str) -> None:
        response = await http.get("/healthz", headers={"X-Request-Id": incoming})

        assert request_id(response) != incoming


class TestInternalErrors:
    async def test_graphql_message_quotes_the_headers_id(
        self, http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        async def communities(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("boom")

        monkeypatch.setattr(places_service, "communities", communities)

        response = await http.post("/graphql", json=NEARBY, headers={"Accept-Language": "en"})

        error = response.json()["errors"][0]
        header = request_id(response)
        assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": header}
        assert error["message"] == f"Internal server error (request {header})"

    async def test_an_unhandled_failure_is_a_500_with_the_id(
        self, http: httpx.AsyncClient, deps: Deps, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        async def open_download(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("the secret detail")

        monkeypatch.setattr(attachments, "open_download", open_download)
        attachment_id = ObjectId()
        me = await someone(deps)

        response = await http.get(
            attachments.signed_url(deps.settings, attachment_id, viewer=me, now=deps.clock.now())
        )

        assert response.status_code == 500
        header = request_id(response)
        assert response.json() == {
            "errors": [
                {
                    "message": f"服务器内部错误（请求编号 {header}）",
                    "extensions": {"code": "INTERNAL_SERVER_ERROR"},
                }
            ]
        }
        assert "secret" not in response.text
        assert "Traceback" not in json.dumps(response.json())
