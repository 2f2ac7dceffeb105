"""The place-scoped permission rules, as clients meet them.

The core rule: staff of one community see nothing private of another. 金山社区's worker
(13800000010) sees no user or membership of 金安社区's residents; 金安社区's worker and the
admin of 湖里区 (ADMIN covers everything under it) see residents' phone numbers masked
(138****0004) on a user; 金安社区's worker sees them in full through a membership (contact by
need: tests/privacy/test_contact_by_need.py); a fellow resident sees a neighbour's name only.
"""

from __future__ import annotations

from typing import Any

from tests.conftest import Api
from tests.places.support import (
    HULI_ADMIN,
    JINAN_CHAIR,
    JINAN_GRID_WORKER,
    JINAN_NEIGHBOUR,
    JINAN_RESIDENT,
    JINAN_WORKER,
    JINSHAN_RESIDENT,
    JINSHAN_WORKER,
    NODE_DETAILS,
    DemoPlaces,
    Person,
    error_codes,
    sign_in,
)


async def node(api: Api, id: str, token: str | None) -> dict[str, Any] | None:
    result = await api.execute(NODE_DETAILS, {"id": id}, token=token)
    assert result.errors is None, result.errors
    assert result.data is not None
    found: dict[str, Any] | None = result.data["node"]
    return found


class TestUserNode:
    async def test_other_communitys_worker_sees_nothing(self, api: Api, places: DemoPlaces) -> None:
        resident = await sign_in(api, JINAN_RESIDENT)
        worker = await api.login(JINSHAN_WORKER)
        assert await node(api, resident.id, worker) is None

    async def test_other_communitys_resident_sees_nothing(
        self, api: Api, places: DemoPlaces
    ) -> None:
        resident = await sign_in(api, JINAN_RESIDENT)
        assert await node(api, resident.id, await api.login(JINSHAN_RESIDENT)) is None

    async def test_anonymous_sees_nothing(self, api: Api, places: DemoPlaces) -> None:
        resident = await sign_in(api, JINAN_RESIDENT)
        assert await node(api, resident.id, None) is None

    async def test_community_worker_sees_phone_and_memberships(
        self, api: Api, places: DemoPlaces
    ) -> None:
        resident = await sign_in(api, JINAN_RESIDENT)
        seen = await node(api, resident.id, await api.login(JINAN_WORKER))
        assert seen is not None
        assert seen["displayName"] == "王丽娟"
        assert seen["phone"] == "138****0004"
        assert [m["id"] for m in seen["memberships"]] == [resident.membership_id]

    async def test_district_admin_sees_phone(self, api: Api, places: DemoPlaces) -> None:
        resident = await sign_in(api, JINAN_NEIGHBOUR)
        seen = await node(api, resident.id, await api.login(HULI_ADMIN))
        assert seen is not None
        assert seen["displayName"] == "李秀英"
        assert seen["phone"] == "138****0006"
        assert [m["status"] for m in seen["memberships"]] == ["ACTIVE"]

    async def test_district_admin_sees_both_communities(self, api: Api, places: DemoPlaces) -> None:
        admin = await api.login(HULI_ADMIN)
        for phone in [JINAN_RESIDENT, JINSHAN_RESIDENT]:
            person = await sign_in(api, phone)
            seen = await node(api, person.id, admin)
            assert seen is not None
            assert seen["phone"] == f"{phone[:3]}****{phone[-4:]}"

    async def test_fellow_resident_sees_name_only(self, api: Api, places: DemoPlaces) -> None:
        resident = await sign_in(api, JINAN_RESIDENT)
        seen = await node(api, resident.id, await api.login(JINAN_NEIGHBOUR))
        assert seen == {
            "__typename": "User",
            "id": resident.id,
            "displayName": "王丽娟",
            "phone": None,
            "memberships": [],
        }

    async def test_grid_worker_is_not_staff(self, api: Api, places: DemoPlaces) -> None:
        # A grid worker is a member of the community, not its staff: a name, no phone.
        resident = await sign_in(api, JINAN_RESIDENT)
        seen = await node(api, resident.id, await api.login(JINAN_GRID_WORKER))
        assert seen is not None
        assert (seen["displayName"], seen["phone"], seen["memberships"]) == ("王丽娟", None, [])

    async def test_the_user_themself_sees_everything(self, api: Api, places: DemoPlaces) -> None:
        resident = await sign_in(api, JINAN_RESIDENT)
        seen = await node(api, resident.id, resident.token)
        assert seen is not None
        assert seen["phone"] == "+8613800000004"
        assert [m["id"] for m in seen["memberships"]] == [resident.membership_id]


