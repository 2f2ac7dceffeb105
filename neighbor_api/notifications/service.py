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

import asyncio
import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from bson import ObjectId
from pymongo.errors import DuplicateKeyError

from neighbor_api.accounts import service as accounts
from neighbor_api.accounts.models import User
from neighbor_api.core import events
from neighbor_api.core.deps import Deps
from neighbor_api.core.errors import DomainError, ErrorCode, invalid
from neighbor_api.core.events import EventKind
from neighbor_api.core.mongo import Document, Session, in_transaction
from neighbor_api.core.pagination import Page
from neighbor_api.core.policy import Actor
from neighbor_api.core.validation import Checks
from neighbor_api.councils import repository as councils
from neighbor_api.notifications import push, repository, rules
from neighbor_api.notifications.models import (
    UNMUTABLE,
    Notification,
    NotificationKind,
    Preferences,
    PushDevice,
    PushMessage,
    PushPlatform,
    PushStatus,
)
from neighbor_api.notifications.push import PushSender
from neighbor_api.reports import repository as reports
from neighbor_api.reports.models import DUE_STATUSES

log = logging.getLogger(__name__)

# Longer than a transaction may stay open, plus clock skew between instances.
SETTLE = timedelta(minutes=2)
BATCH = 200
# At most this many notifications in one transaction (an opened vote tells every elector).
WRITE_BATCH = 500


class Told(NamedTuple):
    """One event's notifications, and their recipients' preferences (read once: the muted
    kinds when the notifications are made, the quiet hours when their pushes are written)."""

    notifications: list[Notification]
    preferences: Mapping[ObjectId, Preferences]


class Answer(NamedTuple):
    """Who one event tells (the rule table's answer), with the recipients' accounts and
    preferences: everything its notifications are made of."""

    subject: tuple[str, ObjectId]
    told: list[rules.Told]
    users: Mapping[ObjectId, User]
    preferences: Mapping[ObjectId, Preferences]


async def answer(reads: rules.Reads, event: Document) -> Answer | None:
    """Whom one event tells (the rule table, `rules.py`; never the actor themself): None if
    no one. The events of a batch are answered concurrently, so their reads are shared."""
    found = await rules.evaluate(reads, event)
    if found is None:
        return None
    facts, told = found
    subject = facts.subject
    if subject is None or not told:
        return None
    users = await accounts.users(reads.deps, [t.user_id for t in told])
    loaded = await reads.preferences.load_many(list(users))
    preferences = {u: p for u, p in zip(users, loaded, strict=True) if p is not None}
    return Answer(subject, told, users, preferences)


def notifications_of(event: Document, answer: Answer | None) -> Told:
    """The notifications one event means: one per recipient, each in the recipient's language,
    none of a kind they muted (unless it cannot be muted). Made in the events' order (their
    ids order a feed's notifications of one time)."""
    if answer is None:
        return Told([], {})
    written = []
    for one in answer.told:
        user = answer.users.get(one.user_id)
        if user is None or user.deleted:  # a deleted account is told nothing more
            continue
        preferences = answer.preferences.get(user.id)
        muted = preferences.muted_kinds if preferences else ()
        if one.rule.kind in muted and rules.mutable(one.rule.kind):
            continue
        written.append(
            Notification(
                user_id=user.id,
                event_id=event["_id"],
                kind=one.rule.kind,
                title=rules.render(one.rule.title, one.params, user.locale),
                body=rules.render(one.rule.body, one.params, user.locale),
                subject_type=answer.subject[0],
                subject_id=answer.subject[1],
                place_path=list(event.get("place_path") or []),
                created_at=event["at"],
            )
        )
    return Told(written, answer.preferences)


def _pushes(
    notifications: Sequence[Notification], devices: Sequence[PushDevice], quiet: set[ObjectId],
    now: datetime,
) -> list[PushMessage]:  # fmt: skip
    """One push message per device of each recipient outside their quiet hours."""
    of_user: dict[ObjectId, list[PushDevice]] = {}
    for device in devices:
        of_user.setdefault(device.user_id, []).append(device)
    return [
        PushMessage(
            notification_id=n.id, device_id=d.id, user_id=n.user_id, title=n.title, body=n.body,
            kind=n.kind, subject_type=n.subject_type, subject_id=n.subject_id, next_at=now,
            created_at=now,
        )
        for n in notifications if n.user_id not in quiet
        for d in of_user.get(n.user_id, ())
    ]  # fmt: skip


