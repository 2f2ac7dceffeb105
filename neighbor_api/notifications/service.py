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

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from bson import ObjectId
from pymongo.errors import DuplicateKeyError

from neighbor_api.accounts import repository as accounts
from neighbor_api.core import events
from neighbor_api.core.deps import Deps
from neighbor_api.core.errors import DomainError, ErrorCode
from neighbor_api.core.events import EventKind
from neighbor_api.core.mongo import Document, Session, in_transaction
from neighbor_api.core.pagination import Page
from neighbor_api.core.policy import Actor
from neighbor_api.councils import repository as councils
from neighbor_api.notifications import repository, rules
from neighbor_api.notifications.models import Notification
from neighbor_api.reports import repository as reports
from neighbor_api.reports.models import DUE_STATUSES

# Longer than a transaction may stay open, plus clock skew between instances.
SETTLE = timedelta(minutes=2)
BATCH = 200


async def notifications_of(deps: Deps, event: Document) -> list[Notification]:
    """The notifications one event means (the rule table, `rules.py`): one per recipient,
    never to the actor themself, each in the recipient's language, none of a kind they
    muted (unless it cannot be muted)."""
    answer = await rules.evaluate(deps, event)
    if answer is None:
        return []
    facts, told = answer
    subject = facts.subject
    if subject is None or not told:
        return []
    users = {u.id: u for u in await accounts.users_by_ids(deps.db, [t.user_id for t in told])}
    muted = await repository.muted_kinds(deps.db, list(users))
    written = []
    for one in told:
        user = users.get(one.user_id)
        if user is None:
            continue
        if one.rule.kind in muted.get(user.id, ()) and rules.mutable(one.rule.kind):
            continue
        written.append(
            Notification(
                user_id=user.id,
                event_id=event["_id"],
                kind=one.rule.kind,
                title=rules.render(one.rule.title, one.params, user.locale),
                body=rules.render(one.rule.body, one.params, user.locale),
                subject_type=subject[0],
                subject_id=subject[1],
                place_path=list(event.get("place_path") or []),
                created_at=event["at"],
            )
        )
    return written


async def notify(deps: Deps) -> int:
    """Write the notifications of the events since the watermark: how many were new. Safe to
    run twice or on several instances at once (see the module's docstring)."""
    now = deps.clock.now()
    since = await repository.watermark(deps.db) or now - SETTLE
    written = 0
    after: tuple[Any, ObjectId] | None = None
    while True:
        batch = await repository.events_since(
            deps.db, since, sorted(rules.EVENT_KINDS), after=after, limit=BATCH
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


# --- Reminders: the time-based notices -------------------------------------------------------

# Work due within this is "due soon"; voting closing within this is "closing soon".
DUE_SOON = timedelta(hours=4)
CLOSING_SOON = timedelta(hours=24)
# Overdue work is noticed if it fell due within this (a notifier down for longer skips older).
OVERDUE_LOOKBACK = timedelta(days=2)
REMINDER_BATCH = 500


async def _remind(
    deps: Deps, key: str, kind: EventKind, subject_id: ObjectId, place_path: Sequence[ObjectId],
    data: Document,
) -> bool:  # fmt: skip
    """Record one reminder's event, once ever: the reminder's key (unique `_id`) and its event
    in one transaction, so two instances racing record it once, and a failure records neither."""

    async def write(session: Session) -> None:
        await repository.insert_reminder(deps.db, key, deps.clock.now(), session=session)
        await events.record(
            deps, kind=kind, subject_id=subject_id, actor_id=None, place_path=place_path,
            data=data, session=session,
        )  # fmt: skip

    try:
        await in_transaction(deps.client, write)
    except DuplicateKeyError:
        return False
    return True


async def remind(deps: Deps) -> int:
    """The job: record the events of the time-based notices due now (REPORT_DUE_SOON within
    4 h of `dueAt`, REPORT_OVERDUE once past it, VOTING_CLOSING_SOON 24 h before the close);
    the notifier then tells whom the rule table says. Each once per report and `dueAt` (a new
    `dueAt`, e.g. after a reopening, is reminded again) and once per proposal: safe on several
    instances. How many it recorded."""
    now = deps.clock.now()
    candidates: list[tuple[str, EventKind, ObjectId, list[ObjectId], Document]] = []
    for report in await reports.due_between(deps.db, now - OVERDUE_LOOKBACK, now + DUE_SOON,
                                            limit=REMINDER_BATCH):  # fmt: skip
        if report.due_at is None or report.status not in DUE_STATUSES:
            continue
        kind = EventKind.REPORT_OVERDUE if report.due_at <= now else EventKind.REPORT_DUE_SOON
        key = f"{kind.value}:{report.id}:{report.due_at.isoformat()}"
        candidates.append((key, kind, report.id, report.place_path, {"due_at": report.due_at}))
    for proposal in await councils.closing_between(deps.db, now, now + CLOSING_SOON,
                                                   limit=REMINDER_BATCH):  # fmt: skip
        kind = EventKind.PROPOSAL_CLOSING_SOON
        key = f"{kind.value}:{proposal.id}"
        data = {"closes_at": proposal.voting_closes_at}
        candidates.append((key, kind, proposal.id, proposal.place_path, data))
    if not candidates:
        return 0
    done = await repository.reminded(deps.db, [c[0] for c in candidates])
    recorded = 0
    for key, kind, subject_id, place_path, data in candidates:
        if key not in done and await _remind(deps, key, kind, subject_id, place_path, data):
            recorded += 1
    return recorded


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
