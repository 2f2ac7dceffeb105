"""The schema: the features' roots merged, with the platform's extensions."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from functools import lru_cache, partial
from typing import Any

import strawberry
from graphql import ASTValidationRule, DocumentNode, GraphQLError, GraphQLSchema
from strawberry import relay
from strawberry.extensions import (
    DisableIntrospection,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
)
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import validate_document
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from neighbor_api.accounts.resolvers import AccountMutation, AccountQuery
from neighbor_api.attachments.resolvers import AttachmentMutation
from neighbor_api.attachments.service import MAX_ATTACHMENTS
from neighbor_api.boards.resolvers import BoardMutation, BoardQuery
from neighbor_api.boards.service import MAX_COLUMNS
from neighbor_api.context import Info
from neighbor_api.core.metrics import Metrics
from neighbor_api.councils.resolvers import CouncilMutation, CouncilQuery
from neighbor_api.councils.service import MAX_OPTIONS
from neighbor_api.graphql.auth import Authenticate
from neighbor_api.graphql.direct import direct_resolvers
from neighbor_api.graphql.errors import ErrorCodes, MaskInternalErrors, log_unexpected
from neighbor_api.graphql.execution import SharedEventExecution, StreamRunner
from neighbor_api.graphql.limits import Limits, QueryLimits
from neighbor_api.graphql.observe import ObserveOperations
from neighbor_api.graphql.relay import resolve_node
from neighbor_api.graphql.scalars import SCALAR_OVERRIDES
from neighbor_api.live.resolvers import LiveSubscription
from neighbor_api.memberships.resolvers import MembershipMutation, MembershipQuery
from neighbor_api.notifications.resolvers import (
    NotificationMutation,
    NotificationQuery,
    NotificationSubscription,
)
from neighbor_api.patrols.resolvers import PatrolMutation, PatrolQuery
from neighbor_api.places.resolvers import PlaceQuery
from neighbor_api.privacy.resolvers import PrivacyMutation, PrivacyQuery
from neighbor_api.reports.models import ReportCategory, ReportStatus
from neighbor_api.reports.resolvers import ReportMutation, ReportQuery
from neighbor_api.reports.service import MAX_DUPLICATES
from neighbor_api.rewards.resolvers import RewardMutation, RewardQuery
from neighbor_api.settings import Settings
from neighbor_api.stats.resolvers import StatsQuery
from neighbor_api.surveys.resolvers import SurveyMutation, SurveyQuery


@strawberry.type
class NodeQuery:
    @strawberry.field(description="Any object the viewer may see, by its global id.")
    async def node(self, info: Info, id: strawberry.ID) -> relay.Node | None:
        return await resolve_node(info, id)


Query = merge_types(
    "Query",
    (
        NodeQuery,
        AccountQuery,
        PlaceQuery,
        MembershipQuery,
        ReportQuery,
        CouncilQuery,
        BoardQuery,
        RewardQuery,
        StatsQuery,
        PatrolQuery,
        NotificationQuery,
        PrivacyQuery,
        SurveyQuery,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        AccountMutation,
        MembershipMutation,
        ReportMutation,
        AttachmentMutation,
        CouncilMutation,
        BoardMutation,
        PatrolMutation,
        RewardMutation,
        NotificationMutation,
        PrivacyMutation,
        SurveyMutation,
    ),
)
Subscription = merge_types("Subscription", (LiveSubscription, NotificationSubscription))


# Lists whose length the services bound, counted at that bound by the cost estimate
# (graphql/limits.py); other lists of objects count LIST_FACTOR (10) items. Task.assignees is
# not here on purpose: capacity allows 50, but tasks hold a few.
LIST_BOUNDS: dict[str, int] = {
    "Board.columns": MAX_COLUMNS,
    "Report.photos": MAX_ATTACHMENTS,
    "Report.resolutionPhotos": MAX_ATTACHMENTS,
    "TaskSubmission.photos": MAX_ATTACHMENTS,
    "Proposal.options": MAX_OPTIONS,
    "SubmitReportPayload.possibleDuplicates": MAX_DUPLICATES,
    "PlaceStats.reportsByStatus": len(ReportStatus),
    "PlaceStats.reportsByCategory": len(ReportCategory),
}


class CachedParser(ParserCache):
    """strawberry's ParserCache, except that a document that does not parse (a syntax error or
    over the token limit) is left to strawberry's own parse step: an error raised in this hook
    would escape the operation before ErrorCodes and MaskInternalErrors see it (no code)."""

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        with suppress(GraphQLError):
            context.graphql_document = self.cached_parse_document(
                context.query, **context.parse_options
            )
        yield


@dataclass(frozen=True)
class Validation:
    """What a validation depends on, compared by the document's text: graphql-core's nodes are
    frozen dataclasses whose hash walks the whole tree on every call, and strawberry's
    ValidationCache hashes the document on every request (150 µs for the contract's reports
    document, which holds several operations). A str caches its hash."""

    schema: GraphQLSchema
    query: str
    rules: tuple[type[ASTValidationRule], ...]
    document: DocumentNode = field(compare=False, hash=False)


def _validate(validation: Validation) -> list[GraphQLError]:
    return validate_document(validation.schema, validation.document, validation.rules)


class CachedValidation(SchemaExtension):
    """strawberry's ValidationCache, keyed by the query text (see `Validation`); the parse
    (CachedParser) gives the same text the same document."""

    def __init__(self, validated: Callable[[Validation], list[GraphQLError]]) -> None:
        self.validated = validated

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if (
            context.graphql_document is not None
            and context.query is not None
            and context.pre_execution_errors is None  # not refused by QueryLimits
        ):
            context.pre_execution_errors = self.validated(
                Validation(
                    context.schema._schema,
                    context.query,
                    context.validation_rules,
                    context.graphql_document,
                )
            )
        yield


class NeighborSchema(strawberry.Schema):
    def create_extensions_runner(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension]
    ) -> SchemaExtensionsRunner:
        """strawberry's, but errorless subscription results skip the per-result hooks."""
        return StreamRunner(execution_context=execution_context, extensions=extensions)

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        log_unexpected(errors, execution_context)


def build_schema(settings: Settings, metrics: Metrics | None = None) -> NeighborSchema:
    limits = Limits(
        max_depth=settings.max_query_depth,
        max_aliases=settings.max_aliases,
        max_cost=settings.max_query_cost,
        list_bounds=LIST_BOUNDS,
        max_selections=settings.max_selections,
        max_repeats=settings.max_field_repeats,
        max_fields=settings.max_fields,
    )
    extensions: list[Any] = [
        # First: it sees the errors after the others coded and masked them.
        partial(ObserveOperations, metrics),
        MaskInternalErrors,
        partial(ErrorCodes, suggestions=settings.show_field_suggestions),
        partial(MaxTokensLimiter, max_token_count=settings.max_tokens),
        partial(CachedParser, maxsize=512),
        # Before the validation: refuses a document over a limit without validating it.
        partial(QueryLimits, limits),
        partial(CachedValidation, lru_cache(maxsize=512)(_validate)),
        Authenticate,
    ]
    if not settings.introspection_enabled:  # production, unless NEIGHBOR_INTROSPECTION
        extensions.append(DisableIntrospection)
    schema = NeighborSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
        scalar_overrides=SCALAR_OVERRIDES,
        execution_context_class=SharedEventExecution,
        config=StrawberryConfig(
            disable_field_suggestions=not settings.show_field_suggestions,
        ),
    )
    direct_resolvers(schema)
    return schema