async def _write_batch(deps: Deps, told: Sequence[tuple[Document, Told]]) -> int:
    """Write the notifications of several events, their push messages and the events' marks as
    finished in one transaction: a notification never exists without its push, nor an event
    marked finished without its notifications. If another notifier wrote one of them meanwhile
    (a unique index refuses it), nothing of this one is written and each event is written on
    its own, skipping whom it told already. How many were new."""
    if not told:
        return 0
    notifications = [n for _, t in told for n in t.notifications]
    recipients = list(dict.fromkeys(n.user_id for n in notifications))
    devices = await repository.devices_of(deps.db, recipients) if recipients else []
    now = deps.clock.now()
    quiet = {u for _, t in told for u, p in t.preferences.items() if p.is_quiet(now)}
    messages = _pushes(notifications, devices, quiet, now)
    event_ids = [event["_id"] for event, _ in told]

    async def write(session: Session) -> int:
        await repository.insert_written(deps.db, notifications, messages, session=session)
        await repository.mark_notified(deps.db, event_ids, now, session=session)
        return len(notifications)

    try:
        return await in_transaction(deps.client, write)
    except DuplicateKeyError:
        return sum([await _write_one(deps, event, one, devices, quiet) for event, one in told])


async def _write_one(
    deps: Deps, event: Document, told: Told, devices: Sequence[PushDevice], quiet: set[ObjectId]
) -> int:
    """`_write_batch` for one event, after a race: the recipients told already are skipped."""
    now = deps.clock.now()

    async def write(session: Session) -> int:
        already = await repository.existing_recipients(deps.db, event["_id"], session=session)
        new = [n for n in told.notifications if n.user_id not in already]
        messages = _pushes(new, devices, quiet, now)
        await repository.insert_written(deps.db, new, messages, session=session)
        await repository.mark_notified(deps.db, [event["_id"]], now, session=session)
        return len(new)

    try:
        return await in_transaction(deps.client, write)
    except DuplicateKeyError:  # another notifier finished this event at the same moment
        return 0


async def notify(deps: Deps) -> int:
    """Write the notifications of the events since the watermark: how many were new. Safe to
    run twice or on several instances at once (see the module's docstring). The events of a
    batch are evaluated together (their reads shared, `rules.Reads`) and written together, in
    transactions of at most WRITE_BATCH notifications (or one event's, however many)."""
    now = deps.clock.now()
    since = await repository.watermark(deps.db) or now - SETTLE
    reads = rules.Reads(deps)
    written = 0
    after: tuple[Any, ObjectId] | None = None
    while True:
        batch = await repository.events_since(
            deps.db, since, sorted(rules.EVENT_KINDS), after=after, limit=BATCH
        )
        if not batch:
            break
        finished = await repository.notified(deps.db, [e["_id"] for e in batch])
        todo = [event for event in batch if event["_id"] not in finished]
        answers = await asyncio.gather(*(answer(reads, event) for event in todo))
        pending: list[tuple[Document, Told]] = []
        size = 0
        for event, answered in zip(todo, answers, strict=True):
            told = notifications_of(event, answered)
            if pending and size + len(told.notifications) > WRITE_BATCH:
                written += await _write_batch(deps, pending)
                pending, size = [], 0
            pending.append((event, told))
            size += len(told.notifications)
        written += await _write_batch(deps, pending)
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


# --- Push: devices and the outbox's worker ----------------------------------------------------

MAX_TOKEN_LENGTH = 1024
MAX_DEVICES = 20
# A claimed message is the worker's for this long (longer than a webhook may take).
PUSH_LEASE = timedelta(minutes=2)
PUSH_BATCH = 100
MAX_RETRY_DELAY = timedelta(hours=1)


async def register_device(
    deps: Deps, actor: Actor, *, token: str, platform: PushPlatform
) -> PushDevice:
    """The viewer's phone receives their pushes from now on. A token registered by someone
    else (a phone that changed hands) moves to the viewer."""
    checks = Checks()
    token = token.strip()
    if not token:
        checks.fail("token", "push.token_required")
    elif len(token) > MAX_TOKEN_LENGTH or any(c.isspace() for c in token):
        checks.fail("token", "push.token_invalid", max=MAX_TOKEN_LENGTH)
    checks.done()
    known = await repository.devices_of(deps.db, [actor.user_id])
    if len(known) >= MAX_DEVICES and all(d.token != token for d in known):
        raise DomainError.of(
            ErrorCode.INVALID_INPUT, "push.too_many_devices", field=("input", "token"),
            max=MAX_DEVICES,
        )  # fmt: skip
    return await repository.register_device(
        deps.db, actor.user_id, token, platform.value, deps.clock.now()
    )


async def unregister_device(deps: Deps, actor: Actor, *, device_id: ObjectId) -> None:
    """The viewer's device stops receiving pushes; anyone else's (or unknown): NOT_FOUND."""
    if not await repository.unregister_device(deps.db, actor.user_id, device_id):
        raise DomainError.of(
            ErrorCode.NOT_FOUND, "push.device_not_found", field=("input", "deviceId")
        )


async def devices(deps: Deps, actor: Actor) -> list[PushDevice]:
    return await repository.devices_of(deps.db, [actor.user_id])


def _backoff(attempts: int, base_seconds: float) -> timedelta:
    return min(timedelta(seconds=base_seconds * 2 ** max(attempts - 1, 0)), MAX_RETRY_DELAY)


