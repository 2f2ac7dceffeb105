"""Uploading files (photos), attaching them to what they illustrate, signed download links and
the clean-up of uploads never used; who may see a file.

The flow: a client uploads each photo first (`upload`, the `uploadAttachment` mutation) and
gets its id, then names the ids in what it creates (a report's `photoIds`), whose service
`attach`es them in its own transaction. Uploads never attached are removed after a day
(`remove_unreferenced`, run by the jobs runner).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import math
import re
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bson import ObjectId

from neighbor_api.attachments import images, repository
from neighbor_api.attachments.models import IMAGE_TYPES, Attachment, ContentType
from neighbor_api.core import events
from neighbor_api.core.deps import Deps
from neighbor_api.core.errors import DomainError, ErrorCode, Problem
from neighbor_api.core.events import EventKind
from neighbor_api.core.ids import parse_object_id
from neighbor_api.core.mongo import Session, in_transaction
from neighbor_api.core.policy import Actor, is_system
from neighbor_api.settings import Settings

MAX_BYTES = 10 * 1024 * 1024
# What one subject (a report, a resolution) may carry.
MAX_ATTACHMENTS = 9
MAX_FILENAME_LENGTH = 255
# How much of the stream is asked for at once (a little over one GridFS chunk).
READ_SIZE = 256 * 1024
# Enough of the start of a file to recognise its type (an ISO-BMFF `ftyp` box lists its brands).
SNIFF_BYTES = 64
# Download links live NEIGHBOR_ATTACHMENT_LINK_TTL. Their expiry is rounded up to
# URL_GRANULARITY, so a file keeps the same URL for a minute and image caches (keyed by URL)
# work.
URL_GRANULARITY = timedelta(minutes=1)
# How many unattached files the clean-up deletes per round trip.
CLEANUP_BATCH = 100

UPLOAD_FIELD = ("file",)


class AsyncReadable(Protocol):
    """A byte stream read in pieces (Starlette's UploadFile is one); b"" at its end."""

    async def read(self, size: int = -1, /) -> bytes: ...


class _Bytes:
    def __init__(self, data: bytes) -> None:
        self._data = memoryview(data)
        self._position = 0

    async def read(self, size: int = -1, /) -> bytes:
        end = len(self._data) if size < 0 else self._position + size
        piece = bytes(self._data[self._position : end])
        self._position += len(piece)
        return piece


# --- Recognising the type ---------------------------------------------------------------

# HEIF brands of HEVC-coded images (HEIC) and the generic image/sequence brands of HEIF.
HEIC_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"heim", b"heis", b"hevm", b"hevs"})
HEIF_BRANDS = frozenset({b"mif1", b"msf1"})


def _heif_brands(head: bytes) -> set[bytes]:
    """The major and compatible brands of an ISO-BMFF file's leading `ftyp` box (empty if
    it has none)."""
    if len(head) < 16 or head[4:8] != b"ftyp":
        return set()
    box_size = int.from_bytes(head[0:4], "big")
    if box_size < 16:
        return set()
    end = min(box_size, len(head))
    compatible = {head[i : i + 4] for i in range(16, end - 3, 4)}
    return {head[8:12], *compatible}


def sniff(head: bytes) -> ContentType | None:
    """The type of a file from its first bytes (never its name or a declared type); None for
    anything but JPEG, PNG, WebP and HEIC/HEIF.

    A HEIF file counts when its major brand is one of HEIC_BRANDS | HEIF_BRANDS, or when it
    lists an HEVC brand among its compatible ones: AVIF (major brand `avif`, compatible `mif1`)
    is refused rather than mislabelled.
    """
    if head.startswith(b"\xff\xd8\xff"):
        return ContentType.JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return ContentType.PNG
    if (
        head[0:4] == b"RIFF"
        and head[8:12] == b"WEBP"
        and head[12:16] in (b"VP8 ", b"VP8L", b"VP8X")
    ):
        return ContentType.WEBP
    brands = _heif_brands(head)
    if brands and (head[8:12] in HEIF_BRANDS or brands & HEIC_BRANDS):
        return ContentType.HEIC
    return None


def sniff_upload(head: bytes) -> ContentType | None:
    """What an upload may be: an image (`sniff`), or a PDF document (`%PDF-` first)."""
    if head.startswith(b"%PDF-"):
        return ContentType.PDF
    return sniff(head)


_UNSAFE_FILENAME = re.compile(r"[\x00-\x1f\x7f]")


