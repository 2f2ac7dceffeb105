"""The rules of the Open311 gateway: partner keys, the service list, filing a request through
the reports service, and what of a report is public.

Raises `DomainError` like every service; `routes.py` turns its code into the HTTP status and
the GeoReport error list (FORBIDDEN 403, NOT_FOUND 404, RATE_LIMITED 429, anything else 400).
"""

from __future__ import annotations

import hashlib
import math
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bson import ObjectId
from pymongo.errors import DuplicateKeyError

from neighbor_api.accounts import service as accounts
from neighbor_api.core.deps import Deps
from neighbor_api.core.errors import DomainError, ErrorCode
from neighbor_api.core.ids import parse_object_id
from neighbor_api.core.validation import Checks
from neighbor_api.open311 import repository
from neighbor_api.open311.models import REPORT_STATUSES, ApiKey, RequestStatus
from neighbor_api.open311.policy import partner_actor
from neighbor_api.places import service as places
from neighbor_api.places.models import GeoPoint, Place
from neighbor_api.reports import service as reports
from neighbor_api.reports.models import Report, ReportCategory, ReportStatus

KEY_PREFIX = "o311_"
MAX_KEY_NAME = 40
RATE_WINDOW = timedelta(minutes=1)
# GeoReport v2: a query spans at most 90 days and answers at most 1,000 requests.
MAX_SPAN = timedelta(days=90)
MAX_RESULTS = 1000
MAX_MEDIA_URL = 500

# The service group of each category (names in core/i18n.py, `open311.group.*`).
GROUPS: Mapping[ReportCategory, str] = {
    ReportCategory.REPAIR: "facilities",
    ReportCategory.PROPERTY_MANAGEMENT: "facilities",
    ReportCategory.ENVIRONMENT: "environment",
    ReportCategory.SAFETY_HAZARD: "safety",
    ReportCategory.TRAFFIC: "safety",
    ReportCategory.PUBLIC_ORDER: "safety",
    ReportCategory.NEIGHBOR_DISPUTE: "community",
    ReportCategory.OTHER: "community",
}


# --- Keys --------------------------------------------------------------------------------------


def key_hash(key: str) -> str:
    """Keys are 256 random bits, so a plain SHA-256 is enough: nobody can guess a preimage of
    one, and (unlike a salted argon2 hash, made for low-entropy passwords) it can be looked up
    by an index."""
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedKey:
    key: ApiKey
    secret: str  # shown once, never stored


async def issue_key(deps: Deps, *, name: str) -> IssuedKey:
    """A new key for the partner system `name`. Its system account (the reporter of what it
    files) is made with its first key and kept across later ones."""
    checks = Checks(prefix=())
    name = checks.text(name, "name", max_length=MAX_KEY_NAME)
    checks.done()
    earlier = await repository.latest_by_name(deps.db, name)
    if earlier is not None and earlier.revoked_at is None:
        raise DomainError.of(ErrorCode.INVALID_INPUT, "open311.key_name_taken", name=name)
    user_id = earlier.user_id if earlier else None
    if user_id is None:
        user_id = (await accounts.create_system_account(deps, display_name=name)).id
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(name=name, key_hash=key_hash(secret), user_id=user_id, created_at=deps.clock.now())
    try:
        await repository.insert(deps.db, key)
    except DuplicateKeyError:  # issued twice at once
        raise DomainError.of(ErrorCode.INVALID_INPUT, "open311.key_name_taken", name=name) from None
    return IssuedKey(key, secret)


async def revoke_key(deps: Deps, *, name: str) -> ApiKey | None:
    return await repository.revoke(deps.db, name, now=deps.clock.now())


async def list_keys(deps: Deps) -> list[ApiKey]:
    return await repository.all_keys(deps.db)


