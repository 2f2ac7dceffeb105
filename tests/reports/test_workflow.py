"""The staff workflow's state machine (PRODUCT.md, pillar 1), through the contract's mutations.

SUBMITTED → ACCEPTED (the priority sets the due time) → ASSIGNED → IN_PROGRESS → RESOLVED →
CLOSED; REJECTED (with a reason) from SUBMITTED or ACCEPTED; reassigning while the work is
still owed; escalating (an action, not a status) from any open status; any other move is
INVALID_TRANSITION. Every move is on the timeline with actor, time, from/to status and note,
and is a `report.<verb>` event. Overdue reports are flagged and listed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from neighbor_api.core.clock import ManualClock
from neighbor_api.core.deps import Deps
from neighbor_api.core.mongo import Client
from neighbor_api.schema import NeighborSchema
from neighbor_api.settings import Settings
from tests.conftest import Api
from tests.reports.support import (
    ACTION,
    HULI_ADMIN,
    INPUT,
    JINAN_GRID_WORKER,
    JINAN_RESIDENT,
    JINAN_WORKER,
    START,
    STATUSES,
    VERBS,
    Street,
    at,
    codes,
    iso,
    object_id,
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


# The state machine of PRODUCT.md: every allowed (from status, move) and the status after it.
ALLOWED: dict[tuple[str, str], str] = {
    ("SUBMITTED", "accept"): "ACCEPTED",
    ("SUBMITTED", "reject"): "REJECTED",
    ("SUBMITTED", "escalate"): "SUBMITTED",
    ("ACCEPTED", "assign"): "ASSIGNED",
    ("ACCEPTED", "start"): "IN_PROGRESS",  # taken on without an assignment: the starter's
    ("ACCEPTED", "reject"): "REJECTED",
    ("ACCEPTED", "escalate"): "ACCEPTED",
    ("ASSIGNED", "assign"): "ASSIGNED",
    ("ASSIGNED", "start"): "IN_PROGRESS",
    ("ASSIGNED", "escalate"): "ASSIGNED",
    ("IN_PROGRESS", "assign"): "ASSIGNED",
    ("IN_PROGRESS", "resolve"): "RESOLVED",
    ("IN_PROGRESS", "escalate"): "IN_PROGRESS",
    ("RESOLVED", "rate"): "CLOSED",  # rated 4
    ("RESOLVED", "close"): "CLOSED",
}
REFUSED = [(s, v) for s in STATUSES for v in VERBS if (s, v) not in ALLOWED]
# The note each move leaves on the timeline (its reason, resolution note or comment).
NOTE = {
    "resolve": INPUT["resolve"]["note"],
    "reject": INPUT["reject"]["reason"],
    "escalate": INPUT["escalate"]["reason"],
    "rate": INPUT["rate"]["comment"],
}
DUE_STATUSES = {"ACCEPTED", "ASSIGNED", "IN_PROGRESS"}


def mover(verb: str) -> str:
    """Someone the rules let make this move: the reporter rates, 金安社区's worker does the rest."""
    return JINAN_RESIDENT if verb == "rate" else JINAN_WORKER


def case_ids(cases: list[tuple[str, str]]) -> list[str]:
    return [f"{verb}-from-{status}" for status, verb in cases]


async def reports(street: Street, phone: str = JINAN_WORKER, **filter: Any) -> dict[str, Any]:
    """The Reports connection of 金安社区 as `phone` sees it."""
    data = await street.api.data(
        "Reports",
        {"communityId": street.places["金安社区"], "filter": filter or None, "first": 100},
        token=await street.token(phone),
    )
    connection: dict[str, Any] = data["reports"]
    return connection


def nodes(connection: dict[str, Any]) -> list[dict[str, Any]]:
    return [edge["node"] for edge in connection["edges"]]


# The field-work rows (issue 14): the reporter withdraws before acceptance, staff mark any
# open report a duplicate. Every status the first edition knows, and the two new ones.
FIELDWORK_ALLOWED: dict[tuple[str, str], str] = {
    ("SUBMITTED", "withdraw"): "WITHDRAWN",
    **{
        (s, "mark_duplicate"): "DUPLICATE"
        for s in ("SUBMITTED", "ACCEPTED", "ASSIGNED", "IN_PROGRESS")
    },
}
FIELDWORK_CASES = [
    (s, v) for s in (*STATUSES, "WITHDRAWN", "DUPLICATE") for v in ("withdraw", "mark_duplicate")
]
FIELDWORK_MOVER = {"withdraw": JINAN_RESIDENT, "mark_duplicate": JINAN_WORKER}


