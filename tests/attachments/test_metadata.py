"""Photos without metadata: what is stored and served back carries no EXIF (GPS, device, time),
XMP, ICC profile or comment, and stands upright as its EXIF orientation said."""

from __future__ import annotations

import io
import struct
import zlib
from typing import Any

import httpx
import pytest
from PIL import Image, ImageOps
from PIL.ExifTags import GPS, IFD, Base

from neighbor_api.attachments import images
from neighbor_api.core.deps import Deps
from tests.attachments.support import file_counts, heic, upload_over_http, uploaded
from tests.places.support import Person

# 24.4798° N, 118.0894° E: 厦门市湖里区.
LATITUDE = (24.0, 28.0, 47.28)
LONGITUDE = (118.0, 5.0, 21.84)


def _exif(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[Base.Make] = "HUAWEI"
    exif[Base.Model] = "P60 Pro"
    exif[Base.DateTime] = "2026:11:30 08:15:00"
    exif[Base.Orientation] = orientation
    gps = exif.get_ifd(IFD.GPSInfo)
    gps[GPS.GPSLatitudeRef] = "N"
    gps[GPS.GPSLatitude] = LATITUDE
    gps[GPS.GPSLongitudeRef] = "E"
    gps[GPS.GPSLongitude] = LONGITUDE
    return exif


def phone_photo(orientation: int = 1) -> bytes:
    """A 40x20 JPEG as a phone writes it: EXIF with GPS, device and time, an XMP packet, an
    ICC profile and a comment; left half red, right half blue."""
    image = Image.new("RGB", (40, 20), (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, 20, 20))
    out = io.BytesIO()
    image.save(
        out,
        "JPEG",
        quality=95,
        exif=_exif(orientation),
        xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/">GPS 24.4798,118.0894</x:xmpmeta>',
        icc_profile=b"\x00" * 128 + b"HUAWEI P60 Pro profile",
        comment=b"taken at home",
    )
    return out.getvalue()


def _png_with_text() -> bytes:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Location", "24.4798,118.0894")
    image = Image.new("RGB", (4, 4), (10, 20, 30))
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info, exif=_exif())
    return out.getvalue()


async def download(http: httpx.AsyncClient, attachment: dict[str, Any]) -> bytes:
    response = await http.get(attachment["url"])
    assert response.status_code == 200, response.text
    return response.content


def assert_bare(content: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(content))
    image.load()
    assert len(image.getexif()) == 0
    assert not {"exif", "xmp", "icc_profile", "comment", "XML:com.adobe.xmp"} & set(image.info)
    for marker in (b"Exif", b"HUAWEI", b"2026:11:30", b"xmpmeta", b"taken at home", b"GPS"):
        assert marker not in content
    return image


