"""Who may move a report, as the apps meet the rules.

金安社区's community worker (林美华) does everything in the community and 湖里区's admin (蔡文彬,
ADMIN above it) may too; the grid worker (陈志强) starts and resolves what is assigned to them;
residents do nothing of the workflow, except that the reporter rates and closes the resolution;
金山社区's people do not even see 金安社区's reports (NOT_FOUND). `viewerCan` offers exactly
what the server then allows.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from neighbor_api.core.i18n import Locale, translate
from neighbor_api.core.mongo import Client
from neighbor_api.reports.service import MOVES, Verb
from neighbor_api.schema import NeighborSchema
from neighbor_api.settings import Settings
from tests.reports.support import (
    HULI_ADMIN,
    JINAN_CHAIR,
    JINAN_GRID_WORKER,
    JINAN_HOUSEMATE,
    JINAN_NEIGHBOUR,
    JINAN_RESIDENT,
    JINAN_WORKER,
    JINSHAN_RESIDENT,
    JINSHAN_WORKER,
    STATUSES,
    VERBS,
    Street,
    codes,
    shared_street,
)


@pytest.fixture(scope="module")
async def shared(
    mongo_client: Client, schema: NeighborSchema, settings: Settings
) -> AsyncIterator[Street]:
    async with shared_street(mongo_client, schema, settings) as street:
        yield street


# The status each move starts from in these tests (one where the state machine allows it).
FROM = {
    "accept": "SUBMITTED",
    "assign": "ACCEPTED",
    "start": "ASSIGNED",
    "resolve": "IN_PROGRESS",
    "reject": "SUBMITTED",
    "escalate": "ACCEPTED",
    "rate": "RESOLVED",
    "close": "RESOLVED",
}
STAFF = {"community-worker": JINAN_WORKER, "district-admin": HULI_ADMIN}
OUTSIDERS = {"jinshan-worker": JINSHAN_WORKER, "jinshan-resident": JINSHAN_RESIDENT}
RESIDENTS = {"reporter": JINAN_RESIDENT, "neighbour": JINAN_NEIGHBOUR, "council-chair": JINAN_CHAIR}


async def allowed(shared: Street, verb: str, phone: str, **reach: Any) -> None:
    report_id = await shared.reach(FROM[verb], **reach)
    payload = await shared.move(verb, report_id, phone)
    assert payload["errors"] == [], payload
    state = await shared.state(report_id)
    assert state["timeline"][-1 if verb != "rate" else -2]["actor"] == await shared.person(phone)


async def forbidden(shared: Street, verb: str, phone: str, **reach: Any) -> None:
    """Refused, saying who may make this move (its own message), and nothing changed."""
    report_id = await shared.reach(FROM[verb], **reach)
    before = await shared.state(report_id)
    payload = await shared.move(verb, report_id, phone)
    assert payload["report"] is None
    assert [(e["code"], e["message"]) for e in payload["errors"]] == [
        ("FORBIDDEN", translate(MOVES[Verb(verb)].refusal, Locale.ZH_CN))
    ]
    assert await shared.state(report_id) == before


def params(people: dict[str, str]) -> pytest.MarkDecorator:
    return pytest.mark.parametrize("phone", list(people.values()), ids=list(people))


class TestAcceptReport:
    @params(STAFF)
    async def test_staff_accept(self, shared: Street, phone: str) -> None:
        await allowed(shared, "accept", phone)

    @params({**RESIDENTS, "grid-worker": JINAN_GRID_WORKER})
    async def test_others_are_forbidden(self, shared: Street, phone: str) -> None:
        await forbidden(shared, "accept", phone)


class TestAssignReport:
    @params(STAFF)
    async def test_staff_assign(self, shared: Street, phone: str) -> None:
        await allowed(shared, "assign", phone)

    @params({**RESIDENTS, "grid-worker": JINAN_GRID_WORKER})
    async def test_others_are_forbidden(self, shared: Street, phone: str) -> None:
        await forbidden(shared, "assign", phone)

    @pytest.mark.parametrize(
        "assignee",
        [JINAN_RESIDENT, JINAN_CHAIR, JINSHAN_WORKER, JINSHAN_RESIDENT],
        ids=["resident", "council-member", "other-community-worker", "other-community-resident"],
    )
    async def test_only_to_a_worker_of_the_community(self, shared: Street, assignee: str) -> None:
        report_id = await shared.reach("ACCEPTED")
        payload = await shared.move(
            "assign", report_id, JINAN_WORKER, assigneeId=await shared.user_id(assignee)
        )
        assert payload["report"] is None
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [
            ("INVALID_INPUT", ["input", "assigneeId"])
        ]
        state = await shared.state(report_id)
        assert state["status"] == "ACCEPTED"
        assert state["assignee"] is None

    async def test_to_the_community_worker(self, shared: Street) -> None:
        report_id = await shared.reach("ACCEPTED", category="NEIGHBOR_DISPUTE")
        assigned = await shared.ok(
            "assign", report_id, JINAN_WORKER, assigneeId=await shared.user_id(JINAN_WORKER)
        )
        assert assigned["assignee"] == await shared.person(JINAN_WORKER)


class TestStartReport:
    @params({**STAFF, "assignee": JINAN_GRID_WORKER})
    async def test_the_assignee_or_staff_start(self, shared: Street, phone: str) -> None:
        await allowed(shared, "start", phone)

    async def test_a_grid_worker_starts_only_what_is_theirs(self, shared: Street) -> None:
        await forbidden(shared, "start", JINAN_GRID_WORKER, assignee=JINAN_WORKER)

    @params(RESIDENTS)
    async def test_residents_are_forbidden(self, shared: Street, phone: str) -> None:
        await forbidden(shared, "start", phone)


class TestResolveReport:
    @params({**STAFF, "assignee": JINAN_GRID_WORKER})
    async def test_the_assignee_or_staff_resolve(self, shared: Street, phone: str) -> None:
        await allowed(shared, "resolve", phone)

    async def test_a_grid_worker_resolves_only_what_is_theirs(self, shared: Street) -> None:
        await forbidden(shared, "resolve", JINAN_GRID_WORKER, assignee=JINAN_WORKER)

    @params(RESIDENTS)
    async def test_residents_are_forbidden(self, shared: Street, phone: str) -> None:
        await forbidden(shared, "resolve", phone)


class TestRejectReport:
    @params(STAFF)
    async def test_staff_reject(self, shared: Street, phone: str) -> None:
        await allowed(shared, "reject", phone)

    @params({**RESIDENTS, "grid-worker": JINAN_GRID_WORKER})
    async def test_others_are_forbidden(self, shared: Street, phone: str) -> None:
        await forbidden(shared, "reject", phone)


class TestEscalateReport:
    @params(STAFF)
    async def test_staff_escalate(self, shared: Street, phone: str) -> None:
        await allowed(shared, "escalate", phone)

    @params({**RESIDENTS, "grid-worker": JINAN_GRID_WORKER})
    async def test_others_are_forbidden(self, shared: Street, phone: str) -> None:
        await forbidden(shared, "escalate", phone)


class TestRateReport:
    async def test_the_reporter_rates(self, shared: Street) -> None:
        await allowed(shared, "rate", JINAN_RESIDENT)

    @params({**STAFF, "housemate": JINAN_HOUSEMATE, "assignee": JINAN_GRID_WORKER})
    async def test_others_are_forbidden(self, shared: Street, phone: str) -> None:
        await forbidden(shared, "rate", phone)


class TestCloseReport:
    @params({**STAFF, "reporter": JINAN_RESIDENT})
    async def test_the_reporter_or_staff_close(self, shared: Street, phone: str) -> None:
        await allowed(shared, "close", phone)

    @params({"neighbour": JINAN_NEIGHBOUR, "assignee": JINAN_GRID_WORKER})
    async def test_others_are_forbidden(self, shared: Street, phone: str) -> None:
        await forbidden(shared, "close", phone)


class TestAnotherCommunity:
    """金山社区's worker and residents see nothing of 金安社区's reports: every move is
    NOT_FOUND, exactly as if the report did not exist."""

    @pytest.mark.parametrize("verb", VERBS)
    @params(OUTSIDERS)
    async def test_moves_are_not_found(self, shared: Street, phone: str, verb: str) -> None:
        report_id = await shared.reach(FROM[verb])
        before = await shared.state(report_id)
        payload = await shared.move(verb, report_id, phone)
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [
            ("NOT_FOUND", ["input", "reportId"])
        ]
        assert await shared.state(report_id) == before

    @params(OUTSIDERS)
    async def test_the_detail_is_null(self, shared: Street, phone: str) -> None:
        assert await shared.detail(await shared.reach("ASSIGNED"), phone) is None


# What each role may do with a report in each status: the product's rules, spelled out.
STAFF_CAN = {
    "SUBMITTED": {"accept", "reject", "escalate"},
    "ACCEPTED": {"assign", "start", "reject", "escalate"},
    "ASSIGNED": {"assign", "start", "escalate"},
    "IN_PROGRESS": {"assign", "resolve", "escalate"},
    "RESOLVED": {"close"},
    "CLOSED": set(),
    "REJECTED": set(),
}
# Role: who, what they may do by status, and to whom the report gets assigned (Street.reach
# assigns from ASSIGNED on).
ROLES_CAN: dict[str, tuple[str, dict[str, set[str]], str]] = {
    "community-worker": (JINAN_WORKER, STAFF_CAN, JINAN_GRID_WORKER),
    "district-admin": (HULI_ADMIN, STAFF_CAN, JINAN_GRID_WORKER),
    "assignee": (
        JINAN_GRID_WORKER,
        {"ASSIGNED": {"start"}, "IN_PROGRESS": {"resolve"}},
        JINAN_GRID_WORKER,
    ),
    "grid-worker-not-assigned": (JINAN_GRID_WORKER, {}, JINAN_WORKER),
    "reporter": (JINAN_RESIDENT, {"RESOLVED": {"rate", "close"}}, JINAN_GRID_WORKER),
    "neighbour": (JINAN_NEIGHBOUR, {}, JINAN_GRID_WORKER),
}
COMMENT = """
mutation Comment($input: CommentOnReportInput!) {
  commentOnReport(input: $input) { comment { id } errors { code } }
}
"""


class TestReportDetail:
    """`viewerCan` in ReportDetail, for each role and status: it says what the rules say, and
    each move it offers succeeds while each one it withholds is refused."""

    @pytest.mark.parametrize("status", STATUSES)
    @pytest.mark.parametrize("role", list(ROLES_CAN))
    async def test_viewer_can_matches_what_the_server_allows(
        self, shared: Street, role: str, status: str
    ) -> None:
        phone, table, assignee = ROLES_CAN[role]
        expected = table.get(status, set()) | {"comment"}  # every member may comment
        report_id = await shared.reach(status, assignee=assignee)
        detail = await shared.detail(report_id, phone)
        assert detail is not None
        offered = {verb for verb, can in detail["viewerCan"].items() if can}
        assert offered == expected

        before = await shared.state(report_id)
        for verb in sorted(set(VERBS) - offered):
            refusal = await shared.refused(verb, report_id, phone)
            assert refusal in (["FORBIDDEN"], ["INVALID_TRANSITION"]), (verb, refusal)
        assert await shared.state(report_id) == before
        for verb in sorted(offered - {"comment"}):  # each on a report of its own
            fresh = await shared.reach(status, assignee=assignee)
            payload = await shared.move(verb, fresh, phone)
            assert payload["errors"] == [], (verb, payload)
        result = await shared.api.execute(
            COMMENT,
            {"input": {"reportId": report_id, "body": "我也注意到了，麻烦尽快处理。"}},
            token=await shared.token(phone),
        )
        assert result.data is not None
        assert codes(result.data["commentOnReport"]) == []
