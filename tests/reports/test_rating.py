"""The reporter rates a resolution (rateReport): 1–2 reopens the report to the same worker
with a new due time (RATED, then REOPENED → ASSIGNED), 3–5 closes it (RATED, then CLOSED);
once per resolution, by the reporter only."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from neighbor_api.core.clock import ManualClock
from neighbor_api.core.deps import Deps
from neighbor_api.core.mongo import Client
from neighbor_api.schema import NeighborSchema
from neighbor_api.settings import Settings
from tests.conftest import Api
from tests.reports.support import (
    HULI_ADMIN,
    JINAN_GRID_WORKER,
    JINAN_HOUSEMATE,
    JINAN_NEIGHBOUR,
    JINAN_RESIDENT,
    JINAN_WORKER,
    START,
    Street,
    at,
    codes,
    iso,
    shared_street,
)


@pytest.fixture(scope="module")
async def shared(
    mongo_client: Client, schema: NeighborSchema, settings: Settings
) -> AsyncIterator[Street]:
    async with shared_street(mongo_client, schema, settings) as street:
        yield street


@pytest.fixture
async def street(api: Api, demo: Deps) -> Street:
    return await Street.open(api, demo)


class TestRateReport:
    @pytest.mark.parametrize("rating", [1, 2])
    async def test_a_low_rating_reopens_to_the_same_worker(
        self, street: Street, clock: ManualClock, rating: int
    ) -> None:
        report_id = await street.reach("RESOLVED", priority="HIGH")
        clock.advance(timedelta(days=2))
        rated_at = START + timedelta(days=2)
        comment = "下雨后楼道还是漏水，没有根本解决。"

        rated = await street.ok("rate", report_id, JINAN_RESIDENT, rating=rating, comment=comment)

        assert rated["status"] == "ASSIGNED"
        assert rated["satisfaction"] == {
            "rating": rating,
            "comment": comment,
            "ratedAt": iso(rated_at),
        }
        state = await street.state(report_id)
        assert state["assignee"] == await street.person(JINAN_GRID_WORKER)
        # A new due time from the reopening, by the priority (HIGH: 24 h).
        assert at(state["dueAt"]) == rated_at + timedelta(hours=24)
        assert state["overdue"] is False
        assert state["resolvedAt"] is None
        reporter = await street.person(JINAN_RESIDENT)
        assert state["timeline"][-2:] == [
            {
                "at": iso(rated_at),
                "action": "RATED",
                "fromStatus": "RESOLVED",
                "toStatus": "RESOLVED",
                "note": comment,
                "actor": reporter,
            },
            {
                "at": iso(rated_at),
                "action": "REOPENED",
                "fromStatus": "RESOLVED",
                "toStatus": "ASSIGNED",
                "note": None,
                "actor": reporter,
            },
        ]
        (event,) = await street.events(report_id, "report.rate")
        assert event["data"] == {"from": "RESOLVED", "to": "ASSIGNED", "rating": rating}
        # The same worker picks it up again.
        assert (await street.ok("start", report_id, JINAN_GRID_WORKER))["status"] == "IN_PROGRESS"

    @pytest.mark.parametrize("rating", [3, 4, 5])
    async def test_a_good_rating_closes(self, shared: Street, rating: int) -> None:
        report_id = await shared.reach("RESOLVED")

        rated = await shared.ok("rate", report_id, JINAN_RESIDENT, rating=rating, comment=None)

        assert rated["status"] == "CLOSED"
        assert rated["satisfaction"] == {
            "rating": rating,
            "comment": None,
            "ratedAt": iso(shared.now),
        }
        state = await shared.state(report_id)
        assert [(e["action"], e["fromStatus"], e["toStatus"]) for e in state["timeline"][-2:]] == [
            ("RATED", "RESOLVED", "RESOLVED"),
            ("CLOSED", "RESOLVED", "CLOSED"),
        ]
        (event,) = await shared.events(report_id, "report.rate")
        assert event["data"] == {"from": "RESOLVED", "to": "CLOSED", "rating": rating}

    async def test_satisfaction_in_the_detail(self, shared: Street) -> None:
        report_id = await shared.reach("RESOLVED")
        await shared.ok("rate", report_id, JINAN_RESIDENT, rating=5, comment="师傅来得很快，谢谢！")
        for phone in (JINAN_RESIDENT, JINAN_WORKER, JINAN_NEIGHBOUR):
            detail = await shared.detail(report_id, phone)
            assert detail is not None
            assert detail["satisfaction"] == {
                "rating": 5,
                "comment": "师傅来得很快，谢谢！",
                "ratedAt": iso(shared.now),
            }

    async def test_no_satisfaction_before_rating(self, shared: Street) -> None:
        detail = await shared.detail(await shared.reach("RESOLVED"))
        assert detail is not None
        assert detail["satisfaction"] is None

    @pytest.mark.parametrize(
        "phone",
        [JINAN_NEIGHBOUR, JINAN_HOUSEMATE, JINAN_WORKER, JINAN_GRID_WORKER, HULI_ADMIN],
        ids=["neighbour", "reporters-housemate", "community-worker", "assignee", "admin"],
    )
    async def test_only_the_reporter_rates(self, shared: Street, phone: str) -> None:
        report_id = await shared.reach("RESOLVED")
        assert await shared.refused("rate", report_id, phone, rating=5) == ["FORBIDDEN"]
        state = await shared.state(report_id)
        assert state["status"] == "RESOLVED"
        assert state["timeline"][-1]["action"] == "RESOLVED"

    @pytest.mark.parametrize("rating", [0, 6, -1])
    async def test_rating_out_of_range_is_invalid(self, shared: Street, rating: int) -> None:
        report_id = await shared.reach("RESOLVED")
        payload = await shared.move("rate", report_id, JINAN_RESIDENT, rating=rating)
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [
            ("INVALID_INPUT", ["input", "rating"])
        ]
        assert (await shared.state(report_id))["status"] == "RESOLVED"

    @pytest.mark.parametrize("first", [1, 5])
    async def test_once_per_resolution(self, shared: Street, first: int) -> None:
        report_id = await shared.reach("RESOLVED")
        await shared.ok("rate", report_id, JINAN_RESIDENT, rating=first)

        assert await shared.refused("rate", report_id, JINAN_RESIDENT, rating=3) == [
            "INVALID_TRANSITION"
        ]

        state = await shared.state(report_id)
        assert [e["action"] for e in state["timeline"]].count("RATED") == 1
        assert len(await shared.events(report_id, "report.rate")) == 1

    async def test_two_ratings_at_once_count_once(self, shared: Street) -> None:
        report_id = await shared.reach("RESOLVED")
        await shared.token(JINAN_RESIDENT)

        results = await asyncio.gather(
            shared.move("rate", report_id, JINAN_RESIDENT, rating=1),
            shared.move("rate", report_id, JINAN_RESIDENT, rating=5),
        )

        assert sorted(codes(p) for p in results) == [[], ["INVALID_TRANSITION"]]
        (winner,) = [p["report"] for p in results if not p["errors"]]
        state = await shared.state(report_id)
        assert state["status"] == winner["status"]
        assert [e["action"] for e in state["timeline"]].count("RATED") == 1
        assert len(await shared.events(report_id, "report.rate")) == 1

    async def test_rates_again_after_the_reopened_work_is_resolved(
        self, street: Street, clock: ManualClock
    ) -> None:
        report_id = await street.reach("RESOLVED")
        await street.ok("rate", report_id, JINAN_RESIDENT, rating=2, comment="还是不亮。")
        clock.advance(timedelta(hours=6))
        await street.ok("start", report_id, JINAN_GRID_WORKER)
        await street.ok("resolve", report_id, JINAN_GRID_WORKER, note="更换了线路和开关。")
        resolved = await street.state(report_id, JINAN_RESIDENT)
        assert resolved["viewerCan"]["rate"] is True
        clock.advance(timedelta(hours=1))

        rated = await street.ok("rate", report_id, JINAN_RESIDENT, rating=5, comment="这次修好了。")

        assert rated["status"] == "CLOSED"
        assert rated["satisfaction"] == {
            "rating": 5,
            "comment": "这次修好了。",
            "ratedAt": iso(START + timedelta(hours=7)),
        }
        actions = [e["action"] for e in (await street.state(report_id))["timeline"]]
        assert actions == [
            "SUBMITTED",
            "ACCEPTED",
            "ASSIGNED",
            "STARTED",
            "RESOLVED",
            "RATED",
            "REOPENED",
            "STARTED",
            "RESOLVED",
            "RATED",
            "CLOSED",
        ]
        assert len(await street.events(report_id, "report.rate")) == 2
