"""create_app(): the Starlette application and its lifespan."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route, WebSocketRoute

from neighbor_api import console, graphiql, live
from neighbor_api.accounts import sessions
from neighbor_api.attachments.download import download_endpoint
from neighbor_api.core import jobs, sms
from neighbor_api.core.clock import Clock, SystemClock
from neighbor_api.core.deps import Deps
from neighbor_api.core.embedded import database_uri
from neighbor_api.core.metrics import Metrics
from neighbor_api.core.migrations import migrate
from neighbor_api.core.mongo import connect, ensure_indexes
from neighbor_api.councils import service as councils
from neighbor_api.demo import load_demo_if_empty
from neighbor_api.graphql.guards import RequestGuard
from neighbor_api.graphql.view import GraphQLView
from neighbor_api.jobs import JOBS
from neighbor_api.middleware import RequestObserver, metrics_endpoint
from neighbor_api.migrations import STEPS
from neighbor_api.open311 import routes as open311
from neighbor_api.privacy import service as privacy_export
from neighbor_api.privacy.download import export_endpoint
from neighbor_api.schema import build_schema
from neighbor_api.settings import Environment, Settings

# The collections besides the sessions', users' and memberships' whose documents the instance
# keeps by id (`Deps.kept_by_id`), for its session watcher to follow.
KEPT_DOCUMENTS = (*councils.KEPT_DOCUMENTS,)

log = logging.getLogger(__name__)

# The collector's generation thresholds (Python's are 700, 10, 10): a card move fanned out to
# 1,000 sockets allocates a few hundred thousand short-lived objects, and with the defaults the
# young generations were collected hundreds of times over the sockets' state (bench/subscribers:
# 203 → 146 µs of API CPU per socket per move). Cyclic garbage waits a little longer.
GC_THRESHOLDS = (10_000, 20, 20)


class Runtime:
    """What the lifespan opens and the requests use."""

    def __init__(self) -> None:
        self._deps: Deps | None = None

    @property
    def deps(self) -> Deps:
        if self._deps is None:
            raise RuntimeError("the application has not started")
        return self._deps

    @deps.setter
    def deps(self, value: Deps) -> None:
        self._deps = value


# What a console on another origin sends and reads (CORS, only for NEIGHBOR_CORS_ORIGINS).
CORS_HEADERS = (
    "Authorization",
    "Content-Type",
    "Accept",
    "Accept-Language",
    "GraphQL-Preflight",
    "Apollo-Require-Preflight",
    "X-Apollo-Operation-Name",
)


def cors(settings: Settings) -> list[Middleware]:
    """Starlette's CORSMiddleware for the configured origins; none (no CORS headers) unset."""
    if not settings.cors_origins:
        return []
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=CORS_HEADERS,
            expose_headers=["X-Request-Id"],
            max_age=600,
        )
    ]


def create_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    demo: bool = False,
    deps: Deps | None = None,
    owns_process: bool = False,
) -> Starlette:
    """The app. With `deps` given (tests), it uses that database and opens nothing itself.

    `owns_process` (`neighbor-api serve`): the process is this app's alone, so start-up may
    tune the garbage collector for it. A process that builds many apps (the tests) must not:
    every start-up would freeze the garbage of the ones before it out of the collector's reach.
    """
    sms.check_can_start(settings)  # production refuses the development SMS sender
    runtime = Runtime()
    if deps is not None:
        runtime.deps = deps
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if deps is not None:
            async with (
                sessions.watching(deps, KEPT_DOCUMENTS) as app.state.session_watcher,
                live.running(deps, metrics=metrics) as app.state.live_hub,
            ):
                yield
            return
        async with database_uri(settings.mongodb_uri, settings.data_dir) as uri:
            client = connect(uri, listeners=[metrics.database])
            try:
                db = client[settings.database]
                await ensure_indexes(db)
                runtime.deps = Deps(
                    client=client, db=db, settings=settings, clock=clock or SystemClock()
                )
                await migrate(db, STEPS, clock=runtime.deps.clock)
                if demo:
                    await load_demo_if_empty(runtime.deps)
                async with (
                    jobs.running(runtime.deps, JOBS, metrics=metrics),
                    sessions.watching(runtime.deps, KEPT_DOCUMENTS) as app.state.session_watcher,
                    live.running(runtime.deps, metrics=metrics) as app.state.live_hub,
                ):
                    if owns_process:
                        # What start-up built (modules, the schema) lives as long as the
                        # process: out of the collector's reach, a full collection walks only
                        # what requests allocate (README, Performance).
                        gc.freeze()
                        gc.set_threshold(*GC_THRESHOLDS)
                    yield
            finally:
                await client.close()

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> JSONResponse:
        try:
            await runtime.deps.db.command("ping")
        except Exception:  # the database is down or unreachable: not ready
            log.warning("readiness check failed", exc_info=True)
            return JSONResponse({"status": "unavailable"}, status_code=503)
        return JSONResponse({"status": "ready"})

    graphql = GraphQLView(build_schema(settings, metrics), settings, lambda: runtime.deps)
    metrics_token = settings.metrics_token.get_secret_value() if settings.metrics_token else ""
    if not metrics_token and settings.environment is Environment.PRODUCTION:
        log.warning("GET /metrics is open: set NEIGHBOR_METRICS_TOKEN or block it at the proxy")
    # GraphiQL's page and assets: off in production unless NEIGHBOR_GRAPHIQL.
    graphiql_assets = [Mount(graphiql.STATIC_PATH, graphiql.static_app())]
    if not settings.graphiql_enabled:
        graphiql_assets = []
    return Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route(
                "/attachments/{attachment_id}",
                download_endpoint(lambda: runtime.deps, sessions.session_actor),
            ),
            Route(privacy_export.EXPORT_PATH, export_endpoint(lambda: runtime.deps)),
            Route("/metrics", metrics_endpoint(metrics, metrics_token or None)),
            *graphiql_assets,
            *console.routes(),
            open311.mount(lambda: runtime.deps),
        ],
        middleware=[
            # Outermost: every response below carries the request id.
            Middleware(RequestObserver, metrics=metrics),
            *cors(settings),
            Middleware(
                RequestGuard,
                max_body_bytes=settings.max_body_bytes,
                max_upload_body_bytes=settings.max_upload_body_bytes,
            ),
        ],
        lifespan=lifespan,
    )