def _clean_filename(filename: str | None) -> str | None:
    """The name's last path part, without control characters, at most 255 characters."""
    if not filename:
        return None
    name = _UNSAFE_FILENAME.sub("", filename.replace("\\", "/").rsplit("/", 1)[-1]).strip()
    return name[:MAX_FILENAME_LENGTH] or None


# --- Uploading ----------------------------------------------------------------------------


async def _read_head(reader: AsyncReadable) -> bytes:
    head = b""
    while len(head) < SNIFF_BYTES:
        piece = await reader.read(READ_SIZE)
        if not piece:
            break
        head += piece
    return head


def _too_large() -> DomainError:
    return DomainError.of(ErrorCode.FILE_TOO_LARGE, field=UPLOAD_FIELD, max_mb=MAX_BYTES // 2**20)


QUOTA_WINDOW = timedelta(days=1)


async def _count_upload(deps: Deps, actor: Actor) -> None:
    """One more upload today for the actor, counted before anything is read; RATE_LIMITED
    past `uploads_per_day`."""
    limit = deps.settings.uploads_per_day
    decision = await deps.limiter.hit(f"upload:count:{actor.user_id}", limit, QUOTA_WINDOW)
    if not decision.allowed:
        seconds = decision.retry_after_seconds
        raise DomainError.of(
            ErrorCode.RATE_LIMITED,
            "upload.quota_files",
            field=UPLOAD_FIELD,
            max=limit,
            seconds=seconds,
            retry_after=seconds,
        )


async def _count_bytes(deps: Deps, actor: Actor, size: int) -> None:
    """The file's bytes added to the actor's today (atomically, so concurrent uploads cannot
    both slip under the quota); past `upload_bytes_per_day` they are taken back and the
    upload refused."""
    limit = deps.settings.upload_bytes_per_day
    key = f"upload:bytes:{actor.user_id}"
    decision = await deps.limiter.hit(key, limit, QUOTA_WINDOW, cost=size)
    if not decision.allowed:
        await deps.limiter.refund(key, QUOTA_WINDOW, cost=size)
        seconds = decision.retry_after_seconds
        raise DomainError.of(
            ErrorCode.RATE_LIMITED,
            "upload.quota_bytes",
            field=UPLOAD_FIELD,
            max_mb=limit // 1_048_576,
            seconds=seconds,
            retry_after=seconds,
        )


async def upload(
    deps: Deps, actor: Actor, *, filename: str | None, data: AsyncReadable | bytes
) -> Attachment:
    """Store an image of at most MAX_BYTES as the actor's, not attached to anything yet,
    without its metadata.

    The stream is read piece by piece; at most MAX_BYTES + 1 bytes are read, enough to know it
    is too long. The type comes from the content's first bytes (UNSUPPORTED_FILE_TYPE for
    anything but a JPEG, PNG, WebP or HEIC image, or a PDF document, which only features asking
    for documents accept: `attach(documents=True)`), so a page named photo.jpg or declared
    image/png is refused. The image is then decoded and encoded again without EXIF, XMP, ICC
    or comments, upright (`images.strip_metadata`, in a thread; HEIC is refused there): what
    is stored, and served, is that copy.
    """
    reader: AsyncReadable = _Bytes(data) if isinstance(data, bytes) else data
    if not is_system(actor):
        await _count_upload(deps, actor)
    piece = await _read_head(reader)
    content_type = sniff_upload(piece)
    if content_type is None:
        raise DomainError.of(ErrorCode.UNSUPPORTED_FILE_TYPE, field=UPLOAD_FIELD)
    received = bytearray()
    while piece:
        if len(received) + len(piece) > MAX_BYTES:
            raise _too_large()
        received += piece
        piece = await reader.read(min(READ_SIZE, MAX_BYTES + 1 - len(received)))
    sent = len(received)  # what counts against the day's bytes: what the client sent
    if content_type in IMAGE_TYPES:
        clean = await asyncio.to_thread(images.strip_metadata, content_type, bytes(received))
    else:  # a PDF is stored as sent (the README says what that keeps)
        clean = bytes(received)
    del received
    writer = repository.FileWriter(deps.db, ObjectId())
    try:
        for start in range(0, len(clean), READ_SIZE):
            await writer.write(clean[start : start + READ_SIZE])
        if not is_system(actor):
            await _count_bytes(deps, actor, sent)
        attachment = Attachment(
            id=writer.file_id,
            owner_id=actor.user_id,
            content_type=content_type,
            byte_size=writer.length,
            filename=_clean_filename(filename),
            created_at=deps.clock.now(),
        )
        await writer.close(attachment)
        await events.record(
            deps,
            kind=EventKind.ATTACHMENT_UPLOADED,
            subject_id=attachment.id,
            actor_id=None if is_system(actor) else actor.user_id,
            data={"content_type": content_type.value, "byte_size": attachment.byte_size},
        )
    except BaseException:
        await writer.abort()
        raise
    return attachment


# --- Attaching ----------------------------------------------------------------------------


def _attach_problems(
    ids: Sequence[ObjectId],
    found_list: Sequence[Attachment],
    owner_id: ObjectId | None,
    field: tuple[str, ...],
    *,
    documents: bool = False,
) -> list[Problem]:
    found = {a.id: a for a in found_list}
    problems: dict[tuple[ErrorCode, str], Problem] = {}
    for attachment_id in ids:
        attachment = found.get(attachment_id)
        if attachment is None or owner_id not in (None, attachment.owner_id):
            problem = Problem(ErrorCode.NOT_FOUND, "attachment.not_found", field)
        elif attachment.subject_id is not None:
            problem = Problem(ErrorCode.INVALID_INPUT, "attachment.already_attached", field)
        elif not documents and attachment.content_type not in IMAGE_TYPES:
            problem = Problem(ErrorCode.INVALID_INPUT, "attachment.not_an_image", field)
        else:
            continue
        problems.setdefault((problem.code, problem.message), problem)
    return list(problems.values())


async def attach_problems(
    deps: Deps, actor: Actor, *, attachment_ids: Sequence[ObjectId], field: tuple[str, ...]
) -> list[Problem]:
    """What `attach` would refuse, read before the caller's other checks are reported, so a
    client sees every problem of its input at once (`attach` checks again when it writes)."""
    ids = list(dict.fromkeys(attachment_ids))
    if len(ids) > MAX_ATTACHMENTS:
        return [
            Problem(ErrorCode.INVALID_INPUT, "attachment.too_many", field, {"max": MAX_ATTACHMENTS})
        ]
    owner_id = None if is_system(actor) else actor.user_id
    return _attach_problems(ids, await repository.by_ids(deps.db, ids), owner_id, field)


async def attach(
    deps: Deps,
    actor: Actor,
    *,
    attachment_ids: Sequence[ObjectId],
    subject_id: ObjectId,
    place_path: Sequence[ObjectId],
    field: tuple[str, ...],
    session: Session | None = None,
    documents: bool = False,
) -> list[Attachment]:
    """Make the actor's own uploads, not attached yet, belong to `subject_id` (in its place).

    All or none: an id that does not exist or is someone else's is NOT_FOUND, one already
    attached INVALID_INPUT, more than MAX_ATTACHMENTS (repeats counted once) INVALID_INPUT, all
    on `field`. Runs in `session`'s transaction when given (the caller's write of the subject),
    else in its own. The system actor may attach anyone's uploads. A document (PDF) is
    INVALID_INPUT unless `documents` (a proposal's files; a report's photos are photos).
    """
    ids = list(dict.fromkeys(attachment_ids))
    if len(ids) > MAX_ATTACHMENTS:
        raise DomainError.of(
            ErrorCode.INVALID_INPUT, "attachment.too_many", field=field, max=MAX_ATTACHMENTS
        )
    if not ids:
        return []
    owner_id = None if is_system(actor) else actor.user_id

    async def apply(session: Session) -> list[Attachment]:
        read = await repository.by_ids(deps.db, ids, session=session)
        if problems := _attach_problems(ids, read, owner_id, field, documents=documents):
            raise DomainError(problems)
        found = {a.id: a for a in read}
        attached = await repository.attach(
            deps.db,
            ids,
            owner_id=owner_id,
            subject_id=subject_id,
            place_path=place_path,
            session=session,
        )
        if attached != len(ids):  # attached or removed since read (without a transaction)
            raise DomainError.of(
                ErrorCode.INVALID_INPUT, "attachment.already_attached", field=field
            )
        update = {"subject_id": subject_id, "place_path": list(place_path)}
        return [found[i].model_copy(update=update) for i in ids]

    if session is not None:
        return await apply(session)
    return await in_transaction(deps.client, apply)


async def by_ids(deps: Deps, ids: Sequence[ObjectId]) -> list[Attachment]:
    """The attachments of `ids` that exist, in the order asked (no permission check)."""
    found = {a.id: a for a in await repository.by_ids(deps.db, ids)}
    return [found[i] for i in dict.fromkeys(ids) if i in found]


# --- Who may see a file -------------------------------------------------------------------


# How a feature tells whether an actor may see one of its objects (a report, ...): the files
# attached to it follow it. Features register theirs at import (a registry, because the
# features depend on this module, not the other way round).
SubjectRule = Callable[[Deps, Actor, ObjectId], Awaitable[bool]]
_SUBJECT_RULES: list[SubjectRule] = []


def register_subject_rule(rule: SubjectRule) -> None:
    _SUBJECT_RULES.append(rule)


async def can_see(deps: Deps, actor: Actor | None, attachment: Attachment) -> bool:
    """THE rule for who may see a file (fetch it by id, get its download link): its uploader,
    and once attached, whoever may see the object it is attached to."""
    if actor is None:
        return False
    if is_system(actor) or actor.user_id == attachment.owner_id:
        return True
    subject = attachment.subject_id
    if subject is None:
        return False
    for rule in _SUBJECT_RULES:
        if await rule(deps, actor, subject):
            return True
    return False


# --- Download links -----------------------------------------------------------------------


@dataclass(frozen=True)
class LinkViewer:
    """Whom a download link was made for: their session and user."""

    session_id: ObjectId
    user_id: ObjectId

    def __str__(self) -> str:
        return f"{self.session_id}.{self.user_id}"

    @classmethod
    def parse(cls, text: str | None) -> LinkViewer | None:
        session, _, user = (text or "").partition(".")
        session_id, user_id = parse_object_id(session), parse_object_id(user)
        return cls(session_id, user_id) if session_id and user_id else None


# How the download endpoint learns what a link's viewer may do now (accounts' session cache,
# wired by app.py): their actor, or None once the session ended.
ViewerActor = Callable[[Deps, ObjectId, ObjectId], Awaitable[Actor | None]]


def _signature(settings: Settings, attachment_id: ObjectId, viewer: str, expires: int) -> str:
    key = settings.secret_key.get_secret_value().encode()
    # The prefix keeps these signatures apart from anything else signed with the same key.
    message = f"attachment-download:{attachment_id}:{viewer}:{expires}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def signed_url(
    settings: Settings, attachment_id: ObjectId, *, viewer: LinkViewer, now: datetime
) -> str:
    """The file's download path for `viewer`,
    `/attachments/<id>?viewer=<session>.<user>&expires=<unix>&signature=<hex>`.

    Valid for `NEIGHBOR_ATTACHMENT_LINK_TTL` (5 minutes; the expiry rounded up to the minute,
    so a file keeps its URL for a minute and image caches work), and only while the viewer's
    session lives and they may still see the file (checked when it is served).
    """
    step = URL_GRANULARITY.total_seconds()
    expires = int(math.ceil((now + settings.attachment_link_ttl).timestamp() / step) * step)
    signature = _signature(settings, attachment_id, str(viewer), expires)
    return f"/attachments/{attachment_id}?viewer={viewer}&expires={expires}&signature={signature}"