async def partner(deps: Deps, api_key: str | None) -> ApiKey:
    """The live key `api_key` names, counted against its rate limit; or FORBIDDEN /
    RATE_LIMITED. Every POST counts, whatever becomes of it."""
    if not api_key:
        raise DomainError.of(ErrorCode.FORBIDDEN, "open311.api_key_missing")
    key = await repository.live_by_hash(deps.db, key_hash(api_key))
    if key is None:
        raise DomainError.of(ErrorCode.FORBIDDEN, "open311.api_key_invalid")
    limit = deps.settings.open311_requests_per_minute
    decision = await deps.limiter.hit(f"open311:key:{key.id}", limit, RATE_WINDOW)
    if not decision.allowed:
        seconds = decision.retry_after_seconds
        raise DomainError.of(
            ErrorCode.RATE_LIMITED, "open311.rate_limited", limit=limit, seconds=seconds
        )
    return key


# --- Services ----------------------------------------------------------------------------------


def check_jurisdiction(deps: Deps, jurisdiction_id: str | None) -> None:
    """One jurisdiction is served: leaving it out is fine, another one is NOT_FOUND."""
    expected = deps.settings.open311_jurisdiction_id
    if jurisdiction_id and jurisdiction_id != expected:
        raise DomainError.of(
            ErrorCode.NOT_FOUND,
            "open311.jurisdiction_unknown",
            value=jurisdiction_id[:100],
            expected=expected,
        )


def services() -> list[ReportCategory]:
    """Each report category is a service; its code is the category's name (e.g. REPAIR)."""
    return list(ReportCategory)


def service(code: str | None) -> ReportCategory:
    """The category a service code names; a missing code is 400, an unknown one 404."""
    if not code:
        raise DomainError.of(ErrorCode.INVALID_INPUT, "open311.service_code_missing")
    try:
        return ReportCategory(code)
    except ValueError:
        raise DomainError.of(
            ErrorCode.NOT_FOUND, "open311.service_code_unknown", value=code[:100]
        ) from None


# --- Filing a request --------------------------------------------------------------------------


@dataclass(frozen=True)
class NewRequest:
    """A POST's arguments, as sent. Contact details (email, names, phone, device and account
    ids) are not among them: they are never stored or logged (see the README)."""

    service_code: str | None = None
    lat: str | None = None
    long: str | None = None
    description: str | None = None
    address_string: str | None = None
    media_url: str | None = None
    jurisdiction_id: str | None = None


def _coordinate(value: str | None, bound: float) -> float | None:
    try:
        number = float(value or "")
    except ValueError:
        return None
    return number if math.isfinite(number) and -bound <= number <= bound else None


def _point(checks: Checks, new: NewRequest) -> GeoPoint | None:
    if not new.lat or not new.long:
        checks.fail("lat", "open311.location_required")
        return None
    lat, lng = _coordinate(new.lat, 90), _coordinate(new.long, 180)
    if lat is None:
        checks.fail("lat", "open311.lat_invalid")
    if lng is None:
        checks.fail("long", "open311.long_invalid")
    return GeoPoint.at(lat=lat, lng=lng) if lat is not None and lng is not None else None


def _title(description: str) -> str:
    """Reports have a title; a GeoReport request has only its description: its first line."""
    first = description.splitlines()[0].strip()
    limit = reports.MAX_TITLE
    return first if len(first) <= limit else first[: limit - 1] + "…"


@dataclass(frozen=True)
class Filed:
    report: Report
    community: Place


async def create_request(deps: Deps, key: ApiKey, new: NewRequest) -> Filed:
    """File a report for the partner, in the community nearest the point (within
    `open311_max_distance_meters` of its centre), through the reports service."""
    check_jurisdiction(deps, new.jurisdiction_id)
    category = service(new.service_code)
    checks = Checks(prefix=())
    point = _point(checks, new)
    description = (new.description or "").strip()
    if not description:
        checks.fail("description", "open311.description_required")
    media_url = (new.media_url or "").strip()
    if media_url and (
        len(media_url) > MAX_MEDIA_URL or not media_url.startswith(("https://", "http://"))
    ):
        checks.fail("media_url", "open311.media_url_invalid", max=MAX_MEDIA_URL)
    checks.done()
    assert point is not None
    nearest = await places.nearest_community(deps, point)
    limit = deps.settings.open311_max_distance_meters
    if nearest is None or nearest[1] > limit:
        raise DomainError.of(
            ErrorCode.INVALID_INPUT, "open311.outside_communities", field=("lat",), meters=limit
        )
    community = nearest[0]
    submitted = await reports.submit_report(
        deps,
        partner_actor(key, community),
        community_id=community.id,
        category=category,
        title=_title(description),
        # The partner's photo link stays a link, on its own line (photos are uploads here).
        description=f"{description}\n{media_url}" if media_url else description,
        location=point,
        address=new.address_string,
    )
    return Filed(submitted.report, community)


