"""The real application under a real uvicorn server, inside the test's event loop, and Debian's
chromium driven by Playwright for the browser tests (GraphiQL's, the console's)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import httpx
import pytest
import uvicorn
from playwright.async_api import Browser, async_playwright
from starlette.types import ASGIApp

from neighbor_api.app import create_app
from neighbor_api.cli import UVICORN_OPTIONS
from neighbor_api.core.deps import Deps
from neighbor_api.settings import Settings

STARTUP_TIMEOUT_SECONDS = 10.0


class _Server(uvicorn.Server):
    """A uvicorn server that leaves the test runner's signal handlers alone."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@dataclass(frozen=True)
class LiveServer:
    host: str
    port: int

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def graphql_url(self) -> str:
        return f"{self.url}/graphql"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.port}/graphql"


@contextlib.asynccontextmanager
async def serve(app: ASGIApp) -> AsyncIterator[LiveServer]:
    """Run `app` on a free 127.0.0.1 port (the OS picks it) until the block ends."""
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        lifespan="on",
        log_level="warning",
        timeout_graceful_shutdown=2,
        **UVICORN_OPTIONS,  # as `neighbor-api serve` runs it: proxy headers not believed
    )
    server = _Server(config)
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(STARTUP_TIMEOUT_SECONDS):
            while not server.started:
                if task.done():
                    task.result()  # the start-up failure, raised here
                    raise RuntimeError("uvicorn exited before it started")
                await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield LiveServer(host="127.0.0.1", port=port)
    finally:
        server.should_exit = True
        await task


@pytest.fixture
async def live_server(settings: Settings, deps: Deps) -> AsyncIterator[LiveServer]:
    """The real app (on this test's fresh database) over real HTTP."""
    async with serve(create_app(settings, deps=deps)) as server:
        yield server


@pytest.fixture
async def http(live_server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=10) as client:
        yield client


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's chromium; without it the tests skip, except on CI (CI set), where they fail."""
    path = shutil.which("chromium")
    if path is None:
        reason = "chromium not installed: browser tests skipped (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail("chromium not installed: on CI the browser tests must run", pytrace=False)
        pytest.skip(reason)
    return path


@pytest.fixture(scope="module")
async def browser(chromium: str) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium)
        yield browser
        await browser.close()
