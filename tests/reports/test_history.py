"""What a report keeps of its past: every rating, and where escalations sent it."""

from __future__ import annotations

from neighbor_api.core.deps import Deps
from tests.conftest import Api
from tests.places.support import JINAN_GRID_WORKER, JINAN_RESIDENT, JINAN_WORKER
from tests.reports.support import Street, object_id


class TestRatingHistory:
    async def test_every_rating_is_kept_and_the_latest_shows_until_the_next(
        self, api: Api, demo: Deps
    ) -> None:
        """`satisfaction` is the latest rating (issue 14: resolved again, the report still
        shows the 1 the reporter gave until they rate the new resolution; the stored
        `satisfaction`, the rating of the current resolution, waits for its own)."""
        street = await Street.open(api, demo)
        report_id = await street.reach("RESOLVED")
        await street.ok("rate", report_id, JINAN_RESIDENT, rating=1, comment="还是漏水")
        await street.ok("start", report_id, JINAN_GRID_WORKER)
        resolved = await street.ok("resolve", report_id, JINAN_GRID_WORKER)
        detail = await street.detail(report_id, JINAN_RESIDENT)
        assert detail is not None
        assert detail["satisfaction"]["rating"] == 1
        assert resolved["status"] == "RESOLVED"
        waiting = await demo.db["reports"].find_one({"_id": object_id(report_id)})
        assert waiting is not None
        assert waiting["satisfaction"] is None

        await street.ok("rate", report_id, JINAN_RESIDENT, rating=5)

        stored = await demo.db["reports"].find_one({"_id": object_id(report_id)})
        assert stored is not None
        assert [r["rating"] for r in stored["ratings"]] == [1, 5]
        assert stored["satisfaction"]["rating"] == 5
        rated = await street.events(report_id, "report.rate")
        assert [e["data"]["rating"] for e in rated] == [1, 5]


class TestEscalationEvent:
    async def test_the_event_names_the_level_and_the_place(self, api: Api, demo: Deps) -> None:
        street = await Street.open(api, demo)
        report_id = await street.reach("ACCEPTED")

        await street.ok("escalate", report_id, JINAN_WORKER)

        (event,) = await street.events(report_id, "report.escalate")
        stored = await demo.db["reports"].find_one({"_id": object_id(report_id)})
        assert stored is not None
        assert event["data"]["level"] == "STREET"
        assert event["data"]["place_id"] == stored["place_path"][2]
