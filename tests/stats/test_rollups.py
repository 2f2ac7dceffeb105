"""The report rollups kept on every write are the rollups counted from the reports (migration
steps 4 and 6: by status and category, escalations and resolutions per day): after the demo
street (submitted and moved through the services) and more moves, an escalation and a
resolution among them."""

from __future__ import annotations

from typing import Any

from bson import ObjectId

from neighbor_api.core.deps import Deps
from neighbor_api.core.policy import Actor, Grant, Role
from neighbor_api.migrations import m0004_report_rollups, m0007_rollup_milestones
from neighbor_api.reports import repository, service
from neighbor_api.reports.models import Report, ReportStatus


async def _rollups(deps: Deps) -> dict[str, dict[str, Any]]:
    """The day rollups by id, counts of zero left out (a count moved away leaves a zero); not
    the communities' totals (tests/reports/test_list_totals.py)."""
    found = {}
    async for row in deps.db[repository.ROLLUPS].find({"day": {"$exists": True}}):
        found[row.pop("_id")] = {
            **{k: v for k, v in row.items() if k not in ("escalated", "resolved")},
            "by_status": {k: v for k, v in row.get("by_status", {}).items() if v},
            "by_category": {k: v for k, v in row.get("by_category", {}).items() if v},
            "escalated": row.get("escalated", 0),
            "resolved": row.get("resolved", 0),
        }
    return found


async def test_rollups_kept_on_write_are_the_counted_ones(demo: Deps) -> None:
    reports = [Report.from_document(d) async for d in demo.db[repository.REPORTS].find()]
    submitted = [r for r in reports if r.status is ReportStatus.SUBMITTED]
    assert len(submitted) >= 2
    staff = Actor(ObjectId(), (Grant(submitted[0].community_id, frozenset({Role.ADMIN})),))
    await service.accept_report(demo, staff, report_id=submitted[0].id, priority=None)
    await service.reject_report(demo, staff, report_id=submitted[1].id, reason="不属于社区受理范围")
    in_progress = [r for r in reports if r.status is ReportStatus.IN_PROGRESS]
    assert in_progress
    escalating = in_progress[0]
    street = Actor(ObjectId(), (Grant(escalating.place_path[2], frozenset({Role.ADMIN})),))
    await service.escalate_report(demo, staff, report_id=escalating.id, reason="需要街道协调")
    await service.escalate_report(demo, street, report_id=escalating.id, reason="需要区里协调")
    await service.resolve_report(demo, staff, report_id=escalating.id, note="已修复")
    kept = await _rollups(demo)

    await demo.db[repository.ROLLUPS].delete_many({})
    await m0004_report_rollups.apply(demo.db)
    await m0007_rollup_milestones.apply(demo.db)
    counted = await _rollups(demo)
    # Step 6 writes a zero where the writes never counted (a day nothing was escalated on).
    assert kept == counted
    assert sum(sum(r["by_status"].values()) for r in kept.values()) == len(reports)
    assert sum(r["escalated"] for r in kept.values()) == sum(
        1 for r in reports if r.escalated_to or r.id == escalating.id
    )
    resolutions = [
        e for r in await repository.by_ids(demo.db, [r.id for r in reports]) for e in r.timeline
    ]
    assert sum(r["resolved"] for r in kept.values()) == sum(
        e.action.value == "RESOLVED" for e in resolutions
    )
    # Running step 6 again changes nothing.
    await m0007_rollup_milestones.apply(demo.db)
    assert await _rollups(demo) == counted