class TestPhotosWithoutMetadata:
    async def test_the_test_photo_really_carries_gps(self) -> None:
        image = Image.open(io.BytesIO(phone_photo()))
        gps = image.getexif().get_ifd(IFD.GPSInfo)
        assert gps[GPS.GPSLatitude] == (24.0, 28.0, 47.28)
        assert image.info["icc_profile"].endswith(b"P60 Pro profile")

    async def test_a_photo_comes_back_without_gps_device_or_time(
        self, http: httpx.AsyncClient, owner: Person, deps: Deps
    ) -> None:
        attachment = await uploaded(http, phone_photo(), token=owner.token)

        content = await download(http, attachment)

        image = assert_bare(content)
        assert image.format == "JPEG"
        assert image.size == (40, 20)
        assert attachment["byteSize"] == len(content)
        # Nor does the stored copy keep anything: it is the one served.
        chunks = deps.db["attachments.chunks"].find({}).sort("n", 1)
        assert b"".join([c["data"] async for c in chunks]) == content

    @pytest.mark.parametrize(
        ("orientation", "size", "left_top"),
        [
            pytest.param(1, (40, 20), "red", id="upright"),
            pytest.param(3, (40, 20), "blue", id="upside-down"),
            pytest.param(6, (20, 40), "red", id="rotated-right"),
            pytest.param(8, (20, 40), "blue", id="rotated-left"),
        ],
    )
    async def test_the_orientation_is_applied_before_it_goes(
        self,
        http: httpx.AsyncClient,
        owner: Person,
        orientation: int,
        size: tuple[int, int],
        left_top: str,
    ) -> None:
        attachment = await uploaded(http, phone_photo(orientation), token=owner.token)

        image = assert_bare(await download(http, attachment))

        # As a viewer honouring the tag would have shown the original.
        expected = ImageOps.exif_transpose(Image.open(io.BytesIO(phone_photo(orientation))))
        assert image.size == expected.size == size
        red, _green, blue = image.convert("RGB").getpixel((2, 2))  # type: ignore[misc]
        assert ("red" if red > blue else "blue") == left_top

    async def test_png_text_and_exif_are_dropped(
        self, http: httpx.AsyncClient, owner: Person
    ) -> None:
        original = _png_with_text()
        assert b"Location" in original

        attachment = await uploaded(http, original, token=owner.token, filename="a.png")

        content = await download(http, attachment)
        image = assert_bare(content)
        assert image.format == "PNG"
        assert b"Location" not in content
        assert b"tEXt" not in content

    async def test_webp_metadata_is_dropped(self, http: httpx.AsyncClient, owner: Person) -> None:
        out = io.BytesIO()
        Image.new("RGB", (6, 6), (1, 2, 3)).save(out, "WEBP", exif=_exif(), lossless=True)
        assert b"HUAWEI" in out.getvalue()

        attachment = await uploaded(http, out.getvalue(), token=owner.token, filename="a.webp")

        image = assert_bare(await download(http, attachment))
        assert image.format == "WEBP"

    @pytest.mark.parametrize(
        ("locale", "message"),
        [
            pytest.param(None, "暂不支持 HEIC 格式的照片", id="zh"),
            pytest.param("en", "HEIC photos are not supported yet", id="en"),
        ],
    )
    async def test_heic_is_refused_with_a_clear_message(
        self, http: httpx.AsyncClient, owner: Person, deps: Deps, locale: str | None, message: str
    ) -> None:
        response = await upload_over_http(
            http, heic(), token=owner.token, filename="IMG_0002.HEIC", locale=locale
        )

        payload = response.json()["data"]["uploadAttachment"]
        assert payload["attachment"] is None
        [error] = payload["errors"]
        assert (error["code"], error["field"]) == ("UNSUPPORTED_FILE_TYPE", ["file"])
        assert error["message"].startswith(message)
        assert await file_counts(deps) == (0, 0)

    async def test_a_damaged_jpeg_is_refused(
        self, http: httpx.AsyncClient, owner: Person, deps: Deps
    ) -> None:
        damaged = phone_photo()[:200]  # the markers of a JPEG, not its image

        response = await upload_over_http(http, damaged, token=owner.token, locale="en")

        [error] = response.json()["data"]["uploadAttachment"]["errors"]
        assert error["code"] == "UNSUPPORTED_FILE_TYPE"
        assert error["message"].startswith("The image could not be read")
        assert await file_counts(deps) == (0, 0)

    async def test_a_decompression_bomb_is_refused_before_it_is_decoded(
        self, http: httpx.AsyncClient, owner: Person, deps: Deps
    ) -> None:
        # A PNG header claiming 20,000 x 20,000 pixels, in a few bytes.
        def chunk(kind: bytes, data: bytes) -> bytes:
            crc = struct.pack(">I", zlib.crc32(kind + data))
            return struct.pack(">I", len(data)) + kind + data + crc

        bomb = (
            b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", 20_000, 20_000, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00" * 1000))
            + chunk(b"IEND", b"")
        )

        response = await upload_over_http(http, bomb, token=owner.token, locale="en")

        [error] = response.json()["data"]["uploadAttachment"]["errors"]
        assert error["code"] == "FILE_TOO_LARGE"
        assert str(images.MAX_PIXELS // 1_000_000) in error["message"]
        assert await file_counts(deps) == (0, 0)
