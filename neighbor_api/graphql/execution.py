"""One execution of a subscription event for all the sockets that would compute the same result.

At the size of a heated vote, 1,000 sockets subscribe to one board with the same document
(the app's), and a card move is one event for all of them. graphql-core executes the
subscription's selection once per socket per event (~0.5 ms each: 0.5 s of one core for one
move). Sockets whose result cannot differ — the same event, the same operation with the same
variables, seen by the same actor (user and grants, as of now) in the same language — share
one execution: the first to ask executes it, the others await the same `ExecutionResult`.

A payload opts in by carrying `live_share` (an `EventShare`): the subscription's delivery loop
(live/resolvers.py) sets it with the event's `Shared` and the socket's viewer key. Payloads
without it (notifications: one user each) execute as graphql-core always does.

`StreamRunner` (the base of the schema's extensions runner, graphql/platform.py) lets a
subscription result without errors skip the extensions' per-result hooks: the platform's
per-result steps (error codes, masking, observing) act on errors only, and entering them cost each
of 1,000 sockets ~10% of its share of a card move. A result with errors runs them all. It also
asks for results (`get_results`, run for every result) only the extensions that give some:
none of the schema's does, and awaiting each one's empty dict was a coroutine per extension,
result and socket.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any, Protocol, cast

from graphql import ExecutionResult, ExperimentalIncrementalExecutionResults
from graphql.pyutils import AwaitableOrValue
from strawberry.extensions import SchemaExtension
from strawberry.extensions.context import StreamResultContextManager
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types import ExecutionContext, StreamExecutionResult
from strawberry.utils.await_maybe import await_maybe

from neighbor_api.graphql.plain import PlainFields

Outcome = ExecutionResult | ExperimentalIncrementalExecutionResults


class Once(Protocol):
    def once(self, key: Hashable, read: Callable[[], Awaitable[Any]]) -> Awaitable[Any]: ...


@dataclass(frozen=True, slots=True)
class EventShare:
    """What a subscription payload shares: the event's once-per-key store and who sees it."""

    shared: Once
    viewer: Hashable


def _variables_key(values: dict[str, Any]) -> Hashable:
    return tuple(sorted((name, repr(value)) for name, value in values.items()))


class SharedEventExecution(PlainFields, StrawberryGraphQLCoreExecutionContext):
    """strawberry's executor, except that a subscription event whose payload carries an
    `EventShare` is executed once per (operation, variables, viewer) for all its sockets, and
    that plain fields are answered without graphql-core's per-field machinery
    (graphql/plain.py)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.plain = self.plain_table()

    def execute_operation(self, serially: bool | None = None) -> AwaitableOrValue[Outcome]:
        share = getattr(self.root_value, "live_share", None)
        if not isinstance(share, EventShare):
            return super().execute_operation(serially)
        # The operation node is alive while any executor of it is (the parse cache gives one
        # text one node), so its id names it for the event's short life.
        key = (
            "execution",
            id(self.operation),
            _variables_key(self.variable_values.coerced),
            share.viewer,
        )

        async def execute() -> Outcome:
            result = super(SharedEventExecution, self).execute_operation(serially)
            if self.is_awaitable(result):
                return await cast(Awaitable[Outcome], result)
            return cast(Outcome, result)

        return share.shared.once(key, execute)


# Entered by every errorless subscription result: reusable, it holds nothing.
_NO_HOOKS: nullcontext[None] = nullcontext()


class StreamRunner(SchemaExtensionsRunner):
    """strawberry's runner, except that a streamed result without errors skips the
    `on_stream_result` hooks (the module docstring says why nothing is lost)."""

    def on_stream_result(self, result: StreamExecutionResult) -> StreamResultContextManager:
        if getattr(result, "errors", None):
            return super().on_stream_result(result)
        # An async context manager like strawberry's, entered the same way (`async with`).
        return cast(StreamResultContextManager, _NO_HOOKS)

    async def get_extensions_results(self, ctx: ExecutionContext) -> dict[str, Any]:
        """strawberry's, without awaiting the `get_results` of extensions that do not
        override it (SchemaExtension's answers {})."""
        data: dict[str, Any] = {}
        for extension in self.extensions:
            if type(extension).get_results is not SchemaExtension.get_results:
                data.update(await await_maybe(extension.get_results()))
        data.update(ctx.extensions_results)
        return data
