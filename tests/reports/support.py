"""Helpers of the staff-workflow tests (workflow, rating, escalation, auto-close,
permissions): the demo street's people, and reports submitted and moved along the workflow
through the contract's operations, as the apps would.

Global ids come from query results; the only parsing of one is `object_id`, for looking at
the stored documents (events, timeline) a client never sees.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from bson import ObjectId

from neighbor_api.core.clock import ManualClock
from neighbor_api.core.deps import Deps
from neighbor_api.core.mongo import Client, ensure_indexes
from neighbor_api.core.policy import SYSTEM, Role
from neighbor_api.demo import load_demo
from neighbor_api.graphql.relay import from_global_id
from neighbor_api.memberships import service as memberships
from neighbor_api.schema import NeighborSchema
from neighbor_api.settings import Settings
from tests.conftest import DEMO_PASSWORD, OPERATIONS, Api
from tests.places.support import (
    HULI_ADMIN,
    JINAN_CHAIR,
    JINAN_GRID_WORKER,
    JINAN_NEIGHBOUR,
    JINAN_RESIDENT,
    JINAN_WORKER,
    JINSHAN_RESIDENT,
    JINSHAN_WORKER,
    PASSWORD,
    DemoPlaces,
    codes,
    demo_places,
    register,
)

__all__ = [
    "HULI_ADMIN",
    "JINAN_CHAIR",
    "JINAN_GRID_WORKER",
    "JINAN_NEIGHBOUR",
    "JINAN_RESIDENT",
    "JINAN_WORKER",
    "JINSHAN_RESIDENT",
    "JINSHAN_WORKER",
    "codes",
]

JINAN_HOUSEMATE = "13800000005"  # 张伟, resident of 金安社区, household A

# Display names of the demo accounts (neighbor_api/fixtures/demo.json).
NAMES = {
    JINAN_WORKER: "林美华",
    JINAN_GRID_WORKER: "陈志强",
    JINAN_CHAIR: "黄国栋",
    JINAN_RESIDENT: "王丽娟",
    JINAN_HOUSEMATE: "张伟",
    JINAN_NEIGHBOUR: "李秀英",
    JINSHAN_WORKER: "郑晓燕",
    JINSHAN_RESIDENT: "吴建华",
    HULI_ADMIN: "蔡文彬",
}

# The time the function-scoped `clock` fixture starts at (tests/conftest.py).
START = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)

STATUSES = ("SUBMITTED", "ACCEPTED", "ASSIGNED", "IN_PROGRESS", "RESOLVED", "CLOSED", "REJECTED")
VERBS = ("accept", "assign", "start", "resolve", "reject", "escalate", "rate", "close")

# The contract operation of each workflow verb.
OPERATION = {
    "accept": "AcceptReport",
    "assign": "AssignReport",
    "start": "StartReport",
    "resolve": "ResolveReport",
    "reject": "RejectReport",
    "escalate": "EscalateReport",
    "rate": "RateReport",
    "close": "CloseReport",
    # fieldwork.graphql's.
    "withdraw": "WithdrawReport",
    "mark_duplicate": "MarkReportDuplicate",
}
# The timeline action each verb writes first.
ACTION = {
    "accept": "ACCEPTED",
    "assign": "ASSIGNED",
    "start": "STARTED",
    "resolve": "RESOLVED",
    "reject": "REJECTED",
    "escalate": "ESCALATED",
    "rate": "RATED",
    "close": "CLOSED",
    "withdraw": "WITHDRAWN",
    "mark_duplicate": "MARKED_DUPLICATE",
}
# A valid input for each verb, besides reportId (assign also gets an assignee: see `move`).
INPUT: dict[str, dict[str, Any]] = {
    "accept": {"priority": "NORMAL"},
    "assign": {},
    "start": {},
    "resolve": {"note": "已更换损坏的灯具，现场测试正常。"},
    "reject": {"reason": "经核实属于物业维修范围，已转金安里物业服务中心处理。"},
    "escalate": {"reason": "涉及市政道路，需街道协调市政部门。"},
    "rate": {"rating": 4, "comment": "处理及时，谢谢网格员。"},
    "close": {},
    "withdraw": {"reason": "已自行联系物业处理"},
    "mark_duplicate": {},  # and an original: see `move`
}

# A problem in 金安里, near 金山路 (the demo's own reports are around here too), in 金安社区's
# second grid, which has no grid worker: 陈志强 (the first grid's) handles it only when assigned.
REPORT: dict[str, Any] = {
    "category": "REPAIR",
    "title": "金安里 6 栋楼道灯不亮",
    "description": "6 栋 2 楼到 4 楼的声控灯坏了，晚上上下楼看不清台阶。",
    "location": {"lat": 24.5079, "lng": 118.1848},
    "address": "金山路 128 号金安里 6 栋",
}

# ReportDetail, trimmed to what the workflow tests look at (for cheap reads in loops).
WORKFLOW_STATE = """
query WorkflowState($id: ID!) {
  report(id: $id) {
    id status priority dueAt resolvedAt overdue escalationLevel
    assignee { id displayName }
    viewerCan { accept assign start resolve reject escalate rate close comment }
    timeline { at action fromStatus toStatus note actor { id displayName } }
  }
}
"""


def object_id(global_id: str, type_name: str = "Report") -> ObjectId:
    """The stored id behind a global id (to look at stored documents: events)."""
    found = from_global_id(global_id, type_name)
    assert found is not None, global_id
    return found


def at(value: str | None) -> datetime | None:
    """A DateTime from the API, as a datetime."""
    return datetime.fromisoformat(value) if value is not None else None


def iso(value: datetime) -> str:
    return value.isoformat()


class Street:
    """The demo street as its people use it: sign-ins (renewed when the clock has moved past
    an access token's life), report submission and the workflow's moves."""

    TOKEN_REUSE = timedelta(minutes=10)

    def __init__(self, api: Api, deps: Deps, places: DemoPlaces) -> None:
        self.api = api
        self.deps = deps
        self.places = places
        self._tokens: dict[str, tuple[str, datetime]] = {}
        self._ids: dict[str, str] = {}
        self._passwords: dict[str, str] = {}
        self._names = dict(NAMES)

    @classmethod
    async def open(cls, api: Api, deps: Deps) -> Street:
        return cls(api, deps, await demo_places(api))

    @property
    def now(self) -> datetime:
        return self.deps.clock.now()

    async def token(self, phone: str) -> str:
        token, issued = self._tokens.get(phone, ("", datetime.min.replace(tzinfo=UTC)))
        if self.now - issued > self.TOKEN_REUSE or self.now < issued:
            token = await self.api.login(phone, self._passwords.get(phone, DEMO_PASSWORD))
            self._tokens[phone] = (token, self.now)
        return token

    async def user_id(self, phone: str) -> str:
        if phone not in self._ids:
            viewer = await self.api.data("Viewer", token=await self.token(phone))
            self._ids[phone] = viewer["viewer"]["id"]
        return self._ids[phone]

    async def appoint(self, phone: str, name: str, place: str, role: Role = Role.ADMIN) -> str:
        """A new account given `role` on the demo place named `place` (by the system, as an
        operator would appoint street staff); its phone, for signing in."""
        registered = await register(self.api, phone, name)
        self._passwords[phone] = PASSWORD
        self._ids[phone] = registered.id
        self._names[phone] = name
        await memberships.appoint(
            self.deps,
            SYSTEM,
            user_id=object_id(registered.id, "User"),
            place_id=object_id(self.places[place], "Place"),
            roles=[role],
        )
        return phone

    async def person(self, phone: str) -> dict[str, str]:
        """A user as a timeline entry's `actor { id displayName }` shows them."""
        return {"id": await self.user_id(phone), "displayName": self._names[phone]}

    async def submit(self, phone: str = JINAN_RESIDENT, **fields: Any) -> str:
        """Submit a report to 金安社区 (REPORT, with `fields` changed); its id."""
        data = await self.api.data(
            "SubmitReport",
            {"input": {"communityId": self.places["金安社区"], **REPORT, **fields}},
            token=await self.token(phone),
        )
        payload = data["submitReport"]
        assert payload["errors"] == [], payload
        assert payload["report"]["status"] == "SUBMITTED"
        report_id: str = payload["report"]["id"]
        return report_id

    async def move(self, verb: str, report_id: str, phone: str, **fields: Any) -> dict[str, Any]:
        """Run a workflow mutation as `phone`, with a valid input unless `fields` say
        otherwise; its payload."""
        values = {"reportId": report_id, **INPUT[verb], **fields}
        if verb == "assign" and "assigneeId" not in values:
            values["assigneeId"] = await self.user_id(JINAN_GRID_WORKER)
        if verb == "mark_duplicate" and "duplicateOfId" not in values:
            values["duplicateOfId"] = await self.submit(JINAN_NEIGHBOUR)
        operation = OPERATION[verb]
        result = await self.api.execute(
            OPERATIONS[operation], {"input": values},
            token=await self.token(phone), operation_name=operation,
        )  # fmt: skip
        assert result.errors is None, result.errors
        data: Any = result.data
        payload: dict[str, Any] = data[operation[0].lower() + operation[1:]]
        return payload

    async def ok(self, verb: str, report_id: str, phone: str, **fields: Any) -> dict[str, Any]:
        """A move that must succeed; the report it returns."""
        payload = await self.move(verb, report_id, phone, **fields)
        assert payload["errors"] == [], (verb, payload)
        report: dict[str, Any] = payload["report"]
        return report

    async def refused(self, verb: str, report_id: str, phone: str, **fields: Any) -> list[str]:
        """A move that must fail: its error codes (and the payload carries no report)."""
        payload = await self.move(verb, report_id, phone, **fields)
        assert payload["report"] is None, (verb, payload)
        return codes(payload)

    async def state(self, report_id: str, phone: str = JINAN_WORKER) -> dict[str, Any]:
        """The report as `phone` sees it (WORKFLOW_STATE): must be visible."""
        result = await self.api.execute(
            WORKFLOW_STATE, {"id": report_id}, token=await self.token(phone)
        )
        assert result.errors is None, result.errors
        assert result.data is not None
        report: dict[str, Any] | None = result.data["report"]
        assert report is not None, f"{phone} cannot see {report_id}"
        return report

    async def detail(self, report_id: str, phone: str = JINAN_WORKER) -> dict[str, Any] | None:
        """The contract's ReportDetail as `phone` sees it (None: invisible)."""
        data = await self.api.data(
            "ReportDetail", {"id": report_id, "commentsFirst": 5}, token=await self.token(phone)
        )
        report: dict[str, Any] | None = data["report"]
        return report

    async def reach(
        self,
        status: str,
        *,
        reporter: str = JINAN_RESIDENT,
        assignee: str = JINAN_GRID_WORKER,
        priority: str = "NORMAL",
        staff: str = JINAN_WORKER,
        **fields: Any,
    ) -> str:
        """A new report taken to `status` the way people would: staff accept and assign,
        the assignee starts and resolves, the reporter rates it 4 (CLOSED), staff reject
        (REJECTED, from SUBMITTED)."""
        report_id = await self.submit(reporter, **fields)
        path = {
            "SUBMITTED": [],
            "ACCEPTED": ["accept"],
            "ASSIGNED": ["accept", "assign"],
            "IN_PROGRESS": ["accept", "assign", "start"],
            "RESOLVED": ["accept", "assign", "start", "resolve"],
            "CLOSED": ["accept", "assign", "start", "resolve", "rate"],
            "REJECTED": ["reject"],
        }[status]
        assignee_id = await self.user_id(assignee)
        for verb in path:
            if verb == "accept":
                await self.ok(verb, report_id, staff, priority=priority)
            elif verb == "assign":
                await self.ok(verb, report_id, staff, assigneeId=assignee_id)
            elif verb in ("start", "resolve"):
                await self.ok(verb, report_id, assignee)
            elif verb == "rate":
                await self.ok(verb, report_id, reporter)
            else:
                await self.ok(verb, report_id, staff)
        return report_id

    async def events(self, report_id: str, kind: str | None = None) -> list[dict[str, Any]]:
        """The domain events about a report (of one kind), oldest first."""
        query: dict[str, Any] = {"subject_id": object_id(report_id)}
        if kind is not None:
            query["kind"] = kind
        cursor = self.deps.db["events"].find(query).sort([("at", 1), ("_id", 1)])
        return [event async for event in cursor]


@asynccontextmanager
async def shared_street(
    mongo_client: Client, schema: NeighborSchema, settings: Settings
) -> AsyncIterator[Street]:
    """The demo street in a database of its own, for many tests at once (module-scoped
    fixtures): each test must work on reports it creates, and must not move its clock."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    deps = Deps(
        client=mongo_client, db=mongo_client[name], settings=settings, clock=ManualClock(START)
    )
    await ensure_indexes(deps.db)
    await load_demo(deps)
    try:
        api = Api(schema, deps)
        yield await Street.open(api, deps)
    finally:
        await mongo_client.drop_database(name)
