"""Dispatch (吹哨报到): 金山街道 and 湖里区 have units (departments); the staff of the level a
report is escalated to dispatch it to one of their units, whose members take it (acceptReport),
start, resolve it, or return it with a reason to that level. One owner at every moment: the
level's queue lists what it holds, the unit's queue what the unit holds, and nobody else moves
it. Every new row of the transition table, allowed and refused; units and their bad input."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from neighbor_api.core.mongo import Client
from neighbor_api.reports import service
from neighbor_api.reports.models import ReportStatus
from neighbor_api.schema import NeighborSchema
from neighbor_api.settings import Settings
from tests.reports.dispatching import (
    CHENGGUAN,
    CHENGGUAN_2,
    OTHER_STREET_OFFICER,
    OUTSIDER,
    SHIZHENG,
    STREET_ADMIN,
    Dispatching,
)
from tests.reports.support import (
    HULI_ADMIN,
    JINAN_GRID_WORKER,
    JINAN_RESIDENT,
    JINAN_WORKER,
    JINSHAN_WORKER,
    Street,
    codes,
    object_id,
    shared_street,
)


@pytest.fixture(scope="module")
async def world(
    mongo_client: Client, schema: NeighborSchema, settings: Settings
) -> AsyncIterator[Dispatching]:
    async with shared_street(mongo_client, schema, settings) as street:
        yield await Dispatching.open(street)


async def queue_ids(street: Street, place: str, phone: str) -> set[str]:
    data = await street.api.data(
        "EscalationQueue", {"placeId": street.places[place], "first": 100},
        token=await street.token(phone),
    )  # fmt: skip
    connection = data["escalatedReports"]
    assert connection is not None
    return {edge["node"]["id"] for edge in connection["edges"]}


def errors(payload: dict[str, Any]) -> list[tuple[str, list[str] | None]]:
    return [(e["code"], e["field"]) for e in payload["errors"]]


# --- The table itself ------------------------------------------------------------------------


def test_the_table_has_the_dispatch_rows() -> None:
    moves = service.MOVES
    assert moves[service.Verb.DISPATCH].from_statuses == {
        ReportStatus.SUBMITTED, ReportStatus.ACCEPTED, ReportStatus.ASSIGNED,
        ReportStatus.IN_PROGRESS,
    }  # fmt: skip
    assert moves[service.Verb.DISPATCH].to_status is ReportStatus.ACCEPTED
    assert moves[service.Verb.TAKE].from_statuses == {ReportStatus.ACCEPTED}
    assert moves[service.Verb.TAKE].to_status is ReportStatus.ASSIGNED
    assert moves[service.Verb.RETURN].from_statuses == {
        ReportStatus.ACCEPTED, ReportStatus.ASSIGNED, ReportStatus.IN_PROGRESS,
    }  # fmt: skip
    assert moves[service.Verb.RETURN].to_status is ReportStatus.ACCEPTED


# --- Units -----------------------------------------------------------------------------------


class TestUnits:
    async def test_street_staff_see_every_unit_members_their_own(self, world: Dispatching) -> None:
        street = world.street
        units = await world.run("Units", STREET_ADMIN, placeId=street.places["金山街道"])
        assert [(u["name"], u["place"]["name"], u["place"]["level"]) for u in units] == [
            ("金山街道城管中队", "金山街道", "STREET"),
            ("金山街道市政所", "金山街道", "STREET"),
            ("金山街道环卫所", "金山街道", "STREET"),
        ]
        assert {m["displayName"] for m in units[0]["members"]} == {"郭永福", "叶晓东"}
        # The district's admin covers the street.
        assert len(await world.run("Units", HULI_ADMIN, placeId=street.places["金山街道"])) == 3
        mine = await world.run("Units", CHENGGUAN, placeId=street.places["金山街道"])
        assert [u["name"] for u in mine] == ["金山街道城管中队"]
        for phone in (JINAN_WORKER, JINSHAN_WORKER, OUTSIDER, OTHER_STREET_OFFICER):
            assert await world.run("Units", phone, placeId=street.places["金山街道"]) == []
        # A community has no units.
        assert await world.run("Units", HULI_ADMIN, placeId=street.places["金安社区"]) == []

    async def test_creating_a_unit_bad_input_changes_nothing(self, world: Dispatching) -> None:
        street = world.street
        place = street.places["金山街道"]
        taken = await world.run(
            "CreateUnit", STREET_ADMIN, input={"placeId": place, "name": "金山街道城管中队"}
        )
        assert errors(taken) == [("INVALID_INPUT", ["input", "name"])]
        assert taken["errors"][0]["message"] == "这里已经有名为“金山街道城管中队”的部门"
        community = await world.run(
            "CreateUnit", HULI_ADMIN, input={"placeId": street.places["金安社区"], "name": "物业"}
        )
        assert errors(community) == [("INVALID_INPUT", ["input", "placeId"])]
        blank = await world.run("CreateUnit", STREET_ADMIN, input={"placeId": place, "name": " "})
        assert errors(blank) == [("INVALID_INPUT", ["input", "name"])]
        for phone in (JINAN_WORKER, CHENGGUAN, OUTSIDER):
            refused = await world.run(
                "CreateUnit", phone, input={"placeId": place, "name": "金山街道安监站"}
            )
            assert codes(refused) == ["FORBIDDEN"], phone
        units = await world.run("Units", STREET_ADMIN, placeId=place)
        assert [u["name"] for u in units] == [
            "金山街道城管中队",
            "金山街道市政所",
            "金山街道环卫所",
        ]

    async def test_adding_members_bad_input(self, world: Dispatching) -> None:
        street = world.street
        unit = world.units["金山街道市政所"]
        user = await street.user_id(OUTSIDER)
        # A member may not add members; someone of another street does not even see the unit.
        refused = await world.add_member("金山街道城管中队", CHENGGUAN, user)
        assert codes(refused) == ["FORBIDDEN"]
        hidden = await world.add_member(unit, OTHER_STREET_OFFICER, user)
        assert errors(hidden) == [("NOT_FOUND", ["input", "unitId"])]
        nobody = await world.add_member(unit, STREET_ADMIN, street.places["金安社区"])
        assert errors(nobody) == [("INVALID_INPUT", ["input", "userId"])]
        units = await world.run("Units", STREET_ADMIN, placeId=street.places["金山街道"])
        assert [u["members"] for u in units if u["name"] == "金山街道市政所"] == [[]]


# --- Dispatching -----------------------------------------------------------------------------


class TestDispatch:
    @pytest.mark.parametrize("status", ["SUBMITTED", "ACCEPTED", "ASSIGNED", "IN_PROGRESS"])
    async def test_the_street_dispatches_from_any_open_status(
        self, world: Dispatching, status: str
    ) -> None:
        street = world.street
        report_id = await world.escalated("金尚路人行道地砖松动", status=status)
        note = "请城管中队今天内到现场查看，设置警示。"

        payload = await world.dispatch(report_id, "金山街道城管中队", note=note)

        assert payload["errors"] == []
        assert payload["report"] == {
            "id": report_id, "status": "ACCEPTED", "escalationLevel": "STREET",
            "handlingUnit": {"id": world.units["金山街道城管中队"], "name": "金山街道城管中队"},
        }  # fmt: skip
        state = await street.state(report_id, CHENGGUAN)
        assert state["assignee"] is None
        assert state["dueAt"] is not None
        assert state["timeline"][-1]["action"] == "DISPATCHED"
        assert state["timeline"][-1]["note"] == note
        assert state["viewerCan"]["accept"] is True
        assert report_id in await world.queued("金山街道城管中队", CHENGGUAN_2)
        # The street passed it on: its queue no longer lists it.
        assert report_id not in await queue_ids(street, "金山街道", STREET_ADMIN)
        # The grid worker it was assigned to no longer holds it (a neighbour sees it still).
        if status in ("ASSIGNED", "IN_PROGRESS"):
            can = (await street.state(report_id, JINAN_GRID_WORKER))["viewerCan"]
            assert (can["start"], can["resolve"]) == (False, False)
            assert await street.refused("start", report_id, JINAN_GRID_WORKER) == ["FORBIDDEN"]

    async def test_the_district_dispatches_to_its_own_units(self, world: Dispatching) -> None:
        report_id = await world.escalated("金山路雨水管网堵塞", to_district=True)
        # The street passed it on to the district: neither the street nor its units now.
        assert codes(await world.dispatch(report_id, "金山街道城管中队")) == ["FORBIDDEN"]
        wrong = await world.dispatch(report_id, "金山街道城管中队", HULI_ADMIN)
        assert errors(wrong) == [("INVALID_INPUT", ["input", "unitId"])]
        assert wrong["errors"][0]["message"] == "只能派发给湖里区的部门"

        payload = await world.dispatch(report_id, "湖里区市政园林局", HULI_ADMIN)

        assert payload["report"]["escalationLevel"] == "DISTRICT"
        assert payload["report"]["handlingUnit"]["name"] == "湖里区市政园林局"
        assert report_id in await world.queued("湖里区市政园林局", SHIZHENG)
        assert report_id not in await queue_ids(world.street, "湖里区", HULI_ADMIN)
        assert report_id not in await queue_ids(world.street, "金山街道", STREET_ADMIN)

    async def test_a_unit_of_another_street_is_refused(self, world: Dispatching) -> None:
        report_id = await world.escalated("金山路口井盖缺失")

        payload = await world.dispatch(report_id, "江头街道城管中队")

        assert errors(payload) == [("INVALID_INPUT", ["input", "unitId"])]
        assert payload["errors"][0]["message"] == "只能派发给金山街道的部门"
        state = await world.street.state(report_id, STREET_ADMIN)
        assert state["timeline"][-1]["action"] == "ESCALATED"
        assert report_id in await queue_ids(world.street, "金山街道", STREET_ADMIN)

    async def test_a_unit_without_members_is_refused(self, world: Dispatching) -> None:
        report_id = await world.escalated("金山街道办前路灯不亮")
        payload = await world.dispatch(report_id, "金山街道市政所")
        assert errors(payload) == [("INVALID_INPUT", ["input", "unitId"])]

    async def test_only_a_report_at_a_street_or_district_is_dispatched(
        self, world: Dispatching
    ) -> None:
        report_id = await world.street.reach("ACCEPTED", title="金安里 3 栋垃圾未清运")
        # At the community: its staff may not, nor the street's (no unit of the community).
        assert codes(await world.dispatch(report_id, "金山街道城管中队", JINAN_WORKER)) == [
            "INVALID_TRANSITION"
        ]
        assert codes(await world.dispatch(report_id, "金山街道城管中队")) == ["INVALID_TRANSITION"]

    async def test_finished_reports_are_not_dispatched(self, world: Dispatching) -> None:
        street = world.street
        report_id = await world.escalated("金安里 9 栋门禁故障", status="IN_PROGRESS")
        await street.ok("resolve", report_id, JINAN_GRID_WORKER)
        assert codes(await world.dispatch(report_id, "金山街道城管中队")) == ["INVALID_TRANSITION"]
        await street.ok("rate", report_id, JINAN_RESIDENT)
        assert codes(await world.dispatch(report_id, "金山街道城管中队")) == ["INVALID_TRANSITION"]
        rejected = await world.escalated("金安里 9 栋楼顶违建")
        await street.ok("reject", rejected, STREET_ADMIN)
        assert codes(await world.dispatch(rejected, "金山街道城管中队")) == ["INVALID_TRANSITION"]

    async def test_a_resolved_dispatched_report_is_not_dispatched_again(
        self, world: Dispatching
    ) -> None:
        report_id = await world.escalated("金尚路占道经营")
        await world.dispatch(report_id, "金山街道城管中队")
        await world.street.ok("accept", report_id, CHENGGUAN)
        await world.street.ok("start", report_id, CHENGGUAN)
        await world.street.ok("resolve", report_id, CHENGGUAN)
        assert codes(await world.dispatch(report_id, "金山街道城管中队")) == ["INVALID_TRANSITION"]

    @pytest.mark.parametrize(
        "phone", [JINAN_WORKER, JINAN_GRID_WORKER, JINAN_RESIDENT, CHENGGUAN, JINSHAN_WORKER]
    )
    async def test_only_the_levels_staff_dispatch(self, world: Dispatching, phone: str) -> None:
        report_id = await world.escalated("金山路共享单车乱停放")
        payload = await world.dispatch(report_id, "金山街道城管中队", phone)
        assert codes(payload) in (["FORBIDDEN"], ["NOT_FOUND"])
        assert report_id in await queue_ids(world.street, "金山街道", STREET_ADMIN)


# --- The unit's moves ------------------------------------------------------------------------


class TestTheUnitsMoves:
    async def test_take_start_resolve(self, world: Dispatching) -> None:
        street = world.street
        report_id = await world.escalated("金尚路违章搭建雨棚")
        await world.dispatch(report_id, "金山街道城管中队")

        taken = await street.ok("accept", report_id, CHENGGUAN_2)

        assert taken["status"] == "ASSIGNED"
        state = await street.state(report_id, CHENGGUAN_2)
        assert state["assignee"] == await street.person(CHENGGUAN_2)
        assert state["timeline"][-1]["action"] == "ACCEPTED"
        # Taken once: the other member cannot take it again.
        assert await street.refused("accept", report_id, CHENGGUAN) == ["INVALID_TRANSITION"]
        assert (await street.ok("start", report_id, CHENGGUAN_2))["status"] == "IN_PROGRESS"
        resolved = await street.ok("resolve", report_id, CHENGGUAN_2)
        assert resolved["status"] == "RESOLVED"
        assert report_id not in await world.queued("金山街道城管中队", CHENGGUAN)
        # The reporter rates it as ever.
        assert (await street.ok("rate", report_id, JINAN_RESIDENT))["status"] == "CLOSED"

    async def test_nobody_else_moves_a_report_the_unit_holds(self, world: Dispatching) -> None:
        street = world.street
        report_id = await world.escalated("金山路人行道护栏倒伏")
        await world.dispatch(report_id, "金山街道城管中队")

        # The street admin is not of the unit: taking is the unit's.
        assert await street.refused("accept", report_id, STREET_ADMIN) == ["FORBIDDEN"]
        assert await street.refused("accept", report_id, SHIZHENG) == ["NOT_FOUND"]
        # The community does not assign, reject or escalate what a unit holds.
        assert await street.refused("assign", report_id, JINAN_WORKER) == ["INVALID_TRANSITION"]
        assert await street.refused("reject", report_id, JINAN_WORKER) == ["INVALID_TRANSITION"]
        assert await street.refused("escalate", report_id, STREET_ADMIN) == ["INVALID_TRANSITION"]
        assert codes(await world.dispatch(report_id, "金山街道城管中队")) == ["INVALID_TRANSITION"]
        state = await street.state(report_id, STREET_ADMIN)
        assert not any(
            allowed for move, allowed in state["viewerCan"].items() if move != "comment"
        ), state["viewerCan"]
        # Once a member took it, its work is theirs: not the street's nor the community's.
        await street.ok("accept", report_id, CHENGGUAN)
        for phone in (STREET_ADMIN, JINAN_WORKER):
            assert await street.refused("start", report_id, phone) == ["FORBIDDEN"]
        await street.ok("start", report_id, CHENGGUAN_2)
        for phone in (STREET_ADMIN, JINAN_WORKER, JINAN_GRID_WORKER):
            assert await street.refused("resolve", report_id, phone) in (
                ["FORBIDDEN"],
                ["NOT_FOUND"],
            )

    @pytest.mark.parametrize("status", ["ACCEPTED", "ASSIGNED", "IN_PROGRESS"])
    async def test_the_unit_returns_it_to_the_street(self, world: Dispatching, status: str) -> None:
        street = world.street
        report_id = await world.escalated("金山路绿化带树木倾斜")
        await world.dispatch(report_id, "金山街道城管中队")
        if status != "ACCEPTED":
            await street.ok("accept", report_id, CHENGGUAN)
        if status == "IN_PROGRESS":
            await street.ok("start", report_id, CHENGGUAN)
        reason = "属于园林绿化，不是城管职责，请转市政部门。"

        payload = await world.give_back(report_id, CHENGGUAN_2, reason)

        assert payload["errors"] == []
        assert payload["report"] == {"id": report_id, "status": "ACCEPTED", "handlingUnit": None}
        state = await street.state(report_id, STREET_ADMIN)
        assert state["assignee"] is None
        assert state["escalationLevel"] == "STREET"
        assert state["timeline"][-1]["action"] == "RETURNED"
        assert state["timeline"][-1]["note"] == reason
        assert state["timeline"][-1]["fromStatus"] == status
        assert report_id in await queue_ids(street, "金山街道", STREET_ADMIN)
        assert report_id not in await world.queued("金山街道城管中队", CHENGGUAN)
        # The unit no longer sees it; the street may dispatch it again, or escalate it.
        assert await street.detail(report_id, CHENGGUAN) is None
        assert state["viewerCan"]["escalate"] is True
        again = await world.dispatch(report_id, "金山街道城管中队")
        assert again["report"]["handlingUnit"] is not None

    async def test_returning_a_report_one_does_not_hold(self, world: Dispatching) -> None:
        report_id = await world.escalated("金尚路井盖异响")
        # Not dispatched: nobody holds it as a unit.
        assert codes(await world.give_back(report_id, STREET_ADMIN)) == ["FORBIDDEN"]
        await world.dispatch(report_id, "金山街道城管中队")
        # Another unit's member does not see it; the street's admin is no member.
        assert codes(await world.give_back(report_id, OTHER_STREET_OFFICER)) == ["NOT_FOUND"]
        assert codes(await world.give_back(report_id, STREET_ADMIN)) == ["FORBIDDEN"]
        assert codes(await world.give_back(report_id, JINAN_WORKER)) == ["FORBIDDEN"]
        assert report_id in await world.queued("金山街道城管中队", CHENGGUAN)

    async def test_a_reason_is_required_to_return(self, world: Dispatching) -> None:
        report_id = await world.escalated("金山路路面塌陷")
        await world.dispatch(report_id, "金山街道城管中队")
        payload = await world.run(
            "ReturnReport", CHENGGUAN, input={"reportId": report_id, "reason": "  "}
        )
        assert errors(payload) == [("INVALID_INPUT", ["input", "reason"])]
        assert report_id in await world.queued("金山街道城管中队", CHENGGUAN)

    async def test_a_resolved_report_is_not_returned(self, world: Dispatching) -> None:
        street = world.street
        report_id = await world.escalated("金山路消防通道堵塞")
        await world.dispatch(report_id, "金山街道城管中队")
        await street.ok("accept", report_id, CHENGGUAN)
        await street.ok("start", report_id, CHENGGUAN)
        await street.ok("resolve", report_id, CHENGGUAN)
        assert codes(await world.give_back(report_id, CHENGGUAN)) == ["INVALID_TRANSITION"]

    async def test_a_new_member_sees_what_the_unit_holds(self, world: Dispatching) -> None:
        street = world.street
        report_id = await world.escalated("金尚路广告牌松动")
        await world.dispatch(report_id, "金山街道环卫所")
        newcomer = "13959208851"
        await world.register(newcomer, "苏建国")
        assert await street.detail(report_id, newcomer) is None
        added = await world.add_member(
            "金山街道环卫所", STREET_ADMIN, await street.user_id(newcomer)
        )
        assert added["errors"] == []
        assert await street.detail(report_id, newcomer) is not None
        assert report_id in await world.queued("金山街道环卫所", newcomer)
        stored = await street.deps.db["reports"].find_one({"_id": object_id(report_id)})
        assert stored is not None
        assert f"user:{object_id(await street.user_id(newcomer), 'User')}" in stored["audience"]


class TestQueues:
    async def test_the_street_holds_what_it_did_not_pass_on(self, world: Dispatching) -> None:
        street = world.street
        kept = await world.escalated("金山路噪音扰民")
        passed_up = await world.escalated("金山路下水道反味", to_district=True)
        dispatched = await world.escalated("金尚路流动摊贩")
        await world.dispatch(dispatched, "金山街道城管中队")

        held = await queue_ids(street, "金山街道", STREET_ADMIN)

        assert kept in held
        assert passed_up not in held
        assert dispatched not in held
        assert passed_up in await queue_ids(street, "湖里区", HULI_ADMIN)

    @pytest.mark.parametrize(
        "phone", [JINAN_WORKER, OUTSIDER, OTHER_STREET_OFFICER, SHIZHENG, JINAN_RESIDENT]
    )
    async def test_a_units_queue_is_null_for_others(self, world: Dispatching, phone: str) -> None:
        assert await world.queue("金山街道城管中队", phone) is None

    async def test_staff_of_the_place_see_a_units_queue(self, world: Dispatching) -> None:
        report_id = await world.escalated("金山路电线私拉乱接")
        await world.dispatch(report_id, "金山街道城管中队")
        for phone in (STREET_ADMIN, HULI_ADMIN, CHENGGUAN):
            queue = await world.queue("金山街道城管中队", phone)
            assert queue is not None
            assert report_id in [edge["node"]["id"] for edge in queue["edges"]]
            assert queue["totalCount"] == len(queue["edges"])
            node = next(e["node"] for e in queue["edges"] if e["node"]["id"] == report_id)
            assert node["community"]["name"] == "金安社区"

    async def test_filter_by_unit(self, world: Dispatching) -> None:
        street = world.street
        report_id = await world.escalated("金山路窨井盖破损")
        await world.dispatch(report_id, "金山街道城管中队")
        data = await world.run(
            "PlaceReports", STREET_ADMIN, placeId=street.places["金山街道"],
            filter={"unitId": world.units["金山街道城管中队"]}, first=100,
        )  # fmt: skip
        found = [edge["node"]["id"] for edge in data["edges"]]
        assert report_id in found
        assert data["totalCount"] == len(found)
        stored = street.deps.db["reports"].find(
            {"handling_unit_id": object_id(world.units["金山街道城管中队"], "Unit")}
        )
        assert len(found) == len(await stored.to_list())


class TestRaces:
    """One owner under concurrency: each move is conditional on the status and the holder the
    report was read with, so of two racing moves exactly one applies."""

    async def test_two_dispatches_at_once(self, world: Dispatching) -> None:
        street = world.street
        report_id = await world.escalated("金山路垃圾桶满溢")

        results = await asyncio.gather(
            world.dispatch(report_id, "金山街道城管中队"),
            world.dispatch(report_id, "金山街道环卫所", HULI_ADMIN),
        )

        outcomes = sorted(codes(r) for r in results)
        assert outcomes == [[], ["INVALID_TRANSITION"]], results
        (won,) = [r for r in results if not r["errors"]]
        state = await street.state(report_id, STREET_ADMIN)
        assert [e["action"] for e in state["timeline"]].count("DISPATCHED") == 1
        queue = await world.queued(won["report"]["handlingUnit"]["name"], STREET_ADMIN)
        assert report_id in queue

    async def test_two_members_take_at_once(self, world: Dispatching) -> None:
        street = world.street
        report_id = await world.escalated("金尚路违规张贴小广告")
        await world.dispatch(report_id, "金山街道城管中队")

        results = await asyncio.gather(
            street.move("accept", report_id, CHENGGUAN),
            street.move("accept", report_id, CHENGGUAN_2),
        )

        assert sorted(codes(r) for r in results) == [[], ["INVALID_TRANSITION"]]
        state = await street.state(report_id, CHENGGUAN)
        assert state["status"] == "ASSIGNED"
        assert [e["action"] for e in state["timeline"]].count("ACCEPTED") == 2  # 社区, 城管

    async def test_a_return_racing_a_resolve(self, world: Dispatching) -> None:
        street = world.street
        report_id = await world.escalated("金山路路牙石破损")
        await world.dispatch(report_id, "金山街道城管中队")
        await street.ok("accept", report_id, CHENGGUAN)
        await street.ok("start", report_id, CHENGGUAN)

        results = await asyncio.gather(
            street.move("resolve", report_id, CHENGGUAN),
            world.give_back(report_id, CHENGGUAN_2),
        )

        assert sorted(codes(r) for r in results) == [[], ["INVALID_TRANSITION"]]
        state = await street.state(report_id, STREET_ADMIN)
        assert state["status"] in ("RESOLVED", "ACCEPTED")


async def test_the_reporter_sees_the_unit_not_its_members(world: Dispatching) -> None:
    street = world.street
    report_id = await world.escalated("金山路消防栓漏水")
    await world.dispatch(report_id, "金山街道城管中队")
    document = """query($id: ID!) {
      report(id: $id) { handlingUnit { id name members { id displayName } } }
    }"""
    seen = {}
    for phone in (JINAN_RESIDENT, CHENGGUAN, STREET_ADMIN):
        result = await street.api.execute(
            document, {"id": report_id}, token=await street.token(phone)
        )
        assert result.errors is None, result.errors
        assert result.data is not None
        seen[phone] = result.data["report"]["handlingUnit"]
    assert seen[JINAN_RESIDENT] == {
        "id": world.units["金山街道城管中队"], "name": "金山街道城管中队", "members": [],
    }  # fmt: skip
    assert {m["displayName"] for m in seen[CHENGGUAN]["members"]} == {"郭永福", "叶晓东"}
    assert seen[STREET_ADMIN] == seen[CHENGGUAN]
