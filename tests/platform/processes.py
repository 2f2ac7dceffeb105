"""`neighbor-api` as a child process: its environment, a command run to its end, a server
run until the block ends (the CLI, admin-command and installed-wheel tests share these)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from neighbor_api.core.embedded import free_port
from tests.conftest import DEMO_PASSWORD, OPERATIONS

COMMAND_TIMEOUT_SECONDS = 60
# The checkout's CLI under the test's interpreter; an installed one: `(bin / "neighbor-api",)`.
CLI: tuple[str, ...] = (sys.executable, "-m", "neighbor_api.cli")


def cli_env(**overrides: str) -> dict[str, str]:
    """The environment of a child: none of ours (NEIGHBOR_*, MONGODB_URI, PYTHONPATH), cheap
    hashing."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("NEIGHBOR_") and key not in ("MONGODB_URI", "PYTHONPATH")
    }
    env.update(
        NEIGHBOR_ENVIRONMENT="test",
        NEIGHBOR_ARGON2_TIME_COST="1",
        NEIGHBOR_ARGON2_MEMORY_KIB="1024",
    )
    env.update(overrides)
    return env


async def run_cli(
    *args: str, env: dict[str, str], cwd: Path, command: Sequence[str | Path] = CLI
) -> tuple[int, str]:
    """Run `neighbor-api <args>` to its end: the exit code and the output."""
    process = await asyncio.create_subprocess_exec(
        *command,
        *args,
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    async with asyncio.timeout(COMMAND_TIMEOUT_SECONDS):
        output, _ = await process.communicate()
    assert process.returncode is not None
    return process.returncode, output.decode(errors="replace")


@asynccontextmanager
async def running_server(
    *args: str, env: dict[str, str], cwd: Path, command: Sequence[str | Path] = CLI
) -> AsyncIterator[str]:
    """`neighbor-api serve <args>` until /readyz answers 200; SIGTERM at the end, which must
    end it cleanly. Yields the base URL."""
    port = free_port()
    log_path = cwd / "serve.log"
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            *command,
            "serve",
            "--port",
            str(port),
            *args,
            env=env,
            cwd=cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=url, timeout=2) as http:
            async with asyncio.timeout(COMMAND_TIMEOUT_SECONDS):
                while True:
                    assert process.returncode is None, log_path.read_text(errors="replace")
                    try:
                        if (await http.get("/readyz")).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    await asyncio.sleep(0.1)
        yield url
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(COMMAND_TIMEOUT_SECONDS):
            code = await process.wait()
    log_text = log_path.read_text(errors="replace")
    # uvicorn shuts down gracefully, then re-raises the signal it caught: death by SIGTERM.
    assert code in (0, -signal.SIGTERM), log_text
    assert "Application shutdown complete" in log_text
    assert "Traceback" not in log_text


async def sign_in_and_read_viewer(url: str, phone: str) -> str:
    async with httpx.AsyncClient(base_url=url, timeout=10) as http:
        login = await http.post(
            "/graphql",
            json={
                "query": OPERATIONS["Login"],
                "operationName": "Login",
                "variables": {"input": {"phone": phone, "password": DEMO_PASSWORD}},
            },
        )
        token = login.json()["data"]["login"]["accessToken"]
        viewer = await http.post(
            "/graphql",
            json={"query": OPERATIONS["Viewer"], "operationName": "Viewer"},
            headers={"Authorization": f"Bearer {token}"},
        )
    name: str = viewer.json()["data"]["viewer"]["displayName"]
    return name
