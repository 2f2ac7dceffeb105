"""Photos without metadata: every uploaded image is decoded and written again, pixels only.

A phone's photo carries EXIF (GPS position, device, time taken), XMP, an ICC profile and
comments; any of them can give away who took an anonymous report's photo and where they
live. So nothing of the uploaded file is kept but its pixels: the image is decoded with
Pillow, turned upright as its EXIF orientation says (`ImageOps.exif_transpose`, since the
orientation tag goes with the rest), and encoded again in its own format with no metadata at
all (JPEG at quality 90, PNG, WebP lossless or at quality 90 as it came). A file whose
content does not decode as the image its first bytes announce is refused.

HEIC (iPhones' default) is refused: decoding it needs libheif (`pillow-heif`), which is not a
dependency; the message asks for a JPEG (iOS sends one when "Most Compatible" is set, and
its share sheet converts).
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps

from neighbor_api.attachments.models import ContentType
from neighbor_api.core.errors import DomainError, ErrorCode

# Above this many pixels an image is refused before it is decoded (a 50-megapixel phone
# photo passes; a "decompression bomb" of a few KB describing 100,000 x 100,000 does not).
MAX_PIXELS = 50_000_000
JPEG_QUALITY = 90

UPLOAD_FIELD = ("file",)
_FORMATS = {ContentType.JPEG: "JPEG", ContentType.PNG: "PNG", ContentType.WEBP: "WEBP"}


def _unreadable() -> DomainError:
    return DomainError.of(
        ErrorCode.UNSUPPORTED_FILE_TYPE, "attachment.unreadable", field=UPLOAD_FIELD
    )


def _too_many_pixels() -> DomainError:
    return DomainError.of(
        ErrorCode.FILE_TOO_LARGE,
        "attachment.too_many_pixels",
        field=UPLOAD_FIELD,
        max_megapixels=MAX_PIXELS // 1_000_000,
    )


def strip_metadata(content_type: ContentType, data: bytes) -> bytes:
    """The image in `data` (of `content_type`, sniffed from its first bytes) upright and
    encoded again without any metadata. CPU-bound: run it in a thread.

    UNSUPPORTED_FILE_TYPE for HEIC and for content that does not decode as that type;
    FILE_TOO_LARGE for more than MAX_PIXELS pixels.
    """
    if content_type is ContentType.HEIC:
        raise DomainError.of(
            ErrorCode.UNSUPPORTED_FILE_TYPE, "attachment.heic_unsupported", field=UPLOAD_FIELD
        )
    expected = _FORMATS[content_type]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[expected]) as opened:
                width, height = opened.size
                if width * height > MAX_PIXELS:
                    raise _too_many_pixels()
                lossless = bool(opened.info.get("lossless")) if expected == "WEBP" else False
                opened.load()
                upright = ImageOps.exif_transpose(opened)
                return _encode(upright, expected, lossless=lossless)
    except DomainError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_many_pixels() from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise _unreadable() from exc


def _encode(image: Image.Image, fmt: str, *, lossless: bool) -> bytes:
    # A new image holding the pixels alone: nothing of the original's `info` (exif, xmp,
    # icc_profile, comments, dpi, PNG text chunks) can reach the encoder.
    if fmt == "JPEG" and image.mode not in ("L", "RGB", "CMYK"):
        image = image.convert("RGB")
    elif fmt == "WEBP" and image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    elif fmt == "PNG" and image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    bare = Image.new(image.mode, image.size)
    bare.paste(image)
    if image.mode == "P":
        palette = image.getpalette()
        if palette is not None:
            bare.putpalette(palette)
    out = io.BytesIO()
    if fmt == "JPEG":
        bare.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    elif fmt == "PNG":
        bare.save(out, "PNG", optimize=True)
    elif lossless:
        bare.save(out, "WEBP", lossless=True)
    else:
        bare.save(out, "WEBP", quality=JPEG_QUALITY)
    return out.getvalue()
