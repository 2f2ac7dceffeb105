"""Passwords (argon2id), access tokens (JWT, HS256) and opaque refresh tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from bson import ObjectId
from bson.errors import InvalidId

from neighbor_api.settings import Settings

ALGORITHM = "HS256"
AUDIENCE = "neighbor-api"


@lru_cache(maxsize=4)
def _hasher(time_cost: int, memory_kib: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)


def hasher(settings: Settings) -> PasswordHasher:
    return _hasher(settings.argon2_time_cost, settings.argon2_memory_kib)


def hash_password(settings: Settings, password: str) -> str:
    return hasher(settings).hash(password)


def verify_password(settings: Settings, password_hash: str, password: str) -> bool:
    try:
        return hasher(settings).verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class AccessClaims:
    user_id: ObjectId
    session_id: ObjectId


def issue_access_token(
    settings: Settings, *, user_id: ObjectId, session_id: ObjectId, now: datetime
) -> str:
    claims = {
        "sub": str(user_id),
        "sid": str(session_id),
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + settings.access_token_ttl,
    }
    return jwt.encode(claims, settings.secret_key.get_secret_value(), algorithm=ALGORITHM)


# Tokens whose signature was checked, with their expiry (a bounded memo: a request or a socket
# event presenting a token seen recently costs a dictionary lookup, not an HMAC and a parse).
VERIFIED_TOKENS = 4096


@lru_cache(maxsize=VERIFIED_TOKENS)
def _verified(secret: str, token: str) -> tuple[AccessClaims, float] | None:
    """The claims of a well-formed token signed with `secret`, and its expiry; None if not."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            # Time is checked against the injected clock by the caller, never the system's
            # (PyJWT would refuse a token whose `iat` is ahead of the system clock).
            options={
                "require": ["sub", "sid", "exp"],
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
            },
        )
        expires = claims["exp"]
        if isinstance(expires, bool) or not isinstance(expires, int | float):
            return None
        return AccessClaims(ObjectId(claims["sub"]), ObjectId(claims["sid"])), float(expires)
    except (jwt.PyJWTError, InvalidId, TypeError):
        return None


def read_access_token(settings: Settings, token: str, *, now: datetime) -> AccessClaims | None:
    """The token's claims, or None if it is malformed, forged or expired (as of `now`)."""
    verified = _verified(settings.secret_key.get_secret_value(), token)
    if verified is None or verified[1] <= now.timestamp():
        return None
    return verified[0]


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def refresh_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
