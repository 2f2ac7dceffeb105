"""`neighbor-api open311 issue-key | revoke-key | list-keys`, run as a real child process."""

from __future__ import annotations

import hashlib
from pathlib import Path

from neighbor_api.core.embedded import EmbeddedMongo
from neighbor_api.core.mongo import Client
from tests.platform.processes import cli_env, run_cli


class TestKeys:
    async def test_issue_list_revoke_and_issue_again(
        self,
        tmp_path: Path,
        mongo_server: EmbeddedMongo,
        mongo_client: Client,
        fresh_database: str,
    ) -> None:
        env = cli_env(MONGODB_URI=mongo_server.uri, NEIGHBOR_DATABASE=fresh_database)
        db = mongo_client[fresh_database]

        code, text = await run_cli("open311", "issue-key", "12345热线", env=env, cwd=tmp_path)

        assert code == 0, text
        key = text.strip().splitlines()[-1]
        assert key.startswith("o311_")
        assert len(key) > 40
        [stored] = await db["open311_keys"].find().to_list()
        assert stored["key_hash"] == hashlib.sha256(key.encode()).hexdigest()
        assert key not in repr(stored)
        partner = await db["users"].find_one({"_id": stored["user_id"]})
        assert partner is not None
        assert partner["display_name"] == "12345热线"

        code, text = await run_cli("open311", "issue-key", "12345热线", env=env, cwd=tmp_path)

        assert code == 1
        assert "revoke it first" in text

        code, text = await run_cli("open311", "list-keys", env=env, cwd=tmp_path)

        assert code == 0, text
        assert "12345热线" in text
        assert "live" in text
        assert key not in text

        code, text = await run_cli("open311", "revoke-key", "12345热线", env=env, cwd=tmp_path)

        assert code == 0, text
        code, text = await run_cli("open311", "issue-key", "12345热线", env=env, cwd=tmp_path)

        assert code == 0, text
        assert text.strip().splitlines()[-1] != key
        keys = await db["open311_keys"].find(sort=[("created_at", 1)]).to_list()
        assert [k["revoked_at"] is None for k in keys] == [False, True]
        # The partner keeps one account: its earlier reports stay under the same name.
        assert keys[0]["user_id"] == keys[1]["user_id"]

    async def test_revoking_an_unknown_name_fails(
        self, tmp_path: Path, mongo_server: EmbeddedMongo, fresh_database: str
    ) -> None:
        env = cli_env(MONGODB_URI=mongo_server.uri, NEIGHBOR_DATABASE=fresh_database)

        code, text = await run_cli("open311", "revoke-key", "nobody", env=env, cwd=tmp_path)

        assert code == 1
        assert "no live key named nobody" in text
