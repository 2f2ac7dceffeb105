"""Deciding join requests: who may, with which roles, and exactly once."""

from __future__ import annotations

import asyncio

from bson import ObjectId

from neighbor_api.core.deps import Deps
from tests.conftest import Api
from tests.places.support import (
    HULI_ADMIN,
    JINAN_GRID_WORKER,
    JINAN_NEIGHBOUR,
    JINAN_RESIDENT,
    JINAN_WORKER,
    JINSHAN_WORKER,
    NODE_DETAILS,
    DemoPlaces,
    Person,
    codes,
    decide,
    error_codes,
    join,
    sign_in,
    user_object_id,
    viewer,
)

APPLICANT_PHONE = "13959201001"


async def stored_membership(deps: Deps) -> dict[str, object]:
    """The applicant's one membership document."""
    user_id = await user_object_id(deps, APPLICANT_PHONE)
    documents = await deps.db["memberships"].find({"user_id": user_id}).to_list()
    assert len(documents) == 1, documents
    document: dict[str, object] = documents[0]
    return document


class TestApprove:
    async def test_approve_with_roles_and_floor_area(
        self, api: Api, places: DemoPlaces, applicant: Person
    ) -> None:
        worker = await api.login(JINAN_WORKER)
        payload = await decide(
            api,
            worker,
            applicant.membership_id,
            approve=True,
            roles=["RESIDENT", "COUNCIL_MEMBER"],
            ownedFloorArea=96.5,
        )
        assert payload["errors"] == []
        assert payload["membership"] == {
            "id": applicant.membership_id,
            "status": "ACTIVE",
            "roles": ["COUNCIL_MEMBER", "RESIDENT"],
        }
        seen = await api.execute(NODE_DETAILS, {"id": applicant.membership_id}, token=worker)
        assert seen.data is not None
        assert seen.data["node"]["ownedFloorArea"] == 96.5

    async def test_the_viewer_shows_the_active_membership(
        self, api: Api, places: DemoPlaces, applicant: Person
    ) -> None:
        await decide(
            api, await api.login(JINAN_WORKER), applicant.membership_id, approve=True, roles=None
        )
        (membership,) = (await viewer(api, applicant.token)).memberships
        assert membership["status"] == "ACTIVE"
        assert membership["roles"] == ["RESIDENT"]
        assert membership["community"]["name"] == "金安社区"

    async def test_the_new_resident_sees_community_data(
        self, api: Api, places: DemoPlaces, applicant: Person
    ) -> None:
        neighbour = await sign_in(api, JINAN_RESIDENT)
        before = await api.data("NodeById", {"id": neighbour.id}, token=applicant.token)
        assert before == {"node": None}
        await decide(api, await api.login(JINAN_WORKER), applicant.membership_id, approve=True)
        # The same access token: roles are read at each request, not baked into the token.
        after = await api.execute(NODE_DETAILS, {"id": neighbour.id}, token=applicant.token)
        assert after.data is not None
        assert after.data["node"]["displayName"] == "王丽娟"
        assert after.data["node"]["phone"] is None

    async def test_the_district_admin_may_approve(
        self, api: Api, places: DemoPlaces, applicant: Person
    ) -> None:
        payload = await decide(
            api, await api.login(HULI_ADMIN), applicant.membership_id, approve=True
        )
        assert payload["errors"] == []
        assert payload["membership"]["status"] == "ACTIVE"

    async def test_approved_member_may_not_join_again(
        self, api: Api, places: DemoPlaces, applicant: Person
    ) -> None:
        await decide(api, await api.login(JINAN_WORKER), applicant.membership_id, approve=True)
        payload = await join(api, applicant, places["金安社区"], "金山路 132 号金安里 10 栋 501 室")
        assert codes(payload) == ["ALREADY_MEMBER"]

    async def test_records_a_decided_event(
        self, api: Api, places: DemoPlaces, applicant: Person, demo: Deps
    ) -> None:
        await decide(api, await api.login(JINAN_WORKER), applicant.membership_id, approve=True)
        membership = await stored_membership(demo)
        events = (
            await demo.db["events"]
            .find({"kind": "membership.decided", "subject_id": membership["_id"]})
            .to_list()
        )
        assert len(events) == 1
        (event,) = events
        assert event["actor_id"] == await user_object_id(demo, JINAN_WORKER)
        assert event["data"]["status"] == "ACTIVE"
        assert event["data"]["user_id"] == await user_object_id(demo, APPLICANT_PHONE)
        assert isinstance(event["place_path"], list)
        assert len(event["place_path"]) == 4
        assert all(isinstance(p, ObjectId) for p in event["place_path"])


