"""Contact by need: phone numbers masked (138****0001) by default, in full only to those who
need them, each full reveal in the access log; as a matrix of roles × places.

- a report's reporter: in full to its assignee and to the community's own staff while it is
  handled; masked for admins above (street, district); nothing for neighbours and other
  communities' staff;
- a member: in full to the community's own staff through a pending or active membership;
  masked for admins above;
- `phoneReveals(placeId)`: the log, for ADMINs of the place or above.
"""

from __future__ import annotations

from typing import Any

import pytest

from neighbor_api.core.deps import Deps
from tests.conftest import Api
from tests.places.support import register
from tests.reports.support import (
    HULI_ADMIN,
    JINAN_GRID_WORKER,
    JINAN_NEIGHBOUR,
    JINAN_RESIDENT,
    JINAN_WORKER,
    JINSHAN_WORKER,
    Street,
    object_id,
)

STREET_ADMIN = "13959209001"  # appointed ADMIN of 金山街道 in the fixture
FULL = "+8613800000004"  # 王丽娟's number, the reporter of every report here
MASKED = "138****0004"

REPORT_CONTACTS = """
query ReportContacts($id: ID!) {
  report(id: $id) { id reporter { id displayName phone } }
}
"""

MEMBERS = """
query Members($communityId: ID!, $status: MembershipStatus) {
  memberships(communityId: $communityId, status: $status, first: 50) {
    edges { node { id status user { id displayName phone } } }
  }
}
"""

PHONE_REVEALS = """
query PhoneReveals($placeId: ID!, $first: Int, $after: String) {
  phoneReveals(placeId: $placeId, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { reason at objectId viewer { displayName } subject { displayName }
                   community { name } } }
  }
}
"""


@pytest.fixture
async def street(api: Api, demo: Deps) -> Street:
    street = await Street.open(api, demo)
    await street.appoint(STREET_ADMIN, "周建国", "金山街道")
    return street


async def reporter_phone(street: Street, report_id: str, phone: str) -> Any:
    """What `phone` sees of the report's reporter: the phone, None, or "no report"."""
    result = await street.api.execute(
        REPORT_CONTACTS, {"id": report_id}, token=await street.token(phone)
    )
    assert result.errors is None, result.errors
    assert result.data is not None
    report = result.data["report"]
    if report is None:
        return "no report"
    return report["reporter"]["phone"] if report["reporter"] else "no reporter"


async def reveals(deps: Deps) -> list[tuple[Any, ...]]:
    return [
        (d["viewer_id"], d["subject_id"], d["reason"], d["object_id"])
        async for d in deps.db["phone_reveals"].find({}).sort("_id", 1)
    ]


# Who sees what of an open report's reporter (the grid worker is its assignee).
OPEN_REPORT = [
    pytest.param(JINAN_RESIDENT, FULL, False, id="the-reporter-themself"),
    pytest.param(JINAN_GRID_WORKER, FULL, True, id="the-assignee"),
    pytest.param(JINAN_WORKER, FULL, True, id="the-communitys-staff"),
    pytest.param(STREET_ADMIN, MASKED, False, id="street-admin-above"),
    pytest.param(HULI_ADMIN, MASKED, False, id="district-admin-above"),
    pytest.param(JINAN_NEIGHBOUR, None, False, id="a-neighbour"),
    pytest.param(JINSHAN_WORKER, "no report", False, id="another-communitys-staff"),
]


class TestReporterOfAReport:
    @pytest.mark.parametrize(("phone", "expected", "logged"), OPEN_REPORT)
    async def test_an_open_report(
        self, street: Street, phone: str, expected: Any, logged: bool
    ) -> None:
        report_id = await street.reach("IN_PROGRESS")
        before = await reveals(street.deps)

        assert await reporter_phone(street, report_id, phone) == expected

        new = (await reveals(street.deps))[len(before) :]
        assert len(new) == (1 if logged else 0)
        if logged:
            viewer = await street.user_id(phone)
            assert new[0][2] == "REPORT_REPORTER"
            assert new[0][0] == object_id(viewer, "User")
            assert new[0][3] == object_id(report_id)

    @pytest.mark.parametrize(
        ("phone", "expected"),
        [
            pytest.param(JINAN_RESIDENT, FULL, id="the-reporter-themself"),
            pytest.param(JINAN_GRID_WORKER, None, id="the-former-assignee"),
            pytest.param(JINAN_WORKER, MASKED, id="the-communitys-staff"),
            pytest.param(HULI_ADMIN, MASKED, id="district-admin-above"),
            pytest.param(JINAN_NEIGHBOUR, None, id="a-neighbour"),
        ],
    )
    async def test_a_closed_report_is_no_longer_a_need(
        self, street: Street, phone: str, expected: Any
    ) -> None:
        report_id = await street.reach("CLOSED")

        assert await reporter_phone(street, report_id, phone) == expected
        assert await reveals(street.deps) == []

    async def test_an_unassigned_grid_worker_sees_no_number(self, street: Street) -> None:
        report_id = await street.reach("ACCEPTED")  # staff accepted; nobody assigned yet

        assert await reporter_phone(street, report_id, JINAN_GRID_WORKER) is None
        assert await reporter_phone(street, report_id, JINAN_WORKER) == FULL

    async def test_an_anonymous_reporter_stays_hidden_from_the_assignee(
        self, street: Street
    ) -> None:
        report_id = await street.reach("ASSIGNED", anonymous=True)

        assert await reporter_phone(street, report_id, JINAN_GRID_WORKER) == "no reporter"
        assert await reporter_phone(street, report_id, JINAN_WORKER) == FULL

    async def test_the_same_number_twice_in_one_response_is_logged_once(
        self, street: Street
    ) -> None:
        report_id = await street.reach("ASSIGNED")
        document = """
        query Twice($id: ID!) {
          a: report(id: $id) { reporter { phone } }
          b: report(id: $id) { reporter { phone } }
        }
        """
        result = await street.api.execute(
            document, {"id": report_id}, token=await street.token(JINAN_WORKER)
        )
        assert result.errors is None, result.errors
        assert result.data == {
            "a": {"reporter": {"phone": FULL}},
            "b": {"reporter": {"phone": FULL}},
        }
        assert len(await reveals(street.deps)) == 1


