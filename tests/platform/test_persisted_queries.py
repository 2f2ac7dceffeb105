"""Automatic persisted queries (Apollo's APQ) and trusted documents, over real HTTP and
WebSocket against uvicorn."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect

from neighbor_api.app import create_app
from neighbor_api.core.deps import Deps
from neighbor_api.graphql.persisted import packaged_manifest
from tests.conftest import OPERATIONS, make_settings
from tests.platform.conftest import LiveServer, serve
from tests.platform.test_websocket import TRANSPORT_WS, receive, send

TYPENAME = "{ __typename }"
NEW = "application/graphql-response+json"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def persisted(document: str, version: int = 1) -> dict[str, Any]:
    return {"persistedQuery": {"version": version, "sha256Hash": sha256(document)}}


async def get(
    http: httpx.AsyncClient, extensions: dict[str, Any], query: str | None = None, **headers: str
) -> httpx.Response:
    params = {"extensions": json.dumps(extensions)}
    if query is not None:
        params["query"] = query
    return await http.get(
        "/graphql", params=params, headers={"Accept": "application/json", **headers}
    )


def code(response: httpx.Response) -> str:
    value: str = response.json()["errors"][0]["extensions"]["code"]
    return value


@pytest.fixture
async def small_cache(deps: Deps) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(apq_cache_size=2, apq_max_document_bytes=40)
    async with (
        serve(create_app(settings, deps=deps)) as server,
        httpx.AsyncClient(base_url=server.url, timeout=10) as client,
    ):
        yield client


@pytest.fixture
async def trusted_server(deps: Deps) -> AsyncIterator[LiveServer]:
    async with serve(create_app(make_settings(trusted_documents=True), deps=deps)) as server:
        yield server


@pytest.fixture
async def trusted(trusted_server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=trusted_server.url, timeout=10) as client:
        yield client


class TestAutomaticPersistedQueries:
    async def test_unknown_hash_then_register_then_hash_alone_over_get(
        self, http: httpx.AsyncClient
    ) -> None:
        unknown = await get(http, persisted(TYPENAME))
        registered = await get(http, persisted(TYPENAME), TYPENAME)
        by_hash = await get(http, persisted(TYPENAME))

        assert unknown.status_code == 200  # Apollo clients retry with the text on this
        assert code(unknown) == "PERSISTED_QUERY_NOT_FOUND"
        assert unknown.headers["cache-control"] == "no-store"
        assert registered.json() == {"data": {"__typename": "Query"}}
        assert by_hash.status_code == 200
        assert by_hash.json() == {"data": {"__typename": "Query"}}

    async def test_a_get_accepting_anything_is_not_sent_graphiql(
        self, http: httpx.AsyncClient
    ) -> None:
        await get(http, persisted(TYPENAME), TYPENAME)

        response = await get(http, persisted(TYPENAME), Accept="*/*")

        assert response.json() == {"data": {"__typename": "Query"}}

    async def test_over_post_with_variables(self, http: httpx.AsyncClient) -> None:
        query = "query Echo($id: ID!) { node(id: $id) { id } }"
        body = {"variables": {"id": "nope"}, "extensions": persisted(query)}

        unknown = await http.post("/graphql", json=body)
        await http.post("/graphql", json={**body, "query": query})
        by_hash = await http.post("/graphql", json=body)

        assert code(unknown) == "PERSISTED_QUERY_NOT_FOUND"
        assert by_hash.json()["data"] == {"node": None}

    async def test_not_found_is_404_in_the_new_media_type(self, http: httpx.AsyncClient) -> None:
        response = await get(http, persisted(TYPENAME), Accept=NEW)

        assert response.status_code == 404
        assert "data" not in response.json()
        assert code(response) == "PERSISTED_QUERY_NOT_FOUND"

    async def test_hash_mismatch_is_refused_and_not_registered(
        self, http: httpx.AsyncClient
    ) -> None:
        other = "{ viewer { id } }"
        mismatch = await get(http, persisted(other), TYPENAME, **{"Accept-Language": "en"})
        by_hash = await get(http, persisted(other))

        assert code(mismatch) == "PERSISTED_QUERY_HASH_MISMATCH"
        assert "SHA-256" in mismatch.json()["errors"][0]["message"]
        assert code(by_hash) == "PERSISTED_QUERY_NOT_FOUND"

    @pytest.mark.parametrize(
        ("extensions", "expected"),
        [
            (
                {"persistedQuery": {"version": 2, "sha256Hash": "0" * 64}},
                "PERSISTED_QUERY_NOT_SUPPORTED",
            ),
            ({"persistedQuery": {"version": 1}}, "BAD_USER_INPUT"),
            ({"persistedQuery": {"version": 1, "sha256Hash": "xyz"}}, "BAD_USER_INPUT"),
            ({"persistedQuery": {"version": 1, "sha256Hash": 42}}, "BAD_USER_INPUT"),
            ({"persistedQuery": "abc"}, "BAD_USER_INPUT"),
        ],
        ids=["version-2", "no-hash", "not-hex", "not-a-string", "not-an-object"],
    )
    async def test_malformed_is_a_coded_refusal(
        self, http: httpx.AsyncClient, extensions: dict[str, Any], expected: str
    ) -> None:
        response = await get(http, extensions, TYPENAME, Accept=NEW)

        assert response.status_code == 400
        assert code(response) == expected

    async def test_least_recently_used_goes_first(self, small_cache: httpx.AsyncClient) -> None:
        documents = ["{ a: __typename }", "{ b: __typename }", "{ c: __typename }"]
        for document in documents[:2]:
            await get(small_cache, persisted(document), document)
        await get(small_cache, persisted(documents[0]))  # a is now the most recent
        await get(small_cache, persisted(documents[2]), documents[2])  # evicts b

        assert "data" in (await get(small_cache, persisted(documents[0]))).json()
        assert code(await get(small_cache, persisted(documents[1]))) == "PERSISTED_QUERY_NOT_FOUND"
        assert "data" in (await get(small_cache, persisted(documents[2]))).json()

    async def test_a_document_over_the_size_runs_but_is_not_kept(
        self, small_cache: httpx.AsyncClient
    ) -> None:
        long = "{ " + " ".join(f"a{i}: __typename" for i in range(5)) + " }"
        assert len(long) > 40

        first = await get(small_cache, persisted(long), long)
        again = await get(small_cache, persisted(long))

        assert first.json()["data"]["a0"] == "Query"
        assert code(again) == "PERSISTED_QUERY_NOT_FOUND"

    async def test_over_websocket_subscribe(self, live_server: LiveServer) -> None:
        async with connect(live_server.ws_url, subprotocols=[TRANSPORT_WS]) as ws:
            await send(ws, {"type": "connection_init", "payload": {}})
            assert (await receive(ws))["type"] == "connection_ack"
            await send(
                ws, {"id": "1", "type": "subscribe", "payload": {"extensions": persisted(TYPENAME)}}
            )
            unknown = await receive(ws)
            await send(
                ws,
                {
                    "id": "2",
                    "type": "subscribe",
                    "payload": {"query": TYPENAME, "extensions": persisted(TYPENAME)},
                },
            )
            registered = await receive(ws)
            assert (await receive(ws))["type"] == "complete"
            await send(
                ws, {"id": "3", "type": "subscribe", "payload": {"extensions": persisted(TYPENAME)}}
            )
            by_hash = await receive(ws)

        assert unknown["type"] == "error"
        assert unknown["payload"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
        assert registered["payload"] == {"data": {"__typename": "Query"}}
        assert by_hash == {"id": "3", "type": "next", "payload": {"data": {"__typename": "Query"}}}


class TestTrustedDocuments:
    async def test_a_manifest_operation_by_hash_alone(self, trusted: httpx.AsyncClient) -> None:
        document = next(d for d in packaged_manifest().values() if d.startswith("query Viewer "))

        response = await get(trusted, persisted(document))

        assert response.json() == {"data": {"viewer": None}}

    async def test_a_manifest_operation_by_its_text(self, trusted: httpx.AsyncClient) -> None:
        document = next(d for d in packaged_manifest().values() if d.startswith("query Viewer "))

        plain = await trusted.post("/graphql", json={"query": document})
        with_hash = await trusted.post(
            "/graphql", json={"query": document, "extensions": persisted(document)}
        )

        assert plain.json() == {"data": {"viewer": None}}
        assert with_hash.json() == {"data": {"viewer": None}}

    @pytest.mark.parametrize("accept", ["application/json", NEW])
    async def test_anything_else_is_refused(
        self, trusted: httpx.AsyncClient, deps: Deps, accept: str
    ) -> None:
        # The contract file as a whole is not one of the manifest's documents.
        register = {"query": OPERATIONS["Register"], "operationName": "Register"}
        responses = [
            await trusted.post("/graphql", json={"query": TYPENAME}, headers={"Accept": accept}),
            await get(trusted, persisted(TYPENAME), Accept=accept),
            await get(trusted, persisted(TYPENAME), TYPENAME, Accept=accept),
            await trusted.post("/graphql", json=register, headers={"Accept": accept}),
        ]

        for response in responses:
            assert response.status_code == (400 if accept == NEW else 200)
            assert code(response) == "OPERATION_NOT_TRUSTED"
        assert await deps.db["users"].count_documents({}) == 0

    async def test_over_websocket(self, trusted_server: LiveServer) -> None:
        document = next(
            d
            for d in packaged_manifest().values()
            if d.startswith("subscription NotificationReceived")
        )
        async with connect(trusted_server.ws_url, subprotocols=[TRANSPORT_WS]) as ws:
            await send(ws, {"type": "connection_init", "payload": {}})
            assert (await receive(ws))["type"] == "connection_ack"
            await send(ws, {"id": "1", "type": "subscribe", "payload": {"query": TYPENAME}})
            untrusted = await receive(ws)
            await send(
                ws, {"id": "2", "type": "subscribe", "payload": {"extensions": persisted(document)}}
            )
            trusted = await receive(ws)

        assert untrusted["type"] == "error"
        assert untrusted["payload"][0]["extensions"]["code"] == "OPERATION_NOT_TRUSTED"
        # Trusted, then run: anonymous, so the subscription itself refuses (an `error` message,
        # as every subscription refuses).
        assert trusted["id"] == "2"
        assert trusted["type"] == "error"
        assert trusted["payload"][0]["extensions"]["code"] == "UNAUTHENTICATED"
