"""The membership lifecycle: leaveCommunity, updateMembership by staff (every change audited
with its old and new value), buildings, and households that count only once staff confirm
them."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from neighbor_api.core.deps import Deps
from neighbor_api.core.i18n import Locale
from tests.conftest import Api
from tests.councils.support import Hall, Newcomer, object_id
from tests.places.support import (
    HULI_ADMIN,
    JINAN_RESIDENT,
    JINAN_WORKER,
    JINSHAN_WORKER,
    DemoPlaces,
    Person,
    codes,
    sign_in,
)

COMMUNITY_PLACES = """
query Buildings($id: ID!) {
  community(id: $id) { grids { id name children { id name level } } }
}
"""


async def buildings(api: Api, places: DemoPlaces) -> dict[str, str]:
    token = await api.login(JINAN_WORKER)
    result = await api.execute(COMMUNITY_PLACES, {"id": places["金安社区"]}, token=token)
    assert result.errors is None, result.errors
    assert result.data is not None
    found = {}
    for grid in result.data["community"]["grids"]:
        found[grid["name"]] = grid["id"]
        for child in grid["children"]:
            assert child["level"] == "BUILDING"
            found[child["name"]] = child["id"]
    return found


async def update(api: Api, token: str, membership_id: str, **fields: Any) -> dict[str, Any]:
    data = await api.data(
        "UpdateMembership",
        {"input": {"membershipId": membership_id, **fields}},
        token=token,
    )
    payload: dict[str, Any] = data["updateMembership"]
    return payload


async def leave(api: Api, token: str, membership_id: str) -> dict[str, Any]:
    data = await api.data("LeaveCommunity", {"input": {"membershipId": membership_id}}, token=token)
    payload: dict[str, Any] = data["leaveCommunity"]
    return payload


class TestLeaveCommunity:
    async def test_a_resident_moves_away(self, api: Api, places: DemoPlaces, deps: Deps) -> None:
        resident = await sign_in(api, JINAN_RESIDENT)

        payload = await leave(api, resident.token, resident.membership_id)

        assert payload == {
            "membership": {"id": resident.membership_id, "status": "LEFT"},
            "errors": [],
        }
        event = await deps.db["events"].find_one({"kind": "membership.left"})
        assert event is not None
        assert event["subject_id"] == object_id(resident.membership_id)
        # Leaving twice is refused; joining again is possible (the open membership is gone).
        assert codes(await leave(api, resident.token, resident.membership_id)) == [
            "INVALID_TRANSITION"
        ]
        again = await api.data(
            "JoinCommunity",
            {"input": {"communityId": places["金安社区"], "address": "金安里 5 栋 302"}},
            token=resident.token,
        )
        assert again["joinCommunity"]["errors"] == []

    async def test_an_applicant_withdraws(self, api: Api, applicant: Person) -> None:
        payload = await leave(api, applicant.token, applicant.membership_id)

        assert payload["membership"]["status"] == "LEFT"

    async def test_only_the_member_leaves(self, api: Api, places: DemoPlaces) -> None:
        resident = await sign_in(api, JINAN_RESIDENT)

        staff = await leave(api, await api.login(JINAN_WORKER), resident.membership_id)
        stranger = await leave(api, await api.login(JINSHAN_WORKER), resident.membership_id)

        assert codes(staff) == ["FORBIDDEN"]
        assert staff["errors"][0]["message"] == "只有成员本人可以退出社区"
        assert codes(stranger) == ["NOT_FOUND"]
        assert (await sign_in(api, JINAN_RESIDENT)).memberships[0]["status"] == "ACTIVE"


class TestUpdateMembership:
    async def test_staff_correct_a_membership_and_each_change_is_audited(
        self, api: Api, places: DemoPlaces, deps: Deps
    ) -> None:
        resident = await sign_in(api, JINAN_RESIDENT)
        where = await buildings(api, places)

        payload = await update(
            api,
            await api.login(JINAN_WORKER),
            resident.membership_id,
            address="金湖路金安里 9 栋 601 室",
            ownedFloorArea=92.5,
            buildingId=where["金安里 9 栋"],
            roles=["RESIDENT", "COUNCIL_MEMBER"],
        )

        assert payload["errors"] == []
        assert payload["membership"] == {
            "id": resident.membership_id,
            "roles": ["COUNCIL_MEMBER", "RESIDENT"],
            "address": "金湖路金安里 9 栋 601 室",
            "householdCode": "JA-5-302",
            "ownedFloorArea": 92.5,
            "building": {"id": where["金安里 9 栋"], "name": "金安里 9 栋"},
            "grid": {"id": where["金安社区第二网格"], "name": "金安社区第二网格"},
        }
        (event,) = [
            e
            async for e in deps.db["events"].find({"kind": "membership.updated"})
            if e["subject_id"] == object_id(resident.membership_id)
            and "address" in e["data"]["changes"]
        ]
        changes = event["data"]["changes"]
        assert changes["address"] == {
            "old": "金山路 128 号金安里 5 栋 302 室",
            "new": "金湖路金安里 9 栋 601 室",
        }
        assert changes["owned_floor_area"] == {"old": 89.5, "new": 92.5}
        assert changes["roles"] == {"old": ["RESIDENT"], "new": ["COUNCIL_MEMBER", "RESIDENT"]}
        assert changes["building_id"]["new"] == object_id(
            where["金安里 9 栋"],
        )  # type: ignore[call-arg]
        assert event["actor_id"] is not None

    async def test_the_district_admin_may_too(self, api: Api, places: DemoPlaces) -> None:
        resident = await sign_in(api, JINAN_RESIDENT)

        payload = await update(
            api, await api.login(HULI_ADMIN), resident.membership_id, address="金安里 5 栋 302"
        )

        assert payload["errors"] == []

    async def test_nobody_else(self, api: Api, places: DemoPlaces) -> None:
        resident = await sign_in(api, JINAN_RESIDENT)

        itself = await update(api, resident.token, resident.membership_id, address="x 路 1 号")
        other = await update(
            api, await api.login(JINSHAN_WORKER), resident.membership_id, address="x 路 1 号"
        )

        assert codes(itself) == ["FORBIDDEN"]
        assert itself["errors"][0]["message"] == "只有社区工作人员可以修改成员信息"
        assert codes(other) == ["NOT_FOUND"]

    async def test_bad_input_changes_nothing(
        self, api: Api, places: DemoPlaces, deps: Deps
    ) -> None:
        resident = await sign_in(api, JINAN_RESIDENT)
        where = await buildings(api, places)
        before = await deps.db["memberships"].find_one({"_id": object_id(resident.membership_id)})

        result = await api.op(
            "UpdateMembership",
            {
                "input": {
                    "membershipId": resident.membership_id,
                    "address": "  ",
                    "ownedFloorArea": -3.0,
                    "roles": ["ADMIN"],
                    "buildingId": where["金安里 3 栋"],
                    "gridId": where["金安社区第二网格"],
                }
            },
            token=await api.login(JINAN_WORKER),
            locale=Locale.EN,
        )

        assert result.errors is None, result.errors
        assert result.data is not None
        payload = result.data["updateMembership"]
        assert payload["membership"] is None
        fields = {tuple(e["field"]): e["message"] for e in payload["errors"]}
        assert set(fields) == {
            ("input", "address"),
            ("input", "ownedFloorArea"),
            ("input", "roles"),
            ("input", "buildingId"),
        }
        assert fields[("input", "buildingId")] == "This building is not in the chosen grid"
        after = await deps.db["memberships"].find_one({"_id": object_id(resident.membership_id)})
        assert after == before

    async def test_a_place_of_another_community_or_level_is_refused(
        self, api: Api, places: DemoPlaces
    ) -> None:
        resident = await sign_in(api, JINAN_RESIDENT)
        worker = await api.login(JINAN_WORKER)

        wrong_level = await update(
            api, worker, resident.membership_id, buildingId=places["金安社区第一网格"]
        )
        other_grid = await update(
            api, worker, resident.membership_id, gridId=places["金山社区第一网格"]
        )

        assert [e["field"] for e in wrong_level["errors"]] == [["input", "buildingId"]]
        assert [e["field"] for e in other_grid["errors"]] == [["input", "gridId"]]

    async def test_two_staff_racing_on_one_membership(
        self, api: Api, places: DemoPlaces, deps: Deps
    ) -> None:
        resident = await sign_in(api, JINAN_RESIDENT)
        worker, admin = await api.login(JINAN_WORKER), await api.login(HULI_ADMIN)

        first, second = await asyncio.gather(
            update(api, worker, resident.membership_id, address="金安里 5 栋 302 甲"),
            update(api, admin, resident.membership_id, address="金安里 5 栋 302 乙"),
        )

        outcomes = sorted(codes(p)[0] if p["errors"] else "OK" for p in (first, second))
        assert outcomes in (["OK", "VERSION_CONFLICT"], ["OK", "OK"])
        stored = await deps.db["memberships"].find_one({"_id": object_id(resident.membership_id)})
        assert stored is not None
        audited = [
            e["data"]["changes"]["address"]
            async for e in deps.db["events"].find({"kind": "membership.updated"})
            if "address" in e["data"]["changes"]
        ]
        # Every audit entry's old value is what the membership held just before it.
        assert audited[-1]["new"] == stored["address"]
        if len(audited) == 2:
            assert audited[1]["old"] == audited[0]["new"]


class TestHouseholdsConfirmedByStaff:
    @pytest.fixture
    async def hall(self, api: Api, deps: Deps) -> Hall:
        return await Hall.open(api, deps)

    async def test_a_self_declared_household_does_not_take_the_households_vote(
        self, hall: Hall, api: Api
    ) -> None:
        # A newcomer claims 王丽娟's household JA-5-302; staff approve without confirming it.
        registered = await api.register("13959207001", "pass-2026-word", "冒名者")
        token = registered["accessToken"]
        joined = await api.data(
            "JoinCommunity",
            {
                "input": {
                    "communityId": hall.jinan,
                    "address": "金安里 5 栋 302",
                    "householdCode": "JA-5-302",
                }
            },
            token=token,
        )
        membership_id = joined["joinCommunity"]["membership"]["id"]
        decided = await api.data(
            "DecideMembership",
            {"input": {"membershipId": membership_id, "approve": True}},
            token=await hall.token(JINAN_WORKER),
        )
        assert decided["decideMembership"]["errors"] == []
        newcomer = Newcomer(token, object_id(registered["viewer"]["id"]))

        proposal = await hall.voting(electorate="HOUSEHOLDS")
        await hall.vote(newcomer, proposal, "赞成")
        real = await hall.vote_payload(JINAN_RESIDENT, proposal, "反对")

        assert real["errors"] == []  # the real household still has its vote

        # Once staff confirm the code, the newcomer is one of the household's electors.
        confirmed = await update(
            api, await hall.token(JINAN_WORKER), membership_id, householdCode="JA-5-302"
        )
        assert confirmed["errors"] == []
        later = await hall.voting(electorate="HOUSEHOLDS")
        await hall.vote(JINAN_RESIDENT, later, "赞成")
        shared = await hall.vote_payload(newcomer, later, "反对")
        assert codes(shared) == ["HOUSEHOLD_ALREADY_VOTED"]
