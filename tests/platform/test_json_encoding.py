"""Responses are encoded by orjson (graphql/view.py): UTF-8 text, Chinese unescaped, text frames
over WebSocket, and the standard library's output for what orjson refuses."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx

from neighbor_api.core.deps import Deps
from neighbor_api.graphql.view import encode_json
from tests.platform.conftest import LiveServer
from tests.platform.test_websocket import RECEIVE_TIMEOUT_SECONDS, send, transport_ws

NAMES = "{ communities(first: 5) { edges { node { name } } } }"


class TestEncodeJson:
    def test_chinese_is_written_as_utf8_not_escaped(self) -> None:
        assert encode_json({"name": "金安社区"}) == '{"name":"金安社区"}'

    def test_the_same_json_as_the_standard_library(self) -> None:
        data: dict[str, Any] = {"a": [1, 2.5, None, True], "b": {"c": '\n"x"\u2028'}}

        assert json.loads(encode_json(data)) == data

    def test_integers_over_64_bits_fall_back(self) -> None:
        assert encode_json({"n": 2**70}) == '{"n":1180591620717411303424}'

    def test_deep_nesting_falls_back(self) -> None:
        data: list[Any] = []
        for _ in range(300):
            data = [data]

        assert json.loads(encode_json(data)) == data


class TestOverTheWire:
    async def test_an_http_response_is_utf8(self, http: httpx.AsyncClient, demo: Deps) -> None:
        response = await http.post("/graphql", json={"query": NAMES})

        assert response.status_code == 200
        assert "金安社区".encode() in response.content
        assert b"\\u" not in response.content

    async def test_a_websocket_result_is_a_text_frame(
        self, live_server: LiveServer, demo: Deps
    ) -> None:
        async with transport_ws(live_server) as ws:
            await send(ws, {"id": "1", "type": "subscribe", "payload": {"query": NAMES}})
            async with asyncio.timeout(RECEIVE_TIMEOUT_SECONDS):
                frame = await ws.recv()

        assert isinstance(frame, str)
        assert "金安社区" in frame
        assert json.loads(frame)["type"] == "next"