class TestReject:
    async def test_reject_with_a_reason(
        self, api: Api, places: DemoPlaces, applicant: Person, demo: Deps
    ) -> None:
        worker = await api.login(JINAN_WORKER)
        payload = await decide(
            api, worker, applicant.membership_id, approve=False, reason="地址与登记信息不符"
        )
        assert payload["errors"] == []
        assert payload["membership"]["status"] == "REJECTED"
        assert payload["membership"]["roles"] == []
        seen = await api.execute(NODE_DETAILS, {"id": applicant.membership_id}, token=worker)
        assert seen.data is not None
        assert seen.data["node"]["reason"] == "地址与登记信息不符"
        (membership,) = (await viewer(api, applicant.token)).memberships
        assert membership["status"] == "REJECTED"
        event = await demo.db["events"].find_one(
            {"kind": "membership.decided", "subject_id": (await stored_membership(demo))["_id"]}
        )
        assert event is not None
        assert event["data"]["status"] == "REJECTED"

    async def test_a_rejected_user_may_join_again(
        self, api: Api, places: DemoPlaces, applicant: Person
    ) -> None:
        worker = await api.login(JINAN_WORKER)
        await decide(api, worker, applicant.membership_id, approve=False, reason="门牌号有误")
        payload = await join(api, applicant, places["金安社区"], "金山路 132 号金安里 10 栋 502 室")
        assert payload["errors"] == []
        assert payload["membership"]["status"] == "PENDING"
        assert payload["membership"]["id"] != applicant.membership_id
        statuses = [m["status"] for m in (await viewer(api, applicant.token)).memberships]
        assert statuses == ["REJECTED", "PENDING"]
        queue = await api.data(
            "PendingMemberships", {"communityId": places["金安社区"]}, token=worker
        )
        assert [e["node"]["id"] for e in queue["memberships"]["edges"]] == [
            payload["membership"]["id"]
        ]


class TestWhoMayDecide:
    async def test_forbidden_for_the_applicant(
        self, api: Api, places: DemoPlaces, applicant: Person, demo: Deps
    ) -> None:
        payload = await decide(
            api, applicant.token, applicant.membership_id, approve=True, roles=["COMMUNITY_WORKER"]
        )
        assert codes(payload) == ["FORBIDDEN"]
        assert payload["membership"] is None
        assert (await stored_membership(demo))["status"] == "PENDING"

    async def test_not_found_for_a_plain_resident_of_the_same_community(
        self, api: Api, places: DemoPlaces, applicant: Person, demo: Deps
    ) -> None:
        # A resident cannot see another's membership, so deciding it is as if it did not exist.
        for phone in [JINAN_NEIGHBOUR, JINAN_GRID_WORKER]:
            payload = await decide(
                api, await api.login(phone), applicant.membership_id, approve=True
            )
            assert codes(payload) == ["NOT_FOUND"], phone
            assert payload["membership"] is None
        assert (await stored_membership(demo))["status"] == "PENDING"

    async def test_not_found_for_the_other_communitys_worker(
        self, api: Api, places: DemoPlaces, applicant: Person, demo: Deps
    ) -> None:
        payload = await decide(
            api, await api.login(JINSHAN_WORKER), applicant.membership_id, approve=True
        )
        assert codes(payload) == ["NOT_FOUND"]
        assert payload["errors"][0]["field"] == ["input", "membershipId"]
        assert (await stored_membership(demo))["status"] == "PENDING"

    async def test_invalid_input_for_a_garbage_id(
        self, api: Api, places: DemoPlaces, applicant: Person
    ) -> None:
        worker = await api.login(JINAN_WORKER)
        for garbage in ["许雅婷的申请", places["金安社区"], applicant.id]:
            payload = await decide(api, worker, garbage, approve=True)
            assert codes(payload) == ["INVALID_INPUT"], garbage

    async def test_unauthenticated_without_a_token(
        self, api: Api, places: DemoPlaces, applicant: Person
    ) -> None:
        result = await api.op(
            "DecideMembership",
            {"input": {"membershipId": applicant.membership_id, "approve": True}},
        )
        assert error_codes(result) == ["UNAUTHENTICATED"]