class TestFieldworkRows:
    @pytest.mark.parametrize(("status", "verb"), FIELDWORK_CASES, ids=case_ids(FIELDWORK_CASES))
    async def test_allowed_or_refused(self, shared: Street, status: str, verb: str) -> None:
        if status in ("WITHDRAWN", "DUPLICATE"):
            report_id = await shared.reach("SUBMITTED")
            first = "withdraw" if status == "WITHDRAWN" else "mark_duplicate"
            await shared.ok(first, report_id, FIELDWORK_MOVER[first])
        else:
            report_id = await shared.reach(status)
        before = await shared.state(report_id)
        mover = FIELDWORK_MOVER[verb]
        if (status, verb) not in FIELDWORK_ALLOWED:
            assert await shared.refused(verb, report_id, mover) == ["INVALID_TRANSITION"]
            assert await shared.state(report_id) == before
            return
        moved = await shared.ok(verb, report_id, mover)
        to_status = FIELDWORK_ALLOWED[(status, verb)]
        assert moved["status"] == to_status
        after = await shared.state(report_id)
        assert after["timeline"][len(before["timeline"]) :] == [
            {
                "at": iso(shared.now),
                "action": ACTION[verb],
                "fromStatus": status,
                "toStatus": to_status,
                "note": after["timeline"][-1]["note"],
                "actor": await shared.person(mover),
            }
        ]
        (event,) = await shared.events(report_id, f"report.{verb}")
        assert {k: event["data"][k] for k in ("from", "to")} == {"from": status, "to": to_status}


class TestStateMachine:
    @pytest.mark.parametrize(("status", "verb"), sorted(ALLOWED), ids=case_ids(sorted(ALLOWED)))
    async def test_allowed_move(self, shared: Street, status: str, verb: str) -> None:
        report_id = await shared.reach(status)
        before = await shared.state(report_id)
        events_before = await shared.events(report_id, f"report.{verb}")

        moved = await shared.ok(verb, report_id, mover(verb))

        to_status = ALLOWED[(status, verb)]
        assert moved["status"] == to_status
        after = await shared.state(report_id)
        assert after["status"] == to_status
        entry: dict[str, Any] = {
            "at": iso(shared.now),
            "action": ACTION[verb],
            "fromStatus": status,
            "toStatus": to_status,
            "note": NOTE.get(verb),
            "actor": await shared.person(mover(verb)),
        }
        expected = [entry]
        if verb == "rate":  # RATED, then what the rating led to
            expected = [{**entry, "toStatus": status}, {**entry, "action": "CLOSED", "note": None}]
        assert after["timeline"][len(before["timeline"]) :] == expected
        events = await shared.events(report_id, f"report.{verb}")
        assert len(events) == len(events_before) + 1
        event = events[-1]
        assert event["actor_id"] == object_id(entry["actor"]["id"], "User")
        assert {k: event["data"][k] for k in ("from", "to")} == {"from": status, "to": to_status}
        assert event["at"] == shared.now

    @pytest.mark.parametrize(("status", "verb"), REFUSED, ids=case_ids(REFUSED))
    async def test_refused_move(self, shared: Street, status: str, verb: str) -> None:
        report_id = await shared.reach(status)
        before = await shared.state(report_id)
        events_before = await shared.events(report_id)

        assert await shared.refused(verb, report_id, mover(verb)) == ["INVALID_TRANSITION"]

        assert await shared.state(report_id) == before
        assert await shared.events(report_id) == events_before


