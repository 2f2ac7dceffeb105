"""Open311 partner keys, and the vocabulary of the GeoReport v2 gateway."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from bson import ObjectId

from neighbor_api.core.models import StoredModel
from neighbor_api.reports.models import OPEN_STATUSES, ReportStatus


class ApiKey(StoredModel):
    """One partner system's key. Only the key's SHA-256 is stored; the key is shown once."""

    name: str
    key_hash: str
    # The partner's system account: the reporter of what it files, named on the timeline.
    user_id: ObjectId
    created_at: datetime
    revoked_at: datetime | None = None


class RequestStatus(StrEnum):
    """GeoReport v2's two statuses."""

    OPEN = "open"
    CLOSED = "closed"


def request_status(status: ReportStatus) -> RequestStatus:
    """Open while work is owed (submitted, accepted, assigned, in progress); resolved, closed
    and rejected reports are closed."""
    return RequestStatus.OPEN if status in OPEN_STATUSES else RequestStatus.CLOSED


REPORT_STATUSES: dict[RequestStatus, frozenset[ReportStatus]] = {
    RequestStatus.OPEN: OPEN_STATUSES,
    RequestStatus.CLOSED: frozenset(ReportStatus) - OPEN_STATUSES,
}
