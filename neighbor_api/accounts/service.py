"""Registration, login, rotating refresh tokens, logout and request authentication."""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from datetime import timedelta

import phonenumbers
from bson import ObjectId
from pymongo.errors import DuplicateKeyError

from neighbor_api.accounts import repository, security
from neighbor_api.accounts.models import RefreshToken, Session, User

# Request authentication lives in sessions.py (the cached viewer); its names stay here too.
from neighbor_api.accounts.sessions import Authenticated as Authenticated
from neighbor_api.accounts.sessions import authenticate as authenticate
from neighbor_api.core import events
from neighbor_api.core.deps import Deps
from neighbor_api.core.errors import DomainError, ErrorCode
from neighbor_api.core.events import EventKind
from neighbor_api.core.i18n import DEFAULT_LOCALE, Locale
from neighbor_api.core.mongo import Session as DbSession
from neighbor_api.core.mongo import in_transaction
from neighbor_api.core.validation import Checks

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128
MAX_DISPLAY_NAME_LENGTH = 40


@dataclass(frozen=True)
class SignedIn:
    """What register, login and refresh hand back."""

    user: User
    access_token: str
    refresh_token: str


def normalize_phone(raw: str | None) -> str | None:
    """A mainland China mobile number in E.164 (+8613800000001), or None if it is not one."""
    try:
        number = phonenumbers.parse((raw or "").strip(), "CN")
    except phonenumbers.NumberParseException:
        return None
    if (
        number.country_code != 86
        or not phonenumbers.is_valid_number(number)
        or phonenumbers.number_type(number) is not phonenumbers.PhoneNumberType.MOBILE
    ):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _check_password(checks: Checks, password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        checks.fail("password", "password.too_short", min=MIN_PASSWORD_LENGTH)
    elif len(password) > MAX_PASSWORD_LENGTH:
        checks.fail("password", "password.too_long", max=MAX_PASSWORD_LENGTH)


async def register(
    deps: Deps,
    *,
    phone: str,
    password: str,
    display_name: str,
    locale: str | None = None,
) -> SignedIn:
    checks = Checks()
    normalized = normalize_phone(phone)
    if normalized is None:
        checks.fail("phone", "phone.invalid")
    _check_password(checks, password)
    name = checks.text(display_name, "displayName", max_length=MAX_DISPLAY_NAME_LENGTH)
    chosen_locale = DEFAULT_LOCALE
    if locale:
        try:
            chosen_locale = Locale(locale)
        except ValueError:
            checks.fail("locale", "INVALID_INPUT")
    checks.done()
    assert normalized is not None
    user = User(
        phone=normalized,
        password_hash=await asyncio.to_thread(security.hash_password, deps.settings, password),
        display_name=name,
        locale=chosen_locale,
        created_at=deps.clock.now(),
    )

    async def insert(session: DbSession) -> None:
        await repository.insert_user(deps.db, user, session=session)
        await events.record(
            deps,
            kind=EventKind.USER_REGISTERED,
            subject_id=user.id,
            actor_id=user.id,
            session=session,
        )

    try:
        await in_transaction(deps.client, insert)
    except DuplicateKeyError:
        raise DomainError.of(ErrorCode.PHONE_TAKEN, field=("input", "phone")) from None
    return await _sign_in(deps, user)


# Verified against when the phone is unknown, so a wrong phone costs as long as a wrong password.
_DUMMY_HASHES: dict[tuple[int, int], str] = {}


def _dummy_hash(deps: Deps) -> str:
    key = (deps.settings.argon2_time_cost, deps.settings.argon2_memory_kib)
    if key not in _DUMMY_HASHES:
        _DUMMY_HASHES[key] = security.hash_password(deps.settings, "not-a-password")
    return _DUMMY_HASHES[key]


async def login(deps: Deps, *, phone: str, password: str, client_address: str | None) -> SignedIn:
    """Sign in; failed attempts are limited per phone number and per client address."""
    normalized = normalize_phone(phone) or (phone or "").strip()[:32]
    now = deps.clock.now()
    window = deps.settings.login_window
    keys, window_end = repository.failure_keys(
        phone=normalized, address=client_address, now=now, window=window
    )
    counts = await repository.failure_counts(deps.db, keys)
    limits = [deps.settings.login_failures_per_phone, deps.settings.login_failures_per_address]
    if any(counts.get(key, 0) >= limit for key, limit in zip(keys, limits, strict=False)):
        minutes = max(1, math.ceil((window_end - now).total_seconds() / 60))
        raise DomainError.of(ErrorCode.RATE_LIMITED, minutes=minutes)
    user = await repository.user_by_phone(deps.db, normalized)
    if user is not None and user.deleted:  # deleted, not erased yet: as if unknown
        user = None
    password_hash = user.password_hash if user else _dummy_hash(deps)
    ok = await asyncio.to_thread(security.verify_password, deps.settings, password_hash, password)
    if user is None or not ok:
        await repository.add_failures(deps.db, keys, expires_at=window_end)
        raise DomainError.of(ErrorCode.INVALID_CREDENTIALS)
    return await _sign_in(deps, user)


async def _sign_in(deps: Deps, user: User) -> SignedIn:
    session = Session(user_id=user.id, created_at=deps.clock.now())
    await repository.insert_session(deps.db, session)
    return await _issue(deps, user, session.id)


async def _issue(deps: Deps, user: User, session_id: ObjectId) -> SignedIn:
    now = deps.clock.now()
    refresh_token = security.new_refresh_token()
    await repository.insert_refresh_token(
        deps.db,
        RefreshToken(
            token_hash=security.refresh_token_hash(refresh_token),
            session_id=session_id,
            user_id=user.id,
            expires_at=now + deps.settings.refresh_token_ttl,
        ),
    )
    access_token = security.issue_access_token(
        deps.settings, user_id=user.id, session_id=session_id, now=now
    )
    return SignedIn(user=user, access_token=access_token, refresh_token=refresh_token)


def _session_ended() -> DomainError:
    return DomainError.of(
        ErrorCode.INVALID_CREDENTIALS, "refresh_token.invalid", field=("input", "refreshToken")
    )


async def refresh_session(deps: Deps, *, refresh_token: str) -> SignedIn:
    """Trade a refresh token for a new pair. A token used twice ends its whole session."""
    now = deps.clock.now()
    token_hash = security.refresh_token_hash(refresh_token)
    used = await repository.use_refresh_token(deps.db, token_hash, now=now)
    if used is None:
        known = await repository.refresh_token_by_hash(deps.db, token_hash)
        if known is not None and known.used_at is not None:
            # Reuse of a rotated token: someone holds a stolen copy. End the family.
            await repository.revoke_session(deps.db, known.session_id, now=now)
            deps.sessions.forget_session(known.session_id)
            await events.record(
                deps,
                kind=EventKind.SESSION_REUSE_DETECTED,
                subject_id=known.session_id,
                actor_id=known.user_id,
            )
        raise _session_ended()
    session = await repository.live_session(deps.db, used.session_id)
    users = await repository.users_by_ids(deps.db, [used.user_id])
    if session is None or not users:
        raise _session_ended()
    return await _issue(deps, users[0], session.id)


async def logout(deps: Deps, *, session_id: ObjectId) -> None:
    await repository.revoke_session(deps.db, session_id, now=deps.clock.now())
    deps.sessions.forget_session(session_id)


async def users_by_ids(deps: Deps, ids: list[ObjectId]) -> list[User]:
    return await repository.users_by_ids(deps.db, ids)


async def create_system_account(deps: Deps, *, display_name: str) -> User:
    """An account for another system (an Open311 partner): it has a name, so what it files
    shows who filed it, and it can never sign in (a `system:` handle where a phone number
    would be, which no phone number normalises to, and no password hash)."""
    checks = Checks(prefix=())
    name = checks.text(display_name, "name", max_length=MAX_DISPLAY_NAME_LENGTH)
    checks.done()
    user_id = ObjectId()
    user = User(
        _id=user_id,
        phone=f"system:{user_id}",
        password_hash="",
        display_name=name,
        locale=DEFAULT_LOCALE,
        created_at=deps.clock.now(),
    )
    await repository.insert_user(deps.db, user)
    return user


# --- Account deletion (注销) -----------------------------------------------------------------


async def request_deletion(deps: Deps, *, user_id: ObjectId) -> None:
    """Delete the account: every session ends at once (sockets included, through the session
    cache and its watcher); the erasure job erases the personal data within minutes.
    INVALID_TRANSITION when it was already deleted (a second, racing deleteAccount)."""
    now = deps.clock.now()

    async def apply(session: DbSession) -> None:
        if not await repository.request_deletion(deps.db, user_id, now=now):
            raise DomainError.of(ErrorCode.INVALID_TRANSITION, "account.already_deleted")
        await events.record(
            deps,
            kind=EventKind.USER_DELETION_REQUESTED,
            subject_id=user_id,
            actor_id=user_id,
            session=session,
        )

    await in_transaction(deps.client, apply)
    await repository.revoke_user_sessions(deps.db, user_id, now=now)
    deps.sessions.forget_user(user_id)


async def due_for_erasure(deps: Deps, *, limit: int) -> list[ObjectId]:
    return await repository.due_for_erasure(deps.db, before=deps.clock.now(), limit=limit)


async def claim_erasure(deps: Deps, user_id: ObjectId, *, lease: timedelta) -> bool:
    now = deps.clock.now()
    return await repository.claim_erasure(deps.db, user_id, now=now, until=now + lease)


async def erase_account(deps: Deps, user_id: ObjectId) -> None:
    """The account's own part of the erasure (name, phone, password hash, sessions); the
    last step, so that an interrupted erasure is taken up again."""
    await repository.erase_user(deps.db, user_id, now=deps.clock.now())
    await events.record(deps, kind=EventKind.USER_ERASED, subject_id=user_id, actor_id=None)
    deps.sessions.forget_user(user_id)


async def sessions_of(deps: Deps, user_id: ObjectId) -> list[Session]:
    return await repository.sessions_of_user(deps.db, user_id)
