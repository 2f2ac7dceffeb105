"""Admin commands while `neighbor-api serve` runs on the same data directory: they reach the
running server's embedded database (a second SecantusDB on the same files would be refused by
the storage lock), and the running server sees what they wrote."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from neighbor_api.core.backup import verify_backup
from neighbor_api.core.embedded import EmbeddedMongo
from neighbor_api.core.migrations import COLLECTION as MIGRATIONS
from neighbor_api.core.mongo import Client
from neighbor_api.migrations import STEPS
from tests.platform.processes import cli_env, run_cli, running_server, sign_in_and_read_viewer

SHARED = "using the embedded database of the running server"


class TestWhileServing:
    async def test_seed_backup_and_migrate_reach_the_running_server(self, tmp_path: Path) -> None:
        env = cli_env(NEIGHBOR_DATA_DIR=str(tmp_path / "data"))
        backup = tmp_path / "neighbor.backup"

        async with running_server(env=env, cwd=tmp_path) as url:
            seeded = await run_cli("seed", "--demo", env=env, cwd=tmp_path)
            backed_up = await run_cli("backup", "--output", str(backup), env=env, cwd=tmp_path)
            migrated = await run_cli("migrate", env=env, cwd=tmp_path)
            listed = await run_cli("migrate", "--list", env=env, cwd=tmp_path)
            name = await sign_in_and_read_viewer(url, "13800000001")

        for code, text in (seeded, backed_up, migrated, listed):
            assert code == 0, text
            assert SHARED in text
            assert "Traceback" not in text
        assert "demo data loaded" in seeded[1]
        assert name == "林美华"  # the server sees the accounts the command wrote
        manifest = verify_backup(backup)
        counts = {part.collection: part.count for part in manifest.collections}
        assert counts["users"] == 11  # the demo accounts, the two unit officers included
        assert "0 step(s) applied" in migrated[1]  # the server applied them at start-up
        applied = re.findall(r"^(\d{4}_\w+)  \d{4}-", listed[1], re.MULTILINE)
        assert applied == [step.label for step in STEPS]

    async def test_without_a_running_server_a_command_starts_its_own(self, tmp_path: Path) -> None:
        env = cli_env(NEIGHBOR_DATA_DIR=str(tmp_path / "data"))

        code, text = await run_cli("migrate", env=env, cwd=tmp_path)

        assert code == 0, text
        assert SHARED not in text
        assert f"{len(STEPS)} step(s) applied" in text


class TestMigrateCommand:
    async def test_a_database_from_a_newer_release_is_refused_plainly(
        self, tmp_path: Path, mongo_server: EmbeddedMongo, mongo_client: Client
    ) -> None:
        name = f"cli_{uuid.uuid4().hex[:12]}"
        env = cli_env(MONGODB_URI=mongo_server.uri, NEIGHBOR_DATABASE=name)
        newer = len(STEPS) + 1
        await mongo_client[name][MIGRATIONS].insert_one(
            {"_id": newer, "number": newer, "name": "from_the_future"}
        )
        try:
            code, text = await run_cli("migrate", env=env, cwd=tmp_path)
            seeded = await run_cli("seed", "--demo", env=env, cwd=tmp_path)
        finally:
            await mongo_client.drop_database(name)

        assert code == 1
        assert f"error: the database has migration steps [{newer}]" in text
        assert "Traceback" not in text
        # seed applies the migrations first, so it refuses too, and loads nothing.
        assert seeded[0] == 1
        assert "newer release" in seeded[1]
        assert "Traceback" not in seeded[1]
