"""Notifications: the feed, marking read, and the live subscription."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping
from typing import Any

import strawberry

from neighbor_api.context import Info
from neighbor_api.core.policy import Actor
from neighbor_api.graphql.errors import run_mutation
from neighbor_api.graphql.relay import input_ids
from neighbor_api.live.resolvers import deliver_notifications
from neighbor_api.notifications import service
from neighbor_api.notifications.types import (
    MarkNotificationsReadInput,
    MarkNotificationsReadPayload,
    NotificationConnection,
    NotificationType,
)


@strawberry.type
class NotificationQuery:
    @strawberry.field(description="The viewer's notifications, newest first, with unreadCount.")
    async def notifications(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        unread_only: bool | None = False,
    ) -> NotificationConnection:
        actor = await info.context.require_actor()
        deps = info.context.deps
        page = await service.feed(
            deps, actor, unread_only=bool(unread_only), first=first, after=after
        )
        return NotificationConnection.of(page, lambda: service.unread_count(deps, actor))


@strawberry.type
class NotificationMutation:
    @strawberry.mutation(
        description="Mark some of the viewer's notifications (`ids`; anyone else's are ignored) "
        "or `all` of them read. Neither: INVALID_INPUT."
    )
    async def mark_notifications_read(
        self, info: Info, input: MarkNotificationsReadInput
    ) -> MarkNotificationsReadPayload:
        return await run_mutation(
            info, MarkNotificationsReadPayload,
            lambda actor: service.mark_read(
                info.context.deps, actor, ids=input_ids(input.ids, "Notification", "ids"),
                all=input.all,
            ),
            lambda unread: MarkNotificationsReadPayload(unread_count=unread),
        )  # fmt: skip


@strawberry.type
class NotificationSubscription:
    @strawberry.subscription(
        description="The viewer's new notifications, as they are written (from any instance)."
    )
    async def notification_received(self, info: Info) -> AsyncGenerator[NotificationType, None]:
        def shape(document: Mapping[str, Any], actor: Actor) -> NotificationType | None:
            notification = service.received(document, actor)
            return NotificationType.from_model(notification) if notification else None

        return await deliver_notifications(info.context, shape)  # type: ignore[return-value]
