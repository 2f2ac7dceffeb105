"""Authentication before execution: a token that is present but invalid or expired (or whose
session ended) is UNAUTHENTICATED whatever was asked, so the app knows to refresh.

A WebSocket is authorised as of now for each operation, each subscription event (live/) and
each keep-alive ping (graphql/view.py), through the session cache; once its session has ended
(logout, revocation, expiry, account or role changes that end it) the socket is closed with
4403, as a bad token is at connection_init."""

from __future__ import annotations

import asyncio

from graphql import GraphQLError
from graphql.execution import ExecutionResult
from starlette.websockets import WebSocket, WebSocketState
from strawberry.types import ExecutionContext

from neighbor_api.context import Context, Viewer
from neighbor_api.core.errors import Unauthenticated

SESSION_ENDED_CLOSE_CODE = 4403
SESSION_ENDED_REASON = "session ended"

# Close tasks in flight (a reference, so they are not garbage-collected).
_closing: set[asyncio.Task[None]] = set()


def close_socket(context: Context, code: int, reason: str) -> None:
    """Close the context's WebSocket, if it is one and open (from a task: the caller may be
    running inside the socket's own handler, or be the live hub, which never waits)."""
    websocket = context.request
    if isinstance(websocket, WebSocket) and websocket.application_state is WebSocketState.CONNECTED:
        task = asyncio.get_running_loop().create_task(websocket.close(code, reason))
        _closing.add(task)
        task.add_done_callback(_closing.discard)


async def viewer_now(context: Context) -> Viewer | None:
    """The context's viewer authorised again, as of now; Unauthenticated (and, on a WebSocket,
    the socket closed with 4403) when the session ended or the token expired."""
    try:
        return await context.viewer(fresh=True)
    except Unauthenticated:
        close_socket(context, SESSION_ENDED_CLOSE_CODE, SESSION_ENDED_REASON)
        raise


async def authenticate(execution_context: ExecutionContext) -> None:
    """Before execution (graphql/platform.py): a bad token makes the operation's result
    UNAUTHENTICATED, whatever it asked; over a WebSocket each operation is authorised anew."""
    context = execution_context.context
    try:
        if context.over_websocket:
            # One context serves every operation of a socket: each is authorised anew.
            await viewer_now(context)
        else:
            await context.viewer()
    except Unauthenticated as error:
        execution_context.result = ExecutionResult(
            data=None, errors=[GraphQLError(error.message, original_error=error)]
        )
