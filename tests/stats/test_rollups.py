"""The report rollups kept on every write are the rollups counted from the reports (migration
step 4): after the demo street (submitted and moved through the services) and more moves."""

from __future__ import annotations

from typing import Any

from bson import ObjectId

from neighbor_api.core.deps import Deps
from neighbor_api.core.policy import Actor, Grant, Role
from neighbor_api.migrations import m0004_report_rollups
from neighbor_api.reports import repository, service
from neighbor_api.reports.models import Report, ReportStatus


async def _rollups(deps: Deps) -> dict[str, dict[str, Any]]:
    """The rollups by id, counts of zero left out (a count moved away leaves a zero)."""
    found = {}
    async for row in deps.db[repository.ROLLUPS].find():
        found[row.pop("_id")] = {
            **row,
            "by_status": {k: v for k, v in row["by_status"].items() if v},
            "by_category": {k: v for k, v in row["by_category"].items() if v},
        }
    return found


async def test_rollups_kept_on_write_are_the_counted_ones(demo: Deps) -> None:
    reports = [Report.from_document(d) async for d in demo.db[repository.REPORTS].find()]
    submitted = [r for r in reports if r.status is ReportStatus.SUBMITTED]
    assert len(submitted) >= 2
    staff = Actor(ObjectId(), (Grant(submitted[0].community_id, frozenset({Role.ADMIN})),))
    await service.accept_report(demo, staff, report_id=submitted[0].id, priority=None)
    await service.reject_report(demo, staff, report_id=submitted[1].id, reason="不属于社区受理范围")
    kept = await _rollups(demo)

    await demo.db[repository.ROLLUPS].delete_many({})
    await m0004_report_rollups.apply(demo.db)

    assert kept == await _rollups(demo)
    assert sum(sum(r["by_status"].values()) for r in kept.values()) == len(reports)
