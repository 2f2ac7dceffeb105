"""The live hub: one MongoDB change stream per process, fanned out to in-process subscribers.

Every change in the application is a domain event in the `events` collection
(`neighbor_api.core.events`), written in the transaction of the change. The hub tails that
collection with ONE change stream (inserts only) and hands each event to the subscribers whose
topics it touches, so a change made through any API instance reaches the subscribers of every
instance.

API (also for other features, e.g. notifications)::

    hub = hub_of(info.context)                 # the app's hub (None outside a running app)
    with hub.subscribe({place_topic(community_id)},
                       accept=lambda e: e.kind in REPORT_MOVES) as subscription:
        async for event in subscription:       # LiveEvent, in commit order, never twice
            ...                                # re-read the subject, check permissions, yield

- Topics (`Topic`): `place_topic(id)` (every id of the event's `place_path`: a community
  subscriber hears its grids too), `subject_topic(id)` (the event's `subject_id`),
  `board_topic(id)` (task events, from `data.board_id`), `actor_topic(id)`, and `ALL`.
- `accept`: an optional cheap, synchronous filter run in the hub before queueing.
- Notifications: with `notifications` (a collection name) the hub also tails that collection's
  inserts with a second change stream and hands each document to the subscribers of its
  `user_id` (`subscribe_notifications(user_id)`; a dict user id -> subscribers, so O(1) per
  insert whatever the number of sockets). However many sockets subscribe, the process holds
  two change streams.
- `shared` (on each `LiveEvent` and `LiveNotification`): what its subscribers read about it
  once and share (`Shared.once`), e.g. the task of a card move, read once for 1,000 sockets.
- Each subscription has a bounded queue (`queue_size`, default the settings'
  `live_queue_size`). When it is full the subscription is marked too slow: its iterator raises
  `SubscriberTooSlow` and its `on_overflow` callbacks run (e.g. to close a WebSocket with
  4008). The hub never waits for a subscriber and memory never grows without bound.
- Resume tokens: the hub keeps the token of the last change it saw. If the stream fails (the
  database restarted, the connection dropped) it reopens with `resume_after`, so no event is
  lost and, since the token is exact, none is delivered twice (a bounded set of recently seen
  event ids guards against a repeat anyway). `stop()` keeps the token: `start()` resumes.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar, cast

from bson import ObjectId
from pymongo.errors import OperationFailure

from neighbor_api.core.events import COLLECTION, EventKind
from neighbor_api.core.mongo import Database
from neighbor_api.core.streams import ChangeFollower

log = logging.getLogger(__name__)

DEFAULT_QUEUE_SIZE = 100
# How long one getMore waits for new events on the server (the hub's idle wake-up period).
MAX_AWAIT_MS = 500
# Event ids remembered to drop a repeat after a resume.
SEEN_IDS = 4096
# MongoDB's error code when the resume token is no longer in the oplog.
CHANGE_STREAM_HISTORY_LOST = 286

Topic = tuple[str, Any]
ALL: Topic = ("all", None)

T = TypeVar("T")
R = TypeVar("R")


def place_topic(place_id: ObjectId) -> Topic:
    return ("place", place_id)


def subject_topic(subject_id: ObjectId) -> Topic:
    return ("subject", subject_id)


def board_topic(board_id: ObjectId) -> Topic:
    return ("board", board_id)


def actor_topic(actor_id: ObjectId) -> Topic:
    return ("actor", actor_id)


class _Read:
    """A read in flight for `Shared.once`: its task and who waits for it."""

    __slots__ = ("task", "waiters")

    def __init__(self, task: asyncio.Future[Any]) -> None:
        self.task = task
        self.waiters: list[asyncio.Future[Any]] = []
        task.add_done_callback(self._release)

    def _release(self, task: asyncio.Future[Any]) -> None:
        waiters, self.waiters = self.waiters, []
        if task.cancelled():
            for waiter in waiters:
                waiter.cancel()
            return
        error = task.exception()  # retrieved, even when every waiter has gone
        for waiter in waiters:
            if waiter.done():  # its subscriber went away
                continue
            if error is not None:
                waiter.set_exception(error)
            else:
                waiter.set_result(task.result())


class Shared:
    """Reads that the subscribers of one event share: each key is read once, by whoever asks
    first; the others await the same result (or error).

    A subscriber that goes away does not cancel the others' read: each waits on a future of
    its own, all released by one callback when the read ends (asyncio.shield made two
    callbacks and a closure per waiter: ~15 µs of each of 1,000 sockets, twice per event)."""

    __slots__ = ("_values",)

    def __init__(self) -> None:
        self._values: dict[Hashable, Any] = {}

    async def once(self, key: Hashable, read: Callable[[], Awaitable[R]]) -> R:
        pending = self._values.get(key)
        if pending is None:
            pending = self._values[key] = _Read(asyncio.ensure_future(read()))
        elif pending.task.done():
            return cast(R, pending.task.result())  # most of 1,000 sockets come after the read
        waiter: asyncio.Future[R] = pending.task.get_loop().create_future()
        pending.waiters.append(waiter)
        return await waiter

    def get(self, key: Hashable, make: Callable[[], R]) -> R:
        """A value made once (synchronously) for every subscriber asking for `key`."""
        if key not in self._values:
            self._values[key] = make()
        return cast(R, self._values[key])


@dataclass(frozen=True)
class LiveEvent:
    """One domain event, as written by `core.events.record`."""

    id: ObjectId
    kind: EventKind
    subject_id: ObjectId
    actor_id: ObjectId | None
    place_path: tuple[ObjectId, ...]
    data: Mapping[str, Any]
    at: datetime
    shared: Shared = field(default_factory=Shared, compare=False, repr=False)

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> LiveEvent:
        return cls(
            id=document["_id"],
            kind=EventKind(document["kind"]),
            subject_id=document["subject_id"],
            actor_id=document.get("actor_id"),
            place_path=tuple(document.get("place_path") or ()),
            data=dict(document.get("data") or {}),
            at=document["at"],
        )

    def topics(self) -> set[Topic]:
        found: set[Topic] = {ALL, subject_topic(self.subject_id)}
        found.update(place_topic(p) for p in self.place_path)
        if isinstance(self.data.get("board_id"), ObjectId):
            found.add(board_topic(self.data["board_id"]))
        if self.actor_id is not None:
            found.add(actor_topic(self.actor_id))
        return found


@dataclass(frozen=True)
class LiveNotification:
    """One document inserted into the notifications collection, for its `user_id`."""

    id: ObjectId
    user_id: ObjectId
    document: Mapping[str, Any]
    shared: Shared = field(default_factory=Shared, compare=False, repr=False)


class SubscriberTooSlow(Exception):
    """The subscriber fell more than its queue size behind; it gets nothing more."""


@dataclass(eq=False, slots=True)
class Subscriber(Generic[T]):
    """One subscriber's view of the hub: iterate it for events (or notifications). Its queue
    is a plain list (an empty deque holds a 0.7 KiB block; the queue is short and mostly
    empty) and a future made only while it waits (an asyncio.Queue and Event cost ~3 KB per
    idle subscriber)."""

    topics: frozenset[Topic]
    accept: Callable[[T], bool] | None
    queue_size: int
    on_overflow: list[Callable[[], None]] = field(default_factory=list)
    overflowed: bool = False
    queue: list[T] = field(default_factory=list)
    _waiter: asyncio.Future[None] | None = None

    def __aiter__(self) -> Subscriber[T]:
        return self

    async def __anext__(self) -> T:
        while True:
            if self.overflowed:
                raise SubscriberTooSlow
            if self.queue:
                return self.queue.pop(0)
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None

    def _offer(self, event: T) -> None:
        if self.overflowed:
            return
        if self.accept is not None and not self.accept(event):
            return
        if len(self.queue) < self.queue_size:
            self.queue.append(event)
        else:
            self.overflowed = True
            # The backlog is dropped at once: a slow subscriber holds no memory.
            self.queue.clear()
            for callback in self.on_overflow:
                try:
                    callback()
                except Exception:  # one subscriber's callback never stops the hub
                    log.exception("live: on_overflow callback failed")
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)


Subscription = Subscriber[LiveEvent]


def _first_time(seen: OrderedDict[ObjectId, None], item_id: ObjectId) -> bool:
    """Whether `item_id` is new (a bounded memory of the last SEEN_IDS ids)."""
    if item_id in seen:
        return False
    seen[item_id] = None
    if len(seen) > SEEN_IDS:
        seen.popitem(last=False)
    return True


class Hub:
    """Tails `events` with one change stream and fans events out (see the module docstring);
    with `notifications`, tails that collection too and fans its inserts out by user."""

    def __init__(
        self,
        db: Database,
        *,
        queue_size: int = DEFAULT_QUEUE_SIZE,
        on_publish: Callable[[LiveEvent], None] | None = None,
        notifications: str | None = None,
    ) -> None:
        self.queue_size = queue_size
        # Called with each event as it is handed out (the app measures the delivery lag).
        self._on_publish = on_publish
        self._by_topic: dict[Topic, set[Subscription]] = {}
        self._by_user: dict[ObjectId, set[Subscriber[LiveNotification]]] = {}
        self._seen: OrderedDict[ObjectId, None] = OrderedDict()
        self._seen_notifications: OrderedDict[ObjectId, None] = OrderedDict()
        self._events = _Tail(db, COLLECTION, self._handle)
        self._notifications = (
            _Tail(db, notifications, self._handle_notification) if notifications else None
        )
        # Counters: events and notifications published, subscribers dropped as too slow.
        self.delivered = 0
        self.notifications_delivered = 0
        self.too_slow = 0

    # --- subscribers --------------------------------------------------------------------------

    @contextmanager
    def subscribe(
        self,
        topics: Iterable[Topic],
        *,
        accept: Callable[[LiveEvent], bool] | None = None,
        queue_size: int | None = None,
    ) -> Iterator[Subscription]:
        """A subscription to the events touching any of `topics`, until the block ends."""
        subscription = Subscription(
            topics=frozenset(topics),
            accept=accept,
            queue_size=queue_size or self.queue_size,
        )
        for topic in subscription.topics:
            self._by_topic.setdefault(topic, set()).add(subscription)
        try:
            yield subscription
        finally:
            for topic in subscription.topics:
                _discard(self._by_topic, topic, subscription)

    @contextmanager
    def subscribe_notifications(
        self, user_id: ObjectId, *, queue_size: int | None = None
    ) -> Iterator[Subscriber[LiveNotification]]:
        """The notifications written for `user_id` from now on, until the block ends."""
        if self._notifications is None:
            raise RuntimeError("this hub does not tail notifications")
        subscriber: Subscriber[LiveNotification] = Subscriber(
            topics=frozenset(),
            accept=None,
            queue_size=queue_size or self.queue_size,
        )
        self._by_user.setdefault(user_id, set()).add(subscriber)
        try:
            yield subscriber
        finally:
            _discard(self._by_user, user_id, subscriber)

    @property
    def subscriber_count(self) -> int:
        events = {s for subscribers in self._by_topic.values() for s in subscribers}
        return len(events) + sum(len(s) for s in self._by_user.values())

    def publish(self, event: LiveEvent) -> None:
        """Hand one event to its subscribers (never blocks; each gets it at most once)."""
        if not _first_time(self._seen, event.id):
            return
        targets: set[Subscription] = set()
        for topic in event.topics():
            targets.update(self._by_topic.get(topic, ()))
        self._offer(targets, event)
        self.delivered += 1
        if self._on_publish is not None:
            self._on_publish(event)

    def publish_notification(self, notification: LiveNotification) -> None:
        """Hand one notification to its user's subscribers (never blocks; at most once)."""
        if not _first_time(self._seen_notifications, notification.id):
            return
        self._offer(self._by_user.get(notification.user_id, ()), notification)
        self.notifications_delivered += 1

    def _offer(self, targets: Iterable[Subscriber[T]], item: T) -> None:
        for subscriber in list(targets):
            was_slow = subscriber.overflowed
            subscriber._offer(item)
            if subscriber.overflowed and not was_slow:
                self.too_slow += 1

    # --- the change streams -------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._events.running

    @property
    def resume_token(self) -> Mapping[str, Any] | None:
        """The events stream's resume token (the notifications stream keeps its own)."""
        return self._events.resume_token

    @property
    def reconnects(self) -> int:
        tails = (self._events, self._notifications)
        return sum(tail.reopened for tail in tails if tail is not None)

    async def start(self) -> None:
        """Open the change streams (resuming after the last tokens, if any) and tail them.
        Returns once they are open (when the database answers), so every event written
        afterwards is delivered."""
        await self._events.start()
        if self._notifications is not None:
            await self._notifications.start()

    async def stop(self) -> None:
        """Stop tailing; the resume tokens are kept, so `start()` delivers what was missed."""
        await self._events.stop()
        if self._notifications is not None:
            await self._notifications.stop()

    def _handle(self, document: Mapping[str, Any]) -> None:
        try:
            event = LiveEvent.from_document(document)
        except (KeyError, TypeError, ValueError):  # ValueError: a kind this version does not know
            log.warning("live: skipping a malformed event %r", document.get("_id"))
            return
        self.publish(event)

    def _handle_notification(self, document: Mapping[str, Any]) -> None:
        user_id, notification_id = document.get("user_id"), document.get("_id")
        if not isinstance(user_id, ObjectId) or not isinstance(notification_id, ObjectId):
            log.warning("live: skipping a malformed notification %r", notification_id)
            return
        self.publish_notification(
            LiveNotification(id=notification_id, user_id=user_id, document=document)
        )


