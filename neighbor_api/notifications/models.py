"""A notification: one line of a person's in-app feed, written from one domain event."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from bson import ObjectId
from pydantic import Field

from neighbor_api.core.models import StoredModel


class NotificationKind(StrEnum):
    REPORT_STATUS_CHANGED = "REPORT_STATUS_CHANGED"
    TASK_APPROVED = "TASK_APPROVED"
    VOTING_OPENED = "VOTING_OPENED"
    MEMBERSHIP_DECIDED = "MEMBERSHIP_DECIDED"


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
