"""The GraphQL endpoint: HTTP (POST JSON, GET for queries, multipart uploads), WebSocket
(graphql-transport-ws only) and GraphiQL for browsers."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import timedelta

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.unset import UNSET, UnsetType

from neighbor_api.context import Context, bearer_token
from neighbor_api.core.deps import Deps
from neighbor_api.core.errors import Unauthenticated
from neighbor_api.core.i18n import negotiate
from neighbor_api.schema import NeighborSchema
from neighbor_api.settings import Settings

KEEP_ALIVE_SECONDS = 15


class GraphQLView(GraphQL[Context, None]):
    def __init__(
        self, schema: NeighborSchema, settings: Settings, deps: Callable[[], Deps]
    ) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql",
            allow_queries_via_get=True,
            keep_alive=True,
            keep_alive_interval=KEEP_ALIVE_SECONDS,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=timedelta(seconds=10),
            multipart_uploads_enabled=True,
            max_subscriptions_per_connection=settings.max_subscriptions_per_connection,
        )
        self._deps = deps

    def encode_json(self, data: object) -> str:
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

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
        request_id = uuid.uuid4().hex[:16]
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
