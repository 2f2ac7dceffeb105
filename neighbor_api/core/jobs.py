"""Background jobs: periodic work the app runs while it serves (auto-close, clean-up).

Every job must be safe with several app instances running it at the same time: each change it
makes is a conditional write that only one instance can win, so running it twice, or on two
machines at once, does the work once. A failing job is logged and tried again next period;
it never stops the others or the app.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from neighbor_api.core import cancel
from neighbor_api.core.deps import Deps
from neighbor_api.core.metrics import Metrics, elapsed

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta
    run: Callable[[Deps], Awaitable[int]]  # returns how many things it did


async def run_once(
    deps: Deps, jobs: Sequence[Job], *, metrics: Metrics | None = None
) -> dict[str, int]:
    """Run each job once (tests drive jobs this way, with a controllable clock)."""
    done: dict[str, int] = {}
    for job in jobs:
        started = time.perf_counter()
        try:
            done[job.name] = await job.run(deps)
        except Exception:  # a job's failure must not stop the others
            log.exception("job %s failed", job.name)
        if metrics is not None:
            metrics.job_run(job=job.name, failed=job.name not in done, seconds=elapsed(started))
    return done


async def _loop(deps: Deps, job: Job, metrics: Metrics | None) -> None:
    while True:
        cancel.checkpoint()  # a stop the driver swallowed inside a job still stops the loop
        await asyncio.sleep(job.every.total_seconds())
        done = await run_once(deps, [job], metrics=metrics)
        if done.get(job.name):
            log.info("job %s: %d done", job.name, done[job.name])


@contextlib.asynccontextmanager
async def running(
    deps: Deps, jobs: Sequence[Job], *, metrics: Metrics | None = None
) -> AsyncIterator[None]:
    """Run `jobs` periodically for as long as the context lasts."""
    tasks = [asyncio.create_task(_loop(deps, job, metrics), name=f"job:{job.name}") for job in jobs]
    try:
        yield
    finally:
        await cancel.stop(*tasks)
