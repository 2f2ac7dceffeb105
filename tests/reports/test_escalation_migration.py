"""Step 8 (`m0008_escalation_queue`) drops the escalation queues' former index, which no query
reads since dispatch; running it again (or on a database that never had it) changes nothing.
A report stored before dispatch (no `handling_unit_id`) is still in its level's queue."""

from __future__ import annotations

from datetime import UTC, datetime

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, IndexModel

from neighbor_api.core.deps import Deps
from neighbor_api.core.mongo import ensure_indexes
from neighbor_api.core.policy import Actor, Grant, Role
from neighbor_api.migrations import m0008_escalation_queue
from neighbor_api.places.models import GeoPoint
from neighbor_api.reports import service
from neighbor_api.reports.models import (
    EscalationLevel,
    Report,
    ReportCategory,
    ReportVisibility,
)

AT = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


async def test_drops_the_former_index_once(deps: Deps) -> None:
    await ensure_indexes(deps.db)
    await deps.db["reports"].create_indexes(
        [
            IndexModel(
                [("escalated_to", ASCENDING), ("status", ASCENDING),
                 ("created_at", DESCENDING), ("_id", DESCENDING)],
                name="escalated_status_newest",
            )
        ]
    )  # fmt: skip

    await m0008_escalation_queue.apply(deps.db)
    await m0008_escalation_queue.apply(deps.db)

    names = set(await deps.db["reports"].index_information())
    assert "escalated_status_newest" not in names
    assert "escalated_held" in names


async def test_a_report_stored_before_dispatch_is_in_its_levels_queue(deps: Deps) -> None:
    await ensure_indexes(deps.db)
    path = [ObjectId() for _ in range(4)]
    report = Report(
        number="JA-2026-000001", community_id=path[-1], place_path=path,
        reporter_id=ObjectId(), category=ReportCategory.TRAFFIC, title="金尚路口斑马线褪色",
        description="斑马线几乎看不见了", location=GeoPoint.at(lat=24.5, lng=118.18),
        visibility=ReportVisibility.COMMUNITY, escalation_level=EscalationLevel.STREET,
        escalated_to=[path[2]], created_at=AT, updated_at=AT,
    )  # fmt: skip
    document = report.to_document()
    del document["handling_unit_id"], document["unit_member_ids"]
    await deps.db["reports"].insert_one(document)
    await deps.db["places"].insert_one(
        {
            "_id": path[2],
            "name": "金山街道",
            "level": "STREET",
            "parent_id": path[1],
            "path": path[:3],
        }
    )
    admin = Actor(user_id=ObjectId(), grants=(Grant(path[2], frozenset({Role.ADMIN})),))

    page = await service.escalated_reports(deps, admin, place_id=path[2], first=10, after=None)

    assert page is not None
    assert [r.id for _, r in page.edges] == [report.id]
    assert page.edges[0][1].handling_unit_id is None
