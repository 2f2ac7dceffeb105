"""Step 9: reports stored with a grid (assigned to a grid worker) gain the grid's audience
key, once; reports without a grid are left as they are."""

from __future__ import annotations

from datetime import UTC, datetime

from bson import ObjectId

from neighbor_api.core.deps import Deps
from neighbor_api.migrations import m0009_report_grid_audience
from neighbor_api.places.models import GeoPoint
from neighbor_api.reports.models import Report, ReportCategory, ReportVisibility

AT = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def _stored(grid_id: ObjectId | None) -> dict[str, object]:
    path = [ObjectId() for _ in range(4)]
    report = Report(
        number="JA-2026-000001", community_id=path[-1], place_path=path, grid_id=grid_id,
        reporter_id=ObjectId(), category=ReportCategory.REPAIR, title="楼道灯不亮",
        description="5 栋 3 楼楼道灯坏了", location=GeoPoint.at(lat=24.5086, lng=118.1849),
        visibility=ReportVisibility.PRIVATE, created_at=AT, updated_at=AT,
    )  # fmt: skip
    document = report.to_document()
    document["audience"] = [k for k in document["audience"] if not k.startswith("grid:")]
    return document


async def test_the_grid_key_is_added_once(deps: Deps) -> None:
    grid = ObjectId()
    with_grid, without = _stored(grid), _stored(None)
    await deps.db["reports"].insert_many([with_grid, without])
    for _ in range(2):
        await m0009_report_grid_audience.apply(deps.db)
    found = {d["_id"]: d async for d in deps.db["reports"].find()}
    audience = found[with_grid["_id"]]["audience"]
    assert audience.count(f"grid:{grid}") == 1
    # The keys the model computes today.
    assert set(audience) == set(Report.from_document(found[with_grid["_id"]]).audience)
    assert found[without["_id"]]["audience"] == without["audience"]
