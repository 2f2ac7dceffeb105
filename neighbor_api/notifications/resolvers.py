"""Notifications: the feed, marking read, and the live subscription."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping
from typing import Any

import strawberry

from neighbor_api.context import Info
from neighbor_api.core.policy import Actor
from neighbor_api.graphql.errors import run_mutation
from neighbor_api.graphql.relay import input_id, input_ids
from neighbor_api.live.resolvers import deliver_notifications
from neighbor_api.notifications import service
from neighbor_api.notifications.types import (
    MarkNotificationsReadInput,
    MarkNotificationsReadPayload,
    NotificationConnection,
    NotificationType,
    PushDeviceType,
    RegisterPushDeviceInput,
    RegisterPushDevicePayload,
    UnregisterPushDeviceInput,
    UnregisterPushDevicePayload,
    UpdateNotificationPreferencesInput,
    UpdateNotificationPreferencesPayload,
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

    @strawberry.mutation(
        description="Register the viewer's phone for push notifications (a token registered by "
        "someone else moves to the viewer). An empty or over-long token: INVALID_INPUT."
    )
    async def register_push_device(
        self, info: Info, input: RegisterPushDeviceInput
    ) -> RegisterPushDevicePayload:
        return await run_mutation(
            info, RegisterPushDevicePayload,
            lambda actor: service.register_device(
                info.context.deps, actor, token=input.token, platform=input.platform
            ),
            lambda device: RegisterPushDevicePayload(device=PushDeviceType.from_model(device)),
        )  # fmt: skip

    @strawberry.mutation(
        description="Stop pushes to one of the viewer's devices (anyone else's: NOT_FOUND)."
    )
    async def unregister_push_device(
        self, info: Info, input: UnregisterPushDeviceInput
    ) -> UnregisterPushDevicePayload:
        return await run_mutation(
            info, UnregisterPushDevicePayload,
            lambda actor: service.unregister_device(
                info.context.deps, actor,
                device_id=input_id(input.device_id, "PushDevice", "deviceId"),
            ),
            lambda _: UnregisterPushDevicePayload(),
        )  # fmt: skip

    @strawberry.mutation(
        description="Mute kinds and set quiet hours (no push inside them; the feed still gets "
        "everything). Kinds asking to act on an assignment cannot be muted."
    )
    async def update_notification_preferences(
        self, info: Info, input: UpdateNotificationPreferencesInput
    ) -> UpdateNotificationPreferencesPayload:
        from neighbor_api.accounts.types import UserType

        muted = None if input.muted_kinds is strawberry.UNSET else (input.muted_kinds or [])
        start, end = input.quiet_hours_start, input.quiet_hours_end
        quiet: tuple[str | None, str | None] | None = None
        if start is not strawberry.UNSET or end is not strawberry.UNSET:  # set together
            quiet = (start or None, end or None)

        async def update(actor: Actor) -> UserType | None:
            await service.update_preferences(
                info.context.deps, actor, muted_kinds=muted, quiet_hours=quiet
            )
            return await UserType.load(info, actor.user_id)

        return await run_mutation(
            info, UpdateNotificationPreferencesPayload, update,
            lambda viewer: UpdateNotificationPreferencesPayload(viewer=viewer),
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
