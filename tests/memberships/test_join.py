"""Joining a community and the queue of join requests."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from neighbor_api.core.clock import ManualClock
from neighbor_api.core.deps import Deps
from tests.conftest import Api
from tests.places.support import (
    HULI_ADMIN,
    JINAN_CHAIR,
    JINAN_RESIDENT,
    JINAN_WORKER,
    JINSHAN_WORKER,
    DemoPlaces,
    Person,
    codes,
    error_codes,
    join,
    register,
    sign_in,
    user_object_id,
    viewer,
)

ADDRESS = "金山路 132 号金安里 10 栋 501 室"


class TestJoinCommunity:
    async def test_asks_to_join(self, api: Api, places: DemoPlaces, newcomer: Person) -> None:
        payload = await join(api, newcomer, places["金安社区"], ADDRESS, "JA-10-501")
        assert payload["errors"] == []
        membership = payload["membership"]
        assert membership["status"] == "PENDING"
        assert membership["roles"] == []
        assert membership["community"] == {"id": places["金安社区"], "name": "金安社区"}
        (shown,) = (await viewer(api, newcomer.token)).memberships
        assert shown["id"] == membership["id"]
        assert shown["status"] == "PENDING"
        assert shown["address"] == ADDRESS
        assert shown["community"]["street"]["name"] == "金山街道"

    async def test_records_an_event(
        self, api: Api, places: DemoPlaces, newcomer: Person, demo: Deps
    ) -> None:
        await join(api, newcomer, places["金安社区"], ADDRESS)
        user_id = await user_object_id(demo, "13959201001")
        membership = await demo.db["memberships"].find_one({"user_id": user_id})
        assert membership is not None
        event = await demo.db["events"].find_one(
            {"kind": "membership.requested", "subject_id": membership["_id"]}
        )
        assert event is not None
        assert event["actor_id"] == user_id

    async def test_unauthenticated_without_a_token(self, api: Api, places: DemoPlaces) -> None:
        result = await api.op(
            "JoinCommunity", {"input": {"communityId": places["金安社区"], "address": ADDRESS}}
        )
        assert error_codes(result) == ["UNAUTHENTICATED"]
        assert result.data is None

    async def test_unauthenticated_with_a_bad_token(self, api: Api, places: DemoPlaces) -> None:
        result = await api.op(
            "JoinCommunity",
            {"input": {"communityId": places["金安社区"], "address": ADDRESS}},
            token="not-a-token",
        )
        assert error_codes(result) == ["UNAUTHENTICATED"]

    async def test_already_member_when_active(self, api: Api, places: DemoPlaces) -> None:
        resident = await sign_in(api, JINAN_RESIDENT)
        payload = await join(api, resident, places["金安社区"], "金山路 128 号金安里 5 栋 302 室")
        assert codes(payload) == ["ALREADY_MEMBER"]
        assert payload["membership"] is None

    async def test_already_member_when_appointed_staff(self, api: Api, places: DemoPlaces) -> None:
        worker = await sign_in(api, JINAN_WORKER)
        payload = await join(api, worker, places["金安社区"], ADDRESS)
        assert codes(payload) == ["ALREADY_MEMBER"]

    async def test_already_member_when_pending(
        self, api: Api, places: DemoPlaces, applicant: Person
    ) -> None:
        payload = await join(api, applicant, places["金安社区"], "金山路 140 号 2 栋 101 室")
        assert codes(payload) == ["ALREADY_MEMBER"]
        assert payload["errors"][0]["field"] == ["input", "communityId"]

    async def test_a_resident_may_ask_to_join_another_community(
        self, api: Api, places: DemoPlaces
    ) -> None:
        resident = await sign_in(api, JINAN_CHAIR)
        payload = await join(
            api, resident, places["金山社区"], "金山西路 66 号金山花园 5 栋 201 室"
        )
        assert payload["errors"] == []
        assert payload["membership"]["status"] == "PENDING"

    async def test_concurrent_joins_make_one_membership(
        self, api: Api, places: DemoPlaces, newcomer: Person, demo: Deps
    ) -> None:
        payloads = await asyncio.gather(
            *(join(api, newcomer, places["金安社区"], ADDRESS) for _ in range(10))
        )
        outcomes = sorted(tuple(codes(p)) for p in payloads)
        assert outcomes == [()] + [("ALREADY_MEMBER",)] * 9
        user_id = await user_object_id(demo, "13959201001")
        assert await demo.db["memberships"].count_documents({"user_id": user_id}) == 1

    async def test_invalid_input_for_a_garbage_community_id(
        self, api: Api, places: DemoPlaces, newcomer: Person
    ) -> None:
        payload = await join(api, newcomer, "金安社区", ADDRESS)
        assert codes(payload) == ["INVALID_INPUT"]
        assert payload["errors"][0]["field"] == ["input", "communityId"]

    async def test_not_found_for_a_grids_id(
        self, api: Api, places: DemoPlaces, newcomer: Person, demo: Deps
    ) -> None:
        payload = await join(api, newcomer, places["金安社区第一网格"], ADDRESS)
        assert codes(payload) == ["NOT_FOUND"]
        assert payload["errors"][0]["field"] == ["input", "communityId"]
        assert await demo.db["memberships"].count_documents({"status": "PENDING"}) == 0

    async def test_not_found_for_a_streets_id(
        self, api: Api, places: DemoPlaces, newcomer: Person
    ) -> None:
        payload = await join(api, newcomer, places["金山街道"], ADDRESS)
        assert codes(payload) == ["NOT_FOUND"]

    async def test_invalid_input_for_a_users_id(
        self, api: Api, places: DemoPlaces, newcomer: Person
    ) -> None:
        payload = await join(api, newcomer, newcomer.id, ADDRESS)
        assert codes(payload) == ["INVALID_INPUT"]

    async def test_invalid_input_for_an_empty_address(
        self, api: Api, places: DemoPlaces, newcomer: Person, demo: Deps
    ) -> None:
        for address in ["", "   "]:
            payload = await join(api, newcomer, places["金安社区"], address)
            assert codes(payload) == ["INVALID_INPUT"], address
            assert payload["errors"][0]["field"] == ["input", "address"]
            assert payload["errors"][0]["message"]
        assert await demo.db["memberships"].count_documents({"status": "PENDING"}) == 0

    async def test_invalid_input_for_an_overlong_address(
        self, api: Api, places: DemoPlaces, newcomer: Person
    ) -> None:
        payload = await join(api, newcomer, places["金安社区"], "金山路" * 50)
        assert codes(payload) == ["INVALID_INPUT"]
        assert payload["errors"][0]["field"] == ["input", "address"]


# Newcomers to 金安社区, in the order they ask to join.
NEWCOMERS = [
    ("13959201011", "许雅婷", "金山路 132 号金安里 10 栋 501 室"),
    ("13959201012", "郭志明", "金山路 132 号金安里 11 栋 202 室"),
    ("13959201013", "苏婉清", "金山路 136 号金安里 12 栋 803 室"),
    ("13959201014", "庄海峰", "金山路 136 号金安里 15 栋 1201 室"),
    ("13959201015", "洪丽珍", "金安路 18 号金安花园 3 栋 402 室"),
]


class TestPendingMemberships:
    async def test_the_queue_in_order_page_by_page(
        self, api: Api, places: DemoPlaces, clock: ManualClock
    ) -> None:
        for phone, name, address in NEWCOMERS:
            person = await register(api, phone, name)
            assert (await join(api, person, places["金安社区"], address))["errors"] == []
            clock.advance(timedelta(minutes=7))
        # Someone asking to join 金山社区 is not in 金安社区's queue.
        other = await register(api, "13959201016", "叶晓东")
        await join(api, other, places["金山社区"], "金山西路 66 号金山花园 8 栋 301 室")

        worker = await api.login(JINAN_WORKER)
        seen: list[tuple[str, str]] = []
        pages = []
        after = None
        for _ in range(3):
            data = await api.data(
                "PendingMemberships",
                {"communityId": places["金安社区"], "first": 2, "after": after},
                token=worker,
            )
            page = data["memberships"]
            pages.append(page)
            assert page["totalCount"] == 5
            assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
            assert len({e["cursor"] for e in page["edges"]}) == len(page["edges"])
            for edge in page["edges"]:
                assert edge["node"]["status"] == "PENDING"
                seen.append((edge["node"]["user"]["displayName"], edge["node"]["address"]))
            after = page["pageInfo"]["endCursor"]
        assert seen == [(name, address) for _, name, address in NEWCOMERS]
        assert [len(p["edges"]) for p in pages] == [2, 2, 1]
        assert [p["pageInfo"]["hasNextPage"] for p in pages] == [True, True, False]

    async def test_the_communitys_staff_see_the_applicants_phone(
        self, api: Api, places: DemoPlaces, applicant: Person
    ) -> None:
        """In full for the community's own staff (who call the applicant), masked for the
        district's admin (contact by need: tests/privacy/test_contact_by_need.py)."""
        for staff, phone in [(JINAN_WORKER, "+8613959201001"), (HULI_ADMIN, "139****1001")]:
            data = await api.data(
                "PendingMemberships",
                {"communityId": places["金安社区"]},
                token=await api.login(staff),
            )
            (edge,) = data["memberships"]["edges"]
            assert edge["node"]["user"] == {
                "id": applicant.id,
                "displayName": "许雅婷",
                "phone": phone,
            }, staff

    async def test_empty_queue(self, api: Api, places: DemoPlaces) -> None:
        data = await api.data(
            "PendingMemberships",
            {"communityId": places["金山社区"]},
            token=await api.login(JINSHAN_WORKER),
        )
        assert data["memberships"]["totalCount"] == 0
        assert data["memberships"]["pageInfo"] == {"hasNextPage": False, "endCursor": None}

    async def test_negative_first_is_an_error(self, api: Api, places: DemoPlaces) -> None:
        result = await api.op(
            "PendingMemberships",
            {"communityId": places["金安社区"], "first": -5},
            token=await api.login(JINAN_WORKER),
        )
        assert error_codes(result) == ["INVALID_INPUT"]
