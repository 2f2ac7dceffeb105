"""The schema: the features' roots merged, with the platform's extensions."""

from __future__ import annotations

from functools import partial
from typing import Any

import strawberry
from graphql import GraphQLError, NoSchemaIntrospectionCustomRule
from strawberry import relay
from strawberry.extensions import SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.schema.config import StrawberryConfig
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
from neighbor_api.graphql.direct import direct_resolvers
from neighbor_api.graphql.documents import validation_cache
from neighbor_api.graphql.errors import log_unexpected
from neighbor_api.graphql.execution import SharedEventExecution
from neighbor_api.graphql.limits import Limits
from neighbor_api.graphql.platform import Platform, PlatformRules, PlatformRunner
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


class NeighborSchema(strawberry.Schema):
    def create_extensions_runner(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension]
    ) -> SchemaExtensionsRunner:
        """The platform's steps called directly; errorless subscription results skip the
        per-result hooks (graphql/platform.py)."""
        return PlatformRunner(execution_context=execution_context, extensions=extensions)

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
    rules = PlatformRules(
        metrics=metrics,
        limits=limits,
        validated=validation_cache(),
        max_tokens=settings.max_tokens,
        suggestions=settings.show_field_suggestions,
        # Production, unless NEIGHBOR_INTROSPECTION: introspection refused at validation.
        validation_rules=(
            () if settings.introspection_enabled else (NoSchemaIntrospectionCustomRule,)
        ),
    )
    # One extension: every rule of the platform, in order (graphql/platform.py).
    extensions: list[Any] = [partial(Platform, rules)]
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
