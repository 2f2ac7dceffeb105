"""Backups on the real database: a round trip of the demo and a photo, and the files a restore
refuses (truncated, tampered, another format version, not a backup) or the databases it
refuses (one with data, unless told to replace it); and the commands, run as child processes."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument

from neighbor_api.attachments import service as attachments
from neighbor_api.core.backup import (
    FORMAT_VERSION,
    MANIFEST,
    BackupError,
    restore_backup,
    verify_backup,
    write_backup,
)
from neighbor_api.core.deps import Deps
from neighbor_api.core.embedded import EmbeddedMongo
from neighbor_api.core.migrations import COLLECTION as MIGRATIONS
from neighbor_api.core.migrations import LOCK_ID, migrate
from neighbor_api.core.mongo import Client, Database
from neighbor_api.memberships import service as memberships
from neighbor_api.migrations import STEPS
from tests.attachments.support import cleaned, noisy_jpeg
from tests.platform.processes import cli_env, run_cli

PHOTO = noisy_jpeg(900, 900)  # three GridFS chunks once encoded again


async def contents(db: Database) -> dict[str, list[bytes]]:
    """Every document of every collection, as raw BSON, in `_id` order."""
    raw = CodecOptions(document_class=RawBSONDocument)
    found: dict[str, list[bytes]] = {}
    for name in sorted(await db.list_collection_names()):
        documents = db.get_collection(name, codec_options=raw).find().sort("_id")
        found[name] = [document.raw async for document in documents]
    return {name: documents for name, documents in found.items() if documents}


async def index_names(db: Database) -> dict[str, set[str]]:
    """Each collection's index names."""
    return {
        name: {index["name"] async for index in await db[name].list_indexes()}
        for name in await db.list_collection_names()
    }


@pytest.fixture
async def target(mongo_client: Client) -> AsyncIterator[Database]:
    """An empty database to restore into."""
    name = f"restore_{uuid.uuid4().hex[:12]}"
    yield mongo_client[name]
    await mongo_client.drop_database(name)


@pytest.fixture
async def source(demo: Deps) -> Deps:
    """The demo, its migrations recorded, and a photo uploaded by a resident."""
    await migrate(demo.db, STEPS, clock=demo.clock)
    user = await demo.db["users"].find_one({"phone": "+8613800000004"})
    assert user is not None
    actor = await memberships.actor_for(demo, user["_id"])
    await attachments.upload(demo, actor, filename="楼道.jpg", data=PHOTO)
    return demo


@pytest.fixture
async def backup_file(source: Deps, tmp_path: Path) -> Path:
    path = tmp_path / "neighbor.backup"
    await write_backup(source.client, source.db, path, now=source.clock.now())
    return path


def rewrite(path: Path, change: Callable[[str, bytes], bytes]) -> Path:
    """A copy of the backup with each entry's content passed through `change`."""
    out = path.with_name("changed.backup")
    with tarfile.open(path, "r:gz") as tar, tarfile.open(out, "w:gz") as copy:
        for member in tar:
            reader = tar.extractfile(member)
            assert reader is not None
            data = change(member.name, reader.read())
            member.size = len(data)
            copy.addfile(member, io.BytesIO(data))
    return out


def cut(path: Path, *, keep: float) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def flip_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def with_manifest(path: Path, edit: Callable[[dict[str, object]], None]) -> Path:
    def change(name: str, data: bytes) -> bytes:
        if name != MANIFEST:
            return data
        manifest = json.loads(data)
        edit(manifest)
        return json.dumps(manifest).encode()

    return rewrite(path, change)


class TestRoundTrip:
    async def test_an_empty_database_gets_the_same_documents_and_the_indexes(
        self, source: Deps, backup_file: Path, target: Database
    ) -> None:
        manifest = await restore_backup(target, backup_file, replace=False)

        before, after = await contents(source.db), await contents(target)
        assert after == before
        assert {"attachments.files", "attachments.chunks", "users", "reports"} <= set(after)
        assert len(after["attachments.chunks"]) == 3
        assert {p.collection: p.count for p in manifest.collections if p.count} == {
            name: len(documents) for name, documents in before.items()
        }
        assert await index_names(target) == await index_names(source.db)

    async def test_the_restored_photo_reads_back(
        self, source: Deps, backup_file: Path, target: Database
    ) -> None:
        await restore_backup(target, backup_file, replace=False)
        file = await target["attachments.files"].find_one({})
        assert file is not None
        restored = Deps(client=source.client, db=target, settings=source.settings,
                        clock=source.clock)  # fmt: skip

        download = await attachments.open_download(restored, file["_id"])

        assert download is not None
        assert b"".join([chunk async for chunk in download.chunks]) == cleaned(PHOTO)

    async def test_migrations_are_restored_and_none_applies_again(
        self, backup_file: Path, target: Database, source: Deps
    ) -> None:
        await restore_backup(target, backup_file, replace=False)

        assert await migrate(target, STEPS, clock=source.clock) == []
        assert await target[MIGRATIONS].count_documents({}) == len(STEPS)

    async def test_a_migration_lock_is_left_out(
        self, source: Deps, tmp_path: Path, target: Database
    ) -> None:
        lock = {"_id": LOCK_ID, "owner": "host:1:ab", "expires_at": source.clock.now()}
        await source.db[MIGRATIONS].insert_one(lock)
        path = tmp_path / "during-a-migration.backup"
        await write_backup(source.client, source.db, path, now=source.clock.now())

        await restore_backup(target, path, replace=False)

        assert await target[MIGRATIONS].find_one({"_id": LOCK_ID}) is None
        assert await target[MIGRATIONS].count_documents({}) == len(STEPS)

    async def test_force_replaces_a_database_with_data(
        self, source: Deps, backup_file: Path, target: Database
    ) -> None:
        await target["users"].insert_one({"phone": "+8613900000000"})
        await target["stray"].insert_one({"left": "over"})

        await restore_backup(target, backup_file, replace=True)
        await restore_backup(target, backup_file, replace=True)  # twice: nothing doubles

        assert await contents(target) == await contents(source.db)


