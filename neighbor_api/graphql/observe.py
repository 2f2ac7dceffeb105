"""Each GraphQL operation, measured and logged: what feeds `core/metrics.py` and the
operation's log line (over HTTP, its fields join the request's one line; over WebSocket the
operation logs its own line).

The platform's extension (graphql/platform.py) starts it first and finishes it last, so it
sees errors after they were coded and masked (graphql/errors.py). Outcome: `ok`, or the first
error's code — GraphQL errors, or a mutation payload's `errors` when the client selected their
`code`.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from graphql import GraphQLError, OperationDefinitionNode, get_operation_ast
from starlette.requests import Request
from strawberry.types import ExecutionContext
from strawberry.types.graphql import OperationType

from neighbor_api.core.metrics import ANONYMOUS, OK, Metrics, elapsed
from neighbor_api.middleware import note_operation

log = logging.getLogger("neighbor_api.graphql")


def _codes(errors: list[GraphQLError] | None) -> list[str]:
    return [str((error.extensions or {}).get("code", "UNKNOWN")) for error in errors or []]


def _payload_codes(data: Any) -> list[str]:
    """The codes in the payloads of a mutation's top-level fields (only those selected)."""
    if not isinstance(data, dict):
        return []
    return [
        problem["code"]
        for payload in data.values()
        if isinstance(payload, dict) and isinstance(payload.get("errors"), list)
        for problem in payload["errors"]
        if isinstance(problem, dict) and isinstance(problem.get("code"), str)
    ]


class OperationObserver:
    """One operation's measure (the platform's extension, graphql/platform.py, holds one per
    operation and calls it at each step)."""

    __slots__ = ("metrics", "operation", "started", "streamed_codes", "subscription_field")

    def __init__(self, metrics: Metrics | None) -> None:
        self.metrics = metrics
        self.started = 0.0
        self.subscription_field: str | None = None
        self.streamed_codes: list[str] | None = None
        self.operation: OperationDefinitionNode | None = None

    def _operation(self, context: ExecutionContext) -> OperationDefinitionNode | None:
        if self.operation is None and context.graphql_document is not None:
            self.operation = get_operation_ast(context.graphql_document, context.operation_name)
        return self.operation

    def start(self) -> None:
        """When the operation starts."""
        self.started = time.perf_counter()

    def executing(self, context: ExecutionContext) -> None:
        """When execution starts: a subscription counts among the open ones."""
        operation = self._operation(context)
        if operation is not None and operation.operation.value == "subscription":
            selections = operation.selection_set.selections
            field = getattr(selections[0], "name", None) if selections else None
            self.subscription_field = field.value if field is not None else ANONYMOUS
            if self.metrics is not None:
                self.metrics.subscriptions.labels(self.subscription_field).inc()

    def streamed(self, result: Any) -> None:
        """Over WebSocket each result with errors passes here (after they were coded)."""
        if self.streamed_codes is None:
            self.streamed_codes = []
        self.streamed_codes.extend(_codes(getattr(result, "errors", None)))

    def finished(self, context: ExecutionContext) -> None:
        """When the operation ends (whatever happened): its metrics and its log line."""
        seconds = elapsed(self.started)
        operation = self._operation(context)
        name = operation.name.value if operation is not None and operation.name else None
        kind = operation.operation.value if operation is not None else "unknown"
        result = context.result
        codes = self.streamed_codes
        if codes is None:
            codes = _codes(result.errors if result is not None else context.pre_execution_errors)
        if kind == OperationType.MUTATION.value and result is not None:
            codes = codes + _payload_codes(result.data)
        if self.metrics is not None:
            label = self.metrics.operation_name(name)
            self.metrics.graphql_operation(
                operation=label,
                kind=kind,
                codes=codes,
                seconds=None if self.subscription_field else seconds,
            )
            if self.subscription_field is not None:
                self.metrics.subscriptions.labels(self.subscription_field).dec()
        viewer_id = getattr(context.context, "viewer_id", None)
        fields = {
            "operation": name or ANONYMOUS,
            "operation_type": kind,
            "user_id": str(viewer_id) if viewer_id is not None else None,
            "outcome": codes[0] if codes else OK,
        }
        request = getattr(context.context, "request", None)
        if isinstance(request, Request):
            note_operation(request.scope, fields)
            return
        log.info(
            "graphql %s %s %s %.1fms",
            kind,
            fields["operation"],
            fields["outcome"],
            seconds * 1000,
            extra={**fields, "duration_ms": round(seconds * 1000, 1)},
        )
