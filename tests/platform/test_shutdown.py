"""The app's background loops stop when asked, even when the driver loses the request.

Python 3.11's `asyncio.wait_for` (in PyMongo's server selection) can swallow a cancellation
that races with the end of its wait. These tests stand in for that driver: its wait swallows
the cancellation and then fails as an unreachable database does. Before `checkpoint`, the loops
took that failure for a broken stream and went on, and the app's shutdown waited for ever."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from pymongo.errors import ServerSelectionTimeoutError

from neighbor_api.core import jobs
from neighbor_api.core.deps import Deps
from neighbor_api.core.streams import ChangeFollower

# Long enough for a test that hangs to fail; a stop that works takes milliseconds.
HANG_SECONDS = 10


async def lossy_driver_call() -> None:
    """A driver call that loses a cancellation and then reports the database unreachable."""
    with contextlib.suppress(asyncio.CancelledError):  # lost, as wait_for may lose it
        await asyncio.sleep(HANG_SECONDS * 2)
    raise ServerSelectionTimeoutError("127.0.0.1:1: connection refused")


class Unreachable(ChangeFollower):
    def __init__(self) -> None:
        super().__init__("unreachable")
        self.opening = asyncio.Event()

    async def _open(self) -> Any:
        if self._task is None:  # at start: fail at once, so the loop is the one that retries
            raise ServerSelectionTimeoutError("127.0.0.1:1: connection refused")
        self.opening.set()
        await lossy_driver_call()

    def _take(self, change: Mapping[str, Any] | None, stream: Any) -> None:
        raise AssertionError("nothing to take from an unreachable database")


async def test_a_change_follower_stops_when_the_driver_loses_the_cancellation() -> None:
    follower = Unreachable()
    await follower.start()
    await asyncio.wait_for(follower.opening.wait(), HANG_SECONDS)
    task = follower._task
    assert task is not None

    stopping = asyncio.create_task(follower.stop())
    await asyncio.wait({stopping}, timeout=HANG_SECONDS)

    assert stopping.done()
    assert task.done()


async def test_the_jobs_stop_when_the_driver_loses_the_cancellation(deps: Deps) -> None:
    started = asyncio.Event()

    async def run(deps: Deps) -> int:
        started.set()
        await lossy_driver_call()
        return 0

    job = jobs.Job(name="lossy", every=timedelta(milliseconds=10), run=run)

    async def run_until_started() -> None:
        async with jobs.running(deps, [job]):
            await started.wait()

    running = asyncio.create_task(run_until_started())
    await asyncio.wait({running}, timeout=HANG_SECONDS)

    assert running.done()