class TestConcurrentMoves:
    async def test_two_staff_accepting_at_once(self, shared: Street) -> None:
        report_id = await shared.reach("SUBMITTED")
        for phone in (JINAN_WORKER, HULI_ADMIN):
            await shared.token(phone)

        results = await asyncio.gather(
            shared.move("accept", report_id, JINAN_WORKER, priority="HIGH"),
            shared.move("accept", report_id, HULI_ADMIN, priority="URGENT"),
        )

        assert sorted(codes(p) for p in results) == [[], ["INVALID_TRANSITION"]]
        (winner,) = [p["report"] for p in results if not p["errors"]]
        state = await shared.state(report_id)
        assert [e["action"] for e in state["timeline"]] == ["SUBMITTED", "ACCEPTED"]
        assert state["priority"] == winner["priority"]
        assert state["dueAt"] == winner["dueAt"]
        assert len(await shared.events(report_id, "report.accept")) == 1

    async def test_accept_and_reject_at_once(self, shared: Street) -> None:
        report_id = await shared.reach("SUBMITTED")
        for phone in (JINAN_WORKER, HULI_ADMIN):
            await shared.token(phone)

        results = await asyncio.gather(
            shared.move("accept", report_id, JINAN_WORKER),
            shared.move("reject", report_id, HULI_ADMIN),
        )

        assert sorted(codes(p) for p in results) == [[], ["INVALID_TRANSITION"]]
        (winner,) = [p["report"] for p in results if not p["errors"]]
        state = await shared.state(report_id)
        assert state["status"] == winner["status"]
        assert [e["action"] for e in state["timeline"]][1:] == [
            "ACCEPTED" if winner["status"] == "ACCEPTED" else "REJECTED"
        ]
        kinds = [e["kind"] for e in await shared.events(report_id)]
        assert kinds.count("report.accept") + kinds.count("report.reject") == 1


class TestAcceptReport:
    @pytest.mark.parametrize(
        ("priority", "due_in"),
        [
            ("URGENT", timedelta(hours=4)),
            ("HIGH", timedelta(hours=24)),
            ("NORMAL", timedelta(hours=72)),
            ("LOW", timedelta(days=7)),
        ],
    )
    async def test_priority_sets_the_due_time(
        self, shared: Street, priority: str, due_in: timedelta
    ) -> None:
        report_id = await shared.reach("SUBMITTED")
        accepted = await shared.ok("accept", report_id, JINAN_WORKER, priority=priority)
        assert accepted["priority"] == priority
        assert at(accepted["dueAt"]) == shared.now + due_in

    async def test_priority_defaults_to_normal(self, shared: Street) -> None:
        report_id = await shared.reach("SUBMITTED")
        accepted = await shared.ok("accept", report_id, JINAN_WORKER, priority=None)
        assert accepted["priority"] == "NORMAL"
        assert at(accepted["dueAt"]) == shared.now + timedelta(hours=72)

    async def test_due_time_counts_from_acceptance(
        self, street: Street, clock: ManualClock
    ) -> None:
        report_id = await street.submit(JINAN_RESIDENT, title="金山路 128 号门口井盖松动")
        clock.advance(timedelta(hours=2, minutes=30))

        accepted = await street.ok("accept", report_id, JINAN_WORKER, priority="URGENT")

        accepted_at = START + timedelta(hours=2, minutes=30)
        assert at(accepted["dueAt"]) == accepted_at + timedelta(hours=4)
        state = await street.state(report_id)
        assert state["timeline"][-1] == {
            "at": iso(accepted_at),
            "action": "ACCEPTED",
            "fromStatus": "SUBMITTED",
            "toStatus": "ACCEPTED",
            "note": None,
            "actor": await street.person(JINAN_WORKER),
        }
        (event,) = await street.events(report_id, "report.accept")
        assert event["at"] == accepted_at


