"""Escalation (an action, not a status): community staff raise a report to the street (金山街道),
street staff or above raise it to the district (湖里区); each level's admins then see it in
their escalation queue. A reason is required; nothing goes above the district."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from neighbor_api.core.deps import Deps
from neighbor_api.core.mongo import Client
from neighbor_api.schema import NeighborSchema
from neighbor_api.settings import Settings
from tests.conftest import Api
from tests.reports.support import (
    HULI_ADMIN,
    JINAN_GRID_WORKER,
    JINAN_NEIGHBOUR,
    JINAN_RESIDENT,
    JINAN_WORKER,
    JINSHAN_RESIDENT,
    JINSHAN_WORKER,
    Street,
    iso,
    object_id,
    shared_street,
)

# A new account, appointed ADMIN of 金山街道 in each test's database.
STREET_ADMIN = "13959208801"


@pytest.fixture(scope="module")
async def shared(
    mongo_client: Client, schema: NeighborSchema, settings: Settings
) -> AsyncIterator[Street]:
    async with shared_street(mongo_client, schema, settings) as street:
        await street.appoint(STREET_ADMIN, "许志明", "金山街道")
        yield street


@pytest.fixture
async def street(api: Api, demo: Deps) -> Street:
    street = await Street.open(api, demo)
    await street.appoint(STREET_ADMIN, "许志明", "金山街道")
    return street


async def queue(street: Street, place: str, phone: str) -> dict[str, Any] | None:
    """The EscalationQueue of the demo place named `place`, as `phone` sees it."""
    data = await street.api.data(
        "EscalationQueue",
        {"placeId": street.places[place], "first": 100},
        token=await street.token(phone),
    )
    connection: dict[str, Any] | None = data["escalatedReports"]
    return connection


async def queued(street: Street, place: str, phone: str) -> set[str]:
    connection = await queue(street, place, phone)
    assert connection is not None, f"{phone} has no queue at {place}"
    return {edge["node"]["id"] for edge in connection["edges"]}


class TestEscalateReport:
    async def test_community_worker_escalates_to_the_street(self, shared: Street) -> None:
        report_id = await shared.reach("ACCEPTED", category="TRAFFIC", title="金尚路口斑马线褪色")
        reason = "涉及市政道路标线，需街道协调交警部门。"

        escalated = await shared.ok("escalate", report_id, JINAN_WORKER, reason=reason)

        assert escalated["status"] == "ACCEPTED"
        assert escalated["escalationLevel"] == "STREET"
        state = await shared.state(report_id)
        assert state["timeline"][-1] == {
            "at": iso(shared.now),
            "action": "ESCALATED",
            "fromStatus": "ACCEPTED",
            "toStatus": "ACCEPTED",
            "note": reason,
            "actor": await shared.person(JINAN_WORKER),
        }
        (event,) = await shared.events(report_id, "report.escalate")
        stored = await shared.deps.db["reports"].find_one({"_id": object_id(report_id)})
        assert stored is not None
        assert event["data"] == {
            "from": "ACCEPTED",
            "to": "ACCEPTED",
            "level": "STREET",
            "place_id": stored["place_path"][2],
            "reason": reason,  # the receiving level's staff are told it
        }
        assert report_id in await queued(shared, "金山街道", STREET_ADMIN)
        # 湖里区's admin covers the street, so sees its queue; the district's own queue waits
        # for the next escalation.
        assert report_id in await queued(shared, "金山街道", HULI_ADMIN)
        assert report_id not in await queued(shared, "湖里区", HULI_ADMIN)

    @pytest.mark.parametrize("phone", [STREET_ADMIN, HULI_ADMIN], ids=["street", "district"])
    async def test_street_staff_or_above_escalate_to_the_district(
        self, shared: Street, phone: str
    ) -> None:
        report_id = await shared.reach("ASSIGNED", title="金山路积水点排水管堵塞")
        await shared.ok("escalate", report_id, JINAN_WORKER)

        escalated = await shared.ok(
            "escalate", report_id, phone, reason="需区市政园林局安排管网疏通。"
        )

        assert escalated["escalationLevel"] == "DISTRICT"
        assert escalated["status"] == "ASSIGNED"
        assert report_id in await queued(shared, "湖里区", HULI_ADMIN)
        assert len(await shared.events(report_id, "report.escalate")) == 2
        state = await shared.state(report_id)
        assert state["timeline"][-1]["actor"] == await shared.person(phone)

    async def test_community_worker_cannot_escalate_beyond_the_street(self, shared: Street) -> None:
        report_id = await shared.reach("ACCEPTED")
        await shared.ok("escalate", report_id, JINAN_WORKER)

        assert await shared.refused("escalate", report_id, JINAN_WORKER) == ["FORBIDDEN"]

        state = await shared.state(report_id)
        assert state["escalationLevel"] == "STREET"
        assert state["viewerCan"]["escalate"] is False
        assert (await shared.state(report_id, STREET_ADMIN))["viewerCan"]["escalate"] is True

    async def test_nothing_above_the_district(self, shared: Street) -> None:
        report_id = await shared.reach("IN_PROGRESS")
        await shared.ok("escalate", report_id, JINAN_WORKER)
        await shared.ok("escalate", report_id, HULI_ADMIN)

        assert await shared.refused("escalate", report_id, HULI_ADMIN) == ["INVALID_TRANSITION"]

        state = await shared.state(report_id, HULI_ADMIN)
        assert state["escalationLevel"] == "DISTRICT"
        assert state["viewerCan"]["escalate"] is False
        assert len(await shared.events(report_id, "report.escalate")) == 2

    @pytest.mark.parametrize("reason", ["", "   "])
    async def test_a_reason_is_required(self, shared: Street, reason: str) -> None:
        report_id = await shared.reach("ACCEPTED")
        payload = await shared.move("escalate", report_id, JINAN_WORKER, reason=reason)
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [
            ("INVALID_INPUT", ["input", "reason"])
        ]
        assert (await shared.state(report_id))["escalationLevel"] == "COMMUNITY"

    @pytest.mark.parametrize(
        "phone",
        [JINAN_RESIDENT, JINAN_NEIGHBOUR, JINAN_GRID_WORKER],
        ids=["reporter", "neighbour", "grid-worker"],
    )
    async def test_residents_and_grid_workers_cannot_escalate(
        self, shared: Street, phone: str
    ) -> None:
        report_id = await shared.reach("ASSIGNED")
        assert await shared.refused("escalate", report_id, phone) == ["FORBIDDEN"]
        assert (await shared.state(report_id))["escalationLevel"] == "COMMUNITY"

    async def test_the_community_keeps_working_an_escalated_report(self, shared: Street) -> None:
        report_id = await shared.reach("ACCEPTED")
        await shared.ok("escalate", report_id, JINAN_WORKER)
        await shared.ok("escalate", report_id, STREET_ADMIN)

        await shared.ok("assign", report_id, JINAN_WORKER)
        await shared.ok("start", report_id, JINAN_GRID_WORKER)
        resolved = await shared.ok("resolve", report_id, JINAN_GRID_WORKER)

        assert resolved["status"] == "RESOLVED"
        assert (await shared.state(report_id))["escalationLevel"] == "DISTRICT"


class TestEscalationQueue:
    async def test_lists_what_was_escalated_to_the_place(self, street: Street) -> None:
        before = await queue(street, "金山街道", STREET_ADMIN)
        assert before is not None
        first = await street.reach("ACCEPTED", category="TRAFFIC", title="金尚路口红绿灯故障")
        second = await street.reach("SUBMITTED", category="ENVIRONMENT", title="金山路绿化带枯死")
        not_escalated = await street.reach("ACCEPTED", title="金安里 1 栋信报箱破损")
        await street.ok("escalate", first, JINAN_WORKER)
        await street.ok("escalate", second, JINAN_WORKER)

        after = await queue(street, "金山街道", STREET_ADMIN)

        assert after is not None
        assert after["totalCount"] == before["totalCount"] + 2
        found = {edge["node"]["id"]: edge["node"] for edge in after["edges"]}
        assert len(found) == after["totalCount"]
        assert {first, second} <= set(found)
        assert not_escalated not in found
        assert found[first]["escalationLevel"] == "STREET"
        assert found[first]["status"] == "ACCEPTED"
        assert found[first]["community"] == {"id": street.places["金安社区"], "name": "金安社区"}
        district = await queue(street, "湖里区", HULI_ADMIN)
        assert district is not None
        assert not {first, second} & {edge["node"]["id"] for edge in district["edges"]}

        await street.ok("escalate", first, HULI_ADMIN)
        district = await queue(street, "湖里区", HULI_ADMIN)
        assert district is not None
        assert [edge["node"]["id"] for edge in district["edges"]] == [first]
        assert district["totalCount"] == 1
        assert district["edges"][0]["node"]["escalationLevel"] == "DISTRICT"

    @pytest.mark.parametrize("place", ["金山街道", "湖里区"])
    @pytest.mark.parametrize(
        "phone",
        [JINAN_RESIDENT, JINAN_GRID_WORKER, JINAN_WORKER, JINSHAN_WORKER, JINSHAN_RESIDENT],
        ids=["resident", "grid-worker", "community-worker", "other-community-worker", "other"],
    )
    async def test_null_below_the_level(self, shared: Street, phone: str, place: str) -> None:
        assert await queue(shared, place, phone) is None

    async def test_street_staff_have_no_district_queue(self, shared: Street) -> None:
        assert await queue(shared, "湖里区", STREET_ADMIN) is None

    async def test_a_community_has_no_queue(self, shared: Street) -> None:
        assert await queue(shared, "金安社区", HULI_ADMIN) is None

    async def test_closed_reports_leave_the_queue(self, shared: Street) -> None:
        report_id = await shared.reach("IN_PROGRESS")
        await shared.ok("escalate", report_id, JINAN_WORKER)
        await shared.ok("resolve", report_id, JINAN_GRID_WORKER)
        assert report_id in await queued(shared, "金山街道", STREET_ADMIN)

        await shared.ok("close", report_id, JINAN_WORKER)

        assert report_id not in await queued(shared, "金山街道", STREET_ADMIN)

    async def test_rejected_reports_leave_the_queue(self, shared: Street) -> None:
        report_id = await shared.reach("ACCEPTED")
        await shared.ok("escalate", report_id, JINAN_WORKER)
        assert report_id in await queued(shared, "金山街道", STREET_ADMIN)

        await shared.ok("reject", report_id, STREET_ADMIN)

        assert report_id not in await queued(shared, "金山街道", STREET_ADMIN)
