"""Backups: one file holding a consistent logical dump of the database, and its restore.

The file is a gzip-compressed tar: `manifest.json` first (format and its version, the app's
version, the database, the time, and per collection its document count, size and SHA-256),
then one part per collection (GridFS's `attachments.files` and `attachments.chunks` included)
holding its documents as raw BSON, byte for byte as the server returned them, so every type
survives (ObjectId, datetimes, binary, Int64, Decimal128).

Consistency: every collection is read inside one transaction with read concern "snapshot",
so the dump is one point in time on both servers. (A `snapshot=True` session is accepted by
SecantusDB but does not isolate: a write made during the reads showed up in them.) MongoDB
ends a transaction after 60 s (`transactionLifetimeLimitSeconds`), which bounds this to small
databases there; production backs up with mongodump --oplog or volume snapshots instead.

Restore checks the whole file before it writes anything (manifest, format version, every
part's size, count and SHA-256), refuses a database that has documents unless told to replace
it, then inserts the documents and creates the indexes.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.metadata
import json
import os
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import IO, Any, BinaryIO, cast

import bson
from bson.codec_options import CodecOptions
from bson.errors import BSONError
from bson.raw_bson import RawBSONDocument
from pydantic import BaseModel, ConfigDict, ValidationError
from pymongo.read_concern import ReadConcern

from neighbor_api.core import migrations
from neighbor_api.core.mongo import Client, Database, Document, ensure_indexes

FORMAT = "neighbor-api-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
CONSISTENCY = "transaction, read concern snapshot"
INSERT_BATCH = 500
RAW = CodecOptions(document_class=RawBSONDocument)
# Not data: the lock of a migration running while the backup was taken would only hold up
# the restored database's first start.
LEFT_OUT: dict[str, Document] = {migrations.COLLECTION: {"_id": {"$ne": migrations.LOCK_ID}}}


class BackupError(Exception):
    """A backup that cannot be written, or a file that will not be restored (and why)."""


class Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    collection: str
    file: str
    count: int
    bytes: int
    sha256: str


class Manifest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    format: str
    format_version: int
    app_version: str
    database: str
    created_at: datetime
    consistency: str
    collections: list[Part]


def app_version() -> str:
    try:
        return importlib.metadata.version("neighbor-api")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


async def _collection_names(db: Database) -> list[str]:
    names = await db.list_collection_names(filter={"type": "collection"})
    return sorted(name for name in names if not name.startswith("system."))


async def _dump(client: Client, db: Database, into: Path) -> list[Part]:
    """Every collection into `into/NNNN.bson`, all read in one snapshot (a transaction)."""
    parts: list[Part] = []
    async with (
        client.start_session() as session,
        await session.start_transaction(read_concern=ReadConcern("snapshot")),
    ):
        for index, name in enumerate(await _collection_names(db)):
            digest, count, size = hashlib.sha256(), 0, 0
            with (into / f"{index:04d}.bson").open("wb") as out:
                collection = db.get_collection(name, codec_options=RAW)
                async for document in collection.find(LEFT_OUT.get(name, {}), session=session):
                    raw = cast(RawBSONDocument, document).raw
                    out.write(raw)
                    digest.update(raw)
                    count, size = count + 1, size + len(raw)
            parts.append(
                Part(collection=name, file=f"collections/{index:04d}.bson", count=count,
                     bytes=size, sha256=digest.hexdigest())
            )  # fmt: skip
    return parts


async def write_backup(client: Client, db: Database, output: Path, *, now: datetime) -> Manifest:
    """Dump every collection of `db` into `output` (written whole, then renamed into place)."""
    with tempfile.TemporaryDirectory(dir=output.parent, prefix=".backup-") as name:
        tmp = Path(name)
        parts = await _dump(client, db, tmp)
        manifest = Manifest(
            format=FORMAT, format_version=FORMAT_VERSION, app_version=app_version(),
            database=db.name, created_at=now, consistency=CONSISTENCY, collections=parts,
        )  # fmt: skip
        (tmp / MANIFEST).write_text(manifest.model_dump_json(indent=1), encoding="utf-8")
        with tarfile.open(tmp / "backup.tar.gz", "w:gz") as tar:
            tar.add(tmp / MANIFEST, arcname=MANIFEST)  # first: read before any part
            for index, part in enumerate(parts):
                tar.add(tmp / f"{index:04d}.bson", arcname=part.file)
        os.replace(tmp / "backup.tar.gz", output)
    return manifest


class _Hashing:
    """A reader that hashes and counts what is read through it."""

    def __init__(self, source: IO[bytes]) -> None:
        self.source = source
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, n: int = -1) -> bytes:
        data = self.source.read(n)
        self.digest.update(data)
        self.size += len(data)
        return data


@contextmanager
def _readable(path: Path) -> Iterator[None]:
    """Turn what a damaged file raises while it is read into one clear BackupError."""
    try:
        yield
    except (FileNotFoundError, IsADirectoryError, PermissionError) as error:
        raise BackupError(f"{path} cannot be read: {error.strerror}") from None
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile, BSONError) as error:
        raise BackupError(
            f"{path} is damaged or truncated ({type(error).__name__}: {error}); nothing restored"
        ) from None


def _manifest(tar: tarfile.TarFile, path: Path) -> Manifest:
    first = tar.next()
    reader = tar.extractfile(first) if first is not None and first.name == MANIFEST else None
    if reader is None:
        raise BackupError(f"{path} is not a neighbor-api backup (no manifest first)")
    try:
        found: Any = json.loads(reader.read())
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BackupError(f"{path} has a damaged manifest") from None
    if not isinstance(found, dict) or found.get("format") != FORMAT:
        raise BackupError(f"{path} is not a neighbor-api backup")
    if found.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"{path} is in backup format version {found.get('format_version')!r}; "
            f"this release reads version {FORMAT_VERSION} only"
        )
    try:
        manifest = Manifest.model_validate(found)
    except ValidationError:
        raise BackupError(f"{path} has a damaged manifest") from None
    names = [p.collection for p in manifest.collections]
    files = [p.file for p in manifest.collections]
    if len(set(names)) != len(names) or len(set(files)) != len(files):
        raise BackupError(f"{path} has a damaged manifest (a collection listed twice)")
    if any(not n or n.startswith("system.") or "$" in n or "\0" in n for n in names):
        raise BackupError(f"{path} has a damaged manifest (an invalid collection name)")
    return manifest


def _parts(
    tar: tarfile.TarFile, manifest: Manifest, path: Path
) -> Iterator[tuple[Part, IO[bytes]]]:
    """The parts in file order, each exactly once, each one the manifest lists."""
    expected = {part.file: part for part in manifest.collections}
    while (member := tar.next()) is not None:
        part = expected.pop(member.name, None)
        reader = tar.extractfile(member) if part is not None else None
        if part is None or reader is None:
            raise BackupError(f"{path} holds an unexpected entry {member.name!r}")
        yield part, reader
    if expected:
        raise BackupError(f"{path} is truncated: {len(expected)} collection(s) missing")


def verify_backup(path: Path) -> Manifest:
    """Read the whole file and check it against its manifest; raises BackupError."""
    with _readable(path), tarfile.open(path, "r|gz") as tar:
        manifest = _manifest(tar, path)
        for part, reader in _parts(tar, manifest, path):
            hashing = _Hashing(reader)
            count = sum(1 for _ in bson.decode_file_iter(cast(BinaryIO, hashing), RAW))
            if (hashing.size, hashing.digest.hexdigest(), count) != (
                part.bytes, part.sha256, part.count,
            ):  # fmt: skip
                raise BackupError(
                    f"{path}: collection {part.collection} does not match its checksum "
                    "(the file was changed or damaged); nothing restored"
                )
    return manifest


async def collections_with_documents(db: Database) -> list[str]:
    return [n for n in await _collection_names(db) if await db[n].find_one({}, {"_id": 1})]


async def restore_backup(db: Database, path: Path, *, replace: bool) -> Manifest:
    """Restore `path` into `db`: checked first, then written. A database with documents is
    refused unless `replace`, which drops its collections first."""
    manifest = verify_backup(path)
    if occupied := await collections_with_documents(db):
        if not replace:
            raise BackupError(
                f"the database {db.name!r} already has data ({len(occupied)} collections with "
                "documents); restore into an empty database, or pass --force to replace it"
            )
        for name in await _collection_names(db):
            await db.drop_collection(name)
    with _readable(path), tarfile.open(path, "r|gz") as tar:
        _manifest(tar, path)
        for part, reader in _parts(tar, manifest, path):
            collection = db.get_collection(part.collection, codec_options=RAW)
            batch: list[RawBSONDocument] = []
            for document in bson.decode_file_iter(cast(BinaryIO, reader), RAW):
                batch.append(document)
                if len(batch) == INSERT_BATCH:
                    await collection.insert_many(batch)
                    batch = []
            if batch:
                await collection.insert_many(batch)
    await ensure_indexes(db)
    return manifest
