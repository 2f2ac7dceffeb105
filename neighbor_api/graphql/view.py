"""The GraphQL endpoint: HTTP (POST JSON, GET for queries, multipart uploads), WebSocket
(graphql-transport-ws only) and GraphiQL for browsers."""

from __future__ import annotations

import asyncio
import json
from collections import OrderedDict
from collections.abc import AsyncGenerator, Callable, Mapping
from datetime import timedelta
from functools import lru_cache
from typing import Any

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from graphql import GraphQLFormattedError
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import ConnectionRejectionError, MissingQueryError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.base import BaseRequestProtocol
from strawberry.http.exceptions import NonJsonMessageReceived, NonTextMessageReceived
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    ErrorMessage,
    SubscribeMessage,
)
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType
from strawberry.types.unset import UNSET, UnsetType

from neighbor_api import graphiql
from neighbor_api.context import Context, bearer_token
from neighbor_api.core import cancel
from neighbor_api.core.client_address import client_address
from neighbor_api.core.deps import Deps
from neighbor_api.core.errors import Unauthenticated
from neighbor_api.core.i18n import negotiate
from neighbor_api.core.throttle import anonymous_wait
from neighbor_api.graphql.auth import viewer_now
from neighbor_api.graphql.errors import (
    BAD_USER_INPUT,
    OPERATION_NOT_SUPPORTED,
    RATE_LIMITED,
    TOO_MANY_SUBSCRIPTIONS,
    RequestRefused,
)
from neighbor_api.graphql.media import (
    APPLICATION_JSON,
    GRAPHQL_RESPONSE_JSON,
    is_request_error,
    prefers_graphql_response,
)
from neighbor_api.graphql.persisted import PersistedDocuments, packaged_manifest
from neighbor_api.graphql.sockets import (
    TOO_MANY_CONNECTIONS_CLOSE_CODE,
    TOO_MANY_CONNECTIONS_REASON,
    SocketCaps,
)
from neighbor_api.middleware import request_id_of
from neighbor_api.schema import NeighborSchema
from neighbor_api.settings import Settings


@lru_cache(maxsize=256)
def _one_copy(document: str) -> str:
    """The documents subscribed to, one copy each (the first seen of the most recent): 1,000
    sockets subscribed with the app's document hold one string, not 1,000 (~2 KB each)."""
    return document


@lru_cache(maxsize=1024)
def _one_token(token: str) -> str:
    """The access tokens of open sockets, one copy each: the sockets of one person (many
    devices, many tabs) hold one string (~300 bytes), not one each."""
    return token


def _well_formed(message: object) -> bool:
    """An object with a string `type`; a `subscribe` with a string `id` and a payload of
    {query: str, variables?: object, operationName?: str, extensions?: object} (`query` may be
    left out when `extensions` names a persisted query)."""
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        return False
    if message["type"] != "subscribe":
        return True
    payload = message.get("payload")
    return (
        isinstance(message.get("id"), str)
        and isinstance(payload, dict)
        and (
            isinstance(payload.get("query"), str)
            or "persistedQuery" in (payload.get("extensions") or {})
        )
        and all(
            payload.get(key) is None or isinstance(payload[key], kind)
            for key, kind in (("variables", dict), ("operationName", str), ("extensions", dict))
        )
    )


# orjson reads an integer outside 64 bits as a float (json keeps it exact): a float that large.
_INTEGER_BITS = 2.0**63


def _loads(data: str | bytes) -> Any:
    """JSON by orjson (a request body: ~4 times json's speed), as json reads it: a body
    orjson refuses (NaN, Infinity: json takes them) or that holds a number orjson may have read
    from an integer over 64 bits (a float of 2⁶³ or more: json keeps such an integer exact, for
    the schema to refuse or accept) goes to json. The test walks the values read (a body's
    variables: a few), not the body's text (the document: kilobytes)."""
    raw = data.encode() if isinstance(data, str) else data
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(data)
    return json.loads(data) if _holds_large_float(value) else value


