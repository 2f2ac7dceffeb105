"""Authentication before execution: a token that is present but invalid or expired (or whose
session ended) is UNAUTHENTICATED whatever was asked, so the app knows to refresh; on a
WebSocket, for every operation."""

from __future__ import annotations

from collections.abc import AsyncIterator

from graphql import GraphQLError
from graphql.execution import ExecutionResult
from strawberry.extensions import SchemaExtension

from neighbor_api.core.errors import Unauthenticated


class Authenticate(SchemaExtension):
    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context.context
        try:
            # A WebSocket's context outlives its operations: each is authorised as of now.
            await context.viewer(fresh=context.over_websocket)
        except Unauthenticated as error:
            self.execution_context.result = ExecutionResult(
                data=None, errors=[GraphQLError(error.message, original_error=error)]
            )
        yield
