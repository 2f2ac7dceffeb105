"""GeoReport v2 documents: services and service requests as the spec names their fields, in
the request's language. Only what `reports.service.public_filter` allows reaches these, and they
never name a reporter."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from neighbor_api.core.i18n import Locale, translate
from neighbor_api.open311.models import request_status
from neighbor_api.open311.service import GROUPS, Filed, Found
from neighbor_api.places.models import Place
from neighbor_api.reports.models import Report, ReportCategory, ReportStatus
from neighbor_api.reports.service import LOCAL_TIME

Doc = dict[str, Any]


def _time(value: datetime | None) -> str | None:
    """W3C datetime, in Xiamen's time with its offset (e.g. 2026-11-27T17:00:00+08:00)."""
    return value.astimezone(LOCAL_TIME).isoformat(timespec="seconds") if value else None


# When the gateway's interface last changed (Service Discovery's `changeset`).
CHANGESET = "2026-12-01T00:00:00Z"
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"


def discovery(url: str, *, production: bool, locale: Locale) -> Doc:
    """Open311 Service Discovery: where the endpoint is and what it speaks."""
    return {
        "changeset": CHANGESET,
        "contact": translate("open311.contact", locale),
        "key_service": translate("open311.key_service", locale),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": url,
                "changeset": CHANGESET,
                "type": "production" if production else "test",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }


def service(category: ReportCategory, locale: Locale) -> Doc:
    key = f"report.category.{category.value}"
    return {
        "service_code": category.value,
        "service_name": translate(key, locale),
        "description": translate(f"{key}.description", locale),
        "metadata": False,  # no category has questions (attributes) yet
        "type": "realtime",
        "keywords": translate(f"{key}.keywords", locale),
        "group": translate(f"open311.group.{GROUPS[category]}", locale),
    }


def service_definition(category: ReportCategory) -> Doc:
    return {"service_code": category.value, "attributes": []}


def _notice(report: Report, community: Place | None, locale: Locale) -> str:
    agency = community.name if community else ""
    return translate("open311.notice", locale, {"agency": agency, "number": report.number})


def created(filed: Filed, locale: Locale) -> Doc:
    return {
        "service_request_id": str(filed.report.id),
        "service_notice": _notice(filed.report, filed.community, locale),
        "account_id": None,
    }


# The note staff wrote when the report reached its status (shown with the status's name).
_NOTES = {
    ReportStatus.REJECTED: lambda r: r.rejection_reason,
    ReportStatus.RESOLVED: lambda r: r.resolution_note,
    ReportStatus.CLOSED: lambda r: r.resolution_note,
    ReportStatus.WITHDRAWN: lambda r: r.withdrawal_reason,
}


def _status_notes(report: Report, locale: Locale) -> str:
    label = translate(f"report.status.{report.status.value}", locale)
    note = _NOTES[report.status](report) if report.status in _NOTES else None
    if not note:
        return label
    return translate("open311.status_notes", locale, {"status": label, "note": note})


def request(report: Report, community: Place | None, locale: Locale) -> Doc:
    return {
        "service_request_id": str(report.id),
        "status": request_status(report.status).value,
        "status_notes": _status_notes(report, locale),
        "service_name": translate(f"report.category.{report.category.value}", locale),
        "service_code": report.category.value,
        "description": report.description,
        "agency_responsible": community.name if community else None,
        "service_notice": _notice(report, community, locale),
        "requested_datetime": _time(report.created_at),
        "updated_datetime": _time(report.updated_at),
        "expected_datetime": _time(report.due_at),
        "address": report.address,
        "lat": report.location.lat,
        "long": report.location.lng,
    }


def requests(found: Found, locale: Locale) -> list[Doc]:
    return [request(r, found.communities.get(r.community_id), locale) for r in found.reports]
