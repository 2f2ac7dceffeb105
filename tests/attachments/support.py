"""Helpers of the attachments tests: small but well-formed image files, and uploads as a client
sends them (a GraphQL multipart request) or straight through the service."""

from __future__ import annotations

import io
import json
import random
import struct
import zlib
from typing import Any

import httpx
from bson import ObjectId
from graphql import OperationDefinitionNode, parse, print_ast
from PIL import Image
from starlette.datastructures import UploadFile

from neighbor_api.accounts import security
from neighbor_api.attachments import images, service
from neighbor_api.attachments.models import Attachment
from neighbor_api.core.deps import Deps
from neighbor_api.core.policy import Actor
from tests.conftest import OPERATIONS

UPLOAD = "UploadAttachment"


def _operation(name: str) -> str:
    """The contract operation `name` alone (as a client's generated code sends it)."""
    for definition in parse(OPERATIONS[name]).definitions:
        named = getattr(definition, "name", None)
        if isinstance(definition, OperationDefinitionNode) and named and named.value == name:
            return print_ast(definition)
    raise KeyError(name)


UPLOAD_DOCUMENT = _operation(UPLOAD)

NODE = """
query AttachmentNode($id: ID!) {
  node(id: $id) {
    __typename
    ... on Attachment { id url contentType byteSize createdAt }
  }
}
"""


def _pad(head: bytes, size: int, tail: bytes = b"") -> bytes:
    assert size >= len(head) + len(tail)
    return head + b"\x00" * (size - len(head) - len(tail)) + tail


def _encoded(fmt: str, **params: Any) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 6), (200, 120, 40)).save(out, fmt, **params)
    return out.getvalue()


_JPEG = _encoded("JPEG", quality=90)


def jpeg(size: int | None = None) -> bytes:
    """A real 8x6 JPEG; with `size`, padded to that many bytes by data after its end (EOI),
    which decoders ignore and the upload drops."""
    return _JPEG if size is None else _pad(_JPEG, size)


def noisy_jpeg(width: int = 600, height: int = 600) -> bytes:
    """A JPEG of random pixels, which compresses badly: ~1 byte per pixel at quality 90, so
    still several GridFS chunks once the upload has encoded it again."""
    image = Image.frombytes("RGB", (width, height), random.randbytes(width * height * 3))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95)
    return out.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png() -> bytes:
    """A real 1x1 grey PNG."""
    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(b"\x00\x80"))
        + _png_chunk(b"IEND", b"")
    )


def webp() -> bytes:
    """A real 8x6 lossless WebP."""
    return _encoded("WEBP", lossless=True)


def ftyp(major: bytes, *compatible: bytes) -> bytes:
    """An ISO-BMFF `ftyp` box."""
    payload = major + b"\x00\x00\x00\x00" + b"".join(compatible)
    return struct.pack(">I", 8 + len(payload)) + b"ftyp" + payload


def heic(size: int = 400) -> bytes:
    """What an iPhone writes: `ftyp` heic (compatible mif1, heic), then the `meta` box."""
    head = ftyp(b"heic", b"mif1", b"heic")
    meta = struct.pack(">I", size - len(head)) + b"meta"
    return _pad(head + meta, size)


def cleaned(content: bytes) -> bytes:
    """What the upload stores of `content`: the image encoded again without metadata."""
    content_type = service.sniff(content)
    assert content_type is not None
    return images.strip_metadata(content_type, content)


def upload_file(content: bytes, filename: str = "photo.jpg") -> UploadFile:
    """What strawberry hands the resolver for a multipart file."""
    return UploadFile(io.BytesIO(content), filename=filename)


async def upload_over_http(
    http: httpx.AsyncClient,
    content: bytes,
    *,
    token: str | None,
    filename: str = "photo.jpg",
    content_type: str = "image/jpeg",
    locale: str | None = None,
) -> httpx.Response:
    """The contract's UploadAttachment as the GraphQL multipart request spec sends it."""
    operations = {"query": UPLOAD_DOCUMENT, "operationName": UPLOAD, "variables": {"file": None}}
    headers = {"GraphQL-Preflight": "1"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if locale is not None:
        headers["Accept-Language"] = locale
    return await http.post(
        "/graphql",
        headers=headers,
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
        files={"0": (filename, content, content_type)},
    )


async def uploaded(http: httpx.AsyncClient, content: bytes, *, token: str, **kw: Any) -> Any:
    """The attachment of a successful upload over HTTP."""
    response = await upload_over_http(http, content, token=token, **kw)
    assert response.status_code == 200, response.text
    assert response.json()["data"] is not None, response.text
    payload = response.json()["data"]["uploadAttachment"]
    assert payload["errors"] == [], payload
    return payload["attachment"]


async def stored(
    deps: Deps, owner: ObjectId | None = None, content: bytes | None = None
) -> Attachment:
    """An upload made through the service (by `owner`, a new user id if None)."""
    actor = Actor(user_id=owner or ObjectId())
    return await service.upload(deps, actor, filename="photo.jpg", data=content or jpeg())


def link_viewer(deps: Deps, token: str) -> service.LinkViewer:
    """Whom a download link made for the holder of `token` names (their session and user)."""
    claims = security.read_access_token(deps.settings, token, now=deps.clock.now())
    assert claims is not None
    return service.LinkViewer(claims.session_id, claims.user_id)


async def file_counts(deps: Deps) -> tuple[int, int]:
    """How many files and chunks the bucket holds."""
    return (
        await deps.db["attachments.files"].count_documents({}),
        await deps.db["attachments.chunks"].count_documents({}),
    )
