"""The ONE place where errors become what clients see.

- `DomainError` raised by a mutation's service -> the payload's `errors: [UserError!]!`
  (`run_mutation`, the one mutation runner; every payload extends `Payload`); raised by a
  query -> a GraphQL error with that code.
- `Unauthenticated` -> a GraphQL error with `extensions.code = "UNAUTHENTICATED"`.
- Parse / validation / variable errors -> GRAPHQL_PARSE_FAILED / GRAPHQL_VALIDATION_FAILED /
  BAD_USER_INPUT; the limits -> QUERY_TOO_COMPLEX.
- Anything unexpected -> masked as INTERNAL_SERVER_ERROR with the request id (the original is
  logged with the same id), never a stack trace.
Messages are translated into the request's language here.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from enum import Enum
from typing import TYPE_CHECKING, Any, TypeVar

import strawberry
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError, GraphQLFormattedError, GraphQLSyntaxError
from strawberry.types import ExecutionContext, ExecutionResult

from neighbor_api.core.errors import (
    ERROR_CODE_DESCRIPTIONS,
    DomainError,
    ErrorCode,
    Unauthenticated,
)
from neighbor_api.core.i18n import DEFAULT_LOCALE, Locale, translate
from neighbor_api.graphql.enums import graphql_enum

if TYPE_CHECKING:
    from neighbor_api.context import Info
    from neighbor_api.core.policy import Actor

log = logging.getLogger("neighbor_api.errors")

graphql_enum(ErrorCode, "Why a mutation failed.", ERROR_CODE_DESCRIPTIONS)


@strawberry.type(description="Something wrong with a mutation's input or its effect.")
class UserError:
    code: ErrorCode = strawberry.field(description="What went wrong, for programs.")
    message: str = strawberry.field(description="What went wrong, in the request's language.")
    field: list[str] | None = strawberry.field(
        default=None, description='The path into the arguments, e.g. ["input", "title"].'
    )
    retry_after: int | None = strawberry.field(
        default=None,
        description="With RATE_LIMITED: the seconds to wait before trying again; else null.",
    )


@strawberry.interface(description="What every mutation answers: its result, or why it failed.")
class Payload:
    errors: list[UserError] = strawberry.field(
        default_factory=list, description="Empty on success."
    )


P = TypeVar("P", bound=Payload)
R = TypeVar("R")


def _retry_after(params: Mapping[str, object]) -> int | None:
    value = params.get("retry_after")
    return value if isinstance(value, int) else None


def user_errors(error: DomainError, locale: Locale) -> list[UserError]:
    return [
        UserError(
            code=problem.code,
            message=translate(problem.message, locale, problem.params),
            field=list(problem.field) if problem.field else None,
            retry_after=_retry_after(problem.params),
        )
        for problem in error.problems
    ]


async def run_mutation(
    info: Info,
    payload: type[P],
    action: Callable[[Actor], Awaitable[R]],
    shape: Callable[[R], P],
) -> P:
    """The one way a mutation runs: require the signed-in actor (else UNAUTHENTICATED), run
    `action` (parse ids with `input_id` and call the service), `shape` what it returns into the
    payload. Until the viewer accepted the current privacy policy, only `POLICY_EXEMPT` runs.
    A DomainError (ids included) becomes `payload(errors=...)`; nothing else is caught."""
    try:
        actor = await info.context.require_actor()
        if info.field_name not in POLICY_EXEMPT and await info.context.must_accept_policy():
            raise DomainError.of(ErrorCode.POLICY_NOT_ACCEPTED)
        return shape(await action(actor))
    except DomainError as error:
        return payload(errors=user_errors(error, info.context.locale))


def mutation_runner(
    payload: type[P], shape: Callable[[R], P]
) -> Callable[[Info, Callable[[Actor], Awaitable[R]]], Awaitable[P]]:
    """`run_mutation` with its payload and shape fixed: for the mutations of a feature that
    all answer the same payload from the same result (a task's moves, a report's workflow, a
    proposal's steps), so that rule is written once."""

    def run(info: Info, action: Callable[[Actor], Awaitable[R]]) -> Awaitable[P]:
        return run_mutation(info, payload, action, shape)

    return run


# The mutations a signed-in user may run before accepting a changed privacy policy: those
# needed to accept it or to leave (every other one answers POLICY_NOT_ACCEPTED).
POLICY_EXEMPT = frozenset(
    {"acceptPolicy", "logout", "deleteAccount", "exportMyData", "requestVerificationCode"}
)


async def run_public_mutation(
    info: Info, payload: type[P], action: Callable[[], Awaitable[R]], shape: Callable[[R], P]
) -> P:
    """`run_mutation` for the mutations that need no signed-in actor (register, login, ...)."""
    try:
        return shape(await action())
    except DomainError as error:
        return payload(errors=user_errors(error, info.context.locale))


# Codes outside the payloads.
UNAUTHENTICATED = "UNAUTHENTICATED"
QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
BAD_USER_INPUT = "BAD_USER_INPUT"
INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
# Refusals of the HTTP/WebSocket transport, before any execution (see RequestRefused).
OPERATION_NOT_SUPPORTED = "OPERATION_NOT_SUPPORTED"
PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
PERSISTED_QUERY_NOT_SUPPORTED = "PERSISTED_QUERY_NOT_SUPPORTED"
PERSISTED_QUERY_HASH_MISMATCH = "PERSISTED_QUERY_HASH_MISMATCH"
OPERATION_NOT_TRUSTED = "OPERATION_NOT_TRUSTED"
# A WebSocket `subscribe` over the connection's or the user's cap (graphql/sockets.py).
TOO_MANY_SUBSCRIPTIONS = "TOO_MANY_SUBSCRIPTIONS"
# An anonymous HTTP request over its address's rate limit (core/throttle.py).
RATE_LIMITED = "RATE_LIMITED"
# Errors meaning the request was refused before execution started (a GraphQL "request error"):
# answered 400 without `data` to clients accepting application/graphql-response+json.
REQUEST_ERROR_CODES = frozenset(
    {GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED, BAD_USER_INPUT, QUERY_TOO_COMPLEX}
)


class RequestRefused(Exception):
    """A request the transport refuses before execution: `code` and the i18n key of its
    message. `status` is its HTTP status for application/graphql-response+json clients,
    `legacy_status` for application/json ones (the spec's 200 for a well-formed request)."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: int = 400,
        legacy_status: int = 200,
        headers: dict[str, str] | None = None,
        params: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(code)
        self.params = params
        self.code = code
        self.message = message
        self.status = status
        self.legacy_status = legacy_status
        self.headers = headers or {}

    def formatted(
        self, locale: Locale, params: Mapping[str, object] | None = None
    ) -> GraphQLFormattedError:
        """The error as it appears in `errors` (an HTTP body or a WebSocket `error`)."""
        return {
            "message": translate(self.message, locale, params or self.params),
            "extensions": {"code": self.code},
        }


def _context_value(execution_context: ExecutionContext, name: str, default: Any) -> Any:
    return getattr(execution_context.context, name, default)


def _is_expected(error: GraphQLError) -> bool:
    original = error.original_error
    return original is None or isinstance(original, DomainError | Unauthenticated | GraphQLError)


def _set_code(error: GraphQLError, code: str) -> None:
    error.extensions = {**(error.extensions or {}), "code": code}


def limit_error(detail: str) -> GraphQLError:
    """An operation over a limit (the message is translated with the others)."""
    return GraphQLError(
        f"query too complex: {detail}", extensions={"code": QUERY_TOO_COMPLEX, "detail": detail}
    )


def as_graphql_error(
    error: DomainError | Unauthenticated,
    locale: Locale,
    *,
    nodes: Any = None,
    path: Any = None,
) -> GraphQLError:
    """A domain refusal outside a payload (a query, a subscription): its code and message."""
    if isinstance(error, Unauthenticated):
        message, code = translate(error.message, locale), UNAUTHENTICATED
    else:
        problem = error.problems[0]
        message = translate(problem.message, locale, problem.params)
        code = problem.code.value
        retry_after = _retry_after(problem.params)
        if retry_after is not None:
            return GraphQLError(
                message, nodes, path=path, extensions={"code": code, "retryAfter": retry_after}
            )
    return GraphQLError(message, nodes, path=path, extensions={"code": code})


# graphql-core's suggestions: " Did you mean 'a', 'b' or 'c'?" (names hold no "?").
_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")
# Where graphql-core's input-coercion messages start quoting the submitted value.
_VALUE_QUOTES = (", but encountered", ", found", ". Found", "; found", ": ")


def without_suggestions(message: str) -> str:
    """A message with every "Did you mean ...?" removed: fields, arguments, types, enum values,
    input fields (validation and variable coercion alike)."""
    return _SUGGESTION.sub("", message)


def _without_value(reason: str) -> str:
    """A coercion reason cut where it would quote the submitted value (a password, say):
    "Int cannot represent non-integer value: 'abc'" -> "Int cannot represent non-integer
    value."."""
    cut = min((i for i in (reason.find(q) for q in _VALUE_QUOTES) if i > 0), default=-1)
    if cut > 0:
        reason = reason[:cut].rstrip(".") + "."
    return reason


def _variable_error(error: GraphQLError, locale: Locale, suggestions: bool) -> GraphQLError | None:
    """A variable that does not fit its type, said without ever echoing its value (in every
    environment): "Variable '$input' has invalid value at .password: <reason>" keeps the
    variable, the path and the reason up to where graphql-core would quote the value."""
    inner = error.original_error
    if not isinstance(inner, GraphQLError) or not error.message.startswith("Variable '$"):
        return None
    head = error.message.removesuffix(f": {inner.message}")
    if head == error.message:  # not the shape graphql-core writes: say nothing of the value
        head = error.message.split(" has invalid value")[0] + " has invalid value"
    reason = inner.message if suggestions else without_suggestions(inner.message)
    return GraphQLError(
        f"{head}: {_without_value(reason)}",
        error.nodes,
        extensions={**(error.extensions or {}), "code": BAD_USER_INPUT},
    )


def code_validation_errors(execution_context: ExecutionContext) -> None:
    """After validation: every validation error without a code is GRAPHQL_VALIDATION_FAILED
    (the limits' refusals carry theirs)."""
    for error in execution_context.pre_execution_errors or []:
        if not (error.extensions or {}).get("code"):
            _set_code(error, GRAPHQL_VALIDATION_FAILED)


def code_errors(execution_context: ExecutionContext, result: Any, suggestions: bool) -> None:
    """Give each error of `result` (the operation's, or a subscription's each result) a code
    and a message in the request's language; variable errors never echo the submitted values,
    and without `suggestions` (production, test) no message carries a "Did you mean ...?"."""
    errors = getattr(result, "errors", None)
    if not errors:
        return
    locale = _context_value(execution_context, "locale", DEFAULT_LOCALE)
    result.errors = [_shown(error, locale, suggestions) for error in errors]


def _shown(error: GraphQLError, locale: Locale, suggestions: bool) -> GraphQLError:
    variable = _variable_error(error, locale, suggestions)
    if variable is not None:
        return variable
    error = _coded(error, locale)
    if not suggestions and "Did you mean" in error.message:
        return GraphQLError(
            without_suggestions(error.message),
            error.nodes,
            path=error.path,
            extensions=error.extensions,
        )
    return error


def _coded(error: GraphQLError, locale: Locale) -> GraphQLError:
    original = error.original_error
    if isinstance(original, DomainError | Unauthenticated):
        return as_graphql_error(original, locale, nodes=error.nodes, path=error.path)
    if isinstance(error, GraphQLSyntaxError):
        if "tokens" not in error.message:
            _set_code(error, GRAPHQL_PARSE_FAILED)
            return error
        # The parser's token limit (graphql/platform.py sets it): a limit, not a syntax error.
        error = limit_error(error.message.removeprefix("Syntax Error: "))
    extensions = error.extensions or {}
    if extensions.get("code") == QUERY_TOO_COMPLEX and "detail" in extensions:
        message = translate("query.too_complex", locale, {"detail": extensions["detail"]})
        return GraphQLError(message, error.nodes, extensions=extensions)
    if not (error.extensions or {}).get("code") and _is_expected(error):
        # What is left before execution is a variable that does not fit its type.
        _set_code(error, BAD_USER_INPUT)
    return error


def mask_internal_errors(execution_context: ExecutionContext, result: Any) -> None:
    """Replace each unexpected error of `result` (and of its incremental parts, if any) by
    INTERNAL_SERVER_ERROR with the request id, in the request's language (the original is
    logged, `log_unexpected`); user and validation errors are kept. As strawberry's MaskErrors
    does, for the operation's result and for each result of a subscription."""
    for part in (
        result,
        *(getattr(result, "incremental", None) or ()),
        *(getattr(result, "completed", None) or ()),
    ):
        errors = getattr(part, "errors", None)
        if errors:
            part.errors = [
                error if _is_expected(error) else _anonymised(execution_context, error)
                for error in errors
            ]


def operation_result(execution_context: ExecutionContext) -> Any:
    """The result the operation's errors are in (an incremental delivery's initial one)."""
    result = execution_context.result
    if isinstance(result, GraphQLExecutionResult | ExecutionResult):
        return result
    return getattr(result, "initial_result", None)


def _anonymised(execution_context: ExecutionContext, error: GraphQLError) -> GraphQLError:
    locale = _context_value(execution_context, "locale", DEFAULT_LOCALE)
    request_id = _context_value(execution_context, "request_id", "-")
    return GraphQLError(
        translate("internal", locale, {"request_id": request_id}),
        error.nodes,
        path=error.path,
        extensions={"code": INTERNAL_SERVER_ERROR, "requestId": request_id},
    )


def log_unexpected(errors: list[GraphQLError], execution_context: ExecutionContext | None) -> None:
    """Log internal failures (with the request id); clients' mistakes are not logged as errors."""
    request_id = _context_value(execution_context, "request_id", "-") if execution_context else "-"
    for error in errors:
        if not _is_expected(error):
            log.error(
                "request %s failed at %s", request_id, error.path, exc_info=error.original_error
            )


def enum_description(enum: type[Enum]) -> str:
    return (enum.__doc__ or enum.__name__).strip()