class TestRefusals:
    async def refused(self, target: Database, path: Path, match: str) -> None:
        with pytest.raises(BackupError, match=match):
            await restore_backup(target, path, replace=False)
        assert await contents(target) == {}

    async def test_a_truncated_file(self, backup_file: Path, target: Database) -> None:
        cut(backup_file, keep=0.5)

        await self.refused(target, backup_file, "damaged or truncated")

    async def test_a_file_missing_its_last_collections(
        self, backup_file: Path, target: Database
    ) -> None:
        with tarfile.open(backup_file, "r:gz") as tar:
            members = [(m, tar.extractfile(m)) for m in tar.getmembers()[:3]]
            kept = [(m, r.read()) for m, r in members if r is not None]
        with tarfile.open(backup_file, "w:gz") as tar:
            for member, data in kept:
                tar.addfile(member, io.BytesIO(data))

        await self.refused(target, backup_file, "truncated: .* collection")

    async def test_a_tampered_document(self, backup_file: Path, target: Database) -> None:
        def change(name: str, data: bytes) -> bytes:
            return data.replace("金安社区".encode(), "金山社区".encode(), 1)

        await self.refused(target, rewrite(backup_file, change), "does not match its checksum")

    async def test_a_flipped_byte_in_the_compressed_file(
        self, backup_file: Path, target: Database
    ) -> None:
        flip_byte(backup_file)

        await self.refused(target, backup_file, "damaged|checksum")

    async def test_a_file_of_another_format_version(
        self, backup_file: Path, target: Database
    ) -> None:
        def newer(manifest: dict[str, object]) -> None:
            manifest["format_version"] = FORMAT_VERSION + 1

        await self.refused(
            target, with_manifest(backup_file, newer), "format version 2; this release reads"
        )

    async def test_a_manifest_whose_counts_were_edited(
        self, backup_file: Path, target: Database
    ) -> None:
        def fewer(manifest: dict[str, object]) -> None:
            parts = manifest["collections"]
            assert isinstance(parts, list)
            parts[0]["count"] -= 1

        await self.refused(target, with_manifest(backup_file, fewer), "checksum")

    async def test_a_file_that_is_not_a_backup(self, tmp_path: Path, target: Database) -> None:
        path = tmp_path / "notes.tar.gz"
        path.write_bytes(gzip.compress(b"not a tar at all" * 100))

        await self.refused(target, path, "damaged or truncated")
        with pytest.raises(BackupError, match="cannot be read"):
            verify_backup(tmp_path / "missing.backup")

    async def test_a_database_with_data(
        self, source: Deps, backup_file: Path, target: Database
    ) -> None:
        await target["users"].insert_one({"phone": "+8613900000000"})

        with pytest.raises(BackupError, match=r"already has data.*--force"):
            await restore_backup(target, backup_file, replace=False)

        assert [u["phone"] async for u in target["users"].find()] == ["+8613900000000"]


class TestCommands:
    async def test_backup_then_restore_and_the_refusals(
        self, tmp_path: Path, source: Deps, target: Database, mongo_server: EmbeddedMongo
    ) -> None:
        env = cli_env(MONGODB_URI=mongo_server.uri, NEIGHBOR_DATABASE=source.db.name)
        path = tmp_path / "out" / "neighbor.backup"

        code, text = await run_cli("backup", "--output", str(path), env=env, cwd=tmp_path)

        assert code == 0, text
        assert f"wrote {path}" in text

        into = cli_env(MONGODB_URI=mongo_server.uri, NEIGHBOR_DATABASE=target.name)
        code, text = await run_cli("restore", str(path), env=into, cwd=tmp_path)

        assert code == 0, text
        assert await contents(target) == await contents(source.db)
        # The command's process never builds the schema, and still makes every index.
        assert await index_names(target) == await index_names(source.db)

        code, text = await run_cli("restore", str(path), env=into, cwd=tmp_path)

        assert code == 1
        assert "already has data" in text
        assert "Traceback" not in text

        cut(path, keep=0.9)
        code, text = await run_cli("restore", str(path), "--force", env=into, cwd=tmp_path)

        assert code == 1
        assert "damaged or truncated" in text
        assert "Traceback" not in text
        assert await contents(target) == await contents(source.db)
