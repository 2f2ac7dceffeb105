"""Registration, login, rotating refresh tokens, logout and request authentication."""

from __future__ import annotations

import asyncio
import base64
import csv
import hashlib
import hmac
import io
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bson import ObjectId
from pymongo.errors import DuplicateKeyError

from neighbor_api.accounts import repository, security
from neighbor_api.accounts.models import Consent, RefreshToken, Session, User, VerificationPurpose
from neighbor_api.accounts.phones import normalize_phone as normalize_phone

# Request authentication lives in sessions.py (the cached viewer); its names stay here too.
from neighbor_api.accounts.sessions import Authenticated as Authenticated
from neighbor_api.accounts.sessions import authenticate as authenticate
from neighbor_api.accounts.sessions import authenticate_now as authenticate_now
from neighbor_api.accounts.sessions import users as users

# Verification codes live in verification.py; other features call them through this module.
from neighbor_api.accounts.verification import CodeSent as CodeSent
from neighbor_api.accounts.verification import request_code as request_code
from neighbor_api.accounts.verification import verify_code as verify_code
from neighbor_api.core import events, rate_limit
from neighbor_api.core.deps import Deps
from neighbor_api.core.errors import DomainError, ErrorCode, Problem
from neighbor_api.core.events import EventKind
from neighbor_api.core.i18n import DEFAULT_LOCALE, Locale
from neighbor_api.core.mongo import Session as DbSession
from neighbor_api.core.mongo import in_transaction
from neighbor_api.core.policy import Actor
from neighbor_api.core.validation import Checks
from neighbor_api.memberships import service as memberships

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128
MAX_DISPLAY_NAME_LENGTH = 40


@dataclass(frozen=True)
class SignedIn:
    """What register, login and refresh hand back."""

    user: User
    access_token: str
    refresh_token: str
    session_id: ObjectId | None = None


def _check_password(checks: Checks, password: str, *, field: str = "password") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        checks.fail(field, "password.too_short", min=MIN_PASSWORD_LENGTH)
    elif len(password) > MAX_PASSWORD_LENGTH:
        checks.fail(field, "password.too_long", max=MAX_PASSWORD_LENGTH)


@dataclass(frozen=True)
class _NewAccount:
    phone: str
    password: str
    display_name: str
    locale: Locale


def _check_new_account(
    checks: Checks, *, phone: str, password: str, display_name: str, locale: str | None
) -> _NewAccount:
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
    return _NewAccount(normalized or "", password, name, chosen_locale)


async def _limit_registrations(deps: Deps, client_address: str | None) -> None:
    """Accounts created per client address are limited."""
    if client_address:
        by_address = await deps.limiter.hit(
            f"register:address:{client_address}",
            deps.settings.registrations_per_address,
            deps.settings.registration_window,
        )
        if not by_address.allowed:
            raise rate_limited(by_address, "register.rate_limited")