# --- Reading requests --------------------------------------------------------------------------


@dataclass(frozen=True)
class Found:
    """Public reports, with the communities responsible for them."""

    reports: list[Report]
    communities: dict[ObjectId, Place] = field(default_factory=dict)


async def _with_communities(deps: Deps, found: list[Report]) -> Found:
    communities = await places.places_by_ids(deps, [r.community_id for r in found])
    return Found(found, communities)


async def get_request(deps: Deps, request_id: str) -> Found:
    """One public report by id; NOT_FOUND for any other (PRIVATE ones included)."""
    report_id = parse_object_id(request_id)
    found = await reports.public_reports(deps, ids=[report_id], limit=1) if report_id else []
    if not found:
        raise DomainError.of(
            ErrorCode.NOT_FOUND, "open311.request_not_found", value=request_id[:100]
        )
    return await _with_communities(deps, found)


def _values(raw: Sequence[str]) -> list[str]:
    """A parameter declared several times and/or comma delimited."""
    return [v.strip() for item in raw for v in item.split(",") if v.strip()]


def _datetime(checks: Checks, value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        parsed = None
    if parsed is None or parsed.utcoffset() is None:
        checks.fail(name, "open311.date_invalid", name=name)
        return None
    return parsed


@dataclass(frozen=True)
class RequestQuery:
    """GET requests' filters, as sent (each list: every value of the parameter)."""

    service_request_id: Sequence[str] = ()
    service_code: Sequence[str] = ()
    status: Sequence[str] = ()
    start_date: str | None = None
    end_date: str | None = None
    jurisdiction_id: str | None = None


def _period(deps: Deps, checks: Checks, query: RequestQuery) -> tuple[datetime, datetime]:
    """At most 90 days; the most recent 90 when neither end is given."""
    start = _datetime(checks, query.start_date, "start_date")
    end = _datetime(checks, query.end_date, "end_date")
    if start is not None and end is not None and not start < end <= start + MAX_SPAN:
        checks.fail("end_date", "open311.date_range", days=MAX_SPAN.days)
    if start is None:
        end = end or deps.clock.now()
        start = end - MAX_SPAN
    return start, end or start + MAX_SPAN


async def find_requests(deps: Deps, query: RequestQuery) -> Found:
    """Public reports, newest first, at most 1,000. `service_request_id` overrides the other
    filters (as the spec says)."""
    check_jurisdiction(deps, query.jurisdiction_id)
    checks = Checks(prefix=())
    ids = _values(query.service_request_id)
    if ids:
        if len(ids) > MAX_RESULTS:
            checks.fail("service_request_id", "open311.too_many_ids", max=MAX_RESULTS)
        parsed = [parse_object_id(i) for i in ids]
        for raw, object_id in zip(ids, parsed, strict=True):
            if object_id is None:
                checks.fail("service_request_id", "open311.request_id_invalid", value=raw[:100])
        checks.done()
        found = await reports.public_reports(
            deps, ids=[i for i in parsed if i is not None], limit=MAX_RESULTS
        )
        return await _with_communities(deps, found)
    categories = [service(c) for c in _values(query.service_code)]
    statuses: set[ReportStatus] = set()
    for value in _values(query.status):
        try:
            statuses |= REPORT_STATUSES[RequestStatus(value)]
        except ValueError:
            checks.fail("status", "open311.status_invalid")
    since, until = _period(deps, checks, query)
    checks.done()
    found = await reports.public_reports(
        deps,
        categories=categories,
        statuses=sorted(statuses),
        since=since,
        until=until,
        limit=MAX_RESULTS,
    )
    return await _with_communities(deps, found)
