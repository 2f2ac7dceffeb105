"""The outermost ASGI middleware: a request id for every HTTP request and WebSocket, the
`X-Request-Id` header on every response, one log line per HTTP request, HTTP and WebSocket
metrics. And GET /metrics.

The id is an incoming `X-Request-Id` when it is well formed (a proxy's), otherwise a new one.
It lives in the scope (`request_id_of(scope)`, read by the GraphQL context, so messages that
quote it match the header) and in `core.logging.current_request_id`, which the log filter adds
to every line.
"""

from __future__ import annotations

import hmac
import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from neighbor_api.core.i18n import negotiate, translate
from neighbor_api.core.ids import new_request_id
from neighbor_api.core.logging import current_request_id
from neighbor_api.core.metrics import CONTENT_TYPE, Metrics, elapsed
from neighbor_api.graphql.errors import INTERNAL_SERVER_ERROR, UNAUTHENTICATED

log = logging.getLogger("neighbor_api.requests")

HEADER = "x-request-id"
WELL_FORMED = re.compile(r"[A-Za-z0-9-]{8,64}")
# scope["state"] keys: the id, and what the GraphQL operation adds to the request's log line.
REQUEST_ID = "request_id"
OPERATION = "graphql_operation"


def _state(scope: Scope) -> dict[str, Any]:
    state: dict[str, Any] = scope.setdefault("state", {})
    return state


def request_id_of(scope: Scope) -> str:
    """The id the middleware gave this request (a new one outside it, e.g. in unit tests)."""
    state = _state(scope)
    if REQUEST_ID not in state:
        state[REQUEST_ID] = new_request_id()
    request_id: str = state[REQUEST_ID]
    return request_id


def note_operation(scope: Scope, fields: dict[str, Any]) -> None:
    """Add a GraphQL operation's fields (name, user id, outcome) to its HTTP request's line."""
    _state(scope)[OPERATION] = fields


class RequestObserver:
    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        incoming = Headers(scope=scope).get(HEADER, "")
        request_id = incoming if WELL_FORMED.fullmatch(incoming) else new_request_id()
        _state(scope)[REQUEST_ID] = request_id
        token = current_request_id.set(request_id)
        try:
            if scope["type"] == "http":
                await self._http(scope, receive, send, request_id)
            else:
                await self._websocket(scope, receive, send, request_id)
        finally:
            current_request_id.reset(token)

    async def _http(self, scope: Scope, receive: Receive, send: Send, request_id: str) -> None:
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                message = {**message, "headers": _with_id(message, request_id)}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:  # a failure nothing below answered: a 500 with the id, logged once
            log.exception("unhandled error")
            if not response_started:
                await _internal_error(scope, request_id)(scope, receive, send_with_id)
        finally:
            seconds = elapsed(started)
            route = getattr(scope.get("route"), "path", None)
            self.metrics.http_request(
                route=route, method=scope["method"], status=status, seconds=seconds
            )
            operation = _state(scope).get(OPERATION, {})
            log.info(
                "%s %s %d %.1fms",
                scope["method"],
                scope["path"],
                status,
                seconds * 1000,
                extra={
                    "method": scope["method"],
                    "route": route,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 1),
                    **operation,
                },
            )

    async def _websocket(self, scope: Scope, receive: Receive, send: Send, request_id: str) -> None:
        accepted = False

        async def send_with_id(message: Message) -> None:
            nonlocal accepted
            if message["type"] == "websocket.accept":
                accepted = True
                self.metrics.websocket_connections.inc()
                message = {**message, "headers": _with_id(message, request_id)}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if accepted:
                self.metrics.websocket_connections.dec()


def _with_id(message: Message, request_id: str) -> list[tuple[bytes, bytes]]:
    """The message's headers, with ours as the one X-Request-Id."""
    headers = [(k, v) for k, v in message.get("headers") or () if k.lower() != HEADER.encode()]
    return [*headers, (HEADER.encode(), request_id.encode())]


def _internal_error(scope: Scope, request_id: str) -> Response:
    locale = negotiate(Headers(scope=scope).get("accept-language"))
    message = translate("internal", locale, {"request_id": request_id})
    body = {"errors": [{"message": message, "extensions": {"code": INTERNAL_SERVER_ERROR}}]}
    return JSONResponse(body, status_code=500)


def metrics_endpoint(
    metrics: Metrics, token: str | None
) -> Callable[[Request], Awaitable[Response]]:
    """GET /metrics: open without a token (development); with one, only to its bearer."""

    async def endpoint(request: Request) -> Response:
        if token is not None:
            scheme, _, given = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(
                given.strip().encode(), token.encode()
            ):
                text = translate(
                    "metrics.unauthorized", negotiate(request.headers.get("accept-language"))
                )
                return JSONResponse(
                    {"errors": [{"message": text, "extensions": {"code": UNAUTHENTICATED}}]},
                    status_code=401,
                    headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
                )
        return Response(metrics.exposition(), media_type=CONTENT_TYPE)

    return endpoint
