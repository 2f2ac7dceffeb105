"""The HTTP load generator: N keep-alive connections (httpx, HTTP/1.1) sending one operation's
requests for a fixed time; the CPU each server process spent meanwhile (from /proc) and the
database round trips the API counted (`/metrics`)."""

from __future__ import annotations

import asyncio
import itertools
import json
import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from bench.processes import cpu_seconds

# A request unanswered this long counts as the outcome `timeout` (its time as its latency).
TIMEOUT = 60.0
# The API and the database are idle when each spends at most this share of a core with no
# requests (the change streams, an empty tick of the jobs; about 1% on the cities), and they
# are waited for at most SETTLE_SECONDS.
QUIET_CPU = 0.05
SETTLE_SECONDS = 300.0
# The API's jobs that catch up on a city left alone (remind, every minute: neighbor_api/jobs.py)
# have run once this long after it started.
JOBS_FIRST_ROUND_SECONDS = 75.0


@dataclass(frozen=True)
class Request:
    body: dict[str, Any]
    token: str | None = None


@dataclass(frozen=True)
class Case:
    """One operation: `request(i)` is its i-th request (rotating over viewers and objects)."""

    name: str
    url: str
    request: Callable[[int], Request]
    # At most this many requests (warm-up included): an operation that can succeed only so
    # often (one vote per voter) stops when they are used up rather than measure refusals.
    limit: int | None = None


@dataclass
class Measured:
    name: str
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    api_cpu_ms: float
    db_cpu_ms: float | None
    trips: float | None
    outcomes: dict[str, int] = field(default_factory=dict)

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


@dataclass(frozen=True)
class Watched:
    """The processes whose CPU is measured, and how to read the API's round trips."""

    api_pid: int
    db_pid: int | None = None
    metrics: Callable[[], float] | None = None
    # CPU seconds (API, database) and round trips per second when idle, subtracted.
    idle: tuple[float, float, float] = (0.0, 0.0, 0.0)


def db_commands(client: httpx.Client, url: str, token: str) -> float:
    """The API's `neighbor_db_commands_total`, summed over commands."""
    text = client.get(f"{url}/metrics", headers={"Authorization": f"Bearer {token}"}).text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "neighbor_db_commands_total"
    )


def outcome(status: int, payload: Any) -> str:
    """`ok`, or the first error code (GraphQL errors, then a mutation payload's)."""
    if status != 200 or not isinstance(payload, dict):
        return f"HTTP {status}"
    if payload.get("errors"):
        return str(payload["errors"][0].get("extensions", {}).get("code", "ERROR"))
    for value in (payload.get("data") or {}).values():
        if isinstance(value, dict) and value.get("errors"):
            return str(value["errors"][0].get("code", "ERROR"))
    return "ok"


def idle_rates(watched: Watched, seconds: float = 3.0) -> tuple[float, float, float]:
    """What the processes spend per second with no requests (jobs, the change stream)."""
    api, db = cpu_seconds(watched.api_pid), cpu_seconds(watched.db_pid) if watched.db_pid else 0
    trips = watched.metrics() if watched.metrics else 0.0
    time.sleep(seconds)
    return (
        (cpu_seconds(watched.api_pid) - api) / seconds,
        ((cpu_seconds(watched.db_pid) - db) / seconds) if watched.db_pid else 0.0,
        ((watched.metrics() - trips) / seconds) if watched.metrics else 0.0,
    )


