"""Users, their sessions (refresh-token families) and refresh tokens."""

from __future__ import annotations

from datetime import datetime

from bson import ObjectId

from neighbor_api.core.i18n import Locale
from neighbor_api.core.models import StoredModel


class User(StoredModel):
    phone: str  # E.164, e.g. +8613800000001
    password_hash: str
    display_name: str
    locale: Locale
    created_at: datetime


class Session(StoredModel):
    """One sign-in: the family of refresh tokens that rotate from it."""

    user_id: ObjectId
    created_at: datetime
    revoked_at: datetime | None = None


class RefreshToken(StoredModel):
    """`id` is the SHA-256 of the token: the token itself is never stored."""

    token_hash: str
    session_id: ObjectId
    user_id: ObjectId
    expires_at: datetime
    used_at: datetime | None = None
