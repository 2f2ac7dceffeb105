"""A document parsed once and validated once per text: the parse and validation caches.

Parsing: one LRU of documents by text (and parse options: the token limit). A text that does
not parse (a syntax error, over the token limit) is left to strawberry's own parse step, which
raises it as the operation's error: raised here, it would escape the operation before the
errors are coded and masked (graphql/errors.py).

Validation: by the document's text (`Validation`), not by the document: graphql-core's nodes
are frozen dataclasses whose hash walks the whole tree on every call (strawberry's
ValidationCache hashes the document on every request: 150 µs for the contract's reports
document, which holds several operations). A str caches its hash; the parse cache gives the
same text the same document.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from functools import lru_cache

from graphql import ASTValidationRule, DocumentNode, GraphQLError, GraphQLSchema, parse
from strawberry.schema.schema import validate_document
from strawberry.types import ExecutionContext

DOCUMENTS_KEPT = 512

_parsed = lru_cache(maxsize=DOCUMENTS_KEPT)(parse)


def parse_cached(context: ExecutionContext) -> None:
    """The parse step: the document of the context's text, from the cache."""
    if context.query is None:
        return
    with suppress(GraphQLError):
        context.graphql_document = _parsed(context.query, **context.parse_options)


@dataclass(frozen=True)
class Validation:
    """What a validation depends on, compared by the document's text (see the module's
    docstring)."""

    schema: GraphQLSchema
    query: str
    rules: tuple[type[ASTValidationRule], ...]
    document: DocumentNode = field(compare=False, hash=False)


Validator = Callable[[Validation], list[GraphQLError]]


def _validate(validation: Validation) -> list[GraphQLError]:
    return validate_document(validation.schema, validation.document, validation.rules)


def validation_cache() -> Validator:
    """A schema's validation cache (one per schema, so that it goes with it)."""
    return lru_cache(maxsize=DOCUMENTS_KEPT)(_validate)


def validate_cached(context: ExecutionContext, validated: Validator) -> None:
    """The validation step: the errors of the context's document, from the cache (unless the
    limits refused it already: graphql/limits.py)."""
    if (
        context.graphql_document is not None
        and context.query is not None
        and context.pre_execution_errors is None
    ):
        context.pre_execution_errors = validated(
            Validation(
                context.schema._schema,
                context.query,
                context.validation_rules,
                context.graphql_document,
            )
        )