def link_viewer(
    settings: Settings,
    attachment_id: ObjectId,
    *,
    viewer: str | None,
    expires: str | None,
    signature: str | None,
    now: datetime,
) -> LinkViewer | None:
    """Whom a download link was made for, if its signature is ours and it has not expired."""
    parsed = LinkViewer.parse(viewer)
    if parsed is None or not expires or not signature:
        return None
    if not expires.isdigit() or len(expires) > 12:
        return None
    expected = _signature(settings, attachment_id, str(parsed), int(expires))
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        return None
    return parsed if now.timestamp() < int(expires) else None


@dataclass(frozen=True)
class Download:
    attachment: Attachment
    chunks: AsyncGenerator[bytes, None]


async def open_download(deps: Deps, attachment_id: ObjectId) -> Download | None:
    """A file's metadata and its content as a stream of chunks (None if it does not exist).
    No permission check: the caller checks the link and `can_see`."""
    opened = await repository.open_download(deps.db, attachment_id)
    if opened is None:
        return None
    attachment, stream = opened

    async def chunks() -> AsyncGenerator[bytes, None]:
        try:
            while chunk := await stream.readchunk():
                yield chunk
        finally:
            await stream.close()

    return Download(attachment, chunks())


# --- Clean-up -----------------------------------------------------------------------------


async def remove_unreferenced(deps: Deps, *, older_than: timedelta) -> int:
    """Delete the uploads never attached that are older than `older_than` (a day in
    production), content and metadata; how many this call deleted.

    Safe with several instances at once: each deletion is conditional on the file still being
    unattached (an upload attached meanwhile is kept) and counted by the one that made it.
    """
    cutoff = deps.clock.now() - older_than
    removed = 0
    while True:
        ids = await repository.unattached_before(deps.db, cutoff, limit=CLEANUP_BATCH)
        if ids:
            removed += await repository.delete_unattached(deps.db, ids, cutoff=cutoff)
        if len(ids) < CLEANUP_BATCH:
            return removed
