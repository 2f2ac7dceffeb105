"""create_app(): the Starlette application and its lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute

from neighbor_api import live
from neighbor_api.attachments.download import download_endpoint
from neighbor_api.core import jobs
from neighbor_api.core.clock import Clock, SystemClock
from neighbor_api.core.deps import Deps
from neighbor_api.core.embedded import database_uri
from neighbor_api.core.mongo import connect, ensure_indexes
from neighbor_api.demo import load_demo_if_empty
from neighbor_api.graphql.guards import RequestGuard
from neighbor_api.graphql.view import GraphQLView
from neighbor_api.jobs import JOBS
from neighbor_api.open311 import routes as open311
from neighbor_api.schema import build_schema
from neighbor_api.settings import Settings

log = logging.getLogger(__name__)


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


def create_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    demo: bool = False,
    deps: Deps | None = None,
) -> Starlette:
    """The app. With `deps` given (tests), it uses that database and opens nothing itself."""
    runtime = Runtime()
    if deps is not None:
        runtime.deps = deps

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if deps is not None:
            async with live.running(deps) as app.state.live_hub:
                yield
            return
        async with database_uri(settings.mongodb_uri, settings.data_dir) as uri:
            client = connect(uri)
            try:
                db = client[settings.database]
                await ensure_indexes(db)
                runtime.deps = Deps(
                    client=client, db=db, settings=settings, clock=clock or SystemClock()
                )
                if demo:
                    await load_demo_if_empty(runtime.deps)
                async with (
                    jobs.running(runtime.deps, JOBS),
                    live.running(runtime.deps) as app.state.live_hub,
                ):
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

    graphql = GraphQLView(build_schema(settings), settings, lambda: runtime.deps)
    return Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/attachments/{attachment_id}", download_endpoint(lambda: runtime.deps)),
            open311.mount(lambda: runtime.deps),
        ],
        middleware=[
            Middleware(
                RequestGuard,
                max_body_bytes=settings.max_body_bytes,
                max_upload_body_bytes=settings.max_upload_body_bytes,
            )
        ],
        lifespan=lifespan,
    )