def _holds_large_float(value: Any) -> bool:
    pending = [value]
    while pending:
        item = pending.pop()
        if item.__class__ is dict:
            pending.extend(item.values())
        elif item.__class__ is list:
            pending.extend(item)
        elif item.__class__ is float and abs(item) >= _INTEGER_BITS:
            return True
    return False


def _refusal(failure: HTTPException) -> RequestRefused:
    """One of strawberry's refusals (malformed requests; English, untranslated)."""
    status = failure.status_code
    return RequestRefused(BAD_USER_INPUT, failure.reason, status=status, legacy_status=status)


def encode_json(data: object) -> str:
    """JSON as UTF-8 text (not \\u-escaped, as `ensure_ascii=False`), by orjson: about 15 times
    json's speed on a page of reports; json for what orjson refuses (integers over 64 bits,
    nesting over 254 levels). A str, not bytes: strawberry sends bytes over a WebSocket as a
    binary frame, which graphql-transport-ws does not allow."""
    try:
        return orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS).decode()
    except orjson.JSONEncodeError:
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


# The `data` of the last subscription results sent, encoded (by the object's id; each entry
# holds its object, so no id is reused while it is here).
_RECENT_RESULTS = 32
_encoded_results: OrderedDict[int, tuple[object, str]] = OrderedDict()


def encode_message(message: Mapping[str, Any]) -> str:
    """A WebSocket message as JSON text. A `next` whose payload is only `data` (a subscription
    result without errors) splices the data's encoding, made once for every socket that
    shares the result (graphql/execution.py: one execution per viewer for 1,000 sockets)."""
    payload = message.get("payload")
    if message.get("type") != "next" or not isinstance(payload, dict) or payload.keys() != {"data"}:
        return encode_json(message)
    data = payload["data"]
    found = _encoded_results.get(id(data))
    if found is None or found[0] is not data:
        found = (data, encode_json(data))
        _encoded_results[id(data)] = found
        if len(_encoded_results) > _RECENT_RESULTS:
            _encoded_results.popitem(last=False)
    operation_id = encode_json(message.get("id"))
    return f'{{"id":{operation_id},"type":"next","payload":{{"data":{found[1]}}}}}'


DEFAULT_PING_SECONDS = 15.0
# A socket that answered nothing (no Pong, no message) between two pings is closed as a dead
# peer with websockets' code and reason (uvicorn's own WebSocket ping is off: cli.py).
DEAD_PEER_CLOSE_CODE = 1011
DEAD_PEER_REASON = "keepalive ping timeout"


class TooManyConnections(Exception):
    """connection_init of a user who has all the connections they may (SocketCaps)."""


class KeepAliveHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """strawberry's graphql-transport-ws handler, plus the protocol's server Ping every
    `keep_alive_interval` seconds once the connection is acknowledged (clients answer Pong):
    idle connections stay open through proxies, and a peer that answered nothing since the
    ping before (no Pong, no message) is closed as dead (1011). Each ping first re-authorises
    the viewer (graphql/auth.py): an idle socket whose session ended is closed within one
    interval.
    (strawberry's own keep-alive only serves the legacy graphql-ws protocol.)"""

    async def handle(self) -> None:
        caps = self._caps()
        # A timer between pings, a task only while one is under way: an idle socket holds no
        # sleeping task (~1 KiB each at 1,000 sockets).
        self._pinging: asyncio.Task[bool] | None = None
        self._ping_timer: asyncio.TimerHandle | None = None
        # Whether the peer sent anything since the last ping (a dead one never does).
        self._heard = True
        self._arm_ping()
        try:
            await super().handle()
        finally:
            timer, self._ping_timer = self._ping_timer, None
            if timer is not None:
                timer.cancel()
            pinging, self._pinging = self._pinging, None
            if pinging is not None:
                await cancel.stop(pinging)
            if caps is not None:
                caps.close(id(self.context))

    def _arm_ping(self) -> None:
        interval = self.view.keep_alive_interval or DEFAULT_PING_SECONDS
        self._ping_timer = asyncio.get_running_loop().call_later(interval, self._ping_due)

    def _ping_due(self) -> None:
        self._ping_timer = None
        self._pinging = asyncio.get_running_loop().create_task(self._ping())
        self._pinging.add_done_callback(self._pinged)

    def _pinged(self, task: asyncio.Task[bool]) -> None:
        if self._pinging is not task:  # the connection is ending
            return
        self._pinging = None
        if not task.cancelled() and task.exception() is None and task.result():
            self._arm_ping()

    def _caps(self) -> SocketCaps | None:
        view = self.view
        return view.caps if isinstance(view, GraphQLView) else None

    async def _refuse_connection(self) -> None:
        await self.websocket.close(
            code=TOO_MANY_CONNECTIONS_CLOSE_CODE, reason=TOO_MANY_CONNECTIONS_REASON
        )

    async def handle_message(self, message: Any) -> None:
        """strawberry's. The peer is alive; and once handled, the message (a dict decoded for
        this socket) is emptied: strawberry's loop keeps it in a local until the next message,
        which for an idle subscribed socket is never (the subscribe's payload, ~0.5 KiB)."""
        self._heard = True
        try:
            await super().handle_message(message)
        finally:
            if isinstance(message, dict):
                message.clear()

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        """strawberry's; a user over their connection cap (GraphQLView.on_ws_connect) is
        closed with 1013 instead of acknowledged. Once acknowledged, the socket keeps its
        token (one copy per token: `_one_token`) and lets go of the payload and of the
        finished connection_init timer."""
        try:
            await super().handle_connection_init(message)
        except TooManyConnections:
            await self._refuse_connection()
        # strawberry cancelled it; it holds nothing the shutdown needs.
        self.connection_init_timeout_task = None
        if self.connection_acknowledged:
            context = self.context
            if context.token is not None:
                context.token = _one_token(context.token)
            # connection_token() read it at on_ws_connect: nothing reads it again.
            context.connection_params = None

    async def _refuse_operation(self, operation_id: str, message: str, limit: int) -> None:
        error = RequestRefused(TOO_MANY_SUBSCRIPTIONS, message).formatted(
            self.context.locale, {"limit": limit}
        )
        await self.send_message(ErrorMessage(id=operation_id, type="error", payload=[error]))

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        """strawberry's, with the payload's persisted query (APQ, trusted documents) resolved
        first; a refusal is this operation's `error` message. The caps (graphql/sockets.py)
        come first: an operation past the connection's or its owner's is refused with
        TOO_MANY_SUBSCRIPTIONS, and its slot is given back when it ends."""
        caps = self._caps()
        new = message["id"] not in self.operations  # a reused id: strawberry closes 4409
        if self.connection_acknowledged and caps is not None and new:
            if len(self.operations) >= caps.per_connection:
                await self._refuse_operation(
                    message["id"], "live.too_many_on_connection", caps.per_connection
                )
                return
            slot = caps.start(id(self.context))
            if slot is None:
                await self._refuse_operation(message["id"], "live.too_many_for_user", caps.per_user)
                return
            try:
                await self._subscribe(message)
            finally:
                operation = self.operations.get(message["id"])
                if operation is not None and operation.task is not None:
                    operation.task.add_done_callback(lambda _: caps.finish(slot))
                else:  # refused, or already over
                    caps.finish(slot)
            return
        await self._subscribe(message)

    async def _subscribe(self, message: SubscribeMessage) -> None:
        """strawberry's subscribe, with the payload's persisted query resolved first."""
        view = self.view
        if self.connection_acknowledged and isinstance(view, GraphQLView):
            payload = message["payload"]
            try:
                document = view.persisted.resolve(payload.get("query"), payload.get("extensions"))
            except RequestRefused as refused:
                error = refused.formatted(self.context.locale)
                await self.send_message(
                    ErrorMessage(id=message["id"], type="error", payload=[error])
                )
                return
            if document is not None:
                payload["query"] = document
        await super().handle_subscribe(message)

    async def _ping(self) -> bool:
        """One ping, due every interval; whether the next one is."""
        if not self.connection_acknowledged:
            return True
        try:
            # An idle socket is re-authorised too: closed (4403) once its session ended.
            await viewer_now(self.context)
        except Unauthenticated:
            return False
        except Exception:  # the database unreachable: checked again at the next ping
            pass
        try:
            if not self._heard:  # nothing since the last ping: the peer is gone
                await self.websocket.close(code=DEAD_PEER_CLOSE_CODE, reason=DEAD_PEER_REASON)
                return False
            self._heard = False
            await self.websocket.send_json({"type": "ping"})
        except Exception:  # the connection is gone: handle() is ending it
            return False
        return True


