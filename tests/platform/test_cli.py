"""The `neighbor-api` command line, run as a real child process (`python -m neighbor_api.cli`)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from pymongo import MongoClient

from neighbor_api.cli import export_schema
from neighbor_api.core.embedded import EmbeddedMongo, free_port
from neighbor_api.core.mongo import Client
from neighbor_api.demo import demo_data
from neighbor_api.settings import Settings
from tests.conftest import DEMO_PASSWORD, OPERATIONS

COMMAND_TIMEOUT_SECONDS = 60
DEMO_PHONES = sorted(person["phone"] for person in demo_data()["users"])


def cli_env(**overrides: str) -> dict[str, str]:
    """The environment of a child: none of ours NEIGHBOR_* / MONGODB_URI, cheap hashing."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("NEIGHBOR_") and key != "MONGODB_URI"
    }
    env.update(
        NEIGHBOR_ENVIRONMENT="test",
        NEIGHBOR_ARGON2_TIME_COST="1",
        NEIGHBOR_ARGON2_MEMORY_KIB="1024",
    )
    env.update(overrides)
    return env


async def run_cli(*args: str, env: dict[str, str], cwd: Path) -> tuple[int, str]:
    """Run `neighbor-api <args>` to its end: the exit code and the output."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "neighbor_api.cli",
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
async def running_server(*args: str, env: dict[str, str], cwd: Path) -> AsyncIterator[str]:
    """`neighbor-api serve <args>` until /readyz answers 200; SIGTERM at the end, which must
    end it cleanly. Yields the base URL."""
    port = free_port()
    log_path = cwd / "serve.log"
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "neighbor_api.cli",
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


@pytest.fixture
async def fresh_database(mongo_client: Client) -> AsyncIterator[str]:
    name = f"cli_{uuid.uuid4().hex[:12]}"
    yield name
    await mongo_client.drop_database(name)


class TestExportSchema:
    async def test_writes_the_schema(self, tmp_path: Path, settings: Settings) -> None:
        output = tmp_path / "out" / "schema.graphql"

        code, text = await run_cli(
            "export-schema", "--output", str(output), env=cli_env(), cwd=tmp_path
        )

        assert code == 0, text
        assert f"wrote {output}" in text
        assert output.read_text(encoding="utf-8") == export_schema(settings)


class TestSeed:
    async def test_loads_the_demo_once(
        self,
        tmp_path: Path,
        mongo_server: EmbeddedMongo,
        mongo_client: Client,
        fresh_database: str,
    ) -> None:
        env = cli_env(MONGODB_URI=mongo_server.uri, NEIGHBOR_DATABASE=fresh_database)
        users = mongo_client[fresh_database]["users"]

        code, text = await run_cli("seed", "--demo", env=env, cwd=tmp_path)

        assert code == 0, text
        assert "demo data loaded" in text
        phones = sorted([user["phone"][-11:] async for user in users.find()])
        assert phones == DEMO_PHONES

        code, text = await run_cli("seed", "--demo", env=env, cwd=tmp_path)

        assert code == 0, text
        assert "nothing loaded" in text
        assert await users.count_documents({}) == len(DEMO_PHONES)

    async def test_without_demo_flag_is_a_usage_error(self, tmp_path: Path) -> None:
        code, text = await run_cli("seed", env=cli_env(), cwd=tmp_path)

        assert code == 2
        assert "--demo" in text


class TestServe:
    async def test_serves_the_demo_from_mongodb_uri(
        self, tmp_path: Path, mongo_server: EmbeddedMongo, fresh_database: str
    ) -> None:
        env = cli_env(MONGODB_URI=mongo_server.uri, NEIGHBOR_DATABASE=fresh_database)

        async with running_server("--demo", env=env, cwd=tmp_path) as url:
            name = await sign_in_and_read_viewer(url, "13800000003")

        assert name == "黄国栋"

    async def test_embedded_database_keeps_its_data_and_stops_with_the_server(
        self, tmp_path: Path
    ) -> None:
        data_dir = tmp_path / "data"
        env = cli_env(NEIGHBOR_DATA_DIR=str(data_dir))

        async with running_server("--demo", env=env, cwd=tmp_path) as url:
            assert await sign_in_and_read_viewer(url, "13800000001") == "林美华"

        # The server's embedded database stopped with it (a leftover would hold the storage
        # lock and this one could not start), and the demo is on disk.
        with EmbeddedMongo(data_dir / "db") as database:
            client: MongoClient[dict[str, Any]]
            with MongoClient(database.uri) as client:
                count = client["neighbor"]["users"].count_documents({})
            database.kill()
        assert count == len(DEMO_PHONES)
