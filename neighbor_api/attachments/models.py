"""Attachments: files (photos) a user uploads, later attached to something (a report)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from bson import ObjectId
from pydantic import Field

from neighbor_api.core.models import StoredModel


class ContentType(StrEnum):
    """The types accepted, always decided from the file's content (its magic bytes)."""

    JPEG = "image/jpeg"
    PNG = "image/png"
    WEBP = "image/webp"
    HEIC = "image/heic"
    # A document (a contractor's quote on a proposal): accepted only where a feature asks for
    # documents (`attach(documents=True)`), stored as sent (see the README), served as a
    # download, never inline.
    PDF = "application/pdf"


IMAGE_TYPES = frozenset({ContentType.JPEG, ContentType.PNG, ContentType.WEBP, ContentType.HEIC})


class Attachment(StoredModel):
    """One stored file. `id` is its GridFS file id.

    Stored as the GridFS files document of the `attachments` bucket (see `repository`):
    `byte_size` is its `length`, `created_at` its `uploadDate`, `filename` its `filename`, and
    the rest lives in its `metadata`.
    """

    owner_id: ObjectId
    content_type: ContentType
    byte_size: int
    # As the client named it (for display only; it never decides anything).
    filename: str | None = None
    created_at: datetime
    # What the file belongs to (a report), None until attached; then the subject's place path.
    subject_id: ObjectId | None = None
    place_path: list[ObjectId] = Field(default_factory=list)
