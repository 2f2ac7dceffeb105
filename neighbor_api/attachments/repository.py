"""Every MongoDB query about attachments: the GridFS bucket `attachments`.

The metadata lives in the bucket's own files documents (`attachments.files`), not in a
collection beside it. A file and its metadata are then one document, written last, after every
chunk: an attachment exists exactly when its whole content does, there is no metadata without a
file (or file without metadata) to reconcile after a crash, attaching is one conditional update
of that document and the clean-up one conditional delete. The GridFS fields carry what they are
for (`length` is the byte size, `uploadDate` the creation time, from the app's clock, `filename`
the client's name); the rest is in `metadata`:

    {_id, length, chunkSize, uploadDate, filename,
     metadata: {owner_id, content_type, subject_id, place_path}}

Chunks are written here, in the standard GridFS layout, rather than through PyMongo's
`AsyncGridIn`: that one buffers up to 48 MB of chunks before its first insert, so a 10 MB upload
would sit whole in memory. Writing a few chunks at a time keeps an upload's memory to about
1 MB. Reading is PyMongo's own `AsyncGridFSBucket` (which checks the layout chunk by chunk), and
any GridFS tool reads the bucket.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from bson import Int64, ObjectId
from gridfs import AsyncGridFSBucket, NoFile
from gridfs.asynchronous.grid_file import AsyncGridOut
from pymongo import ASCENDING, IndexModel

from neighbor_api.attachments.models import Attachment, ContentType
from neighbor_api.core.mongo import Database, Document, Session, register_indexes

BUCKET = "attachments"
FILES = f"{BUCKET}.files"
CHUNKS = f"{BUCKET}.chunks"
# GridFS's default chunk size; chunks are inserted a few at a time (about 1 MB per insert).
CHUNK_SIZE = 255 * 1024
CHUNKS_PER_INSERT = 4

register_indexes(
    FILES,
    [
        # The index every GridFS driver creates on a bucket's files.
        IndexModel(
            [("filename", ASCENDING), ("uploadDate", ASCENDING)], name="filename_1_uploadDate_1"
        ),
        # A subject's files, and the clean-up's "never attached, older than ..." (subject None).
        IndexModel(
            [("metadata.subject_id", ASCENDING), ("uploadDate", ASCENDING)],
            name="subject_uploaded",
        ),
    ],
)
register_indexes(
    CHUNKS,
    # GridFS's own: one chunk per file and position, read in order.
    [IndexModel([("files_id", ASCENDING), ("n", ASCENDING)], name="files_id_1_n_1", unique=True)],
)


def _to_model(document: Mapping[str, Any]) -> Attachment:
    metadata = document.get("metadata") or {}
    return Attachment(
        id=document["_id"],
        owner_id=metadata["owner_id"],
        content_type=ContentType(metadata["content_type"]),
        byte_size=int(document["length"]),
        filename=document.get("filename") or None,
        created_at=document["uploadDate"],
        subject_id=metadata.get("subject_id"),
        place_path=list(metadata.get("place_path") or []),
    )


def _to_document(attachment: Attachment) -> Document:
    return {
        "_id": attachment.id,
        "length": Int64(attachment.byte_size),
        "chunkSize": CHUNK_SIZE,
        "uploadDate": attachment.created_at,
        "filename": attachment.filename or "",
        "metadata": {
            "owner_id": attachment.owner_id,
            "content_type": attachment.content_type.value,
            "subject_id": attachment.subject_id,
            "place_path": list(attachment.place_path),
        },
    }


class FileWriter:
    """Writes one file into the bucket, chunk by chunk, holding at most a few chunks.

    `write` the content in pieces of any size, then `close` with the file's metadata (the
    files document goes in last), or `abort` to delete whatever was written.
    """

    def __init__(self, db: Database, file_id: ObjectId) -> None:
        self._db = db
        self.file_id = file_id
        self._buffer = bytearray()
        self._pending: list[Document] = []
        self._next_n = 0
        self.length = 0

    async def write(self, data: bytes) -> None:
        self._buffer += data
        self.length += len(data)
        while len(self._buffer) >= CHUNK_SIZE:
            self._pending.append(self._chunk(bytes(self._buffer[:CHUNK_SIZE])))
            del self._buffer[:CHUNK_SIZE]
            if len(self._pending) >= CHUNKS_PER_INSERT:
                await self._flush()

    async def close(self, attachment: Attachment) -> None:
        if attachment.id != self.file_id or attachment.byte_size != self.length:
            raise ValueError("the metadata does not describe the file written")
        if self._buffer:
            self._pending.append(self._chunk(bytes(self._buffer)))
            self._buffer.clear()
        await self._flush()
        await self._db[FILES].insert_one(_to_document(attachment))

    async def abort(self) -> None:
        self._pending.clear()
        self._buffer.clear()
        await self._db[FILES].delete_one({"_id": self.file_id})
        await self._db[CHUNKS].delete_many({"files_id": self.file_id})

    def _chunk(self, data: bytes) -> Document:
        chunk = {"files_id": self.file_id, "n": self._next_n, "data": data}
        self._next_n += 1
        return chunk

    async def _flush(self) -> None:
        if self._pending:
            await self._db[CHUNKS].insert_many(self._pending)
            self._pending = []


async def by_ids(
    db: Database, ids: Sequence[ObjectId], *, session: Session | None = None
) -> list[Attachment]:
    cursor = db[FILES].find({"_id": {"$in": list(ids)}}, session=session)
    return [_to_model(document) async for document in cursor]


async def attach(
    db: Database,
    ids: Sequence[ObjectId],
    *,
    owner_id: ObjectId | None,
    subject_id: ObjectId,
    place_path: Sequence[ObjectId],
    session: Session | None = None,
) -> int:
    """Attach the files of `ids` that are not attached yet (and are `owner_id`'s, unless None);
    how many were."""
    query: Document = {"_id": {"$in": list(ids)}, "metadata.subject_id": None}
    if owner_id is not None:
        query["metadata.owner_id"] = owner_id
    result = await db[FILES].update_many(
        query,
        {"$set": {"metadata.subject_id": subject_id, "metadata.place_path": list(place_path)}},
        session=session,
    )
    return result.modified_count


async def unattached_before(db: Database, cutoff: datetime, *, limit: int) -> list[ObjectId]:
    cursor = db[FILES].find(
        {"metadata.subject_id": None, "uploadDate": {"$lt": cutoff}},
        projection={"_id": 1},
        sort=[("uploadDate", ASCENDING)],
        limit=limit,
    )
    return [document["_id"] async for document in cursor]


async def delete_unattached(db: Database, ids: Sequence[ObjectId], *, cutoff: datetime) -> int:
    """Delete the files of `ids` that are still unattached and older than `cutoff`, with their
    chunks; how many this call deleted.

    The files documents go first, conditionally, so a file attached meanwhile is kept and of two
    instances deleting at once each file is counted by one. Chunks are then deleted for the ids
    whose files document is gone (by whichever instance): deleting them twice is harmless.
    """
    result = await db[FILES].delete_many(
        {"_id": {"$in": list(ids)}, "metadata.subject_id": None, "uploadDate": {"$lt": cutoff}}
    )
    kept = {d["_id"] async for d in db[FILES].find({"_id": {"$in": list(ids)}}, {"_id": 1})}
    gone = [i for i in ids if i not in kept]
    if gone:
        await db[CHUNKS].delete_many({"files_id": {"$in": gone}})
    return result.deleted_count


async def open_download(db: Database, file_id: ObjectId) -> tuple[Attachment, AsyncGridOut] | None:
    """The file's metadata and a stream of its content (None if there is no such file)."""
    try:
        stream = await AsyncGridFSBucket(db, bucket_name=BUCKET).open_download_stream(file_id)
    except NoFile:
        return None
    document = {
        "_id": stream._id,
        "length": stream.length,
        "filename": stream.filename,
        "uploadDate": stream.upload_date,
        "metadata": stream.metadata,
    }
    return _to_model(document), stream
