"""A report carries `live_cell` (its fine map cell) exactly while it is open: set on submission,
kept through acceptance, assignment and work, unset when resolved, rejected, withdrawn, marked
a duplicate or closed, set again when a low rating reopens it. The possible duplicates of a new
report (and similar reports) are read by it, so they never include a closed report. Step 12
(`m0012_report_live_cells`) gives the reports stored before it their fine and live cells."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bson import ObjectId

from neighbor_api.core.deps import Deps
from neighbor_api.migrations import m0012_report_live_cells
from neighbor_api.places.models import GeoPoint
from neighbor_api.reports.models import Report, ReportCategory, ReportStatus, ReportVisibility
from neighbor_api.reports.repository import REPORTS
from tests.conftest import Api
from tests.reports.support import (
    JINAN_GRID_WORKER,
    JINAN_NEIGHBOUR,
    JINAN_RESIDENT,
    JINAN_WORKER,
    REPORT,
    Street,
    object_id,
)

AT = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


async def _stored(street: Street, report_id: str) -> dict[str, Any]:
    document = await street.deps.db[REPORTS].find_one({"_id": object_id(report_id)})
    assert document is not None
    return document


async def _live(street: Street, report_id: str) -> int | None:
    document = await _stored(street, report_id)
    assert "fine_cell" in document
    live: int | None = document.get("live_cell")
    if live is not None:
        assert live == document["fine_cell"]
    return live


async def test_it_follows_the_status_through_the_workflow(api: Api, demo: Deps) -> None:
    street = await Street.open(api, demo)
    report_id = await street.submit()
    cell = (await _stored(street, report_id))["fine_cell"]
    assert await _live(street, report_id) == cell

    await street.ok("accept", report_id, JINAN_WORKER, priority="HIGH")
    assigned = await street.user_id(JINAN_GRID_WORKER)
    await street.ok("assign", report_id, JINAN_WORKER, assigneeId=assigned)
    await street.ok("start", report_id, JINAN_GRID_WORKER)
    assert await _live(street, report_id) == cell

    await street.ok("resolve", report_id, JINAN_GRID_WORKER)
    assert await _live(street, report_id) is None

    # A low rating reopens it (ASSIGNED): open again, live again.
    await street.ok("rate", report_id, JINAN_RESIDENT, rating=1)
    assert await _live(street, report_id) == cell

    await street.ok("start", report_id, JINAN_GRID_WORKER)
    await street.ok("resolve", report_id, JINAN_GRID_WORKER)
    await street.ok("rate", report_id, JINAN_RESIDENT, rating=5)
    assert (await street.state(report_id))["status"] == "CLOSED"
    assert await _live(street, report_id) is None


async def test_every_other_end_unsets_it(api: Api, demo: Deps) -> None:
    street = await Street.open(api, demo)
    rejected = await street.reach("REJECTED")
    withdrawn = await street.submit()
    await street.ok("withdraw", withdrawn, JINAN_RESIDENT)
    duplicate = await street.submit()
    await street.ok("mark_duplicate", duplicate, JINAN_WORKER)

    for report_id in (rejected, withdrawn, duplicate):
        assert await _live(street, report_id) is None, report_id


async def test_the_duplicate_check_ignores_closed_reports(api: Api, demo: Deps) -> None:
    street = await Street.open(api, demo)
    point = {"lat": 24.50755, "lng": 118.18345}  # 金山路, beside 金安里 6 栋
    closed = await street.reach("CLOSED", location=point)
    resolved = await street.reach("RESOLVED", location=point)
    still_open = await street.reach("IN_PROGRESS", location=point)

    data = await street.api.data(
        "SubmitReport",
        {"input": {"communityId": street.places["金安社区"], **REPORT, "location": point}},
        token=await street.token(JINAN_NEIGHBOUR),
    )

    payload = data["submitReport"]
    assert payload["errors"] == []
    duplicates = {d["id"]: d["status"] for d in payload["possibleDuplicates"]}
    assert still_open in duplicates
    assert closed not in duplicates
    assert resolved not in duplicates
    assert set(duplicates.values()) <= {"SUBMITTED", "ACCEPTED", "ASSIGNED", "IN_PROGRESS"}


def _old(lat: float, lng: float, status: ReportStatus, *, stale: bool = False) -> dict[str, Any]:
    """A report as the releases before step 12 stored it: no fine cell, no live cell (or,
    `stale`, a live cell it should not have)."""
    path = [ObjectId() for _ in range(4)]
    report = Report(
        number="JA-2026-000001", community_id=path[-1], place_path=path,
        reporter_id=ObjectId(), category=ReportCategory.REPAIR, title="楼道灯不亮",
        description="5 栋 3 楼楼道灯坏了", location=GeoPoint.at(lat=lat, lng=lng),
        visibility=ReportVisibility.COMMUNITY, status=status, created_at=AT, updated_at=AT,
    )  # fmt: skip
    document = report.to_document()
    document.pop("fine_cell")
    document.pop("live_cell", None)
    if stale:
        document["live_cell"] = report.fine_cell
    return document


async def test_the_step_gives_old_reports_their_cells_and_again_changes_nothing(
    deps: Deps,
) -> None:
    old = [
        _old(24.4866, 118.1789, ReportStatus.SUBMITTED),
        _old(24.5141, 118.1432, ReportStatus.IN_PROGRESS),
        _old(24.5083, 118.1846, ReportStatus.CLOSED, stale=True),
        _old(24.4781, 118.0894, ReportStatus.RESOLVED),
    ]
    await deps.db[REPORTS].insert_many(old)

    await m0012_report_live_cells.apply(deps.db)

    stored = {d["_id"]: d async for d in deps.db[REPORTS].find()}
    for document in old:
        model = Report.from_document(document)
        assert stored[document["_id"]]["fine_cell"] == model.fine_cell
        assert stored[document["_id"]].get("live_cell") == model.live_cell
    assert [stored[d["_id"]].get("live_cell") is not None for d in old] == [
        True, True, False, False
    ]  # fmt: skip
    before = await deps.db[REPORTS].find().to_list()

    await m0012_report_live_cells.apply(deps.db)

    assert await deps.db[REPORTS].find().to_list() == before