class TestAssignReport:
    async def test_assigns_to_a_grid_worker(self, shared: Street) -> None:
        report_id = await shared.reach("ACCEPTED", priority="HIGH")
        assigned = await shared.ok("assign", report_id, JINAN_WORKER)
        assert assigned["status"] == "ASSIGNED"
        assert assigned["assignee"] == await shared.person(JINAN_GRID_WORKER)
        # The priority's due time stands.
        assert at(assigned["dueAt"]) == shared.now + timedelta(hours=24)
        detail = await shared.detail(report_id)
        assert detail is not None
        # The grid its point lies in, whoever is assigned.
        assert detail["grid"]["name"] == "金安社区第二网格"

    async def test_due_at_overrides_the_priority(self, shared: Street) -> None:
        report_id = await shared.reach("ACCEPTED", priority="LOW")
        due = shared.now + timedelta(hours=36)
        assigned = await shared.ok("assign", report_id, JINAN_WORKER, dueAt=iso(due))
        assert at(assigned["dueAt"]) == due
        assert at((await shared.state(report_id))["dueAt"]) == due

    @pytest.mark.parametrize(
        "due_at",
        ["2026-11-27T08:59:00+00:00", "2026-11-27T09:00:00+00:00", "2026-11-27T16:30:00+08:00"],
        ids=["a-minute-ago", "now", "earlier-in-beijing-time"],
    )
    async def test_past_due_at_is_invalid(self, shared: Street, due_at: str) -> None:
        report_id = await shared.reach("ACCEPTED")
        payload = await shared.move("assign", report_id, JINAN_WORKER, dueAt=due_at)
        assert payload["report"] is None
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [
            ("INVALID_INPUT", ["input", "dueAt"])
        ]
        assert (await shared.state(report_id))["status"] == "ACCEPTED"

    async def test_due_at_without_an_offset_is_invalid(self, shared: Street) -> None:
        report_id = await shared.reach("ACCEPTED")
        payload = await shared.move("assign", report_id, JINAN_WORKER, dueAt="2026-12-01T18:00:00")
        assert payload["report"] is None
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [
            ("INVALID_INPUT", ["input", "dueAt"])
        ]

    async def test_reassigns_work_in_progress(self, shared: Street) -> None:
        report_id = await shared.reach("IN_PROGRESS")
        reassigned = await shared.ok(
            "assign", report_id, JINAN_WORKER, assigneeId=await shared.user_id(JINAN_WORKER)
        )
        assert reassigned["status"] == "ASSIGNED"
        assert reassigned["assignee"] == await shared.person(JINAN_WORKER)
        # The new assignee takes it from there.
        assert (await shared.ok("start", report_id, JINAN_WORKER))["status"] == "IN_PROGRESS"


class TestStartReport:
    async def test_the_assignee_starts(self, shared: Street) -> None:
        report_id = await shared.reach("ASSIGNED")
        started = await shared.ok("start", report_id, JINAN_GRID_WORKER)
        assert started["status"] == "IN_PROGRESS"
        entry = (await shared.state(report_id))["timeline"][-1]
        assert entry["action"] == "STARTED"
        assert entry["actor"] == await shared.person(JINAN_GRID_WORKER)


class TestResolveReport:
    async def test_the_assignee_resolves_with_a_note(
        self, street: Street, clock: ManualClock
    ) -> None:
        report_id = await street.reach("IN_PROGRESS")
        clock.advance(timedelta(hours=5))
        note = "已更换 6 栋 2 至 4 楼声控灯，逐层测试正常。"

        resolved = await street.ok("resolve", report_id, JINAN_GRID_WORKER, note=note)

        assert resolved["status"] == "RESOLVED"
        assert at(resolved["resolvedAt"]) == START + timedelta(hours=5)
        assert resolved["resolutionPhotos"] == []
        entry = (await street.state(report_id))["timeline"][-1]
        assert entry == {
            "at": iso(START + timedelta(hours=5)),
            "action": "RESOLVED",
            "fromStatus": "IN_PROGRESS",
            "toStatus": "RESOLVED",
            "note": note,
            "actor": await street.person(JINAN_GRID_WORKER),
        }

    @pytest.mark.parametrize("note", ["", "   "])
    async def test_a_note_is_required(self, shared: Street, note: str) -> None:
        report_id = await shared.reach("IN_PROGRESS")
        payload = await shared.move("resolve", report_id, JINAN_GRID_WORKER, note=note)
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [
            ("INVALID_INPUT", ["input", "note"])
        ]
        assert (await shared.state(report_id))["status"] == "IN_PROGRESS"


class TestRejectReport:
    @pytest.mark.parametrize("status", ["SUBMITTED", "ACCEPTED"])
    async def test_rejects_with_the_reason_on_the_timeline(
        self, shared: Street, status: str
    ) -> None:
        report_id = await shared.reach(status)
        reason = "经核实为业主装修临时堆放，已通知业主三日内自行清运。"
        rejected = await shared.ok("reject", report_id, JINAN_WORKER, reason=reason)
        assert rejected["status"] == "REJECTED"
        state = await shared.state(report_id)
        assert state["timeline"][-1]["note"] == reason
        assert state["overdue"] is False

    @pytest.mark.parametrize("reason", ["", "   "])
    async def test_a_reason_is_required(self, shared: Street, reason: str) -> None:
        report_id = await shared.reach("SUBMITTED")
        payload = await shared.move("reject", report_id, JINAN_WORKER, reason=reason)
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [
            ("INVALID_INPUT", ["input", "reason"])
        ]
        state = await shared.state(report_id)
        assert state["status"] == "SUBMITTED"
        assert len(state["timeline"]) == 1


