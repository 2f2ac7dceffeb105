"""Helpers of the attachments tests: small but well-formed image files, and uploads as a client
sends them (a GraphQL multipart request) or straight through the service."""

from __future__ import annotations

import io
import json
import struct
import zlib
from typing import Any

import httpx
from bson import ObjectId
from graphql import OperationDefinitionNode, parse, print_ast
from starlette.datastructures import UploadFile

from neighbor_api.accounts import security
from neighbor_api.attachments import service
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


def jpeg(size: int = 300) -> bytes:
    """SOI, a JFIF APP0 segment, filler, EOI."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return _pad(b"\xff\xd8" + app0, size, b"\xff\xd9")


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


def webp(size: int = 200) -> bytes:
    """A RIFF/WEBP container with a lossless (VP8L) image chunk."""
    body = b"WEBP" + b"VP8L" + struct.pack("<I", size - 20) + b"\x2f"
    return _pad(b"RIFF" + struct.pack("<I", size - 8) + body, size)


def ftyp(major: bytes, *compatible: bytes) -> bytes:
    """An ISO-BMFF `ftyp` box."""
    payload = major + b"\x00\x00\x00\x00" + b"".join(compatible)
    return struct.pack(">I", 8 + len(payload)) + b"ftyp" + payload


def heic(size: int = 400) -> bytes:
    """What an iPhone writes: `ftyp` heic (compatible mif1, heic), then the `meta` box."""
    head = ftyp(b"heic", b"mif1", b"heic")
    meta = struct.pack(">I", size - len(head)) + b"meta"
    return _pad(head + meta, size)


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