async def deliver_push(deps: Deps, sender: PushSender | None = None) -> int:
    """The job: deliver the outbox's due messages through the sender the settings choose. A
    failure is retried with backoff (doubling from NEIGHBOR_PUSH_RETRY_SECONDS), dropped and
    logged after NEIGHBOR_PUSH_MAX_ATTEMPTS tries; a device the sender reports invalid is
    removed. Safe on several instances: each message is claimed by one atomic update. How many
    were delivered."""
    sender = sender or push.sender_for(deps.settings)
    # A round's messages are claimed together and sent one after another: at the webhook's
    # timeout each, a round takes at most half the lease.
    per_round = int(PUSH_LEASE.total_seconds() / (2 * deps.settings.push_webhook_timeout_seconds))
    per_round = max(1, min(PUSH_BATCH, per_round))
    delivered = taken = 0
    while taken < PUSH_BATCH:
        now = deps.clock.now()
        messages = await repository.claim_pushes(deps.db, now, PUSH_LEASE, per_round)
        if not messages:
            break
        taken += len(messages)
        delivered += await _deliver(deps, sender, messages)
    return delivered


async def _deliver(deps: Deps, sender: PushSender, messages: Sequence[PushMessage]) -> int:
    """Send claimed messages and write each one's outcome (in one command); how many were
    delivered."""
    devices = {
        d.id: d
        for d in await repository.devices_by_ids(deps.db, list({m.device_id for m in messages}))
    }
    delivered = 0
    outcomes: list[tuple[ObjectId, Document]] = []
    try:
        for message in messages:
            device = devices.get(message.device_id)
            if device is None or device.user_id != message.user_id:  # unregistered, or moved
                gone = {"status": PushStatus.DROPPED.value, "last_error": "device gone"}
                outcomes.append((message.id, gone))
                continue
            outcome, reason = await sender.send(message, device)
            if outcome is push.Delivery.SENT:
                delivered += 1
            elif outcome is push.Delivery.INVALID_DEVICE:
                await repository.remove_device(deps.db, device.id)
                devices.pop(device.id)  # its other messages of this round are dropped too
                log.info("push device %s removed: the sender reports it invalid", device.id)
            outcomes.append((message.id, _after(deps, message, outcome, reason)))
    finally:  # what was sent is never sent again, even if a later send raises or is cancelled
        await repository.finish_pushes(deps.db, outcomes)
    return delivered


def _after(deps: Deps, message: PushMessage, outcome: push.Delivery, reason: str) -> Document:
    """A message's changes once sent: SENT; DROPPED (an invalid device, or its last try failed);
    or its next try, after a backoff doubling from NEIGHBOR_PUSH_RETRY_SECONDS."""
    settings, done = deps.settings, deps.clock.now()
    if outcome is push.Delivery.SENT:
        return {"status": PushStatus.SENT.value, "sent_at": done}
    if outcome is push.Delivery.INVALID_DEVICE:
        return {"status": PushStatus.DROPPED.value, "last_error": f"invalid device: {reason}"}
    if message.attempts >= settings.push_max_attempts:
        log.warning(
            "push message %s dropped after %d attempts: %s", message.id, message.attempts, reason
        )
        return {"status": PushStatus.DROPPED.value, "last_error": reason}
    retry_at = done + _backoff(message.attempts, settings.push_retry_seconds)
    return {"next_at": retry_at, "last_error": reason}


# --- Preferences ---------------------------------------------------------------------------------


async def preferences(deps: Deps, actor: Actor) -> Preferences:
    found = await repository.preferences_of(deps.db, [actor.user_id])
    return found.get(actor.user_id) or Preferences(id=actor.user_id)


async def update_preferences(
    deps: Deps,
    actor: Actor,
    *,
    muted_kinds: Sequence[NotificationKind] | None,
    quiet_hours: tuple[str | None, str | None] | None,
) -> Preferences:
    """Change what the viewer hears: `muted_kinds` (None: unchanged) are no longer written to
    their feed (the kinds that ask them to act on an assignment cannot be muted);
    `quiet_hours` ("22:00", "07:00"; both None: none; None: unchanged) has no push inside
    (the feed still gets everything)."""
    current = await preferences(deps, actor)
    checks = Checks()
    changes: dict[str, object] = {}
    if muted_kinds is not None:
        for index, kind in enumerate(muted_kinds):
            if kind in UNMUTABLE:
                checks.problems.append(
                    invalid(("input", "mutedKinds", str(index)), "notification.kind_not_mutable",
                            kind=kind.value)
                )  # fmt: skip
        changes["muted_kinds"] = list(dict.fromkeys(muted_kinds))
    if quiet_hours is not None:
        start, end = quiet_hours
        for field, value in (("quietHoursStart", start), ("quietHoursEnd", end)):
            if value is not None and not Preferences.valid_time(value):
                checks.fail(field, "notification.quiet_hours_time", value=value)
        if (start is None) != (end is None):
            checks.fail("quietHoursEnd" if end is None else "quietHoursStart",
                        "notification.quiet_hours_both")  # fmt: skip
        changes |= {"quiet_hours_start": start, "quiet_hours_end": end}
    checks.done()
    updated = current.model_copy(update=changes)
    await repository.save_preferences(deps.db, updated)
    return updated


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
