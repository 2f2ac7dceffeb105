"""Step 5 (`m0005_report_follows`) makes the reporters and endorsers of reports written before
it follow them and counts them; running it again changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime

from bson import ObjectId

from neighbor_api.core.deps import Deps
from neighbor_api.migrations import m0005_report_follows
from neighbor_api.places.models import GeoPoint
from neighbor_api.reports.models import Report, ReportCategory, ReportVisibility

AT = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def _old() -> dict[str, object]:
    """A report as the releases before step 5 stored it: no `follower_count`, no follows."""
    path = [ObjectId() for _ in range(4)]
    report = Report(
        number="JA-2026-000001", community_id=path[-1], place_path=path,
        reporter_id=ObjectId(), category=ReportCategory.REPAIR, title="楼道灯不亮",
        description="5 栋 3 楼楼道灯坏了", location=GeoPoint.at(lat=24.5, lng=118.18),
        visibility=ReportVisibility.COMMUNITY, created_at=AT, updated_at=AT,
    )  # fmt: skip
    document = report.to_document()
    del document["follower_count"]
    return document


async def test_reporters_and_endorsers_follow_and_are_counted(deps: Deps) -> None:
    endorsed, alone = _old(), _old()
    neighbours = [ObjectId(), ObjectId()]
    await deps.db["reports"].insert_many([endorsed, alone])
    await deps.db["report_endorsements"].insert_many(
        [{"report_id": endorsed["_id"], "user_id": n, "created_at": AT} for n in neighbours]
    )

    await m0005_report_follows.apply(deps.db)

    follows = await deps.db["report_follows"].find().to_list()
    assert sorted((f["report_id"], f["user_id"]) for f in follows) == sorted(
        [(endorsed["_id"], endorsed["reporter_id"]), (alone["_id"], alone["reporter_id"])]
        + [(endorsed["_id"], n) for n in neighbours]
    )
    counts = {d["_id"]: d["follower_count"] async for d in deps.db["reports"].find()}
    assert counts == {endorsed["_id"]: 3, alone["_id"]: 1}


async def test_running_it_again_changes_nothing(deps: Deps) -> None:
    await deps.db["reports"].insert_many([_old()])
    await m0005_report_follows.apply(deps.db)
    before = (
        await deps.db["reports"].find().to_list(),
        await deps.db["report_follows"].find().to_list(),
    )

    await m0005_report_follows.apply(deps.db)

    after = (
        await deps.db["reports"].find().to_list(),
        await deps.db["report_follows"].find().to_list(),
    )
    assert after == before