class LeanWebSocketAdapter(ASGIWebSocketAdapter):
    """strawberry's, except that a received message's text is not kept in a local while the
    socket waits for the next one (for an idle subscribed socket: its subscribe message, the
    document's text included, ~1 KiB)."""

    async def iter_json(self, *, ignore_parsing_errors: bool = False) -> AsyncGenerator[object]:
        try:
            while self.ws.application_state != WebSocketState.DISCONNECTED:
                try:
                    yield self.view.decode_json(await self.ws.receive_text())
                except json.JSONDecodeError as e:
                    if not ignore_parsing_errors:
                        raise NonJsonMessageReceived from e
        except KeyError as e:
            raise NonTextMessageReceived from e
        except WebSocketDisconnect:
            pass


class GraphQLView(GraphQL[Context, None]):
    graphql_transport_ws_handler_class = KeepAliveHandler
    websocket_adapter_class = LeanWebSocketAdapter

    def __init__(
        self, schema: NeighborSchema, settings: Settings, deps: Callable[[], Deps]
    ) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if settings.graphiql_enabled else None,
            allow_queries_via_get=True,
            keep_alive=True,
            keep_alive_interval=settings.ws_ping_seconds,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=timedelta(seconds=10),
            multipart_uploads_enabled=True,
            # Counted by SocketCaps instead (graphql/sockets.py), refused with a code.
            max_subscriptions_per_connection=None,
        )
        self.caps = SocketCaps.of(settings)
        self._deps = deps
        self.persisted = PersistedDocuments(
            cache_size=settings.apq_cache_size,
            max_document_bytes=settings.apq_max_document_bytes,
            trusted=packaged_manifest() if settings.trusted_documents else None,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """strawberry's, with its plain-text refusals (bad JSON, a mutation over GET, ...)
        answered as GraphQL-shaped JSON errors, so every client mistake reads the same, and
        the media type and status the client asked for (graphql/media.py)."""
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope=scope, receive=receive)
        modern = prefers_graphql_response(request.headers.get("accept"))
        try:
            response = await self.run(request)
        except (RequestRefused, HTTPException) as failure:
            refused = failure if isinstance(failure, RequestRefused) else _refusal(failure)
            error = refused.formatted(negotiate(request.headers.get("accept-language")))
            status = refused.status if modern else refused.legacy_status
            response = self._error_response(error, status, modern, refused.headers)
        finally:
            # A multipart request's uploaded files: strawberry never closes them.
            await request.close()
        if modern and response.media_type == APPLICATION_JSON:  # not GraphiQL's page
            response.headers["content-type"] = f"{GRAPHQL_RESPONSE_JSON}; charset=utf-8"
            if getattr(request.state, "request_error", False):
                response.status_code = 400
        await response(scope, receive, send)

    def _error_response(
        self,
        error: GraphQLFormattedError,
        status: int,
        modern: bool,
        headers: dict[str, str] | None = None,
    ) -> Response:
        # A refused request has no `data` in the new media type; legacy clients expect null.
        body = {"errors": [error]} if modern else {"data": None, "errors": [error]}
        return Response(
            self.encode_json(body),
            status_code=status,
            media_type=APPLICATION_JSON,
            headers=headers,
        )

    def should_render_graphql_ide(self, request: BaseRequestProtocol) -> bool:
        """strawberry's (a browser's GET without `query`), except a GET naming a persisted
        query: Apollo Client sends those with `Accept: */*`."""
        # strawberry's first: a POST is answered there without parsing the query string.
        return (
            super().should_render_graphql_ide(request)
            and request.query_params.get("extensions") is None
        )

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        """strawberry's, running the persisted document the request names, and refusing an
        anonymous request over its address's rate limit (core/throttle.py, 429), a
        subscription (HTTP has no transport for one here) and a mutation over GET (405)."""
        if context.token is None:
            wait = await anonymous_wait(context.deps, context.client_address)
            if wait is not None:
                raise RequestRefused(
                    RATE_LIMITED,
                    "http.rate_limited",
                    status=429,
                    legacy_status=429,
                    headers={"Retry-After": str(wait)},
                    params={"seconds": wait},
                )
        document = self.persisted.resolve(request_data.query, request_data.extensions)
        allowed = {OperationType.QUERY}
        if request_adapter.method == "POST":
            allowed.add(OperationType.MUTATION)
        try:
            return await self.schema.execute(
                document,
                root_value=root_value,
                variable_values=request_data.variables,
                context_value=context,
                operation_name=request_data.operation_name,
                allowed_operation_types=allowed,
                operation_extensions=request_data.extensions,
            )
        except InvalidOperationTypeError as error:
            if error.operation_type is OperationType.SUBSCRIPTION:
                raise RequestRefused(
                    OPERATION_NOT_SUPPORTED, "http.subscription_over_http", legacy_status=400
                ) from None
            raise RequestRefused(
                BAD_USER_INPUT,
                "http.mutation_over_get",
                status=405,
                legacy_status=405,
                headers={"Allow": "POST"},
            ) from None
        except CannotGetOperationTypeError as error:
            raise HTTPException(400, error.as_http_error_reason()) from None
        except MissingQueryError:
            raise HTTPException(400, "No GraphQL query found in the request") from None

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        """strawberry's; a request error has no `data` (and is a 400) in the new media type."""
        response = await super().process_result(request, result)
        if is_request_error(result) and prefers_graphql_response(request.headers.get("accept")):
            request.state.request_error = True
            response.pop("data", None)
        return response

    def encode_json(self, data: object) -> str:
        """JSON text; a WebSocket message (a dict with a `type`; HTTP bodies have none) through
        `encode_message`."""
        if isinstance(data, dict) and "type" in data:
            return encode_message(data)
        return encode_json(data)

    def parse_json(self, data: str | bytes) -> Any:
        """strawberry's, but by orjson (`_loads`), and JSON that is not an object (or a batch
        list, refused later), bytes that are not UTF-8 and nesting too deep to decode are 400s
        too, not 500s."""
        try:
            value = _loads(data)
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
        payload = message.get("payload")
        if message["type"] == "subscribe" and isinstance(payload.get("query"), str):
            payload["query"] = _one_copy(payload["query"])
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
            viewer = await context.viewer()
        except Unauthenticated:
            raise ConnectionRejectionError({"code": "UNAUTHENTICATED"}) from None
        # The connection counts as its user's, or (anonymous) as its address's: closed with
        # 1013 over the cap (before connection_init, strawberry's 10 s timeout bounds it).
        if viewer is None:
            allowed = self.caps.open(id(context), context.client_address)
        else:
            allowed = self.caps.sign_in(id(context), viewer.user.id)
        if not allowed:
            raise TooManyConnections
        no_payload: UnsetType = UNSET
        return no_payload

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        deps = self._deps()
        return Context(
            deps=deps,
            locale=negotiate(request.headers.get("accept-language")),
            request_id=request_id_of(request.scope),
            token=bearer_token(request.headers.get("authorization")),
            client_address=client_address(
                request.client.host if request.client else None,
                request.headers.getlist("x-forwarded-for"),
                deps.settings.trusted_proxies,
            ),
            request=request,
        )
