"""Logs: one line per request (JSON in production) with its id, operation, user and
duration, and no phone numbers, tokens, passwords or signatures — over a real server."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from neighbor_api.attachments import service as attachments
from neighbor_api.core.deps import Deps
from neighbor_api.core.logging import (
    JsonLinesFormatter,
    configure_logging,
    handler,
    redact,
)
from neighbor_api.settings import Environment, LogFormat, Settings
from tests.attachments.support import link_viewer, stored
from tests.conftest import OPERATIONS, http_send, make_settings, register_with_code
from tests.platform.conftest import LiveServer

PHONE = "13900000456"
PASSWORD = "a-long-password-7"
Lines = Callable[[], list[dict[str, Any]]]


@pytest.fixture
def json_lines() -> Iterator[Lines]:
    """The app's handler (as production configures it) on the root logger, writing to a
    buffer; the buffer's lines, parsed."""
    buffer = io.StringIO()
    output = handler(make_settings(log_format=LogFormat.JSON), buffer)
    root = logging.getLogger()
    level = root.level
    root.addHandler(output)
    root.setLevel(logging.INFO)
    try:
        yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
    finally:
        root.removeHandler(output)
        root.setLevel(level)


async def register(http: httpx.AsyncClient) -> str:
    payload = await register_with_code(
        http_send(http),
        phone=PHONE,
        password=PASSWORD,
        display_name="日志测试",
        policy_version=make_settings().privacy_policy_version,
    )
    token: str = payload["accessToken"]
    return token


def line_of(lines: list[dict[str, Any]], response: httpx.Response) -> dict[str, Any]:
    """The one request line of `response` (found by its request id)."""
    request_id = response.headers["x-request-id"]
    (line,) = [x for x in lines if x.get("request_id") == request_id and "status" in x]
    return line


class TestRequestLines:
    async def test_a_graphql_request_is_one_line_with_its_fields(
        self, http: httpx.AsyncClient, deps: Deps, json_lines: Lines
    ) -> None:
        token = await register(http)
        user = await deps.db["users"].find_one({})
        assert user is not None

        response = await http.post(
            "/graphql",
            json={"query": OPERATIONS["Viewer"], "operationName": "Viewer"},
            headers={"Authorization": f"Bearer {token}"},
        )

        line = line_of(json_lines(), response)
        assert line["level"] == "INFO"
        assert line["logger"] == "neighbor_api.requests"
        assert line["method"] == "POST"
        assert line["route"] == "/graphql"
        assert line["status"] == 200
        assert line["operation"] == "Viewer"
        assert line["operation_type"] == "query"
        assert line["user_id"] == str(user["_id"])
        assert line["outcome"] == "ok"
        assert isinstance(line["duration_ms"], float)
        assert "time" in line

    async def test_a_failed_operation_logs_its_code(
        self, http: httpx.AsyncClient, json_lines: Lines
    ) -> None:
        response = await http.post(
            "/graphql",
            json={"query": OPERATIONS["Viewer"], "operationName": "Viewer"},
            headers={"Authorization": "Bearer not-a-token"},
        )

        line = line_of(json_lines(), response)
        assert line["outcome"] == "UNAUTHENTICATED"
        assert line["user_id"] is None

    async def test_no_secrets_in_any_line(
        self, http: httpx.AsyncClient, deps: Deps, json_lines: Lines
    ) -> None:
        token = await register(http)
        login = {"input": {"phone": PHONE, "password": PASSWORD}}
        await http.post(
            "/graphql",
            json={"query": OPERATIONS["Login"], "operationName": "Login", "variables": login},
        )
        await http.get(
            "/graphql",
            params={"query": "query Q($p: String) { __typename }", "variables": json.dumps(login)},
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
        )
        me = link_viewer(deps, token)
        attachment = await stored(deps, me.user_id)
        url = attachments.signed_url(deps.settings, attachment.id, viewer=me, now=deps.clock.now())
        await http.get(url)
        await http.get(f"/no/such/{PHONE}", headers={"Authorization": f"Bearer {token}"})
        logging.getLogger("neighbor_api.test").warning("sms to %s failed: %s", PHONE, token)

        # The app's lines (the test's own HTTP client logs its requests too).
        lines = [x for x in json_lines() if not x["logger"].startswith("httpx")]
        captured = json.dumps(lines, ensure_ascii=False)
        signature = url.partition("signature=")[2]
        assert len(lines) >= 6
        for secret in (PHONE, PASSWORD, token, signature, "expires="):
            assert secret not in captured
        assert any(line.get("route") == "/attachments/{attachment_id}" for line in lines)


