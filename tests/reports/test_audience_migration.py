"""Step 3 (`m0003_report_audience`) gives reports written before it their `audience`, the same
keys the model computes, and running it again changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime

from bson import ObjectId

from neighbor_api.core.deps import Deps
from neighbor_api.migrations import m0003_report_audience
from neighbor_api.places.models import GeoPoint
from neighbor_api.reports.models import Report, ReportCategory, ReportVisibility

AT = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def _old(visibility: ReportVisibility, **fields: ObjectId) -> dict[str, object]:
    """A report as the releases before step 3 stored it: no `audience`."""
    path = [ObjectId() for _ in range(4)]
    report = Report(
        number="JA-2026-000001", community_id=path[-1], place_path=path,
        reporter_id=ObjectId(), category=ReportCategory.REPAIR, title="楼道灯不亮",
        description="5 栋 3 楼楼道灯坏了", location=GeoPoint.at(lat=24.5, lng=118.18),
        visibility=visibility, created_at=AT, updated_at=AT, **fields,
    )  # fmt: skip
    document = report.to_document()
    del document["audience"]
    return document


async def test_old_reports_get_the_audience_the_model_computes(deps: Deps) -> None:
    worker = ObjectId()
    old = [
        _old(ReportVisibility.COMMUNITY),
        _old(ReportVisibility.PRIVATE, assignee_id=ObjectId(), entered_by_id=worker),
        _old(ReportVisibility.PRIVATE),
    ]
    await deps.db["reports"].insert_many(old)

    await m0003_report_audience.apply(deps.db)

    stored = {d["_id"]: d async for d in deps.db["reports"].find()}
    for document in old:
        expected = Report.from_document(document).audience
        assert stored[document["_id"]]["audience"] == expected
    private = stored[old[1]["_id"]]["audience"]
    assert f"user:{worker}" in private
    assert not any(key.startswith("member:") for key in private)


async def test_running_it_again_changes_nothing(deps: Deps) -> None:
    await deps.db["reports"].insert_many([_old(ReportVisibility.COMMUNITY)])
    await m0003_report_audience.apply(deps.db)
    before = await deps.db["reports"].find().to_list()

    await m0003_report_audience.apply(deps.db)

    assert await deps.db["reports"].find().to_list() == before
