"""An in-process cache of what authentication found for a session, per instance (`Deps.sessions`),
and of the documents the instance keeps by id: the users the requests' DataLoaders read, the
councils (`Deps.kept_by_id`).

session id -> (the user id, a value: the viewer), and document id -> the document (ObjectIds
are unique across collections), each kept for at most `max_age` seconds and for the
`max_size` most recently used keys. `accounts/sessions.py` decides what is stored and for how
long; writers drop entries at once (`forget_session`; `forget_user`, which drops the user's
sessions and the user; `forget_document`), and a change stream does so on the other
instances.

A load that raced an invalidation must not store what it read before it: `epoch` counts
invalidations, a reader takes it before reading the database and `put` ignores the value when
it changed meanwhile.

Concurrent misses of one key share one load (`load_once`): when a session's entry ages out
under 1,000 sockets of a heated vote, they make one database read, not 1,000.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from bson import ObjectId

V = TypeVar("V")


@dataclass(frozen=True)
class _Entry(Generic[V]):
    user_id: ObjectId
    value: V
    stored_at: float


class SessionCache(Generic[V]):
    """Bounded (least recently used out), aged, invalidated by session or by user."""

    def __init__(self, *, timer: Callable[[], float] = time.monotonic) -> None:
        self._timer = timer
        self._entries: OrderedDict[ObjectId, _Entry[V]] = OrderedDict()
        self._by_user: dict[ObjectId, set[ObjectId]] = {}
        self._documents: OrderedDict[ObjectId, tuple[Any, float]] = OrderedDict()
        self._loading: dict[Hashable, asyncio.Future[V]] = {}
        self.epoch = 0
        # Counters, for tests and metrics: lookups answered, lookups missed.
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, session_id: ObjectId, *, max_age: float) -> V | None:
        entry = self._entries.get(session_id)
        if entry is None or self._timer() - entry.stored_at >= max_age:
            if entry is not None:
                self._drop(session_id)
            self.misses += 1
            return None
        self._entries.move_to_end(session_id)
        self.hits += 1
        return entry.value

    def put(
        self, session_id: ObjectId, user_id: ObjectId, value: V, *, epoch: int, max_size: int
    ) -> None:
        """Keep `value`, unless something was invalidated since `epoch` was read."""
        if epoch != self.epoch or max_size <= 0:
            return
        self._drop(session_id)
        self._entries[session_id] = _Entry(user_id, value, self._timer())
        self._by_user.setdefault(user_id, set()).add(session_id)
        while len(self._entries) > max_size:
            self._drop(next(iter(self._entries)))

    def document(self, key: ObjectId, *, max_age: float) -> Any | None:
        """The document kept under its id `key`, or None (not kept, or kept `max_age` seconds
        ago)."""
        entry = self._documents.get(key)
        if entry is None:
            return None
        if self._timer() - entry[1] >= max_age:
            del self._documents[key]
            return None
        self._documents.move_to_end(key)
        return entry[0]

    def put_document(self, key: ObjectId, document: Any, *, epoch: int, max_size: int) -> None:
        """Keep `document`, unless something was invalidated since `epoch` was read."""
        if epoch != self.epoch or max_size <= 0:
            return
        self._documents.pop(key, None)
        self._documents[key] = (document, self._timer())
        while len(self._documents) > max_size:
            self._documents.popitem(last=False)

    async def load_once(self, key: Hashable, load: Callable[[], Awaitable[V]]) -> V:
        """`load()`, shared by every caller asking for `key` while it runs (its value or its
        error); a caller that goes away does not cancel the others' load."""
        pending = self._loading.get(key)
        if pending is None:
            pending = asyncio.ensure_future(load())
            self._loading[key] = pending
            pending.add_done_callback(lambda done: self._loaded(key, done))
        return await asyncio.shield(pending)

    def _loaded(self, key: Hashable, done: asyncio.Future[V]) -> None:
        del self._loading[key]
        if not done.cancelled():
            done.exception()  # retrieved: raised to the callers still waiting, if any

    def forget_session(self, session_id: ObjectId) -> None:
        self.epoch += 1
        self._drop(session_id)

    def forget_document(self, key: ObjectId) -> None:
        self.epoch += 1
        self._documents.pop(key, None)

    def forget_user(self, user_id: ObjectId) -> None:
        """Every session of the user, and the user (their account or memberships changed)."""
        self.forget_document(user_id)
        for session_id in list(self._by_user.get(user_id, ())):
            self._drop(session_id)

    def clear(self) -> None:
        self.epoch += 1
        self._entries.clear()
        self._by_user.clear()
        self._documents.clear()

    def _drop(self, session_id: ObjectId) -> None:
        entry = self._entries.pop(session_id, None)
        if entry is None:
            return
        sessions = self._by_user.get(entry.user_id)
        if sessions is not None:
            sessions.discard(session_id)
            if not sessions:
                del self._by_user[entry.user_id]
