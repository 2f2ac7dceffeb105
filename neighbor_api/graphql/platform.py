"""The platform's one schema extension, `Platform`, and the runner that calls it directly.

Every operation (HTTP or WebSocket, query, mutation or subscription) passes these steps; each
rule lives in its own module, and `Platform` only calls them, in this order:

- operation start: the clock starts (graphql/observe.py); the parser's token limit is set;
  without introspection (production) graphql-core's NoSchemaIntrospectionCustomRule joins the
  validation rules;
- parse: the parse cache (graphql/documents.py);
- validation: the limits refuse an over-limit document before validating it
  (graphql/limits.py), then the validation cache (graphql/documents.py); after it every
  validation error without a code gets GRAPHQL_VALIDATION_FAILED (graphql/errors.py);
- execution: a subscription counts among the open ones (observe), then authentication
  (graphql/auth.py: a bad token makes the result UNAUTHENTICATED);
- each subscription result WITH errors: internal errors masked, then every error coded
  (graphql/errors.py); once it is sent, its codes noted (observe). An errorless result passes
  no hook at all (`StreamRunner`, graphql/execution.py);
- operation end: the result's errors coded, then internal ones masked (unless a subscription
  result was masked already), then the metrics and the log line (observe) — the last always
  runs, even when the operation raised.

`PlatformRunner` enters these steps as strawberry's extension runner would enter the hooks of
every extension (a context manager per extension per step, found by looking each hook up on
each extension, on every request), but with one small object per step that calls `Platform`'s
methods directly. With another extension beside `Platform` it is strawberry's runner, and
`Platform`'s hooks (`on_operation`, ...) do the same steps.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TypeVar, cast

from graphql import ASTValidationRule
from strawberry.extensions import SchemaExtension
from strawberry.extensions.context import (
    ExecutingContextManager,
    OperationContextManager,
    ParsingContextManager,
    ValidationContextManager,
)
from strawberry.types import ExecutionContext

from neighbor_api.core.metrics import Metrics
from neighbor_api.graphql.auth import authenticate
from neighbor_api.graphql.documents import Validator, parse_cached, validate_cached
from neighbor_api.graphql.errors import (
    code_errors,
    code_validation_errors,
    mask_internal_errors,
    operation_result,
)
from neighbor_api.graphql.execution import StreamRunner
from neighbor_api.graphql.limits import Limits, check_limits
from neighbor_api.graphql.observe import OperationObserver


@dataclass(frozen=True, slots=True)
class PlatformRules:
    """What the steps depend on, fixed when the schema is built."""

    metrics: Metrics | None
    limits: Limits
    validated: Validator
    max_tokens: int
    # Field suggestions ("Did you mean ...?") kept in messages.
    suggestions: bool
    # Validation rules added to graphql-core's (introspection refused in production).
    validation_rules: tuple[type[ASTValidationRule], ...] = ()


class Platform(SchemaExtension):
    """One operation's passage through the platform's rules (the module docstring lists the
    steps). One instance per operation (strawberry builds it from the schema's factory)."""

    def __init__(self, rules: PlatformRules) -> None:
        self.rules = rules
        self.observer = OperationObserver(rules.metrics)
        # A subscription result was masked (the operation's end does not mask again).
        self.stream_masked = False

    # The steps, called by PlatformRunner.

    def start(self) -> None:
        context = self.execution_context
        self.observer.start()
        context.parse_options["max_tokens"] = self.rules.max_tokens
        if self.rules.validation_rules:
            context.validation_rules = context.validation_rules + self.rules.validation_rules

    def end(self, failed: bool) -> None:
        context = self.execution_context
        try:
            if not failed:
                code_errors(context, context.result, self.rules.suggestions)
                if not self.stream_masked:
                    mask_internal_errors(context, operation_result(context))
        finally:
            self.observer.finished(context)

    def parse(self) -> None:
        parse_cached(self.execution_context)

    def validate(self) -> None:
        context = self.execution_context
        check_limits(context, self.rules.limits)
        validate_cached(context, self.rules.validated)

    def validated(self) -> None:
        code_validation_errors(self.execution_context)

    async def execute(self) -> None:
        context = self.execution_context
        self.observer.executing(context)
        await authenticate(context)

    def stream_result(self, result: Any) -> None:
        """A subscription result with errors, before it is sent."""
        self.stream_masked = True
        mask_internal_errors(self.execution_context, result)
        code_errors(self.execution_context, result, self.rules.suggestions)

    def stream_result_sent(self, result: Any) -> None:
        self.observer.streamed(result)

    # strawberry's hooks: the same steps, for strawberry's runner (a subscription result with
    # errors goes through it: StreamRunner; or another extension beside this one).

    def on_operation(self) -> Iterator[None]:
        self.start()
        try:
            yield
        except BaseException:
            self.end(failed=True)
            raise
        self.end(failed=False)

    def on_parse(self) -> Iterator[None]:
        self.parse()
        yield

    def on_validate(self) -> Iterator[None]:
        self.validate()
        yield
        self.validated()

    async def on_execute(self) -> AsyncIterator[None]:
        await self.execute()
        yield

    def on_stream_result(self, result: Any) -> Iterator[None]:
        self.stream_result(result)
        yield
        self.stream_result_sent(result)


class _Step:
    """One step as strawberry enters it (`async with`, or `with` on its synchronous path)."""

    __slots__ = ("platform",)

    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    def enter(self) -> None:
        """Before the step."""

    def exit(self, failed: bool) -> None:
        """After the step."""

    def __enter__(self) -> None:
        self.enter()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.exit(exc_type is not None)

    async def __aenter__(self) -> None:
        self.enter()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.exit(exc_type is not None)


class _Operation(_Step):
    __slots__ = ()

    def enter(self) -> None:
        self.platform.start()

    def exit(self, failed: bool) -> None:
        self.platform.end(failed)


class _Parsing(_Step):
    __slots__ = ()

    def enter(self) -> None:
        self.platform.parse()


class _Validation(_Step):
    __slots__ = ()

    def enter(self) -> None:
        self.platform.validate()

    def exit(self, failed: bool) -> None:
        if not failed:
            self.platform.validated()


class _Executing(_Step):
    __slots__ = ()

    def enter(self) -> None:
        # As strawberry's runner: authentication awaits, the synchronous path cannot.
        raise RuntimeError("the platform's execution step cannot complete synchronously")

    async def __aenter__(self) -> None:
        await self.platform.execute()


M = TypeVar("M")


class PlatformRunner(StreamRunner):
    """The schema's extension runner: `Platform`'s steps called directly (the module docstring
    says why), and StreamRunner's errorless subscription results that pass no hook."""

    def __init__(self, execution_context: ExecutionContext, extensions: list[SchemaExtension]):
        super().__init__(execution_context=execution_context, extensions=extensions)
        only = self.extensions
        self.platform = only[0] if len(only) == 1 and isinstance(only[0], Platform) else None

    def _step(self, step: type[_Step], strawberrys: Callable[[], M]) -> M:
        """The step's object calling `Platform`, or strawberry's context manager without it."""
        if self.platform is None:
            return strawberrys()
        return cast(M, step(self.platform))

    def operation(self) -> OperationContextManager:
        return self._step(_Operation, super().operation)

    def parsing(self) -> ParsingContextManager:
        return self._step(_Parsing, super().parsing)

    def validation(self) -> ValidationContextManager:
        return self._step(_Validation, super().validation)

    def executing(self) -> ExecutingContextManager:
        return self._step(_Executing, super().executing)