class TestMembers:
    @pytest.mark.parametrize(
        ("phone", "expected", "logged"),
        [
            pytest.param(JINAN_WORKER, FULL, True, id="the-communitys-staff"),
            pytest.param(STREET_ADMIN, MASKED, False, id="street-admin-above"),
            pytest.param(HULI_ADMIN, MASKED, False, id="district-admin-above"),
            pytest.param(JINSHAN_WORKER, "no list", False, id="another-communitys-staff"),
            pytest.param(JINAN_NEIGHBOUR, "no list", False, id="a-neighbour"),
        ],
    )
    async def test_active_members(
        self, street: Street, phone: str, expected: Any, logged: bool
    ) -> None:
        result = await street.api.execute(
            MEMBERS,
            {"communityId": street.places["金安社区"], "status": "ACTIVE"},
            token=await street.token(phone),
        )
        assert result.errors is None, result.errors
        assert result.data is not None
        if result.data["memberships"] is None:
            assert expected == "no list"
            return
        users = {
            e["node"]["user"]["displayName"]: e["node"]["user"]["phone"]
            for e in result.data["memberships"]["edges"]
        }
        assert users["王丽娟"] == expected
        # Every member's number is shown alike, and (in full) each is logged once, in one
        # write for the page.
        logged_now = await reveals(street.deps)
        assert len(logged_now) == (len(users) - 1 if logged else 0)  # not the viewer's own
        assert {r[2] for r in logged_now} <= {"MEMBERSHIP"}

    async def test_a_pending_applicant(self, street: Street) -> None:
        newcomer = await register(street.api, "13959209002", "许雅婷")
        data = await street.api.data(
            "JoinCommunity",
            {"input": {"communityId": street.places["金安社区"], "address": "金安里 10 栋 501"}},
            token=newcomer.token,
        )
        assert data["joinCommunity"]["errors"] == []

        for phone, expected in [(JINAN_WORKER, "+8613959209002"), (HULI_ADMIN, "139****9002")]:
            pending = await street.api.data(
                "PendingMemberships",
                {"communityId": street.places["金安社区"]},
                token=await street.token(phone),
            )
            (edge,) = pending["memberships"]["edges"]
            assert edge["node"]["user"]["phone"] == expected, phone


class TestAccessLog:
    async def test_admins_read_who_saw_whose_number_why_and_when(self, street: Street) -> None:
        report_id = await street.reach("ASSIGNED")
        await reporter_phone(street, report_id, JINAN_GRID_WORKER)
        await reporter_phone(street, report_id, JINAN_WORKER)
        await reporter_phone(street, report_id, HULI_ADMIN)  # masked: not logged

        for admin, place in [(HULI_ADMIN, "湖里区"), (STREET_ADMIN, "金山街道")]:
            result = await street.api.execute(
                PHONE_REVEALS, {"placeId": street.places[place]}, token=await street.token(admin)
            )
            assert result.errors is None, result.errors
            assert result.data is not None
            log = result.data["phoneReveals"]
            assert log["totalCount"] == 2
            rows = [
                (
                    e["node"]["viewer"]["displayName"],
                    e["node"]["subject"]["displayName"],
                    e["node"]["reason"],
                    e["node"]["objectId"],
                    e["node"]["community"]["name"],
                    e["node"]["at"],
                )
                for e in log["edges"]
            ]
            at = street.now.isoformat()
            assert rows == [  # newest first (same time: the later entry first)
                ("林美华", "王丽娟", "REPORT_REPORTER", report_id, "金安社区", at),
                ("陈志强", "王丽娟", "REPORT_REPORTER", report_id, "金安社区", at),
            ]

    @pytest.mark.parametrize(
        ("phone", "place"),
        [
            pytest.param(JINAN_WORKER, "金安社区", id="the-community-worker-it-audits"),
            pytest.param(JINAN_GRID_WORKER, "金安社区", id="a-grid-worker"),
            pytest.param(JINAN_RESIDENT, "金安社区", id="a-resident"),
            pytest.param(JINSHAN_WORKER, "湖里区", id="staff-below-the-place"),
        ],
    )
    async def test_no_one_else_reads_it(self, street: Street, phone: str, place: str) -> None:
        result = await street.api.execute(
            PHONE_REVEALS, {"placeId": street.places[place]}, token=await street.token(phone)
        )
        assert result.errors is None, result.errors
        assert result.data == {"phoneReveals": None}