def settled_idle_rates(
    watched: Watched,
    *,
    seconds: float = 3.0,
    timeout: float = SETTLE_SECONDS,
    not_before: float = 0.0,
    say: Callable[[str], None] = print,
) -> tuple[float, float, float]:
    """The idle rates once the API and the database have settled, read no sooner than
    `not_before` (a `time.monotonic()`). An API started on a city whose reports fell due while
    it was stopped first reminds their staff and notifies them (500 reports, about two minutes
    at 1M), and a 1M database just started spent 44% of a core for a while; idle rates read
    meanwhile, subtracted from every run, made a 1M run's figures zero (2026-12-03 03:46,
    04:06). The reminders wait for the job's first round, a minute after the start: a check
    made before it found the API quiet, and the reminders then ran under the lists measured
    one at a time (16.7 round trips per request, 2026-12-03 08:06)."""
    if (wait := not_before - time.monotonic()) > 0:
        say(f"waiting {wait:.0f} s for the API's jobs to run once")
        time.sleep(wait)
    deadline = time.monotonic() + timeout
    while True:
        rates = idle_rates(watched, seconds)
        if _settled(rates) or time.monotonic() >= deadline:
            return rates
        say(f"busy with no requests (API {rates[0]:.0%} of a core, database {rates[1]:.0%}, "
            f"{rates[2]:.0f} commands/s): waiting for them to settle")  # fmt: skip


def _settled(rates: tuple[float, float, float]) -> bool:
    return rates[0] <= QUIET_CPU and rates[1] <= QUIET_CPU


def idle_line(idle: tuple[float, float, float]) -> str:
    """The idle rates subtracted, as the results say them."""
    api, db, trips = idle
    settled = "" if _settled(idle) else f" (not settled within {SETTLE_SECONDS:.0f} s)"
    return (
        f"Idle rates subtracted from every run{settled}: API {api:.1%} of a core, "
        f"database {db:.1%}, {trips:.1f} round trips/s."
    )


async def _send(client: httpx.AsyncClient, case: Case, index: int) -> tuple[float, str]:
    request = case.request(index)
    headers = {"Authorization": f"Bearer {request.token}"} if request.token else {}
    started = time.perf_counter()
    try:
        response = await client.post(case.url, content=json.dumps(request.body), headers=headers)
    except httpx.TimeoutException:
        return time.perf_counter() - started, "timeout"
    elapsed = time.perf_counter() - started
    try:
        payload = response.json()
    except ValueError:
        payload = None
    return elapsed, outcome(response.status_code, payload)


async def run(case: Case, watched: Watched, *, connections: int, duration: float) -> Measured:
    """Warm up, then keep `connections` requests in flight for `duration` seconds."""
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    counter = itertools.count()
    async with httpx.AsyncClient(limits=limits, headers=headers, timeout=TIMEOUT) as client:
        await asyncio.gather(*(_send(client, case, next(counter)) for _ in range(connections)))
        latencies: list[float] = []
        outcomes: Counter[str] = Counter()
        api_before = cpu_seconds(watched.api_pid)
        db_before = cpu_seconds(watched.db_pid) if watched.db_pid else 0.0
        trips_before = await asyncio.to_thread(watched.metrics) if watched.metrics else 0.0
        started = time.perf_counter()
        deadline = started + duration

        async def worker() -> None:
            while time.perf_counter() < deadline:
                index = next(counter)
                if case.limit is not None and index >= case.limit:
                    return
                elapsed, result = await _send(client, case, index)
                latencies.append(elapsed)
                outcomes[result] += 1

        await asyncio.gather(*(worker() for _ in range(connections)))
        seconds = time.perf_counter() - started
        api_cpu = cpu_seconds(watched.api_pid) - api_before - watched.idle[0] * seconds
        db_cpu = (cpu_seconds(watched.db_pid) - db_before - watched.idle[1] * seconds) \
            if watched.db_pid else None  # fmt: skip
        trips = (await asyncio.to_thread(watched.metrics) - trips_before - watched.idle[2]
                 * seconds) if watched.metrics else None  # fmt: skip
    count = len(latencies)
    quantiles = statistics.quantiles(latencies, n=100) if count > 1 else latencies * 99
    return Measured(
        name=case.name,
        requests=count,
        seconds=seconds,
        p50_ms=statistics.median(latencies) * 1000,
        p99_ms=quantiles[98] * 1000,
        api_cpu_ms=max(api_cpu, 0.0) * 1000 / count,
        db_cpu_ms=None if db_cpu is None else max(db_cpu, 0.0) * 1000 / count,
        trips=None if trips is None else max(trips, 0.0) / count,
        outcomes=dict(outcomes),
    )