class TestApplicantNode:
    """Someone asking to join: visible to the staff who decide, to no one else."""

    async def test_community_worker_sees_the_applicants_phone(
        self, api: Api, places: DemoPlaces, applicant: Person
    ) -> None:
        seen = await node(api, applicant.id, await api.login(JINAN_WORKER))
        assert seen is not None
        assert (seen["displayName"], seen["phone"]) == ("许雅婷", "139****1001")
        assert [m["status"] for m in seen["memberships"]] == ["PENDING"]

    async def test_district_admin_sees_the_applicants_phone(
        self, api: Api, places: DemoPlaces, applicant: Person
    ) -> None:
        seen = await node(api, applicant.id, await api.login(HULI_ADMIN))
        assert seen is not None
        assert seen["phone"] == "139****1001"

    async def test_residents_and_other_staff_see_nothing(
        self, api: Api, places: DemoPlaces, applicant: Person
    ) -> None:
        for phone in [JINAN_NEIGHBOUR, JINAN_GRID_WORKER, JINSHAN_WORKER]:
            assert await node(api, applicant.id, await api.login(phone)) is None, phone
            assert await node(api, applicant.membership_id, await api.login(phone)) is None, phone
        assert await node(api, applicant.id, None) is None


class TestMembershipNode:
    async def test_other_communitys_worker_sees_nothing(self, api: Api, places: DemoPlaces) -> None:
        resident = await sign_in(api, JINAN_RESIDENT)
        worker = await api.login(JINSHAN_WORKER)
        assert await node(api, resident.membership_id, worker) is None

    async def test_anonymous_sees_nothing(self, api: Api, places: DemoPlaces) -> None:
        resident = await sign_in(api, JINAN_RESIDENT)
        assert await node(api, resident.membership_id, None) is None

    async def test_fellow_resident_sees_nothing(self, api: Api, places: DemoPlaces) -> None:
        resident = await sign_in(api, JINAN_RESIDENT)
        neighbour = await api.login(JINAN_NEIGHBOUR)
        assert await node(api, resident.membership_id, neighbour) is None

    async def test_community_worker_sees_it(self, api: Api, places: DemoPlaces) -> None:
        resident = await sign_in(api, JINAN_RESIDENT)
        seen = await node(api, resident.membership_id, await api.login(JINAN_WORKER))
        assert seen is not None
        assert seen["status"] == "ACTIVE"
        assert seen["address"] == "金山路 128 号金安里 5 栋 302 室"
        assert seen["ownedFloorArea"] == 89.5

    async def test_district_admin_sees_it(self, api: Api, places: DemoPlaces) -> None:
        resident = await sign_in(api, JINAN_RESIDENT)
        seen = await node(api, resident.membership_id, await api.login(HULI_ADMIN))
        assert seen is not None
        assert seen["user"] == {"id": resident.id, "displayName": "王丽娟"}


class TestPendingMembershipsAccess:
    async def queue(self, api: Api, community_id: str, token: str | None) -> Any:
        return await api.data("PendingMemberships", {"communityId": community_id}, token=token)

    async def test_null_for_a_resident(
        self, api: Api, places: DemoPlaces, applicant: Person
    ) -> None:
        for phone in [JINAN_RESIDENT, JINAN_CHAIR, JINAN_GRID_WORKER]:
            data = await self.queue(api, places["金安社区"], await api.login(phone))
            assert data == {"memberships": None}, phone

    async def test_null_for_the_other_communitys_worker(
        self, api: Api, places: DemoPlaces, applicant: Person
    ) -> None:
        data = await self.queue(api, places["金安社区"], await api.login(JINSHAN_WORKER))
        assert data == {"memberships": None}

    async def test_null_for_the_applicant(
        self, api: Api, places: DemoPlaces, applicant: Person
    ) -> None:
        assert await self.queue(api, places["金安社区"], applicant.token) == {"memberships": None}

    async def test_unauthenticated_without_a_token(
        self, api: Api, places: DemoPlaces, applicant: Person
    ) -> None:
        result = await api.op("PendingMemberships", {"communityId": places["金安社区"]})
        assert error_codes(result) == ["UNAUTHENTICATED"]

    async def test_the_community_worker_sees_the_queue(
        self, api: Api, places: DemoPlaces, applicant: Person
    ) -> None:
        data = await self.queue(api, places["金安社区"], await api.login(JINAN_WORKER))
        edges = data["memberships"]["edges"]
        assert [e["node"]["id"] for e in edges] == [applicant.membership_id]
        assert edges[0]["node"]["user"]["displayName"] == "许雅婷"

    async def test_the_district_admin_sees_the_queue(
        self, api: Api, places: DemoPlaces, applicant: Person
    ) -> None:
        data = await self.queue(api, places["金安社区"], await api.login(HULI_ADMIN))
        assert [e["node"]["id"] for e in data["memberships"]["edges"]] == [applicant.membership_id]

    async def test_a_worker_sees_only_their_own_communitys_queue(
        self, api: Api, places: DemoPlaces, applicant: Person
    ) -> None:
        data = await self.queue(api, places["金山社区"], await api.login(JINSHAN_WORKER))
        assert data["memberships"]["totalCount"] == 0
        assert data["memberships"]["edges"] == []

    async def test_garbage_community_id_gives_null(self, api: Api, places: DemoPlaces) -> None:
        data = await self.queue(api, "金安社区", await api.login(JINAN_WORKER))
        assert data == {"memberships": None}
