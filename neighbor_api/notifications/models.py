"""A notification: one line of a person's in-app feed, written from one domain event."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from bson import ObjectId
from pydantic import Field

from neighbor_api.core.models import StoredModel

# Quiet hours and times in messages are local times of the platform's cities.
LOCAL_ZONE = ZoneInfo("Asia/Shanghai")


class NotificationKind(StrEnum):
    REPORT_STATUS_CHANGED = "REPORT_STATUS_CHANGED"
    TASK_APPROVED = "TASK_APPROVED"
    VOTING_OPENED = "VOTING_OPENED"
    MEMBERSHIP_DECIDED = "MEMBERSHIP_DECIDED"
    # The second edition's (contract: notify.graphql).
    MEMBERSHIP_REQUESTED = "MEMBERSHIP_REQUESTED"
    REPORT_SUBMITTED = "REPORT_SUBMITTED"
    REPORT_ASSIGNED = "REPORT_ASSIGNED"
    REPORT_ESCALATED = "REPORT_ESCALATED"
    REPORT_DISPATCHED = "REPORT_DISPATCHED"
    REPORT_COMMENTED = "REPORT_COMMENTED"
    REPORT_REJECTED = "REPORT_REJECTED"
    REPORT_DUE_SOON = "REPORT_DUE_SOON"
    REPORT_OVERDUE = "REPORT_OVERDUE"
    TASK_CLAIMED = "TASK_CLAIMED"
    TASK_RETURNED = "TASK_RETURNED"
    TASK_SUBMITTED = "TASK_SUBMITTED"
    VOTING_CLOSING_SOON = "VOTING_CLOSING_SOON"
    VOTING_RESULT = "VOTING_RESULT"
    PROPOSAL_SUGGESTED = "PROPOSAL_SUGGESTED"
    REDEMPTION_READY = "REDEMPTION_READY"
    SURVEY_OPENED = "SURVEY_OPENED"
    # Votes, part two: an elector made the recipient their proxy (委托投票).
    PROXY_AUTHORIZED = "PROXY_AUTHORIZED"
    # The points economy's (points.graphql).
    TASK_CANCELLED = "TASK_CANCELLED"
    REDEMPTION_REQUESTED = "REDEMPTION_REQUESTED"
    REDEMPTION_CANCELLED = "REDEMPTION_CANCELLED"


# The kinds that ask the person to act on an assignment: they cannot be muted.
UNMUTABLE = frozenset(
    {
        NotificationKind.REPORT_ASSIGNED,
        NotificationKind.REPORT_DISPATCHED,
        NotificationKind.REPORT_DUE_SOON,
        NotificationKind.REPORT_OVERDUE,
        NotificationKind.TASK_RETURNED,
        NotificationKind.TASK_CANCELLED,
    }
)


class Notification(StoredModel):
    user_id: ObjectId
    # The domain event it was written from: (event_id, user_id) is unique.
    event_id: ObjectId
    kind: NotificationKind
    # Rendered once, in the recipient's language when it was written.
    title: str
    body: str
    # What it is about, as a GraphQL node type name and id (Report, Task, Proposal, Membership).
    subject_type: str
    subject_id: ObjectId
    place_path: list[ObjectId] = Field(default_factory=list)
    read: bool = False
    read_at: datetime | None = None
    created_at: datetime


class PushPlatform(StrEnum):
    ANDROID = "ANDROID"
    IOS = "IOS"
    HARMONY = "HARMONY"


class PushDevice(StoredModel):
    """A phone that receives the user's push notifications. One token belongs to one user
    (a unique index): registering it for another user moves it."""

    user_id: ObjectId
    token: str
    platform: PushPlatform
    created_at: datetime
    updated_at: datetime


class Preferences(StoredModel):
    """A user's notification preferences (`_id` is the user's id). Quiet hours are local times
    (Asia/Shanghai), "HH:MM"; a period may cross midnight (22:00–07:00)."""

    muted_kinds: list[NotificationKind] = Field(default_factory=list)
    quiet_hours_start: str | None = None
    quiet_hours_end: str | None = None

    @staticmethod
    def valid_time(value: str) -> bool:
        """ "HH:MM", 00:00–23:59."""
        return re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value) is not None

    def is_quiet(self, at: datetime) -> bool:
        """Whether `at` falls in the quiet hours (local time; the start included, the end not;
        a period may cross midnight; start == end is no period)."""
        start, end = self.quiet_hours_start, self.quiet_hours_end
        if not start or not end or start == end:
            return False
        local = at.astimezone(LOCAL_ZONE).strftime("%H:%M")
        if start < end:
            return start <= local < end
        return local >= start or local < end


class PushStatus(StrEnum):
    PENDING = "PENDING"
    SENT = "SENT"
    DROPPED = "DROPPED"


class PushMessage(StoredModel):
    """One notification to one device, in the outbox until delivered (or dropped)."""

    notification_id: ObjectId
    device_id: ObjectId
    user_id: ObjectId
    title: str
    body: str
    kind: NotificationKind
    subject_type: str
    subject_id: ObjectId
    status: PushStatus = PushStatus.PENDING
    attempts: int = 0
    next_at: datetime
    last_error: str | None = None
    created_at: datetime
    sent_at: datetime | None = None
