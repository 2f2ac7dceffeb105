"""The app's Prometheus metrics: one `Metrics` per app instance, on its own registry (so
several apps in one process, as in the tests, never share counts), served at GET /metrics.

Every metric is defined here, with the one method that records it; the hooks that call those
methods are small: the request middleware (`middleware.py`), the GraphQL extension
(`graphql/observe.py`), the job runner, the live hub and the database client's listener.

Label values chosen by clients (operation names, HTTP methods) are bounded here, so a client
can never grow the number of time series.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from pymongo import monitoring

CONTENT_TYPE = CONTENT_TYPE_LATEST
# Operation names seen after this many distinct ones are counted as OTHER.
MAX_OPERATION_NAMES = 100
ANONYMOUS = "anonymous"
OTHER = "other"
OK = "ok"
FAILED = "failed"
UNMATCHED_ROUTE = "unmatched"
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Latency buckets in seconds, from a cached query to a slow export.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class BoundedNames:
    """The first `limit` distinct names pass through; later new ones become OTHER."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._names: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, name: str | None) -> str:
        if not name:
            return ANONYMOUS
        with self._lock:
            if name in self._names:
                return name
            if len(self._names) < self._limit:
                self._names.add(name)
                return name
        return OTHER


class Metrics:
    """Every metric of one app instance (names prefixed `neighbor_`)."""

    def __init__(self, *, max_operation_names: int = MAX_OPERATION_NAMES) -> None:
        self.registry = r = CollectorRegistry()
        self.operation_name = BoundedNames(max_operation_names)
        self.graphql_operations = Counter(
            "neighbor_graphql_operations",
            "GraphQL operations by name, type and outcome (ok or the first error code).",
            ["operation", "type", "outcome"],
            registry=r,
        )
        self.graphql_seconds = Histogram(
            "neighbor_graphql_operation_seconds",
            "GraphQL query and mutation latency by operation name (HTTP and WebSocket).",
            ["operation"],
            buckets=BUCKETS,
            registry=r,
        )
        self.graphql_errors = Counter(
            "neighbor_graphql_errors",
            "GraphQL errors and mutation payload errors by code.",
            ["code"],
            registry=r,
        )
        self.http_requests = Counter(
            "neighbor_http_requests",
            "HTTP requests by route, method and status.",
            ["route", "method", "status"],
            registry=r,
        )
        self.http_seconds = Histogram(
            "neighbor_http_request_seconds",
            "HTTP request latency by route and method.",
            ["route", "method"],
            buckets=BUCKETS,
            registry=r,
        )
        self.websocket_connections = Gauge(
            "neighbor_websocket_connections", "WebSocket connections open.", registry=r
        )
        self.subscriptions = Gauge(
            "neighbor_subscriptions_active",
            "GraphQL subscriptions running, by subscription field.",
            ["field"],
            registry=r,
        )
        self.live_lag = Histogram(
            "neighbor_live_delivery_lag_seconds",
            "Seconds from a domain event's time to its delivery by the live hub.",
            buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
            registry=r,
        )
        self.job_runs = Counter(
            "neighbor_job_runs", "Background job runs by job.", ["job"], registry=r
        )
        self.job_failures = Counter(
            "neighbor_job_failures", "Background job runs that failed, by job.", ["job"], registry=r
        )
        self.job_seconds = Histogram(
            "neighbor_job_seconds", "Background job duration by job.", ["job"], registry=r
        )
        self.db_commands = Counter(
            "neighbor_db_commands",
            "Database commands (round trips) by command.",
            ["command"],
            registry=r,
        )
        self.db_failures = Counter(
            "neighbor_db_command_failures",
            "Database commands that failed, by command.",
            ["command"],
            registry=r,
        )
        self.db_seconds = Histogram(
            "neighbor_db_command_seconds",
            "Database command duration by command.",
            ["command"],
            buckets=BUCKETS,
            registry=r,
        )
        self.database = DatabaseListener(self)

    def exposition(self) -> bytes:
        """The registry in Prometheus' text format."""
        return generate_latest(self.registry)

    # --- recorders ----------------------------------------------------------------------------

    def graphql_operation(
        self, *, operation: str, kind: str, codes: Iterable[str], seconds: float | None
    ) -> None:
        """One finished operation: its outcome (the first error code, or ok), each error code
        and, for queries and mutations, its latency."""
        codes = list(codes)
        for code in codes:
            self.graphql_errors.labels(code).inc()
        self.graphql_operations.labels(operation, kind, codes[0] if codes else OK).inc()
        if seconds is not None:
            self.graphql_seconds.labels(operation).observe(seconds)

    def http_request(self, *, route: str | None, method: str, status: int, seconds: float) -> None:
        route = route or UNMATCHED_ROUTE
        method = method if method in HTTP_METHODS else OTHER
        self.http_requests.labels(route, method, str(status)).inc()
        self.http_seconds.labels(route, method).observe(seconds)

    def live_delivery(self, *, event_at: datetime, now: datetime) -> None:
        self.live_lag.observe(max((now - event_at).total_seconds(), 0.0))

    def job_run(self, *, job: str, failed: bool, seconds: float) -> None:
        self.job_runs.labels(job).inc()
        if failed:
            self.job_failures.labels(job).inc()
        self.job_seconds.labels(job).observe(seconds)


class DatabaseListener(monitoring.CommandListener):
    """Counts the client's commands (registered on the client by `core.mongo.connect`)."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self._metrics.db_commands.labels(event.command_name).inc()

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        self._metrics.db_seconds.labels(event.command_name).observe(event.duration_micros / 1e6)

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        self._metrics.db_failures.labels(event.command_name).inc()
        self._metrics.db_seconds.labels(event.command_name).observe(event.duration_micros / 1e6)


def elapsed(started: float) -> float:
    """Seconds since `started` (a `time.perf_counter()` reading)."""
    return time.perf_counter() - started
