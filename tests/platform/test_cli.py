"""The `neighbor-api` command line, run as a real child process (`python -m neighbor_api.cli`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pymongo import MongoClient

from neighbor_api.cli import export_schema
from neighbor_api.core.embedded import EmbeddedMongo
from neighbor_api.core.mongo import Client
from neighbor_api.demo import demo_data
from neighbor_api.settings import Settings
from tests.platform.processes import (
    cli_env,
    run_cli,
    running_server,
    sign_in_and_read_viewer,
)

DEMO_PHONES = sorted(person["phone"] for person in demo_data()["users"])


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
