"""Rate limits kept in the database, so they hold across every instance and cannot be raced.

Two tools, one collection (`rate_limits`, each document removed by a TTL index once useless):

- `Limiter.hit(key, limit, window) -> Decision`: a fixed-window counter. The attempt is
  counted FIRST (one atomic `$inc`, upserting the window's document) and the decision is made
  on the count that increment returned, so of N concurrent hits exactly `limit` are allowed
  (never "read, check, then count", which lets every concurrent request through).
- `Backoff`: progressive delays per key (a phone number's failed logins): after `free`
  failures each further one doubles the wait (1 s, 2 s, 4 s, ... up to `cap`), and one
  attempt at a time is evaluated (`begin` takes the key's turn with one conditional upsert;
  a concurrent attempt is refused with the wait). Success clears the key.

Both answer a `Decision` whose `retry_after` says how long to wait.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pymongo import ASCENDING, IndexModel, ReturnDocument
from pymongo.errors import DuplicateKeyError

from neighbor_api.core.clock import Clock
from neighbor_api.core.mongo import Database, register_indexes

COLLECTION = "rate_limits"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def ttl_index() -> IndexModel:
    """Counters and backoff states are removed by the server once `expires_at` has passed."""
    return IndexModel([("expires_at", ASCENDING)], name="expires_ttl", expireAfterSeconds=0)


register_indexes(COLLECTION, [ttl_index()])


@dataclass(frozen=True)
class Decision:
    """Whether the attempt may go on; if not, how long to wait (at least a second)."""

    allowed: bool
    retry_after: timedelta = timedelta(0)
    count: int = 0

    @property
    def retry_after_seconds(self) -> int:
        return max(1, math.ceil(self.retry_after.total_seconds())) if not self.allowed else 0


def window(now: datetime, length: timedelta) -> tuple[datetime, datetime]:
    """The fixed window `now` falls in: its start and end."""
    seconds = max(1, int(length.total_seconds()))
    start = datetime.fromtimestamp(int(now.timestamp()) // seconds * seconds, tz=now.tzinfo)
    return start, start + timedelta(seconds=seconds)


class Limiter:
    """Fixed-window counters: `await deps.limiter.hit("login:address:192.0.2.1", 30, window)`.

    Keys are free text chosen by the caller (prefix them with what is counted); the window's
    start is added to the stored key, so each window counts from zero."""

    def __init__(self, db: Database, clock: Clock, collection: str = COLLECTION) -> None:
        self._collection = db[collection]
        self._clock = clock

    async def hit(self, key: str, limit: int, length: timedelta, *, cost: int = 1) -> Decision:
        """Count one attempt (or `cost` units: bytes, say) against `key` in the current window
        of `length`, then decide: allowed while the count is at most `limit`.

        One upserting `find_one_and_update` with `$inc`. Under concurrent upserts of a new
        window's document SecantusDB applies every increment but may answer some of them with
        no document; such an answer is NOT retried (that would count twice): the counter is
        read instead, and its count (at least ours) decides, which can only refuse more."""
        now = self._clock.now()
        start, end = window(now, length)
        counter = f"{key}:{int(start.timestamp())}"
        document = await self._collection.find_one_and_update(
            {"_id": counter},
            {"$inc": {"count": cost}, "$setOnInsert": {"expires_at": end}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        if document is None:
            document = await self._collection.find_one({"_id": counter})
        count = int(document["count"]) if document else limit + 1
        if count <= limit:
            return Decision(True, count=count)
        return Decision(False, retry_after=end - now, count=count)

    async def refund(self, key: str, length: timedelta, *, cost: int = 1) -> None:
        """Take back what a `hit` in the current window counted (work refused for another
        reason after it was counted)."""
        start, _ = window(self._clock.now(), length)
        await self._collection.update_one(
            {"_id": f"{key}:{int(start.timestamp())}"}, {"$inc": {"count": -cost}}
        )


@dataclass(frozen=True)
class Turn:
    """An attempt `Backoff.begin` let through (or refused): report its outcome to the backoff."""

    key: str
    decision: Decision
    failures: int = 0

    @property
    def allowed(self) -> bool:
        return self.decision.allowed


class Backoff:
    """Progressive delays per key, evaluated one attempt at a time.

    A key's document holds `failures`, `not_before` (the end of the current wait) and
    `busy_until` (an attempt is being evaluated; a lease, so a crashed instance cannot hold the
    key for longer than `lease`). Failures are forgotten `memory` after the last one."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        free: int,
        base: timedelta,
        cap: timedelta,
        memory: timedelta,
        lease: timedelta = timedelta(seconds=30),
        collection: str = COLLECTION,
    ) -> None:
        self._collection = db[collection]
        self._clock = clock
        self.free, self.base, self.cap, self.memory, self.lease = free, base, cap, memory, lease

    def delay(self, failures: int) -> timedelta:
        """The wait after `failures` failures: none for the first `free`, then base, 2 base,
        4 base, ... at most `cap`."""
        if failures <= self.free:
            return timedelta(0)
        doublings = min(failures - self.free - 1, 40)
        wait: timedelta = min(self.cap, self.base * (2**doublings))
        return wait

    async def begin(self, key: str) -> Turn:
        """Take the key's turn (one round trip): refused while its wait runs or another attempt
        is being evaluated."""
        now = self._clock.now()
        counter = f"backoff:{key}"
        try:
            document = await self._collection.find_one_and_update(
                {"_id": counter, "not_before": {"$lte": now}, "busy_until": {"$lte": now}},
                {
                    "$set": {"busy_until": now + self.lease},
                    "$max": {"expires_at": now + self.lease},
                    "$setOnInsert": {"failures": 0, "not_before": EPOCH, "forget_at": EPOCH},
                },
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
        except DuplicateKeyError:  # the key exists and is waiting or busy
            document = None
        if document is None:
            current = await self._collection.find_one({"_id": counter})
            wait = timedelta(seconds=1)
            if current is not None and current["not_before"].replace(tzinfo=UTC) > now:
                wait = max(wait, current["not_before"].replace(tzinfo=UTC) - now)
            return Turn(counter, Decision(False, retry_after=wait))
        failures = int(document.get("failures", 0))
        if document["forget_at"].replace(tzinfo=UTC) <= now:  # the last failure is old news
            failures = 0
        return Turn(counter, Decision(True), failures)

    async def failed(self, turn: Turn) -> Decision:
        """The attempt failed: one more failure, the next wait starts now. Returns the wait."""
        now = self._clock.now()
        failures = turn.failures + 1
        wait = self.delay(failures)
        forget_at = now + wait + self.memory
        await self._collection.update_one(
            {"_id": turn.key},
            {
                "$set": {
                    "failures": failures,
                    "not_before": now + wait,
                    "busy_until": EPOCH,
                    "forget_at": forget_at,
                    "expires_at": forget_at,
                }
            },
        )
        return Decision(wait == timedelta(0), retry_after=wait)

    async def succeeded(self, turn: Turn) -> None:
        """The attempt succeeded: the key's failures are cleared."""
        await self._collection.delete_one({"_id": turn.key})

    async def abandon(self, turn: Turn) -> None:
        """The attempt ended without an outcome (an error): the key is free again, unchanged."""
        await self._collection.update_one({"_id": turn.key}, {"$set": {"busy_until": EPOCH}})
