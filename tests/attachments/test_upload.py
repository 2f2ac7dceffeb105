"""uploadAttachment: real multipart requests to a real server, and the service's limits."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from bson import ObjectId
from gridfs import AsyncGridFSBucket

from neighbor_api.attachments import service
from neighbor_api.attachments.models import ContentType
from neighbor_api.core.clock import ManualClock
from neighbor_api.core.deps import Deps
from neighbor_api.core.errors import DomainError, ErrorCode
from neighbor_api.core.policy import Actor
from tests.attachments.support import (
    cleaned,
    file_counts,
    ftyp,
    heic,
    jpeg,
    noisy_jpeg,
    png,
    upload_over_http,
    uploaded,
    webp,
)
from tests.places.support import Person

TEN_MB = 10 * 1024 * 1024
HEIF_MAJOR_BRANDS = [b"heix", b"hevc", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1"]
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


def payload_of(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    payload: dict[str, Any] = response.json()["data"]["uploadAttachment"]
    return payload


class TestUploadAttachment:
    @pytest.mark.parametrize(
        ("content", "filename", "expected"),
        [
            pytest.param(jpeg(), "IMG_0001.JPG", "image/jpeg", id="jpeg"),
            pytest.param(png(), "screenshot.png", "image/png", id="png"),
            pytest.param(webp(), "photo.webp", "image/webp", id="webp"),
        ],
    )
    async def test_an_image_is_stored(
        self,
        http: httpx.AsyncClient,
        owner: Person,
        content: bytes,
        filename: str,
        expected: str,
    ) -> None:
        attachment = await uploaded(
            http, content, token=owner.token, filename=filename, content_type=expected
        )

        assert attachment["contentType"] == expected
        assert attachment["byteSize"] == len(cleaned(content))
        assert attachment["url"].startswith("/attachments/")
        assert attachment["id"]

    async def test_the_type_comes_from_the_content(
        self, http: httpx.AsyncClient, owner: Person
    ) -> None:
        attachment = await uploaded(
            http, png(), token=owner.token, filename="photo.jpg", content_type="image/jpeg"
        )

        assert attachment["contentType"] == "image/png"

    async def test_the_content_is_stored_in_gridfs(
        self, http: httpx.AsyncClient, owner: Person, deps: Deps, clock: ManualClock
    ) -> None:
        content = noisy_jpeg(900, 900)  # over two GridFS chunks once encoded again

        await uploaded(http, content, token=owner.token, filename="IMG_0003.JPG")

        document = await deps.db["attachments.files"].find_one({})
        assert document is not None
        stream = await AsyncGridFSBucket(deps.db, "attachments").open_download_stream(
            document["_id"]
        )
        assert await stream.read() == cleaned(content)
        assert document["filename"] == "IMG_0003.JPG"
        assert document["uploadDate"] == clock.now()
        assert document["metadata"]["content_type"] == "image/jpeg"
        assert document["metadata"]["subject_id"] is None
        assert await deps.db["attachments.chunks"].count_documents({}) == 3

    async def test_a_file_of_exactly_10_mb_is_accepted(
        self, http: httpx.AsyncClient, owner: Person
    ) -> None:
        attachment = await uploaded(http, jpeg(TEN_MB), token=owner.token)

        # What follows the image's end is dropped with its metadata.
        assert attachment["byteSize"] == len(cleaned(jpeg()))

    async def test_one_byte_more_is_file_too_large(
        self, http: httpx.AsyncClient, owner: Person, deps: Deps
    ) -> None:
        response = await upload_over_http(http, jpeg(TEN_MB + 1), token=owner.token, locale="en")

        payload = payload_of(response)
        assert payload["attachment"] is None
        assert payload["errors"] == [
            {
                "code": "FILE_TOO_LARGE",
                "message": "File too large (at most 10 MB)",
                "field": ["file"],
            }
        ]
        assert await file_counts(deps) == (0, 0)

    async def test_a_text_file_named_photo_jpg_is_unsupported(
        self, http: httpx.AsyncClient, owner: Person, deps: Deps
    ) -> None:
        response = await upload_over_http(
            http, b"just some notes\n" * 20, token=owner.token, filename="photo.jpg"
        )

        payload = payload_of(response)
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [
            ("UNSUPPORTED_FILE_TYPE", ["file"])
        ]
        assert payload["errors"][0]["message"] == "不支持的文件类型"
        assert await file_counts(deps) == (0, 0)

    async def test_an_html_file_declared_png_is_refused(
        self, http: httpx.AsyncClient, owner: Person, deps: Deps
    ) -> None:
        response = await upload_over_http(
            http, HTML, token=owner.token, filename="cat.png", content_type="image/png"
        )

        payload = payload_of(response)
        assert [e["code"] for e in payload["errors"]] == ["UNSUPPORTED_FILE_TYPE"]
        assert await file_counts(deps) == (0, 0)

    async def test_an_empty_file_is_unsupported(
        self, http: httpx.AsyncClient, owner: Person
    ) -> None:
        response = await upload_over_http(http, b"", token=owner.token)

        assert [e["code"] for e in payload_of(response)["errors"]] == ["UNSUPPORTED_FILE_TYPE"]

    async def test_without_a_token_is_unauthenticated(
        self, http: httpx.AsyncClient, deps: Deps
    ) -> None:
        response = await upload_over_http(http, jpeg(), token=None)

        body = response.json()
        assert body["data"] is None
        assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHENTICATED"]
        assert await file_counts(deps) == (0, 0)

    async def test_records_an_event(
        self, http: httpx.AsyncClient, owner: Person, deps: Deps
    ) -> None:
        content = png()
        await uploaded(http, content, token=owner.token)

        event = await deps.db["events"].find_one({"kind": "attachment.uploaded"})
        document = await deps.db["attachments.files"].find_one({})
        assert event is not None
        assert document is not None
        assert event["subject_id"] == document["_id"]
        assert event["actor_id"] == document["metadata"]["owner_id"]
        assert event["data"] == {
            "content_type": "image/png",
            "byte_size": len(cleaned(content)),
        }


class _EndlessImage:
    """A JPEG that never ends, counting what is read of it."""

    def __init__(self) -> None:
        self.read_bytes = 0

    async def read(self, size: int = -1, /) -> bytes:
        assert size > 0, "the stream must be read in pieces"
        piece = (jpeg() if self.read_bytes == 0 else b"\x00" * size)[:size]
        self.read_bytes += len(piece)
        return piece


class TestUploadService:
    async def test_reads_at_most_one_byte_over_the_limit(self, deps: Deps) -> None:
        stream = _EndlessImage()

        with pytest.raises(DomainError) as refused:
            await service.upload(deps, Actor(user_id=ObjectId()), filename=None, data=stream)

        assert refused.value.problems[0].code is ErrorCode.FILE_TOO_LARGE
        assert stream.read_bytes == service.MAX_BYTES + 1
        assert await file_counts(deps) == (0, 0)

    async def test_accepts_bytes(self, deps: Deps) -> None:
        attachment = await service.upload(
            deps, Actor(user_id=ObjectId()), filename="a/b\\c\x00.webp", data=webp()
        )

        assert attachment.content_type is ContentType.WEBP
        assert attachment.filename == "c.webp"
        assert await service.by_ids(deps, [attachment.id]) == [attachment]


class TestSniff:
    @pytest.mark.parametrize(
        ("head", "expected"),
        [
            pytest.param(jpeg(), ContentType.JPEG, id="jpeg"),
            pytest.param(png(), ContentType.PNG, id="png"),
            pytest.param(webp(), ContentType.WEBP, id="webp"),
            pytest.param(heic(), ContentType.HEIC, id="heic"),
            *(
                pytest.param(ftyp(brand, b"mif1") + bytes(32), ContentType.HEIC, id=brand.decode())
                for brand in HEIF_MAJOR_BRANDS
            ),
            pytest.param(ftyp(b"isom", b"mif1", b"heic"), ContentType.HEIC, id="compatible-heic"),
        ],
    )
    def test_recognises(self, head: bytes, expected: ContentType) -> None:
        assert service.sniff(head) is expected

    @pytest.mark.parametrize(
        "head",
        [
            pytest.param(b"", id="empty"),
            pytest.param(b"\xff\xd8", id="truncated-jpeg"),
            pytest.param(HTML, id="html"),
            pytest.param(b"GIF89a" + b"\x00" * 20, id="gif"),
            pytest.param(b"%PDF-1.7\n" + b"\x00" * 20, id="pdf"),
            pytest.param(b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 20, id="wav"),
            pytest.param(ftyp(b"avif", b"mif1", b"miaf"), id="avif"),
            pytest.param(ftyp(b"isom", b"iso2", b"mp41"), id="mp4"),
            pytest.param(b"\x00\x00\x00\x08ftypheic", id="ftyp-too-short"),
        ],
    )
    def test_refuses(self, head: bytes) -> None:
        assert service.sniff(head) is None
