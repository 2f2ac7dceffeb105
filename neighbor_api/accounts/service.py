"""Registration, login, rotating refresh tokens, logout and request authentication."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import phonenumbers
from bson import ObjectId
from pymongo.errors import DuplicateKeyError

from neighbor_api.accounts import repository, security
from neighbor_api.accounts.models import RefreshToken, Session, User

# Request authentication lives in sessions.py (the cached viewer); its names stay here too.
from neighbor_api.accounts.sessions import Authenticated as Authenticated
from neighbor_api.accounts.sessions import authenticate as authenticate
from neighbor_api.core import events, rate_limit
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
    client_address: str | None = None,
) -> SignedIn:
    """Create an account and sign in; accounts created per client address are limited."""
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
    if client_address:
        by_address = await deps.limiter.hit(
            f"register:address:{client_address}",
            deps.settings.registrations_per_address,
            deps.settings.registration_window,
        )
        if not by_address.allowed:
            raise rate_limited(by_address, "register.rate_limited")
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


def login_backoff(deps: Deps) -> rate_limit.Backoff:
    """The progressive delays on a phone number's failed logins (settings `login_*`)."""
    settings = deps.settings
    return rate_limit.Backoff(
        deps.db,
        deps.clock,
        free=settings.login_free_failures,
        base=settings.login_delay_base,
        cap=settings.login_delay_max,
        memory=settings.login_window,
    )


def rate_limited(decision: rate_limit.Decision, message: str = "RATE_LIMITED") -> DomainError:
    """RATE_LIMITED with the wait, in the message and as `retryAfter` (seconds)."""
    seconds = decision.retry_after_seconds
    return DomainError.of(ErrorCode.RATE_LIMITED, message, seconds=seconds, retry_after=seconds)


async def login(deps: Deps, *, phone: str, password: str, client_address: str | None) -> SignedIn:
    """Sign in. Every attempt first counts against the client address (a fixed window), then
    takes the phone number's turn (one attempt at a time, after the wait its failures earned:
    progressive delays, never a lockout); only then is the password verified. Both counters
    are taken atomically before the check, so concurrent attempts cannot slip past them."""
    normalized = normalize_phone(phone) or (phone or "").strip()[:32]
    settings = deps.settings
    if client_address:
        by_address = await deps.limiter.hit(
            f"login:address:{client_address}",
            settings.login_attempts_per_address,
            settings.login_window,
        )
        if not by_address.allowed:
            raise rate_limited(by_address)
    backoff = login_backoff(deps)
    turn = await backoff.begin(f"login:phone:{normalized}")
    if not turn.allowed:
        raise rate_limited(turn.decision)
    try:
        user = await repository.user_by_phone(deps.db, normalized)
        password_hash = user.password_hash if user else _dummy_hash(deps)
        ok = await asyncio.to_thread(
            security.verify_password, deps.settings, password_hash, password
        )
    except BaseException:
        await backoff.abandon(turn)
        raise
    if user is None or not ok:
        await backoff.failed(turn)
        raise DomainError.of(ErrorCode.INVALID_CREDENTIALS)
    await backoff.succeeded(turn)
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
