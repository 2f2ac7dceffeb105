"""The GraphQL endpoint: HTTP (POST JSON, GET for queries, multipart uploads), WebSocket
(graphql-transport-ws only) and GraphiQL for browsers."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from cross_web import AsyncHTTPRequestAdapter, HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.types.unset import UNSET, UnsetType

from neighbor_api import graphiql
from neighbor_api.context import Context, bearer_token
from neighbor_api.core.deps import Deps
from neighbor_api.core.errors import Unauthenticated
from neighbor_api.core.i18n import negotiate
from neighbor_api.core.ids import new_request_id
from neighbor_api.graphql.errors import BAD_USER_INPUT
from neighbor_api.schema import NeighborSchema
from neighbor_api.settings import Settings


def _well_formed(message: object) -> bool:
    """An object with a string `type`; a `subscribe` with a string `id` and a payload of
    {query: str, variables?: object, operationName?: str, extensions?: object}."""
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        return False
    if message["type"] != "subscribe":
        return True
    payload = message.get("payload")
    return (
        isinstance(message.get("id"), str)
        and isinstance(payload, dict)
        and isinstance(payload.get("query"), str)
        and all(
            payload.get(key) is None or isinstance(payload[key], kind)
            for key, kind in (("variables", dict), ("operationName", str), ("extensions", dict))
        )
    )


DEFAULT_PING_SECONDS = 15.0


class KeepAliveHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """strawberry's graphql-transport-ws handler, plus the protocol's server Ping every
    `keep_alive_interval` seconds once the connection is acknowledged (clients answer Pong):
    idle connections stay open through proxies, and a dead peer shows as a failed send.
    (strawberry's own keep-alive only serves the legacy graphql-ws protocol.)"""

    async def handle(self) -> None:
        pinger = asyncio.create_task(self._ping())
        try:
            await super().handle()
        finally:
            pinger.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pinger

    async def _ping(self) -> None:
        interval = self.view.keep_alive_interval or DEFAULT_PING_SECONDS
        while True:
            await asyncio.sleep(interval)
            if not self.connection_acknowledged:
                continue
            try:
                await self.websocket.send_json({"type": "ping"})
            except Exception:  # the connection is gone: handle() is ending it
                return


class GraphQLView(GraphQL[Context, None]):
    graphql_transport_ws_handler_class = KeepAliveHandler

    def __init__(
        self, schema: NeighborSchema, settings: Settings, deps: Callable[[], Deps]
    ) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql",
            allow_queries_via_get=True,
            keep_alive=True,
            keep_alive_interval=settings.ws_ping_seconds,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=timedelta(seconds=10),
            multipart_uploads_enabled=True,
            max_subscriptions_per_connection=settings.max_subscriptions_per_connection,
        )
        self._deps = deps

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """strawberry's, with its plain-text refusals (bad JSON, a mutation over GET, ...)
        answered as GraphQL-shaped JSON errors, so every client mistake reads the same."""
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope=scope, receive=receive)
        try:
            response = await self.run(request)
        except HTTPException as error:
            body = {
                "data": None,
                "errors": [{"message": error.reason, "extensions": {"code": BAD_USER_INPUT}}],
            }
            response = Response(
                self.encode_json(body),
                status_code=error.status_code,
                media_type="application/json",
                headers={"X-Request-Id": new_request_id()},
            )
        finally:
            # A multipart request's uploaded files: strawberry never closes them.
            await request.close()
        await response(scope, receive, send)

    def encode_json(self, data: object) -> str:
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    def parse_json(self, data: str | bytes) -> Any:
        """strawberry's, but JSON that is not an object (or a batch list, refused later), bytes
        that are not UTF-8 and nesting too deep to decode are 400s too, not 500s."""
        try:
            value = json.loads(data)
        except (ValueError, RecursionError):  # JSONDecodeError and UnicodeDecodeError included
            raise HTTPException(400, "Unable to parse request body as JSON") from None
        if not isinstance(value, dict | list):
            raise HTTPException(400, "The request body must be a JSON object")
        return value

    def decode_json(self, data: str | bytes) -> object:
        """A WebSocket message (HTTP bodies go through parse_json). One of the wrong shape is
        refused like invalid JSON (close 4400, as graphql-transport-ws requires): strawberry
        would fail on it with an exception, an internal error or an operation never answered."""
        try:
            message = json.loads(data)
        except RecursionError:
            raise json.JSONDecodeError("nested too deep", str(data)[:20], 0) from None
        if not _well_formed(message):
            raise json.JSONDecodeError("not a graphql-transport-ws message", str(data)[:20], 0)
        return message

    async def parse_multipart(self, request: AsyncHTTPRequestAdapter) -> dict[str, str]:
        """strawberry's, with a `map` of the wrong shape a 400 rather than a 500."""
        try:
            return await super().parse_multipart(request)
        except (TypeError, ValueError, IndexError, AttributeError):
            raise HTTPException(400, "File(s) missing in form data") from None

    async def render_graphql_ide(self, request: Request) -> Response:
        """GraphiQL from the server's own assets (strawberry's template loads them from a CDN)."""
        return graphiql.page(request)

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """Authenticate a WebSocket by its connection_init payload; refuse a bad token."""
        try:
            await context.viewer()
        except Unauthenticated:
            raise ConnectionRejectionError({"code": "UNAUTHENTICATED"}) from None
        no_payload: UnsetType = UNSET
        return no_payload

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        request_id = new_request_id()
        if isinstance(response, Response):
            response.headers["X-Request-Id"] = request_id
        return Context(
            deps=self._deps(),
            locale=negotiate(request.headers.get("accept-language")),
            request_id=request_id,
            token=bearer_token(request.headers.get("authorization")),
            client_address=request.client.host if request.client else None,
            request=request,
        )