async def _create_account(deps: Deps, account: _NewAccount, *, policy_version: str) -> SignedIn:
    now = deps.clock.now()
    user = User(
        phone=account.phone,
        password_hash=await asyncio.to_thread(
            security.hash_password, deps.settings, account.password
        ),
        display_name=account.display_name,
        locale=account.locale,
        created_at=now,
        consents=[Consent(policy_version=policy_version, accepted_at=now)],
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


async def register(
    deps: Deps,
    *,
    phone: str,
    password: str,
    display_name: str,
    locale: str | None = None,
    client_address: str | None = None,
) -> SignedIn:
    """Create an account without a verification code, as having accepted the current privacy
    policy: the demo street, the CLI and tests. Clients register with `register_with_code`."""
    checks = Checks()
    account = _check_new_account(
        checks, phone=phone, password=password, display_name=display_name, locale=locale
    )
    checks.done()
    await _limit_registrations(deps, client_address)
    return await _create_account(deps, account, policy_version=deps.settings.privacy_policy_version)


async def register_with_code(
    deps: Deps,
    *,
    phone: str,
    password: str,
    display_name: str,
    locale: str | None,
    verification_code: str | None,
    accepted_policy_version: str | None,
    client_address: str | None = None,
) -> SignedIn:
    """The `register` mutation: a REGISTER code sent to the phone and the current privacy
    policy's version are required. The input is checked whole before the code is used;
    accounts created per client address are limited."""
    checks = Checks()
    account = _check_new_account(
        checks, phone=phone, password=password, display_name=display_name, locale=locale
    )
    current = deps.settings.privacy_policy_version
    if not (verification_code or "").strip():
        checks.fail("verificationCode", "text.required")
    if (accepted_policy_version or "").strip() != current:
        checks.fail("acceptedPolicyVersion", "policy.version_mismatch", version=current)
    checks.done()
    await _limit_registrations(deps, client_address)
    await verify_code(
        deps,
        account.phone,
        VerificationPurpose.REGISTER,
        verification_code or "",
        field=("input", "verificationCode"),
    )
    return await _create_account(deps, account, policy_version=current)


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
    are taken atomically before the check, so concurrent attempts cannot slip past them.
    The owner of the phone can always sign in with a code instead (`login_with_code`)."""
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
        if user is not None and user.deleted:  # deleted, not erased yet: as if unknown
            user = None
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


async def _issue(
    deps: Deps,
    user: User,
    session_id: ObjectId,
    *,
    refresh_token: str | None = None,
    issued_at: datetime | None = None,
) -> SignedIn:
    now = issued_at or deps.clock.now()
    refresh_token = refresh_token or security.new_refresh_token()
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
    return SignedIn(
        user=user, access_token=access_token, refresh_token=refresh_token, session_id=session_id
    )


def _session_ended() -> DomainError:
    return DomainError.of(
        ErrorCode.INVALID_CREDENTIALS, "refresh_token.invalid", field=("input", "refreshToken")
    )


def _successor(deps: Deps, refresh_token: str) -> str:
    """The refresh token that rotation gives for `refresh_token`: derived from it with the
    secret key, so a retry within the grace period gets the same one without it being stored."""
    key = deps.settings.secret_key.get_secret_value().encode()
    digest = hmac.new(key, f"refresh-successor|{refresh_token}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()


def _client(client_address: str | None) -> str | None:
    """Who used a refresh token, as stored: a hash of the client address."""
    if not client_address:
        return None
    return hashlib.sha256(f"refresh-client|{client_address}".encode()).hexdigest()[:32]


async def refresh_session(
    deps: Deps, *, refresh_token: str, client_address: str | None = None
) -> SignedIn:
    """Trade a refresh token for a new pair. A token used twice ends its whole session, except
    a retry by the same client within `NEIGHBOR_REFRESH_REUSE_GRACE` (30 s) while the pair it
    was given is still unused: that answers the same pair again (a response lost in transit)."""
    now = deps.clock.now()
    token_hash = security.refresh_token_hash(refresh_token)
    client = _client(client_address)
    used = await repository.use_refresh_token(deps.db, token_hash, now=now, used_by=client)
    if used is None:
        known = await repository.refresh_token_by_hash(deps.db, token_hash)
        if known is not None and known.used_at is not None:
            again = await _same_pair_again(deps, known, refresh_token, client=client, now=now)
            if again is not None:
                return again
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
    return await _issue(
        deps, users[0], session.id, refresh_token=_successor(deps, refresh_token), issued_at=now
    )


async def _same_pair_again(
    deps: Deps, known: RefreshToken, refresh_token: str, *, client: str | None, now: datetime
) -> SignedIn | None:
    """The pair a used token was traded for, if this is its user's retry within the grace."""
    assert known.used_at is not None
    if (
        client is None
        or known.used_by != client
        or now - known.used_at > deps.settings.refresh_reuse_grace
    ):
        return None
    successor = _successor(deps, refresh_token)
    # (Not yet stored when the retry races the first use: it is about to be.)
    given = await repository.refresh_token_by_hash(deps.db, security.refresh_token_hash(successor))
    if given is not None and given.used_at is not None:
        return None
    session = await repository.live_session(deps.db, known.session_id)
    users = await repository.users_by_ids(deps.db, [known.user_id])
    if session is None or not users:
        return None
    access_token = security.issue_access_token(
        deps.settings, user_id=known.user_id, session_id=known.session_id, now=known.used_at
    )
    return SignedIn(
        user=users[0],
        access_token=access_token,
        refresh_token=successor,
        session_id=known.session_id,
    )


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


async def request_deletion(deps: Deps, *, user_id: ObjectId, code: str) -> None:
    """Delete the account, proved by a DELETE_ACCOUNT code sent to its phone: every session
    ends at once (sockets included, through the session cache and its watcher); the erasure
    job erases the personal data within minutes. INVALID_TRANSITION when it was already
    deleted (a second, racing deleteAccount)."""
    users = await repository.users_by_ids(deps.db, [user_id])
    if not users or users[0].deleted:
        raise DomainError.of(ErrorCode.INVALID_TRANSITION, "account.already_deleted")
    await verify_code(deps, users[0].phone, VerificationPurpose.DELETE_ACCOUNT, code)
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
    await _end_sessions(deps, user_id)


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


# --- Codes, recovery, profile, consent ------------------------------------------------------


async def login_with_code(deps: Deps, *, phone: str, code: str) -> SignedIn:
    """验证码登录: a LOGIN code sent to the phone signs its account in."""
    normalized = await verify_code(deps, phone, VerificationPurpose.LOGIN, code)
    user = await repository.user_by_phone(deps.db, normalized)
    if user is None or user.deleted:  # only the phone's owner, who holds the code, learns this
        raise DomainError.of(ErrorCode.INVALID_CREDENTIALS, "account.not_found")
    return await _sign_in(deps, user)


async def _end_sessions(deps: Deps, user_id: ObjectId, *, keep: ObjectId | None = None) -> None:
    """End the user's sessions (but `keep`): their tokens stop working at once here, on other
    instances through the change stream, and their WebSockets are closed (4403)."""
    await repository.revoke_sessions_of_user(deps.db, user_id, now=deps.clock.now(), keep=keep)
    deps.sessions.forget_user(user_id)


async def reset_password(deps: Deps, *, phone: str, code: str, new_password: str) -> User:
    """A forgotten password: a RESET_PASSWORD code, a new password; every session ends."""
    checks = Checks()
    _check_password(checks, new_password, field="newPassword")
    if normalize_phone(phone) is None:
        checks.fail("phone", "phone.invalid")
    checks.done()
    normalized = await verify_code(deps, phone, VerificationPurpose.RESET_PASSWORD, code)
    password_hash = await asyncio.to_thread(security.hash_password, deps.settings, new_password)
    user = await repository.user_by_phone(deps.db, normalized)
    if user is None or user.deleted:
        raise DomainError.of(ErrorCode.INVALID_CREDENTIALS, "account.not_found")
    updated = await repository.update_user(deps.db, user.id, {"password_hash": password_hash})
    await _end_sessions(deps, user.id)
    return updated or user


async def change_password(
    deps: Deps,
    *,
    user_id: ObjectId,
    current_password: str,
    new_password: str,
) -> SignedIn:
    """Change the password knowing the current one; every session ends, this one included,
    and the caller gets a new pair (a new session) to go on with."""
    checks = Checks()
    _check_password(checks, new_password, field="newPassword")
    checks.done()
    users = await repository.users_by_ids(deps.db, [user_id])
    if not users:
        raise DomainError.of(ErrorCode.NOT_FOUND)
    user = users[0]
    ok = await asyncio.to_thread(
        security.verify_password, deps.settings, user.password_hash, current_password
    )
    if not ok:
        raise DomainError.of(
            ErrorCode.INVALID_CREDENTIALS, "password.wrong", field=("input", "currentPassword")
        )
    password_hash = await asyncio.to_thread(security.hash_password, deps.settings, new_password)
    user = await repository.update_user(deps.db, user.id, {"password_hash": password_hash}) or user
    signed_in = await _sign_in(deps, user)
    await _end_sessions(deps, user.id, keep=signed_in.session_id)
    return signed_in


async def change_phone(deps: Deps, *, user_id: ObjectId, new_phone: str, code: str) -> User:
    """Move the account to a new number, proved by a CHANGE_PHONE code sent to it; the old
    number is free to register again."""
    normalized = normalize_phone(new_phone)
    users = await repository.users_by_ids(deps.db, [user_id])
    if not users:
        raise DomainError.of(ErrorCode.NOT_FOUND)
    if normalized is not None and normalized == users[0].phone:
        raise DomainError.of(ErrorCode.INVALID_INPUT, "phone.same", field=("input", "newPhone"))
    normalized = await verify_code(
        deps, new_phone, VerificationPurpose.CHANGE_PHONE, code, phone_field=("input", "newPhone")
    )
    try:
        user = await repository.update_user(deps.db, user_id, {"phone": normalized})
    except DuplicateKeyError:
        raise DomainError.of(ErrorCode.PHONE_TAKEN, field=("input", "newPhone")) from None
    deps.sessions.forget_user(user_id)
    if user is None:
        raise DomainError.of(ErrorCode.NOT_FOUND)
    return user


async def update_profile(
    deps: Deps,
    *,
    user_id: ObjectId,
    display_name: str | None = None,
    locale: str | None = None,
    show_on_leaderboard: bool | None = None,
) -> User:
    """Change the name shown to others, the language, or leaderboard visibility (absent:
    unchanged)."""
    checks = Checks()
    fields: dict[str, object] = {}
    if display_name is not None:
        fields["display_name"] = checks.text(
            display_name, "displayName", max_length=MAX_DISPLAY_NAME_LENGTH
        )
    if locale is not None:
        try:
            fields["locale"] = Locale(locale).value
        except ValueError:
            checks.fail("locale", "INVALID_INPUT")
    if show_on_leaderboard is not None:
        fields["show_on_leaderboard"] = show_on_leaderboard
    checks.done()
    if fields:
        user = await repository.update_user(deps.db, user_id, fields)
        deps.sessions.forget_user(user_id)
    else:
        found = await repository.users_by_ids(deps.db, [user_id])
        user = found[0] if found else None
    if user is None:
        raise DomainError.of(ErrorCode.NOT_FOUND)
    return user


async def accept_policy(deps: Deps, *, user_id: ObjectId, version: str) -> User:
    """Record that the user accepted the current privacy policy (its version and the time)."""
    current = deps.settings.privacy_policy_version
    if (version or "").strip() != current:
        raise DomainError.of(
            ErrorCode.INVALID_INPUT,
            "policy.version_mismatch",
            field=("input", "version"),
            version=current,
        )
    user = await repository.add_consent(
        deps.db, user_id, Consent(policy_version=current, accepted_at=deps.clock.now())
    )
    deps.sessions.forget_user(user_id)
    if user is None:
        raise DomainError.of(ErrorCode.NOT_FOUND)
    return user


def must_accept_policy(deps: Deps, user: User) -> bool:
    """True while the user has not accepted the current privacy policy."""
    return not user.accepted(deps.settings.privacy_policy_version)


# --- The owners' register (业主名册), read from a CSV upload -------------------------------

REGISTER_MAX_BYTES = 1024 * 1024
REGISTER_MAX_ROWS = 5000
REGISTER_MAX_AREA = 100_000.0
# Column names, in English or Chinese.
REGISTER_COLUMNS = {
    "household_code": "household_code",
    "户号": "household_code",
    "phone": "phone",
    "手机号": "phone",
    "floor_area": "floor_area",
    "面积": "floor_area",
}


@dataclass(frozen=True)
class RegisterImport:
    rows: int
    imported: int
    dry_run: bool


class _Readable(Protocol):
    async def read(self, size: int = -1, /) -> bytes: ...


async def _read_register(data: _Readable | bytes) -> str:
    if isinstance(data, bytes):
        raw = data
    else:
        raw = await data.read(REGISTER_MAX_BYTES + 1)
    if len(raw) > REGISTER_MAX_BYTES:
        raise DomainError.of(
            ErrorCode.FILE_TOO_LARGE, field=("input", "file"), max_mb=REGISTER_MAX_BYTES // 2**20
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DomainError.of(
            ErrorCode.INVALID_INPUT, "register.not_utf8", field=("input", "file")
        ) from None


async def import_owners_register(
    deps: Deps,
    actor: Actor,
    *,
    community_id: ObjectId,
    data: _Readable | bytes,
    dry_run: bool,
) -> RegisterImport:
    """Read an owners' register (CSV, UTF-8, a header row naming household_code, phone and
    floor_area — or 户号, 手机号, 面积 —, at most 1 MB and 5,000 rows) and apply it to the
    community's members (`memberships.apply_owners_register`): all or nothing, every bad row
    reported (INVALID_INPUT at ["input", "file", <line>, <column>]): a malformed phone or one
    no member of the community has, an empty or over-long household code, an area that is not
    a positive number, a household or phone listed twice."""
    text = await _read_register(data)
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader, None)
        columns = [REGISTER_COLUMNS.get((c or "").strip().lower()) for c in header or []]
        if not header or {"household_code", "phone", "floor_area"} - set(filter(None, columns)):
            raise DomainError.of(
                ErrorCode.INVALID_INPUT, "register.header", field=("input", "file")
            )
        parsed: list[tuple[int, dict[str, str]]] = []
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            if len(parsed) >= REGISTER_MAX_ROWS:
                raise DomainError.of(
                    ErrorCode.INVALID_INPUT,
                    "register.too_many_rows",
                    field=("input", "file"),
                    max=REGISTER_MAX_ROWS,
                )
            values = {
                name: cell.strip() for name, cell in zip(columns, cells, strict=False) if name
            }
            parsed.append((reader.line_num, values))
    except csv.Error:
        raise DomainError.of(
            ErrorCode.INVALID_INPUT, "register.not_csv", field=("input", "file")
        ) from None
    if not parsed:
        raise DomainError.of(ErrorCode.INVALID_INPUT, "register.empty", field=("input", "file"))
    problems: list[Problem] = []
    rows: list[tuple[int, str, str, float]] = []
    households: dict[str, int] = {}
    phones: dict[str, int] = {}
    for line, values in parsed:
        bad = len(problems)
        code = values.get("household_code", "")
        if not code or len(code) > 40:
            problems.append(memberships.row_problem(line, "household_code", "register.household"))
        elif code in households:
            problems.append(
                memberships.row_problem(
                    line, "household_code", "register.duplicate_household", first=households[code]
                )
            )
        else:
            households[code] = line
        phone = normalize_phone(values.get("phone"))
        if phone is None:
            problems.append(memberships.row_problem(line, "phone", "phone.invalid"))
        elif phone in phones:
            problems.append(
                memberships.row_problem(
                    line, "phone", "register.duplicate_phone", first=phones[phone]
                )
            )
        else:
            phones[phone] = line
        try:
            area = float(values.get("floor_area", ""))
        except ValueError:
            area = math.nan
        if not math.isfinite(area) or area <= 0 or area > REGISTER_MAX_AREA:
            problems.append(
                memberships.row_problem(
                    line, "floor_area", "register.floor_area", max=REGISTER_MAX_AREA
                )
            )
        if len(problems) == bad and phone is not None:
            rows.append((line, code, phone, round(area, 2)))
    users = await repository.users_by_phones(deps.db, [phone for _, _, phone, _ in rows])
    by_phone = {u.phone: u.id for u in users if not u.deleted}
    imported = await memberships.apply_owners_register(
        deps,
        actor,
        community_id=community_id,
        rows=[
            memberships.OwnerRow(
                line=line, household_code=code, user_id=by_phone.get(phone), floor_area=area
            )
            for line, code, phone, area in rows
        ],
        problems=problems,
        dry_run=dry_run,
    )
    return RegisterImport(rows=len(parsed), imported=imported, dry_run=dry_run)
