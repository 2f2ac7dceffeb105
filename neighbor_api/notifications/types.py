"""GraphQL types of notifications."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from bson import ObjectId
from strawberry import relay

from neighbor_api.context import Info
from neighbor_api.core.pagination import Page
from neighbor_api.graphql.enums import graphql_enum
from neighbor_api.graphql.errors import Payload
from neighbor_api.graphql.relay import NODE_TYPES, Edge, node_type
from neighbor_api.notifications import service
from neighbor_api.notifications.models import (
    Notification,
    NotificationKind,
    Preferences,
    PushDevice,
    PushPlatform,
)

if TYPE_CHECKING:
    from neighbor_api.accounts.types import UserType

graphql_enum(
    NotificationKind,
    "What a notification is about.",
    {
        NotificationKind.REPORT_STATUS_CHANGED: (
            "A report of the recipient's moved in its workflow."
        ),
        NotificationKind.TASK_APPROVED: "A task the recipient worked on was approved.",
        NotificationKind.VOTING_OPENED: "Voting opened on a proposal the recipient may vote on.",
        NotificationKind.MEMBERSHIP_DECIDED: (
            "The recipient's request to join was approved or declined."
        ),
        NotificationKind.MEMBERSHIP_REQUESTED: "Someone asks to join a community the recipient "
        "runs.",
        NotificationKind.REPORT_SUBMITTED: "A new report in a community (or grid) the recipient "
        "looks after.",
        NotificationKind.REPORT_ASSIGNED: "A report was assigned (or reassigned, or reopened by "
        "a low rating) to the recipient: act on it. Cannot be muted.",
        NotificationKind.REPORT_ESCALATED: "A report was escalated to the level the recipient "
        "runs.",
        NotificationKind.REPORT_DISPATCHED: "A report was dispatched to the recipient's unit "
        "(written once field-work units exist). Cannot be muted.",
        NotificationKind.REPORT_COMMENTED: "Staff commented on a report the recipient reported "
        "or follows.",
        NotificationKind.REPORT_REJECTED: "A report the recipient reported or follows was "
        "rejected; the body gives the reason.",
        NotificationKind.REPORT_DUE_SOON: "A report the recipient handles is due within 4 hours. "
        "Cannot be muted.",
        NotificationKind.REPORT_OVERDUE: "A report the recipient handles is overdue. Cannot be "
        "muted.",
        NotificationKind.TASK_CLAIMED: "Someone claimed a task the recipient created.",
        NotificationKind.TASK_RETURNED: "A task the recipient worked on was sent back, with the "
        "reason. Cannot be muted.",
        NotificationKind.TASK_SUBMITTED: "A task awaits the recipient's review.",
        NotificationKind.VOTING_CLOSING_SOON: "Voting the recipient has not taken part in closes "
        "within 24 hours.",
        NotificationKind.VOTING_RESULT: "A vote the recipient could vote in (or whose council "
        "they sit on) closed: the outcome and the quorum.",
        NotificationKind.PROPOSAL_SUGGESTED: "A resident's suggestion (议题征集): it has its "
        "co-signatures (to the chair and staff), or it was accepted or declined (to its author "
        "and co-signers, with the reason).",
        NotificationKind.REDEMPTION_READY: "A reward the recipient redeemed is ready (written "
        "once rewards exist).",
        NotificationKind.SURVEY_OPENED: "A survey of the recipient's community, street or "
        "district opened: answer it (anonymously) before it closes.",
        NotificationKind.PROXY_AUTHORIZED: "An elector made the recipient their proxy on a "
        "vote (委托投票): the recipient may cast that elector's vote.",
        NotificationKind.TASK_CANCELLED: "A task the recipient had claimed was called off, with "
        "the reason (nobody earns its points). Cannot be muted.",
        NotificationKind.REDEMPTION_REQUESTED: "A resident redeemed a reward of the recipient's "
        "community: goods to hand over against the pickup code.",
        NotificationKind.REDEMPTION_CANCELLED: "Staff cancelled the recipient's redemption: the "
        "points were refunded.",
    },
)


@node_type
@strawberry.type(name="Notification", description="One line of the viewer's notification feed.")
class NotificationType(relay.Node):
    id: relay.NodeID[str]
    kind: NotificationKind = strawberry.field(description="What happened.")
    title: str = strawberry.field(description="A short title, in the recipient's language.")
    body: str = strawberry.field(description="The text, in the recipient's language.")
    read: bool = strawberry.field(description="Marked read by markNotificationsRead.")
    created_at: datetime = strawberry.field(description="When it happened.")
    model: strawberry.Private[Notification]

    @classmethod
    def from_model(cls, notification: Notification) -> NotificationType:
        return cls(
            id=str(notification.id),
            kind=notification.kind,
            title=notification.title,
            body=notification.body,
            read=notification.read,
            created_at=notification.created_at,
            model=notification,
        )

    @classmethod
    async def load(cls, info: Info, object_id: ObjectId) -> NotificationType | None:
        found = await service.get_notification(
            info.context.deps, await info.context.actor(), object_id
        )
        return cls.from_model(found) if found else None

    @strawberry.field(
        description="What it is about (a Report, Task, Proposal or Membership), as the viewer "
        "may see it now: null if they no longer may."
    )
    async def subject(self, info: Info) -> relay.Node | None:
        cls = NODE_TYPES.get(self.model.subject_type)
        if cls is None:
            return None
        node: relay.Node | None = await cls.load(info, self.model.subject_id)
        return node


@strawberry.type(description="The viewer's notifications, newest first.")
class NotificationConnection:
    edges: list[Edge[NotificationType]] = strawberry.field(description="The items of this page.")
    page_info: relay.PageInfo = strawberry.field(description="Where this page is in the list.")
    _count: strawberry.Private[Callable[[], Awaitable[int]]]
    _unread: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="How many items the whole list has.")
    async def total_count(self) -> int:
        return await self._count()

    @strawberry.field(description="How many of the viewer's notifications are unread.")
    async def unread_count(self) -> int:
        return await self._unread()

    @classmethod
    def of(
        cls, page: Page[Notification], unread: Callable[[], Awaitable[int]]
    ) -> NotificationConnection:
        edges = [Edge(cursor=c, node=NotificationType.from_model(n)) for c, n in page.edges]
        return cls(
            edges=edges,
            page_info=relay.PageInfo(
                has_next_page=page.has_next_page,
                has_previous_page=False,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            _count=page.count,
            _unread=unread,
        )


@strawberry.input(description="Which notifications to mark read: some (`ids`) or `all`.")
class MarkNotificationsReadInput:
    ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="The viewer's notifications to mark read (others are ignored)."
    )
    all: bool | None = strawberry.field(
        default=None, description="true: mark every notification of the viewer read."
    )


@strawberry.type(description="The result of markNotificationsRead.")
class MarkNotificationsReadPayload(Payload):
    unread_count: int | None = strawberry.field(
        default=None, description="How many of the viewer's notifications are unread now."
    )


graphql_enum(
    PushPlatform,
    "The push channel of a phone.",
    {
        PushPlatform.ANDROID: "Android (vendor channels: Xiaomi, OPPO, vivo, or an aggregator).",
        PushPlatform.IOS: "iOS (APNs).",
        PushPlatform.HARMONY: "HarmonyOS (Huawei Push Kit).",
    },
)


@node_type
@strawberry.type(name="PushDevice", description="A phone that receives the viewer's pushes.")
class PushDeviceType(relay.Node):
    id: relay.NodeID[str]
    platform: PushPlatform = strawberry.field(description="Its push channel.")
    created_at: datetime = strawberry.field(description="When it was first registered.")

    @classmethod
    def from_model(cls, device: PushDevice) -> PushDeviceType:
        return cls(id=str(device.id), platform=device.platform, created_at=device.created_at)

    @classmethod
    async def load(cls, info: Info, object_id: ObjectId) -> PushDeviceType | None:
        actor = await info.context.actor()
        if actor is None:
            return None
        found = [d for d in await service.devices(info.context.deps, actor) if d.id == object_id]
        return cls.from_model(found[0]) if found else None


@strawberry.type(name="NotificationPreferences", description="What the viewer hears, and when.")
class NotificationPreferencesType:
    muted_kinds: list[NotificationKind] = strawberry.field(
        description="Kinds no longer written to the viewer's feed (nor pushed)."
    )
    quiet_hours_start: str | None = strawberry.field(
        description='Start of the quiet hours ("22:00", Asia/Shanghai): no push inside them; '
        "the feed still gets everything."
    )
    quiet_hours_end: str | None = strawberry.field(
        description='End of the quiet hours ("07:00"; may be the next day).'
    )

    @classmethod
    def from_model(cls, preferences: Preferences) -> NotificationPreferencesType:
        return cls(
            muted_kinds=list(preferences.muted_kinds),
            quiet_hours_start=preferences.quiet_hours_start,
            quiet_hours_end=preferences.quiet_hours_end,
        )


@strawberry.input(description="Register the viewer's phone for push notifications.")
class RegisterPushDeviceInput:
    token: str = strawberry.field(description="The push channel's token for this phone.")
    platform: PushPlatform


@strawberry.input(description="Stop pushes to one of the viewer's devices.")
class UnregisterPushDeviceInput:
    device_id: strawberry.ID


@strawberry.input(description="Change what the viewer hears; fields left out are unchanged.")
class UpdateNotificationPreferencesInput:
    muted_kinds: list[NotificationKind] | None = strawberry.field(
        default=strawberry.UNSET,
        description="The kinds to mute (replaces the list; those asking to act on an "
        "assignment cannot be muted).",
    )
    quiet_hours_start: str | None = strawberry.field(
        default=strawberry.UNSET,
        description='"22:00"-style local time (Asia/Shanghai). Set with quietHoursEnd (both '
        "null: no quiet hours).",
    )
    quiet_hours_end: str | None = strawberry.field(
        default=strawberry.UNSET, description='"07:00"-style local time; may be the next day.'
    )


@strawberry.type(description="The result of registerPushDevice.")
class RegisterPushDevicePayload(Payload):
    device: PushDeviceType | None = strawberry.field(
        default=None, description="The device, now the viewer's."
    )


@strawberry.type(description="The result of unregisterPushDevice.")
class UnregisterPushDevicePayload(Payload):
    pass


@strawberry.type(description="The result of updateNotificationPreferences.")
class UpdateNotificationPreferencesPayload(Payload):
    viewer: Annotated[UserType, strawberry.lazy("neighbor_api.accounts.types")] | None = (
        strawberry.field(default=None, description="The viewer, with their preferences.")
    )
