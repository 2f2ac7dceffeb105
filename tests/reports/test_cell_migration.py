"""Step 6 (`m0006_report_cells`) gives reports written before it the map cell the model
computes, and running it again changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime

from bson import ObjectId

from neighbor_api.core.deps import Deps
from neighbor_api.migrations import m0006_report_cells
from neighbor_api.places.models import GeoPoint
from neighbor_api.reports.models import Report, ReportCategory, ReportVisibility

AT = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def _old(lat: float, lng: float) -> dict[str, object]:
    """A report as the releases before step 6 stored it: no `cell`."""
    path = [ObjectId() for _ in range(4)]
    report = Report(
        number="JA-2026-000001", community_id=path[-1], place_path=path,
        reporter_id=ObjectId(), category=ReportCategory.REPAIR, title="楼道灯不亮",
        description="5 栋 3 楼楼道灯坏了", location=GeoPoint.at(lat=lat, lng=lng),
        visibility=ReportVisibility.COMMUNITY, created_at=AT, updated_at=AT,
    )  # fmt: skip
    document = report.to_document()
    del document["cell"]
    return document


async def test_old_reports_get_the_cell_the_model_computes(deps: Deps) -> None:
    old = [_old(24.4866, 118.1789), _old(24.5141, 118.1432), _old(-33.86, 151.21)]
    await deps.db["reports"].insert_many(old)

    await m0006_report_cells.apply(deps.db)

    stored = {d["_id"]: d async for d in deps.db["reports"].find()}
    for document in old:
        assert stored[document["_id"]]["cell"] == Report.from_document(document).cell
    assert len({stored[d["_id"]]["cell"] for d in old}) == 3


async def test_running_it_again_changes_nothing(deps: Deps) -> None:
    await deps.db["reports"].insert_many([_old(24.4866, 118.1789)])
    await m0006_report_cells.apply(deps.db)
    before = await deps.db["reports"].find().to_list()

    await m0006_report_cells.apply(deps.db)

    assert await deps.db["reports"].find().to_list() == before
