"""Notifications: the notifier that writes them from domain events, and the viewer's feed.

The notifier is a periodic job (`notify`, every few seconds, see `neighbor_api/jobs.py`) that
reads the `events` log from a watermark stored in the database, rather than a change-stream
consumer with a stored resume token:

- Exactly once per (event, recipient) comes from the unique index on
  `notifications(event_id, user_id)`; a notifier that runs twice, or on several instances at
  once, writes nothing twice (duplicates are refused and skipped). Finished events are noted in
  `notified_events`, so a run does not recompute them; the watermark only moves forward
  (`$max`).
- Events are written inside transactions: their `at` (and `_id`) is fixed before they commit, so
  an event can become visible after a later one. The notifier therefore scans from the
  watermark and moves it only to `now - SETTLE` (longer than any transaction may stay open —
  60 s on MongoDB — plus clock skew between instances). Nothing is missed; events of the last
  SETTLE are looked at again, and skipped as finished.
- A job needs no long-lived cursor per instance, no leader election, and tests drive it by
  calling it (the same function the job runs), on both SecantusDB and MongoDB 7/8. The cost is
  latency: a notification is written within one period (a few seconds) of its event. The live
  `notificationReceived` subscription then follows the notifications collection itself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bson import ObjectId

from neighbor_api.accounts import repository as accounts
from neighbor_api.boards import repository as boards
from neighbor_api.core.deps import Deps
from neighbor_api.core.errors import DomainError, ErrorCode
from neighbor_api.core.events import REPORT_MOVES, EventKind
from neighbor_api.core.i18n import Locale, translate
from neighbor_api.core.mongo import Document
from neighbor_api.core.pagination import Page
from neighbor_api.core.policy import Actor
from neighbor_api.councils import repository as councils
from neighbor_api.memberships import repository as memberships
from neighbor_api.memberships.models import MembershipStatus
from neighbor_api.notifications import repository
from neighbor_api.notifications.models import Notification, NotificationKind
from neighbor_api.places import repository as places
from neighbor_api.reports import repository as reports

# Longer than a transaction may stay open, plus clock skew between instances.
SETTLE = timedelta(minutes=2)
BATCH = 200


@dataclass(frozen=True)
class Draft:
    """What one event tells its recipients: the text (a message key and its parameters, built
    per recipient's language) and what it is about."""

    kind: NotificationKind
    recipients: list[ObjectId]
    title: tuple[str, Mapping[str, object]]
    body: tuple[str, Mapping[str, object]]
    subject_type: str
    subject_id: ObjectId


Handler = Callable[[Deps, Document], Awaitable[Draft | None]]


def _status(status: object) -> Callable[[Locale], str]:
    return lambda locale: translate(f"report.status.{status}", locale)


async def _report_changed(deps: Deps, event: Document) -> Draft | None:
    data = event.get("data") or {}
    if data.get("from") == data.get("to"):
        return None  # escalated without a change of status, ...
    found = await reports.by_ids(deps.db, [event["subject_id"]])
    if not found:
        return None
    report = found[0]
    # An anonymous report is anonymous to others: its reporter is still told.
    return Draft(
        NotificationKind.REPORT_STATUS_CHANGED, [report.reporter_id],
        ("notification.report_status_changed.title", {}),
        ("notification.report_status_changed.body",
         {"title": report.title, "from": _status(data.get("from")), "to": _status(data.get("to"))}),
        "Report", report.id,
    )  # fmt: skip


async def _task_approved(deps: Deps, event: Document) -> Draft | None:
    found = await boards.tasks_by_ids(deps.db, [event["subject_id"]])
    if not found:
        return None
    task = found[0]
    body = "notification.task_approved.body_points" if task.point_reward else (
        "notification.task_approved.body"
    )  # fmt: skip
    return Draft(
        NotificationKind.TASK_APPROVED, list(task.assignees),
        ("notification.task_approved.title", {}),
        (body, {"title": task.title, "points": task.point_reward}),
        "Task", task.id,
    )  # fmt: skip


async def _voting_opened(deps: Deps, event: Document) -> Draft | None:
    found = await councils.proposals_by_ids(deps.db, [event["subject_id"]])
    if not found:
        return None
    proposal = found[0]
    council = await councils.councils_by_ids(deps.db, [proposal.council_id])
    # The electorate fixed at opening (stored electors), not the council's members: those
    # who may vote are those who should hear that voting opened.
    electors = await repository.electors_user_ids(deps.db, proposal.id)
    return Draft(
        NotificationKind.VOTING_OPENED, electors,
        ("notification.voting_opened.title", {"council": council[0].name if council else ""}),
        ("notification.voting_opened.body", {"title": proposal.title}),
        "Proposal", proposal.id,
    )  # fmt: skip


async def _membership_decided(deps: Deps, event: Document) -> Draft | None:
    found = await memberships.by_ids(deps.db, [event["subject_id"]])
    if not found:
        return None
    membership = found[0]
    place = await places.by_ids(deps.db, [membership.place_id])
    approved = membership.status is MembershipStatus.ACTIVE
    key = "membership_approved" if approved else "membership_rejected"
    return Draft(
        NotificationKind.MEMBERSHIP_DECIDED, [membership.user_id],
        (f"notification.{key}.title", {}),
        (f"notification.{key}.body",
         {"place": place[0].name if place else "", "reason": membership.reason or ""}),
        "Membership", membership.id,
    )  # fmt: skip


HANDLERS: dict[EventKind, Handler] = {
    **dict.fromkeys(REPORT_MOVES, _report_changed),
    EventKind.TASK_APPROVED: _task_approved,
    EventKind.PROPOSAL_VOTING_OPENED: _voting_opened,
    EventKind.MEMBERSHIP_DECIDED: _membership_decided,
}


def _render(text: tuple[str, Mapping[str, object]], locale: Locale) -> str:
    key, params = text
    values = {k: v(locale) if callable(v) else v for k, v in params.items()}
    return translate(key, locale, values).strip()


async def notifications_of(deps: Deps, event: Document) -> list[Notification]:
    """The notifications one event means: one per recipient, never to the actor themself."""
    handler = HANDLERS.get(event["kind"])
    draft = await handler(deps, event) if handler else None
    if draft is None:
        return []
    recipients = [u for u in dict.fromkeys(draft.recipients) if u != event.get("actor_id")]
    if not recipients:
        return []
    users = await accounts.users_by_ids(deps.db, recipients)
    return [
        Notification(
            user_id=user.id,
            event_id=event["_id"],
            kind=draft.kind,
            title=_render(draft.title, user.locale),
            body=_render(draft.body, user.locale),
            subject_type=draft.subject_type,
            subject_id=draft.subject_id,
            place_path=list(event.get("place_path") or []),
            created_at=event["at"],
        )
        for user in users
        if not user.deleted  # a deleted account is told nothing more
    ]


async def notify(deps: Deps) -> int:
    """Write the notifications of the events since the watermark: how many were new. Safe to
    run twice or on several instances at once (see the module's docstring)."""
    now = deps.clock.now()
    since = await repository.watermark(deps.db) or now - SETTLE
    written = 0
    after: tuple[Any, ObjectId] | None = None
    while True:
        batch = await repository.events_since(
            deps.db, since, list(HANDLERS), after=after, limit=BATCH
        )
        if not batch:
            break
        finished = await repository.notified(deps.db, [e["_id"] for e in batch])
        for event in batch:
            if event["_id"] in finished:
                continue
            written += await repository.insert_many(deps.db, await notifications_of(deps, event))
            await repository.mark_notified(deps.db, event["_id"], now)
        after = (batch[-1]["at"], batch[-1]["_id"])
        if len(batch) < BATCH:
            break
    await repository.raise_watermark(deps.db, now - SETTLE)
    return written


# --- The feed -------------------------------------------------------------------------------


async def feed(
    deps: Deps, actor: Actor, *, unread_only: bool, first: int | None, after: str | None
) -> Page[Notification]:
    """The viewer's notifications, newest first."""
    return await repository.feed(
        deps.db, actor.user_id, unread_only=unread_only, first=first, after=after
    )


async def unread_count(deps: Deps, actor: Actor) -> int:
    return await repository.unread_count(deps.db, actor.user_id)


async def get_notification(
    deps: Deps, actor: Actor | None, notification_id: ObjectId
) -> Notification | None:
    """One notification, to its recipient only."""
    if actor is None:
        return None
    return await repository.by_id_of_user(deps.db, notification_id, actor.user_id)


async def mark_read(
    deps: Deps, actor: Actor, *, ids: Sequence[ObjectId] | None, all: bool | None
) -> int:
    """Mark notifications read: `all`, or those of `ids` that are the viewer's (anyone else's,
    or unknown ones, are ignored: the answer is the same as for ids already read, and says
    nothing about other people's feeds). Neither: INVALID_INPUT. The unread count after."""
    if not all and not ids:
        raise DomainError.of(
            ErrorCode.INVALID_INPUT, "notification.mark_read_what", field=("input", "ids")
        )
    await repository.mark_read(
        deps.db, actor.user_id, None if all else list(ids or []), deps.clock.now()
    )
    return await repository.unread_count(deps.db, actor.user_id)


# The collection whose inserts the live hub tails for `notificationReceived` (one change stream
# per process, fanned out by `user_id`; see live/hub.py).
LIVE_COLLECTION = repository.NOTIFICATIONS


def received(document: Mapping[str, Any], actor: Actor) -> Notification | None:
    """A notification the live hub saw inserted, if it is the actor's."""
    notification = Notification.from_document(dict(document))
    return notification if notification.user_id == actor.user_id else None


async def erase_feed(deps: Deps, user_id: ObjectId) -> None:
    """The erasure of a deleted account's notifications."""
    await repository.delete_of_user(deps.db, user_id)
