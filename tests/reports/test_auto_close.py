"""The background job that closes resolved reports nobody rated for 7 days, driven the way the
app runs it (`run_once` over the app's JOBS) with a hand-moved clock."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from neighbor_api.core.clock import ManualClock
from neighbor_api.core.deps import Deps
from neighbor_api.core.jobs import run_once
from neighbor_api.jobs import JOBS
from tests.conftest import Api
from tests.reports.support import (
    JINAN_GRID_WORKER,
    JINAN_RESIDENT,
    JINAN_WORKER,
    START,
    Street,
    iso,
)

JOB = "close-unrated-reports"


@pytest.fixture
async def street(api: Api, demo: Deps) -> Street:
    return await Street.open(api, demo)


async def resolved_ids(street: Street) -> set[str]:
    data = await street.api.data(
        "Reports",
        {
            "communityId": street.places["金安社区"],
            "filter": {"status": ["RESOLVED"]},
            "first": 100,
        },
        token=await street.token(JINAN_WORKER),
    )
    return {edge["node"]["id"] for edge in data["reports"]["edges"]}


class TestCloseUnratedReports:
    async def test_closes_seven_days_after_resolution(
        self, street: Street, deps: Deps, clock: ManualClock
    ) -> None:
        clock.advance(timedelta(hours=1))
        report_id = await street.reach("RESOLVED", title="金安里 5 栋水管爆裂")
        resolved_at = START + timedelta(hours=1)
        waiting = await resolved_ids(street)  # the demo's resolved reports, and this one
        assert report_id in waiting

        clock.advance(timedelta(days=7, minutes=1))
        done = await run_once(deps, JOBS)

        assert done[JOB] == len(waiting)
        assert await resolved_ids(street) == set()
        state = await street.state(report_id)
        assert state["status"] == "CLOSED"
        closed_at = resolved_at + timedelta(days=7, minutes=1)
        assert state["timeline"][-1] == {
            "at": iso(closed_at),
            "action": "CLOSED",
            "fromStatus": "RESOLVED",
            "toStatus": "CLOSED",
            "note": None,
            "actor": None,
        }
        (event,) = await street.events(report_id, "report.close")
        assert event["actor_id"] is None
        assert event["data"] == {"from": "RESOLVED", "to": "CLOSED"}
        assert event["at"] == closed_at
        detail = await street.detail(report_id, JINAN_RESIDENT)
        assert detail is not None
        assert detail["viewerCan"]["rate"] is False
        assert detail["satisfaction"] is None

    async def test_not_before_seven_days(
        self, street: Street, deps: Deps, clock: ManualClock
    ) -> None:
        report_id = await street.reach("RESOLVED")

        for advance in (timedelta(days=1), timedelta(days=5), timedelta(hours=23, minutes=59)):
            clock.advance(advance)
            done = await run_once(deps, JOBS)
            assert done[JOB] == 0
            assert (await street.state(report_id))["status"] == "RESOLVED"
        assert await street.events(report_id, "report.close") == []

    async def test_a_rated_report_is_untouched(
        self, street: Street, deps: Deps, clock: ManualClock
    ) -> None:
        closed_by_rating = await street.reach("CLOSED")
        reopened = await street.reach("RESOLVED")
        await street.ok("rate", reopened, JINAN_RESIDENT, rating=1, comment="灯还是不亮。")

        clock.advance(timedelta(days=8))
        await run_once(deps, JOBS)

        closed = await street.state(closed_by_rating)
        assert [e["action"] for e in closed["timeline"]].count("CLOSED") == 1
        assert closed["timeline"][-1]["actor"] == await street.person(JINAN_RESIDENT)
        assert await street.events(closed_by_rating, "report.close") == []
        state = await street.state(reopened)
        assert state["status"] == "ASSIGNED"
        assert "CLOSED" not in [e["action"] for e in state["timeline"]]

    async def test_counts_from_the_latest_resolution(
        self, street: Street, deps: Deps, clock: ManualClock
    ) -> None:
        report_id = await street.reach("RESOLVED")
        clock.advance(timedelta(days=1))
        await street.ok("rate", report_id, JINAN_RESIDENT, rating=2)
        await street.ok("start", report_id, JINAN_GRID_WORKER)
        clock.advance(timedelta(days=2))
        await street.ok("resolve", report_id, JINAN_GRID_WORKER, note="重新铺设了排水管。")

        clock.advance(timedelta(days=5))  # 8 days after the first resolution, 5 after this one
        await run_once(deps, JOBS)
        assert (await street.state(report_id))["status"] == "RESOLVED"

        clock.advance(timedelta(days=2, minutes=1))
        await run_once(deps, JOBS)
        state = await street.state(report_id)
        assert state["status"] == "CLOSED"
        assert state["timeline"][-1]["actor"] is None

    async def test_two_runs_at_once_close_each_report_once(
        self, street: Street, deps: Deps, clock: ManualClock
    ) -> None:
        mine = [await street.reach("RESOLVED", title=f"金安里 {n} 栋楼道灯不亮") for n in (1, 2, 3)]
        waiting = await resolved_ids(street)
        clock.advance(timedelta(days=8))

        first, second = await asyncio.gather(run_once(deps, JOBS), run_once(deps, JOBS))

        assert first[JOB] + second[JOB] == len(waiting)
        assert await resolved_ids(street) == set()
        for report_id in mine:
            state = await street.state(report_id)
            assert state["status"] == "CLOSED"
            assert [e["action"] for e in state["timeline"]].count("CLOSED") == 1
            assert len(await street.events(report_id, "report.close")) == 1

    async def test_a_report_closed_by_hand_meanwhile_is_left_alone(
        self, street: Street, deps: Deps, clock: ManualClock
    ) -> None:
        report_id = await street.reach("RESOLVED")
        clock.advance(timedelta(days=8))
        await street.ok("close", report_id, JINAN_WORKER)

        await run_once(deps, JOBS)

        state = await street.state(report_id)
        assert [e["action"] for e in state["timeline"]].count("CLOSED") == 1
        assert state["timeline"][-1]["actor"] == await street.person(JINAN_WORKER)
