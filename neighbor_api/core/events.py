"""Domain events: one `events` collection, the audit trail and the source of live updates.

A service records the event in the same transaction as the change it describes, so an event
exists exactly when its change does. Its kind is one of `EventKind`, shared by the writers (the
services) and the readers (the live hub and its subscriptions, the notifier).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, IndexModel

from neighbor_api.core.deps import Deps
from neighbor_api.core.mongo import Session, register_indexes

COLLECTION = "events"


class EventKind(StrEnum):
    """Every kind of domain event, `<subject>.<what happened>`. The values are stored (and read
    back from events written by earlier versions): add kinds, never change a value."""

    USER_REGISTERED = "user.registered"
    USER_DELETION_REQUESTED = "user.deletion_requested"
    USER_ERASED = "user.erased"
    MEMBERSHIP_LEFT = "membership.left"
    MEMBERSHIP_UPDATED = "membership.updated"
    SESSION_REUSE_DETECTED = "session.reuse_detected"
    MEMBERSHIP_REQUESTED = "membership.requested"
    MEMBERSHIP_DECIDED = "membership.decided"
    MEMBERSHIP_APPOINTED = "membership.appointed"
    ATTACHMENT_UPLOADED = "attachment.uploaded"
    REPORT_SUBMITTED = "report.submitted"
    REPORT_ENDORSED = "report.endorsed"
    REPORT_COMMENTED = "report.commented"
    # A report's moves in its workflow, one per verb of reports.service.Verb (REPORT_MOVES).
    REPORT_ACCEPT = "report.accept"
    REPORT_ASSIGN = "report.assign"
    REPORT_START = "report.start"
    REPORT_RESOLVE = "report.resolve"
    REPORT_REJECT = "report.reject"
    REPORT_ESCALATE = "report.escalate"
    REPORT_RATE = "report.rate"
    REPORT_CLOSE = "report.close"
    REPORT_DISPATCH = "report.dispatch"
    REPORT_TAKE = "report.take"
    REPORT_RETURN = "report.return"
    REPORT_WITHDRAW = "report.withdraw"
    REPORT_MARK_DUPLICATE = "report.mark_duplicate"
    # Reminders, recorded once each by the notifications' reminder job.
    REPORT_DUE_SOON = "report.due_soon"
    REPORT_OVERDUE = "report.overdue"
    COUNCIL_CREATED = "council.created"
    COUNCIL_MEMBER_SET = "council.member_set"
    PROPOSAL_CREATED = "proposal.created"
    PROPOSAL_VOTING_OPENED = "proposal.voting_opened"
    PROPOSAL_VOTE_CAST = "proposal.vote_cast"
    PROPOSAL_CLOSED = "proposal.closed"
    PROPOSAL_VOTING_CANCELLED = "proposal.voting_cancelled"
    PROPOSAL_WITHDRAWN = "proposal.withdrawn"
    PROPOSAL_COMMENTED = "proposal.commented"
    PROPOSAL_CLOSING_SOON = "proposal.closing_soon"
    PROPOSAL_PROXY_AUTHORIZED = "proposal.proxy_authorized"
    PROPOSAL_PROXY_REVOKED = "proposal.proxy_revoked"
    PROPOSAL_SUGGESTED = "proposal.suggested"
    PROPOSAL_CO_SIGNED = "proposal.co_signed"
    PROPOSAL_SUGGESTION_ACCEPTED = "proposal.suggestion_accepted"
    PROPOSAL_SUGGESTION_DECLINED = "proposal.suggestion_declined"
    BOARD_CREATED = "board.created"
    TASK_CREATED = "task.created"
    TASK_MOVED = "task.moved"
    TASK_CLAIMED = "task.claimed"
    TASK_RELEASED = "task.released"
    TASK_SUBMITTED = "task.submitted"
    TASK_APPROVED = "task.approved"
    TASK_RETURNED = "task.returned"
    SURVEY_CREATED = "survey.created"
    # A survey opened (recorded once, at creation or by the announcing job when it opens).
    SURVEY_OPENED = "survey.opened"
    PATROL_LOGGED = "patrol.logged"
    # Units (departments) of a street or district, which reports are dispatched to.
    UNIT_CREATED = "unit.created"
    UNIT_MEMBER_ADDED = "unit.member_added"
    TASK_UPDATED = "task.updated"
    TASK_CANCELLED = "task.cancelled"
    TASK_COMMENTED = "task.commented"
    REWARD_CREATED = "reward.created"
    REWARD_UPDATED = "reward.updated"
    REWARD_RETIRED = "reward.retired"
    REDEMPTION_REQUESTED = "redemption.requested"
    REDEMPTION_FULFILLED = "redemption.fulfilled"
    REDEMPTION_CANCELLED = "redemption.cancelled"


# The kinds the readers group by: a report moved in its workflow; anything about a task.
REPORT_MOVES = frozenset(
    {
        EventKind.REPORT_ACCEPT,
        EventKind.REPORT_ASSIGN,
        EventKind.REPORT_START,
        EventKind.REPORT_RESOLVE,
        EventKind.REPORT_REJECT,
        EventKind.REPORT_ESCALATE,
        EventKind.REPORT_RATE,
        EventKind.REPORT_CLOSE,
        EventKind.REPORT_DISPATCH,
        EventKind.REPORT_TAKE,
        EventKind.REPORT_RETURN,
        EventKind.REPORT_WITHDRAW,
        EventKind.REPORT_MARK_DUPLICATE,
    }
)
TASK_EVENTS = frozenset(k for k in EventKind if k.name.startswith("TASK_"))

register_indexes(
    COLLECTION,
    [
        IndexModel([("place_path", ASCENDING), ("at", DESCENDING)], name="place_path_at"),
        IndexModel([("subject_id", ASCENDING), ("at", DESCENDING)], name="subject_at"),
    ],
)


async def record(
    deps: Deps,
    *,
    kind: EventKind,
    subject_id: ObjectId,
    actor_id: ObjectId | None,
    place_path: Sequence[ObjectId] = (),
    data: Mapping[str, Any] | None = None,
    session: Session | None = None,
) -> ObjectId:
    """Append one event, e.g. kind=EventKind.MEMBERSHIP_DECIDED, to the log."""
    if not isinstance(kind, EventKind):  # a free string would be a kind no reader knows
        raise TypeError(f"an event kind is an EventKind, not {kind!r}")
    event_id = ObjectId()
    await deps.db[COLLECTION].insert_one(
        {
            "_id": event_id,
            "kind": kind.value,
            "subject_id": subject_id,
            "actor_id": actor_id,
            "place_path": list(place_path),
            "data": dict(data or {}),
            "at": deps.clock.now(),
        },
        session=session,
    )
    return event_id


async def redact(
    deps: Deps,
    *,
    kind: EventKind,
    subject_ids: Sequence[ObjectId],
    paths: Sequence[str],
) -> None:
    """Remove values from the events of `kind` about `subject_ids` (an erased person's data
    in an audit entry: e.g. `data.changes.address`); the events themselves stay."""
    if subject_ids and paths:
        await deps.db[COLLECTION].update_many(
            {"kind": kind.value, "subject_id": {"$in": list(subject_ids)}},
            {"$unset": {path: "" for path in paths}},
        )
