"""The migration runner: data changes as numbered, idempotent steps, each recorded once applied.

A step (`neighbor_api/migrations/`) is a number, a name and an `apply(db)` that may run more
than once with the same result (a step stopped halfway runs again from the start on the next
start-up). The runner applies the steps not yet recorded in the `migrations` collection, in
order, recording each only after it succeeded. Several instances may start at once: the one
that takes the lock (one document, taken with an atomic upsert that only an absent or expired
lock lets through) applies the steps and renews the lock while it works; the others poll until
every step is recorded, or take the lock over once it expired (its holder died).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from pymongo import ReturnDocument, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from neighbor_api.core import cancel
from neighbor_api.core.clock import Clock
from neighbor_api.core.mongo import Database, Document

log = logging.getLogger(__name__)

COLLECTION = "migrations"
LOCK_ID = "lock"
LOCK_TTL = timedelta(minutes=2)
POLL_SECONDS = 0.25


# The writes a step sends in one bulk command.
WRITE_BATCH = 1000


async def write_in_batches(
    collection: AsyncCollection[Document], writes: AsyncIterable[UpdateOne]
) -> None:
    """Send a step's updates, WRITE_BATCH to a bulk command (unordered)."""
    batch: list[UpdateOne] = []
    async for write in writes:
        batch.append(write)
        if len(batch) >= WRITE_BATCH:
            await collection.bulk_write(batch, ordered=False)
            batch = []
    if batch:
        await collection.bulk_write(batch, ordered=False)


@dataclass(frozen=True)
class Step:
    """One data change. `apply` must be idempotent: it may run again after a failure."""

    number: int
    name: str
    apply: Callable[[Database], Awaitable[None]]

    @property
    def label(self) -> str:
        return f"{self.number:04d}_{self.name}"


@dataclass(frozen=True)
class StepStatus:
    step: Step
    applied_at: datetime | None


class MigrationError(RuntimeError):
    """The steps or the database are not in a state the runner can work with."""


def check_steps(steps: Sequence[Step]) -> None:
    """Numbered 1, 2, 3, … in order, with no gap and no repeat."""
    numbers = [step.number for step in steps]
    if numbers != list(range(1, len(steps) + 1)):
        raise MigrationError(f"migration steps must be numbered 1..{len(steps)}: {numbers}")


async def _recorded(db: Database) -> dict[int, Document]:
    return {
        document["number"]: document
        async for document in db[COLLECTION].find({"number": {"$exists": True}})
    }


async def status(db: Database, steps: Sequence[Step]) -> list[StepStatus]:
    """Every step, with when it was applied (None: pending)."""
    recorded = await _recorded(db)
    return [
        StepStatus(step, recorded[step.number]["applied_at"] if step.number in recorded else None)
        for step in steps
    ]


def _check_not_newer(steps: Sequence[Step], recorded: dict[int, Document]) -> None:
    unknown = sorted(number for number in recorded if number > len(steps))
    if unknown:
        raise MigrationError(
            f"the database has migration steps {unknown} that this release does not know: "
            "it was upgraded by a newer release (run that release, or restore a backup)"
        )


def new_owner() -> str:
    """Who holds the lock: host, process and a random part (two runners in one process)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


async def _take_lock(db: Database, owner: str, *, now: datetime, ttl: timedelta) -> bool:
    """Take (or renew) the lock if it is absent, ours or expired — one atomic upsert; a lock
    held by someone else makes the upsert's insert fail on the unique `_id`."""
    try:
        await db[COLLECTION].find_one_and_update(
            {"_id": LOCK_ID, "$or": [{"owner": owner}, {"expires_at": {"$lte": now}}]},
            {"$set": {"owner": owner, "expires_at": now + ttl, "taken_at": now}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
    except DuplicateKeyError:
        return False
    return True


async def _release_lock(db: Database, owner: str) -> None:
    await db[COLLECTION].delete_one({"_id": LOCK_ID, "owner": owner})


@contextlib.asynccontextmanager
async def _renewing(db: Database, owner: str, clock: Clock, ttl: timedelta) -> AsyncIterator[None]:
    """Renew the lock every third of its lifetime while a step runs (a long backfill)."""

    async def renew() -> None:
        while True:
            cancel.checkpoint()  # a stop the driver swallowed still stops the renewal
            await asyncio.sleep(ttl.total_seconds() / 3)
            if not await _take_lock(db, owner, now=clock.now(), ttl=ttl):
                log.error("lost the migration lock to another instance")

    task = asyncio.create_task(renew())
    try:
        yield
    finally:
        await cancel.stop(task)


async def _apply_pending(
    db: Database, steps: Sequence[Step], owner: str, clock: Clock, ttl: timedelta
) -> list[Step]:
    recorded = await _recorded(db)  # read again under the lock: another may have finished
    _check_not_newer(steps, recorded)
    applied: list[Step] = []
    for step in steps:
        if step.number in recorded:
            continue
        log.info("applying migration %s", step.label)
        started = time.monotonic()
        async with _renewing(db, owner, clock, ttl):
            await step.apply(db)
        seconds = round(time.monotonic() - started, 3)
        await db[COLLECTION].update_one(
            {"_id": step.number},
            {
                "$setOnInsert": {
                    "number": step.number,
                    "name": step.name,
                    "applied_at": clock.now(),
                    "seconds": seconds,
                    "by": owner,
                }
            },
            upsert=True,
        )
        log.info("applied migration %s in %.3f s", step.label, seconds)
        applied.append(step)
    return applied


async def migrate(
    db: Database,
    steps: Sequence[Step],
    *,
    clock: Clock,
    owner: str | None = None,
    lock_ttl: timedelta = LOCK_TTL,
    poll_seconds: float = POLL_SECONDS,
) -> list[Step]:
    """Apply the pending steps (or wait while another instance applies them); the steps this
    call applied. A failing step raises, recorded as not applied, and the lock is released."""
    check_steps(steps)
    owner = owner or new_owner()
    waited = False
    while True:
        recorded = await _recorded(db)
        _check_not_newer(steps, recorded)
        if len(recorded) >= len(steps):
            if waited:
                log.info("migrations applied by another instance")
            return []
        if await _take_lock(db, owner, now=clock.now(), ttl=lock_ttl):
            try:
                return await _apply_pending(db, steps, owner, clock, lock_ttl)
            finally:
                await _release_lock(db, owner)
        if not waited:
            log.info("another instance is applying migrations; waiting")
            waited = True
        await asyncio.sleep(poll_seconds)
