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


# The kinds that ask the person to act on an assignment: they cannot be muted.
UNMUTABLE = frozenset(
    {
        NotificationKind.REPORT_ASSIGNED,
        NotificationKind.REPORT_DISPATCHED,
        NotificationKind.REPORT_DUE_SOON,
        NotificationKind.REPORT_OVERDUE,
        NotificationKind.TASK_RETURNED,
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