class TestDecisionRules:
    async def test_invalid_transition_when_already_decided(
        self, api: Api, places: DemoPlaces, applicant: Person
    ) -> None:
        worker = await api.login(JINAN_WORKER)
        assert (await decide(api, worker, applicant.membership_id, approve=True))["errors"] == []
        for approve in [True, False]:
            payload = await decide(api, worker, applicant.membership_id, approve=approve)
            assert codes(payload) == ["INVALID_TRANSITION"], approve
        (membership,) = (await viewer(api, applicant.token)).memberships
        assert membership["status"] == "ACTIVE"

    async def test_invalid_transition_after_rejection(
        self, api: Api, places: DemoPlaces, applicant: Person
    ) -> None:
        worker = await api.login(JINAN_WORKER)
        await decide(api, worker, applicant.membership_id, approve=False, reason="非本社区住户")
        payload = await decide(api, worker, applicant.membership_id, approve=True)
        assert codes(payload) == ["INVALID_TRANSITION"]

    async def test_invalid_input_for_granting_admin(
        self, api: Api, places: DemoPlaces, applicant: Person, demo: Deps
    ) -> None:
        payload = await decide(
            api,
            await api.login(JINAN_WORKER),
            applicant.membership_id,
            approve=True,
            roles=["RESIDENT", "ADMIN"],
        )
        assert codes(payload) == ["INVALID_INPUT"]
        assert payload["errors"][0]["field"] == ["input", "roles"]
        assert (await stored_membership(demo))["status"] == "PENDING"

    async def test_even_the_district_admin_may_not_grant_admin_here(
        self, api: Api, places: DemoPlaces, applicant: Person
    ) -> None:
        payload = await decide(
            api, await api.login(HULI_ADMIN), applicant.membership_id, approve=True, roles=["ADMIN"]
        )
        assert codes(payload) == ["INVALID_INPUT"]

    async def test_invalid_input_for_a_negative_floor_area(
        self, api: Api, places: DemoPlaces, applicant: Person, demo: Deps
    ) -> None:
        payload = await decide(
            api,
            await api.login(JINAN_WORKER),
            applicant.membership_id,
            approve=True,
            ownedFloorArea=-88.0,
        )
        assert codes(payload) == ["INVALID_INPUT"]
        assert payload["errors"][0]["field"] == ["input", "ownedFloorArea"]
        assert (await stored_membership(demo))["status"] == "PENDING"

    async def test_overlong_reason_is_invalid(
        self, api: Api, places: DemoPlaces, applicant: Person
    ) -> None:
        payload = await decide(
            api,
            await api.login(JINAN_WORKER),
            applicant.membership_id,
            approve=False,
            reason="不符" * 101,
        )
        assert codes(payload) == ["INVALID_INPUT"]
        assert payload["errors"][0]["field"] == ["input", "reason"]

    async def test_concurrent_approve_and_reject_one_wins(
        self, api: Api, places: DemoPlaces, applicant: Person, demo: Deps
    ) -> None:
        worker = await api.login(JINAN_WORKER)
        admin = await api.login(HULI_ADMIN)
        approved, rejected = await asyncio.gather(
            decide(api, worker, applicant.membership_id, approve=True),
            decide(api, admin, applicant.membership_id, approve=False, reason="重复申请"),
        )
        outcomes = [codes(approved), codes(rejected)]
        assert sorted(outcomes) == [[], ["INVALID_TRANSITION"]]
        winner = approved if codes(approved) == [] else rejected
        stored = await stored_membership(demo)
        assert stored["status"] == winner["membership"]["status"]
        events = await demo.db["events"].count_documents(
            {"kind": "membership.decided", "subject_id": stored["_id"]}
        )
        assert events == 1