class TestWebSocketLines:
    async def test_each_operation_logs_a_line_with_the_connections_id(
        self, live_server: LiveServer, json_lines: Lines
    ) -> None:
        async with connect(
            live_server.ws_url, subprotocols=[Subprotocol("graphql-transport-ws")]
        ) as ws:
            assert ws.response is not None
            request_id = ws.response.headers["X-Request-Id"]
            await ws.send(json.dumps({"type": "connection_init"}))
            assert json.loads(await ws.recv()) == {"type": "connection_ack"}
            subscribe = {"query": "query OverWs { __typename }", "operationName": "OverWs"}
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": subscribe}))
            assert json.loads(await ws.recv())["type"] == "next"
            assert json.loads(await ws.recv())["type"] == "complete"

        (line,) = [x for x in json_lines() if x.get("operation") == "OverWs"]
        assert line["logger"] == "neighbor_api.graphql"
        assert line["request_id"] == request_id
        assert line["operation_type"] == "query"
        assert line["outcome"] == "ok"
        assert isinstance(line["duration_ms"], float)


class TestRedaction:
    JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJlLXBhcnQ"

    @pytest.mark.parametrize(
        "secret",
        [
            "13800000001",
            "+8613800000001",
            "+86 13800000001",
            f"Bearer {JWT}",
            JWT,
            "password=hunter2",
            '"password": "hunter2"',
            "TOKEN: hunter2",
            f"BEARER {JWT}",
            "%2213800000001%22",
        ],
    )
    def test_masked(self, secret: str) -> None:
        masked = redact(f"电话{secret}，结束")

        assert "13800000001" not in masked
        assert "hunter2" not in masked
        assert self.JWT not in masked
        assert "[redacted]" in masked

    @pytest.mark.parametrize("kept", ["report JA-2026-000123", "request 0a1b2c3d4e5f6789", "2026"])
    def test_ordinary_text_is_kept(self, kept: str) -> None:
        assert redact(kept) == kept

    def test_tracebacks_and_extras_are_masked(self, json_lines: Lines) -> None:
        log = logging.getLogger("neighbor_api.test")
        try:
            raise RuntimeError(f"could not text {PHONE}")
        except RuntimeError:
            log.exception("failed", extra={"detail": f"Bearer {self.JWT}"})

        (line,) = json_lines()
        captured = json.dumps(line)
        assert PHONE not in captured
        assert self.JWT not in captured
        assert "RuntimeError" in line["exc_info"]


def _written(settings: Settings, logger: str, message: str, *args: Any, **kwargs: Any) -> str:
    """What the app's handler for `settings` writes for one warning of `logger`."""
    buffer = io.StringIO()
    output = handler(settings, buffer)
    log = logging.getLogger(logger)
    log.addHandler(output)
    try:
        log.warning(message, *args, **kwargs)
    finally:
        log.removeHandler(output)
    return buffer.getvalue()


class TestFormats:
    def test_json_lines_keep_chinese_readable(self) -> None:
        text = _written(
            make_settings(log_format=LogFormat.JSON), "neighbor_api.test.json",
            "厦门市思明区 %s", PHONE, extra={"place": "筼筜街道"},
        )  # fmt: skip

        line = json.loads(text)
        assert "厦门市思明区 [redacted]" in text
        assert "筼筜街道" in text
        assert (line["message"], line["place"], line["level"]) == (
            "厦门市思明区 [redacted]",
            "筼筜街道",
            "WARNING",
        )

    def test_text_in_development(self) -> None:
        text = _written(
            make_settings(environment=Environment.DEVELOPMENT), "neighbor_api.test.text",
            "hello %s", PHONE,
        )  # fmt: skip

        assert text.rstrip().endswith("WARNING neighbor_api.test.text [-]: hello [redacted]")

    def test_json_in_production_and_uvicorns_access_log_off(self) -> None:
        loggers = [logging.getLogger(name) for name in ("", "uvicorn", "uvicorn.error")]
        access = logging.getLogger("uvicorn.access")
        saved = [(x, list(x.handlers), x.level, x.propagate) for x in [*loggers, access]]
        try:
            configure_logging(make_settings(environment=Environment.PRODUCTION))

            (installed,) = logging.getLogger().handlers
            assert isinstance(installed.formatter, JsonLinesFormatter)
            assert all(not x.handlers and x.propagate for x in loggers[1:])
            assert access.disabled
        finally:
            for logger, handlers, level, propagate in saved:
                logger.handlers[:] = handlers
                logger.setLevel(level)
                logger.propagate = propagate
            access.disabled = False