class TestCloseReport:
    @pytest.mark.parametrize("phone", [JINAN_RESIDENT, JINAN_WORKER], ids=["reporter", "staff"])
    async def test_closes_a_resolved_report(self, shared: Street, phone: str) -> None:
        report_id = await shared.reach("RESOLVED")
        closed = await shared.ok("close", report_id, phone)
        assert closed["status"] == "CLOSED"
        entry = (await shared.state(report_id))["timeline"][-1]
        assert (entry["action"], entry["fromStatus"], entry["toStatus"]) == (
            "CLOSED",
            "RESOLVED",
            "CLOSED",
        )
        assert entry["actor"] == await shared.person(phone)


class TestReports:
    """The overdue flag, and the `overdue: true` filter of the Reports query."""

    async def test_overdue_filter_lists_exactly_the_overdue(
        self, street: Street, clock: ManualClock
    ) -> None:
        overdue = {
            await street.reach("ACCEPTED", priority="URGENT", title="金安里 3 栋消防栓漏水"),
            await street.reach("ASSIGNED", priority="HIGH", title="金安里 9 栋单元门闭门器坏了"),
            await street.reach("IN_PROGRESS", priority="URGENT", title="金山路人行道树枝将断"),
        }
        on_time = {
            await street.reach("IN_PROGRESS", priority="NORMAL", title="金安里 1 栋信报箱破损"),
            await street.reach("ACCEPTED", priority="LOW", title="建议小广场增设晾衣架"),
            await street.reach("RESOLVED", priority="URGENT", title="金安里 2 栋电梯困人"),
            await street.reach("SUBMITTED", title="金安里 7 栋楼顶水箱异味"),
            await street.reach("REJECTED", title="金安里 4 栋门口乱贴小广告"),
        }
        clock.advance(timedelta(hours=25))

        listed = await reports(street, overdue=True)
        everything = nodes(await reports(street))

        now = clock.now()
        expected = {
            n["id"]
            for n in everything
            if n["status"] in DUE_STATUSES and datetime.fromisoformat(n["dueAt"]) < now
        }
        assert overdue <= expected
        assert not on_time & expected
        assert {n["id"] for n in nodes(listed)} == expected
        assert listed["totalCount"] == len(expected)
        assert all(n["overdue"] for n in nodes(listed))
        assert {n["id"] for n in everything if n["overdue"]} == expected

    async def test_overdue_filter_with_a_status(self, street: Street, clock: ManualClock) -> None:
        assigned = await street.reach("ASSIGNED", priority="URGENT")
        accepted = await street.reach("ACCEPTED", priority="URGENT")
        clock.advance(timedelta(hours=5))

        listed = await reports(street, overdue=True, status=["ASSIGNED"])

        ids = {n["id"] for n in nodes(listed)}
        assert assigned in ids
        assert accepted not in ids
        assert {n["status"] for n in nodes(listed)} == {"ASSIGNED"}
        assert listed["totalCount"] == len(ids)

    async def test_overdue_until_resolved(self, street: Street, clock: ManualClock) -> None:
        report_id = await street.reach("ACCEPTED", priority="URGENT")
        clock.advance(timedelta(hours=3, minutes=59))
        assert (await street.state(report_id))["overdue"] is False

        clock.advance(timedelta(minutes=2))
        assert (await street.state(report_id))["overdue"] is True
        await street.ok("assign", report_id, JINAN_WORKER)
        assert (await street.state(report_id))["overdue"] is True
        await street.ok("start", report_id, JINAN_GRID_WORKER)
        assert (await street.state(report_id))["overdue"] is True
        assert report_id in {n["id"] for n in nodes(await reports(street, overdue=True))}

        await street.ok("resolve", report_id, JINAN_GRID_WORKER)
        detail = await street.detail(report_id)
        assert detail is not None
        assert detail["overdue"] is False
        assert report_id not in {n["id"] for n in nodes(await reports(street, overdue=True))}
