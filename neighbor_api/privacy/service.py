"""Personal data: the access log of full phone numbers, account deletion (注销) and its
erasure job, and the export of everything stored about the viewer (PIPL art. 45, 47).

What is erased, and what stays without the person:
- erased: the name, phone number and password hash (accounts), every session and refresh
  token, the memberships' address, household code and floor area (open ones end), the feed of
  notifications;
- kept, naming only an account id that no longer leads to anyone: reports and comments (the
  reporter shown as 已注销用户 / "Deleted user"), the roll of who voted (so cast votes keep
  counting; a secret ballot's choice was never stored with the voter), the points ledger, the
  events and this log.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from bson import ObjectId, json_util

from neighbor_api.accounts import service as accounts
from neighbor_api.core.deps import Deps
from neighbor_api.core.pagination import Page
from neighbor_api.core.policy import Actor, Need, can_read_access_log
from neighbor_api.memberships import service as memberships
from neighbor_api.notifications import service as notifications
from neighbor_api.places import service as places
from neighbor_api.privacy import repository
from neighbor_api.privacy.models import PhoneReveal
from neighbor_api.settings import Settings

# --- The access log ---------------------------------------------------------------------------


async def log_phone_reveals(deps: Deps, reveals: Sequence[tuple[ObjectId, ObjectId, Need]]) -> None:
    """Write one entry per full phone number shown (viewer, whose, why), in one insert."""
    now = deps.clock.now()
    await repository.insert_reveals(
        deps.db,
        [
            PhoneReveal(
                viewer_id=viewer_id,
                subject_id=subject_id,
                reason=need.why,
                object_id=need.object_id,
                community_id=need.community_id,
                place_path=list(need.place_path),
                at=now,
            )
            for viewer_id, subject_id, need in reveals
        ],
    )


async def access_log(
    deps: Deps, actor: Actor, *, place_id: ObjectId, first: int | None, after: str | None
) -> Page[PhoneReveal] | None:
    """The reveals made in a place and under it, newest first: for its ADMINs and those above
    (None for anyone else, and for an unknown place)."""
    place = await places.get_place(deps, place_id)
    if place is None or not can_read_access_log(actor, place.path):
        return None
    return await repository.reveals_under(deps.db, place.id, first=first, after=after)


# --- Deletion and erasure ---------------------------------------------------------------------

# How long one instance holds an account's erasure before another may take it over.
ERASURE_LEASE = timedelta(minutes=5)
ERASURE_BATCH = 50


async def delete_account(deps: Deps, actor: Actor, *, code: str) -> None:
    """With a DELETE_ACCOUNT code: end every session of the viewer at once and queue the
    erasure (the erasure job runs every minute)."""
    await accounts.request_deletion(deps, user_id=actor.user_id, code=code)


async def erase_deleted_accounts(deps: Deps) -> int:
    """The erasure job: every deleted account not erased yet, erased. Safe on several
    instances: each account is claimed by a conditional write (a lease; a holder that died
    lets it expire) and every step is idempotent; the account's own step goes last, so an
    interrupted erasure is taken up again. How many accounts this call erased."""
    erased = 0
    for user_id in await accounts.due_for_erasure(deps, limit=ERASURE_BATCH):
        if not await accounts.claim_erasure(deps, user_id, lease=ERASURE_LEASE):
            continue
        await memberships.erase_member_data(deps, user_id)
        await notifications.erase_feed(deps, user_id)
        await accounts.erase_account(deps, user_id)
        erased += 1
    return erased


# --- The export -------------------------------------------------------------------------------

# A link to the export lives this long; the document is built when it is fetched (no copy
# of anyone's data is kept anywhere).
EXPORT_LINK_TTL = timedelta(minutes=5)
EXPORT_PATH = "/personal-data/export"
EXPORT_FORMAT = "neighbor-api-personal-data"


@dataclass(frozen=True)
class ExportLink:
    url: str
    expires_at: datetime


def _export_signature(settings: Settings, user_id: str, expires: str) -> str:
    key = settings.secret_key.get_secret_value().encode()
    # The prefix keeps these signatures apart from anything else signed with the same key.
    message = f"personal-data-export:{user_id}:{expires}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


async def export_link(deps: Deps, actor: Actor) -> ExportLink:
    """A signed link, valid EXPORT_LINK_TTL, to one JSON document of everything stored about
    the viewer (the link is the permission, as a download link is; it is given only to the
    viewer, over their authenticated request)."""
    expires_at = deps.clock.now() + EXPORT_LINK_TTL
    expires = str(int(expires_at.timestamp()))
    user = str(actor.user_id)
    signature = _export_signature(deps.settings, user, expires)
    url = f"{EXPORT_PATH}?user={user}&expires={expires}&signature={signature}"
    return ExportLink(url=url, expires_at=datetime.fromtimestamp(int(expires), expires_at.tzinfo))


class LinkCheck(StrEnum):
    VALID = "VALID"
    MALFORMED = "MALFORMED"  # missing or not of the link's shape: 400
    TAMPERED = "TAMPERED"  # the signature does not match: 403
    EXPIRED = "EXPIRED"  # signed by us, past its time: 410


def check_export_link(
    settings: Settings,
    *,
    user: str | None,
    expires: str | None,
    signature: str | None,
    now: datetime,
) -> tuple[LinkCheck, ObjectId | None]:
    if (
        not user
        or not ObjectId.is_valid(user)
        or not expires
        or not expires.isdigit()
        or len(expires) > 12
        or not signature
    ):
        return LinkCheck.MALFORMED, None
    expected = _export_signature(settings, user, expires)
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        return LinkCheck.TAMPERED, None
    if now.timestamp() >= int(expires):
        return LinkCheck.EXPIRED, None
    return LinkCheck.VALID, ObjectId(user)


async def export_document(deps: Deps, user_id: ObjectId) -> bytes | None:
    """Everything stored about the person, as one JSON document (UTF-8; ids as strings,
    times in ISO 8601), or None if the account no longer exists or was deleted."""
    user = await repository.user_document(deps.db, user_id)
    if user is None or user.get("deletion_requested_at") is not None:
        return None
    document: dict[str, Any] = {
        "format": EXPORT_FORMAT,
        "version": 1,
        "exportedAt": deps.clock.now(),
        "account": user,
        **await repository.export_sections(deps.db, user_id),
    }
    options = json_util.JSONOptions(json_mode=json_util.JSONMode.RELAXED, tz_aware=True)
    plain = json.loads(json_util.dumps(document, json_options=options))
    return json.dumps(_simplify(plain), ensure_ascii=False, indent=2).encode()


def _simplify(value: Any) -> Any:
    """Extended JSON's {"$oid": …} and {"$date": …} as plain strings."""
    if isinstance(value, dict):
        if set(value) == {"$oid"} or set(value) == {"$date"}:
            inner = next(iter(value.values()))
            return inner if isinstance(inner, str) else _simplify(inner)
        return {k: _simplify(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_simplify(v) for v in value]
    return value
