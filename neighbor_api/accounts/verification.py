"""Verification codes sent by SMS: the ONE module that issues and checks them.

- `request_code`: 6 digits from `secrets`, stored only as an HMAC (keyed by the secret key, so
  a copy of the database does not give the codes away), valid `NEIGHBOR_CODE_TTL` (5 min), one
  code per (phone, purpose): a new one replaces the earlier. Limits, all counted atomically in
  the database (`verification_code_limits`): one request per phone per
  `NEIGHBOR_CODE_RESEND_SECONDS` (60 s, a gate taken by one conditional update), at most
  `NEIGHBOR_CODE_LIMIT_PER_PHONE_PER_DAY` (10, a calendar day in Asia/Shanghai) per phone and
  `NEIGHBOR_CODE_LIMIT_PER_ADDRESS` (30) per client address per hour — RATE_LIMITED with the
  wait. The answer is the same whether or not the phone has an account (a code is sent either
  way, so neither the answer nor its timing tells), which only the phone's owner can use.
  When the sender fails, the code is removed (nothing usable is left) and the resend gate
  reopened: CODE_NOT_SENT.
- `verify_code(deps, phone, purpose, code)`: consumes the code. Each try first spends one of
  `NEIGHBOR_CODE_MAX_ATTEMPTS` (5) atomically, then compares; a match records the code's use
  (a unique insert: of concurrent correct tries one wins) and removes the code. Wrong,
  expired, used, exhausted, another purpose's or another phone's code: INVALID_CODE. The phone
  is normalised to E.164 first, so 13800000001 and +86 138 0000 0001 are the same phone.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from neighbor_api.accounts import repository
from neighbor_api.accounts.models import VerificationPurpose
from neighbor_api.accounts.phones import normalize_phone
from neighbor_api.core import sms
from neighbor_api.core.deps import Deps
from neighbor_api.core.errors import DomainError, ErrorCode
from neighbor_api.core.validation import Checks

CODE_DIGITS = 6
_CODE = re.compile(r"^\d{6}$")
# The per-phone daily limit counts calendar days where the users live.
LOCAL_TIME = ZoneInfo("Asia/Shanghai")
ADDRESS_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class CodeSent:
    expires_at: datetime
    resend_after_seconds: int


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def code_hash(deps: Deps, *, phone: str, purpose: VerificationPurpose, code: str) -> str:
    key = deps.settings.secret_key.get_secret_value().encode()
    message = f"verification-code|{purpose.value}|{phone}|{code}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _rate_limited(now: datetime, until: datetime) -> DomainError:
    seconds = max(1, math.ceil((until - now).total_seconds()))
    return DomainError.of(
        ErrorCode.RATE_LIMITED, "code.rate_limited", seconds=seconds, retry_after=seconds
    )


def _day_window(now: datetime) -> tuple[str, datetime]:
    local = now.astimezone(LOCAL_TIME)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return start.date().isoformat(), (start + timedelta(days=1)).astimezone(now.tzinfo)


def _hour_window(now: datetime) -> tuple[str, datetime]:
    seconds = int(ADDRESS_WINDOW.total_seconds())
    start = int(now.timestamp()) // seconds * seconds
    return str(start), datetime.fromtimestamp(start + seconds, tz=now.tzinfo)


def _phone_or_fail(checks: Checks, phone: str | None, field: str = "phone") -> str:
    normalized = normalize_phone(phone)
    if normalized is None:
        checks.fail(field, "phone.invalid")
    return normalized or ""


async def request_code(
    deps: Deps,
    *,
    phone: str,
    purpose: VerificationPurpose,
    client_address: str | None,
    locale: str = "zh-CN",
) -> CodeSent:
    """Issue a code for `purpose` to `phone` and send it (see the module's description)."""
    checks = Checks()
    normalized = _phone_or_fail(checks, phone)
    checks.done()
    settings = deps.settings
    now = deps.clock.now()

    # One request per phone per resend interval (whatever the purpose).
    gate = f"resend:{normalized}"
    gate_until = now + timedelta(seconds=settings.code_resend_seconds)
    if settings.code_resend_seconds > 0:
        opens_at = await repository.pass_gate(deps.db, gate, now=now, until=gate_until)
        if opens_at is not None:
            raise _rate_limited(now, opens_at)
    day, day_end = _day_window(now)
    sent_today = await repository.count_request(
        deps.db, f"day:{normalized}:{day}", expires_at=day_end
    )
    if sent_today > settings.code_limit_per_phone_per_day:
        raise _rate_limited(now, day_end)
    if client_address:
        hour, hour_end = _hour_window(now)
        from_address = await repository.count_request(
            deps.db, f"address:{client_address}:{hour}", expires_at=hour_end
        )
        if from_address > settings.code_limit_per_address:
            raise _rate_limited(now, hour_end)

    code = new_code()
    hashed = code_hash(deps, phone=normalized, purpose=purpose, code=code)
    expires_at = now + settings.code_ttl
    await repository.store_code(
        deps.db,
        purpose=purpose.value,
        phone=normalized,
        code_hash=hashed,
        created_at=now,
        expires_at=expires_at,
    )
    try:
        await sms.sender(settings).send(
            sms.CodeMessage(phone=normalized, code=code, purpose=purpose.value, locale=locale)
        )
    except sms.SmsNotSent as error:
        await repository.delete_code(
            deps.db, purpose=purpose.value, phone=normalized, code_hash=hashed
        )
        await repository.release_gate(deps.db, gate, until=gate_until)
        sms.log.warning("verification code not sent (%s): %s", purpose.value, error)
        raise DomainError.of(ErrorCode.CODE_NOT_SENT) from None
    return CodeSent(expires_at=expires_at, resend_after_seconds=settings.code_resend_seconds)


def _invalid(field: tuple[str, ...], message: str | None = None) -> DomainError:
    return DomainError.of(ErrorCode.INVALID_CODE, message, field=field)


async def verify_code(
    deps: Deps,
    phone: str,
    purpose: VerificationPurpose,
    code: str,
    *,
    field: tuple[str, ...] = ("input", "code"),
    phone_field: tuple[str, ...] = ("input", "phone"),
) -> str:
    """Consume the phone's code for `purpose`; the phone in E.164. INVALID_INPUT for a phone
    that is not a mainland mobile number, INVALID_CODE for a code that does not verify
    (`field` and `phone_field` name the input fields)."""
    normalized = normalize_phone(phone)
    if normalized is None:
        raise DomainError.of(ErrorCode.INVALID_INPUT, "phone.invalid", field=phone_field)
    if not _CODE.match((code or "").strip()):
        raise _invalid(field, "code.format")
    hashed = code_hash(deps, phone=normalized, purpose=purpose, code=code.strip())
    max_attempts = deps.settings.code_max_attempts
    stored = await repository.try_code(
        deps.db,
        purpose=purpose.value,
        phone=normalized,
        now=deps.clock.now(),
        max_attempts=max_attempts,
    )
    if stored is None:
        raise _invalid(field)
    if not hmac.compare_digest(str(stored["code_hash"]), hashed):
        if int(stored["attempts"]) >= max_attempts:
            raise _invalid(field, "code.too_many_attempts")
        raise _invalid(field)
    if not await repository.claim_code(
        deps.db, code_hash=hashed, created_at=stored["created_at"], expires_at=stored["expires_at"]
    ):
        raise _invalid(field)  # a concurrent try used it first
    # Used: gone, and the phone it was kept under with it.
    await repository.delete_code(deps.db, purpose=purpose.value, phone=normalized, code_hash=hashed)
    return normalized
