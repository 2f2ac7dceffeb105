"""Users, their sessions (refresh-token families) and refresh tokens."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from bson import ObjectId
from pydantic import BaseModel, ConfigDict, Field

from neighbor_api.core.i18n import Locale
from neighbor_api.core.models import StoredModel


class VerificationPurpose(StrEnum):
    """What a verification code may be used for (a code serves only its purpose)."""

    REGISTER = "REGISTER"
    LOGIN = "LOGIN"
    RESET_PASSWORD = "RESET_PASSWORD"
    CHANGE_PHONE = "CHANGE_PHONE"
    DELETE_ACCOUNT = "DELETE_ACCOUNT"


class Consent(BaseModel):
    """One acceptance of the privacy policy: which version, when."""

    model_config = ConfigDict(frozen=True)

    policy_version: str
    accepted_at: datetime


class User(StoredModel):
    phone: str  # E.164, e.g. +8613800000001
    password_hash: str
    display_name: str
    locale: Locale
    created_at: datetime
    # Account deletion (注销): asked for at `deletion_requested_at` (every session ended at
    # once); the erasure job then erases the personal data and sets `erased_at`.
    deletion_requested_at: datetime | None = None
    erased_at: datetime | None = None

    @property
    def deleted(self) -> bool:
        return self.deletion_requested_at is not None

    # Leaderboard opt-out: False shows the user as an anonymous entry.
    show_on_leaderboard: bool = True
    # Every acceptance of the privacy policy, oldest first.
    consents: list[Consent] = Field(default_factory=list)

    def accepted(self, policy_version: str) -> bool:
        return any(c.policy_version == policy_version for c in self.consents)


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
    # Who used it (a hash of the client address): the refresh grace answers only them.
    used_by: str | None = None