def _discard(index: dict[Any, set[Subscriber[T]]], key: Any, subscriber: Subscriber[T]) -> None:
    subscribers = index.get(key)
    if subscribers is not None:
        subscribers.discard(subscriber)
        if not subscribers:
            del index[key]


class _Tail(ChangeFollower):
    """One change stream on the inserts of one collection, handing each inserted document to
    `handle`; reopened after a failure from its resume token (see the module docstring)."""

    def __init__(
        self, db: Database, collection: str, handle: Callable[[Mapping[str, Any]], None]
    ) -> None:
        super().__init__(f"live-hub-{collection}")
        self._db = db
        self._collection = collection
        self._handle = handle
        self.resume_token: Mapping[str, Any] | None = None

    async def _open(self) -> Any:
        pipeline = [{"$match": {"operationType": "insert"}}]
        collection = self._db[self._collection]
        try:
            return await collection.watch(
                pipeline, resume_after=self.resume_token, max_await_time_ms=MAX_AWAIT_MS
            )
        except OperationFailure as error:
            if self.resume_token is None or error.code != CHANGE_STREAM_HISTORY_LOST:
                raise
            log.error("live: resume token no longer in the oplog; %s were missed", self._collection)
            self.resume_token = None
            return await collection.watch(pipeline, max_await_time_ms=MAX_AWAIT_MS)

    def _take(self, change: Mapping[str, Any] | None, stream: Any) -> None:
        if change is not None:
            document = change.get("fullDocument")
            if document:
                self._handle(document)
            self.resume_token = change["_id"]
        elif stream.resume_token is not None:
            self.resume_token = stream.resume_token
