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
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo.errors import OperationFailure, PyMongoError

from neighbor_api.core.events import COLLECTION, EventKind
from neighbor_api.core.mongo import Database

log = logging.getLogger(__name__)

DEFAULT_QUEUE_SIZE = 100
# How long one getMore waits for new events on the server (the hub's idle wake-up period).
MAX_AWAIT_MS = 500
RETRY_INITIAL_SECONDS = 0.1
RETRY_MAX_SECONDS = 5.0
# Event ids remembered to drop a repeat after a resume.
SEEN_IDS = 4096
# MongoDB's error code when the resume token is no longer in the oplog.
CHANGE_STREAM_HISTORY_LOST = 286

Topic = tuple[str, Any]
ALL: Topic = ("all", None)


def place_topic(place_id: ObjectId) -> Topic:
    return ("place", place_id)


def subject_topic(subject_id: ObjectId) -> Topic:
    return ("subject", subject_id)


def board_topic(board_id: ObjectId) -> Topic:
    return ("board", board_id)


def actor_topic(actor_id: ObjectId) -> Topic:
    return ("actor", actor_id)


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


class SubscriberTooSlow(Exception):
    """The subscriber fell more than its queue size behind; it gets nothing more."""


@dataclass(eq=False)
class Subscription:
    """One subscriber's view of the hub: iterate it for events."""

    topics: frozenset[Topic]
    accept: Callable[[LiveEvent], bool] | None
    queue: asyncio.Queue[LiveEvent]
    on_overflow: list[Callable[[], None]] = field(default_factory=list)
    overflowed: bool = False
    _wake: asyncio.Event = field(default_factory=asyncio.Event)

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> LiveEvent:
        while True:
            if self.overflowed:
                raise SubscriberTooSlow
            with suppress(asyncio.QueueEmpty):
                return self.queue.get_nowait()
            self._wake.clear()
            await self._wake.wait()

    def _offer(self, event: LiveEvent) -> None:
        if self.overflowed:
            return
        if self.accept is not None and not self.accept(event):
            return
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.overflowed = True
            # The backlog is dropped at once: a slow subscriber holds no memory.
            while not self.queue.empty():
                self.queue.get_nowait()
            for callback in self.on_overflow:
                try:
                    callback()
                except Exception:  # one subscriber's callback never stops the hub
                    log.exception("live: on_overflow callback failed")
        self._wake.set()


class Hub:
    """Tails `events` with one change stream and fans events out (see the module docstring)."""

    def __init__(
        self,
        db: Database,
        *,
        queue_size: int = DEFAULT_QUEUE_SIZE,
        on_publish: Callable[[LiveEvent], None] | None = None,
    ) -> None:
        self._db = db
        self.queue_size = queue_size
        # Called with each event as it is handed out (the app measures the delivery lag).
        self._on_publish = on_publish
        self.resume_token: Mapping[str, Any] | None = None
        self._by_topic: dict[Topic, set[Subscription]] = {}
        self._seen: OrderedDict[ObjectId, None] = OrderedDict()
        self._task: asyncio.Task[None] | None = None
        self._stream: Any = None
        # Counters: events published, stream reopenings, subscribers dropped as too slow.
        self.delivered = 0
        self.reconnects = 0
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
            queue=asyncio.Queue(maxsize=queue_size or self.queue_size),
        )
        for topic in subscription.topics:
            self._by_topic.setdefault(topic, set()).add(subscription)
        try:
            yield subscription
        finally:
            for topic in subscription.topics:
                subscribers = self._by_topic.get(topic)
                if subscribers is not None:
                    subscribers.discard(subscription)
                    if not subscribers:
                        del self._by_topic[topic]

    @property
    def subscriber_count(self) -> int:
        return len({s for subscribers in self._by_topic.values() for s in subscribers})

    def publish(self, event: LiveEvent) -> None:
        """Hand one event to its subscribers (never blocks; each gets it at most once)."""
        if event.id in self._seen:
            return
        self._seen[event.id] = None
        if len(self._seen) > SEEN_IDS:
            self._seen.popitem(last=False)
        targets: set[Subscription] = set()
        for topic in event.topics():
            targets.update(self._by_topic.get(topic, ()))
        for subscription in targets:
            was_slow = subscription.overflowed
            subscription._offer(event)
            if subscription.overflowed and not was_slow:
                self.too_slow += 1
        self.delivered += 1
        if self._on_publish is not None:
            self._on_publish(event)

    # --- the change stream --------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        """Open the change stream (resuming after the last token, if any) and tail it. Returns
        once the stream is open (when the database answers), so every event written afterwards
        is delivered."""
        if self.running:
            return
        try:
            await self._open()
        except PyMongoError:  # the database is unreachable: the app starts, the loop retries
            log.warning("live: change stream not open yet; retrying", exc_info=True)
        self._task = asyncio.create_task(self._run(), name="live-hub")

    async def stop(self) -> None:
        """Stop tailing; the resume token is kept, so `start()` delivers what was missed."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
        await self._close_stream()

    async def _open(self) -> None:
        pipeline = [{"$match": {"operationType": "insert"}}]
        try:
            self._stream = await self._db[COLLECTION].watch(
                pipeline, resume_after=self.resume_token, max_await_time_ms=MAX_AWAIT_MS
            )
        except OperationFailure as error:
            if self.resume_token is None or error.code != CHANGE_STREAM_HISTORY_LOST:
                raise
            log.error("live: resume token no longer in the oplog; events were missed")
            self.resume_token = None
            self._stream = await self._db[COLLECTION].watch(
                pipeline, max_await_time_ms=MAX_AWAIT_MS
            )

    async def _close_stream(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            with suppress(PyMongoError):
                await stream.close()

    async def _run(self) -> None:
        delay = RETRY_INITIAL_SECONDS
        while True:
            try:
                if self._stream is None:
                    await self._open()
                    self.reconnects += 1
                    log.info("live: change stream reopened")
                change = await self._stream.try_next()
                delay = RETRY_INITIAL_SECONDS
                if change is not None:
                    self._handle(change)
                    self.resume_token = change["_id"]
                elif self._stream.resume_token is not None:
                    self.resume_token = self._stream.resume_token
            except asyncio.CancelledError:
                raise
            except Exception:  # the database went away or the stream broke: resume
                log.warning("live: change stream failed; resuming in %.1fs", delay, exc_info=True)
                await self._close_stream()
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_SECONDS)

    def _handle(self, change: Mapping[str, Any]) -> None:
        document = change.get("fullDocument")
        if not document:
            return
        try:
            event = LiveEvent.from_document(document)
        except (KeyError, TypeError, ValueError):  # ValueError: a kind this version does not know
            log.warning("live: skipping a malformed event %r", document.get("_id"))
            return
        self.publish(event)
