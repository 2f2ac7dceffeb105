"""Helpers of the submitting, listing, neighbours', visibility and index tests: the demo
street's people and communities as a client finds them, and reports submitted through the
contract's operations (or, for bulk set-up only, through the same service the API calls).

Global ids come from query results; `object_id` parses one only to look at stored documents.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import math
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bson import ObjectId
from graphql import ExecutionResult

from neighbor_api.accounts import service as accounts
from neighbor_api.core.clock import ManualClock
from neighbor_api.core.deps import Deps
from neighbor_api.core.mongo import Client, Document, ensure_indexes
from neighbor_api.core.policy import Actor, Role
from neighbor_api.demo import load_demo
from neighbor_api.graphql.relay import from_global_id
from neighbor_api.memberships import service as memberships
from neighbor_api.places.models import GeoPoint
from neighbor_api.reports import service as reports
from neighbor_api.reports.models import ReportCategory, ReportVisibility
from neighbor_api.schema import NeighborSchema
from neighbor_api.settings import Settings
from tests.conftest import Api

# The demo's people (neighbor_api/fixtures/demo.json).
JINAN_WORKER = "13800000001"  # 林美华, community worker of 金安社区
GRID_WORKER = "13800000002"  # 陈志强, grid worker of 金安社区第一网格
CHAIR = "13800000003"  # 黄国栋, resident and council chair of 金安社区
RESIDENT = "13800000004"  # 王丽娟, resident of 金安社区, household A
HOUSEMATE = "13800000005"  # 张伟, resident of 金安社区, household A too
NEIGHBOUR = "13800000006"  # 李秀英, resident of 金安社区, household B
JINSHAN_WORKER = "13800000010"  # 郑晓燕, community worker of 金山社区
JINSHAN_RESIDENT = "13800000011"  # 吴建华, resident of 金山社区
HULI_ADMIN = "13800000099"  # 蔡文彬, admin of 湖里区

# The demo's 12 sample reports of 金安社区, JA-2026-000001 to 000012, in this order.
DEMO_REPORTS = 12

# 金湖路 beside 金安里 12 栋: in 金安社区, at least 250 m from every demo report.
JINHU_ROAD = {"lat": 24.5060, "lng": 118.1890}
# 金安里 5 栋, where the demo's first report (楼道灯) was made.
BUILDING_5 = {"lat": 24.5086, "lng": 118.1849}
# 金山花园, in 金山社区 (about a kilometre south-west of 金安里).
JINSHAN_GARDEN = {"lat": 24.5029, "lng": 118.1771}

# The earth radius MongoDB's spherical geometry uses.
METERS_PER_DEGREE = 6378100 * math.pi / 180


def north_of(point: dict[str, float], meters: float) -> dict[str, float]:
    """The point `meters` due north of `point` (along a meridian, so distances are exact)."""
    return {"lat": point["lat"] + meters / METERS_PER_DEGREE, "lng": point["lng"]}


def object_id(global_id: str) -> ObjectId:
    """The stored document's _id behind a global id (only to inspect the database)."""
    found = from_global_id(global_id, None)
    assert found is not None, global_id
    return found


def user_errors(payload: dict[str, Any]) -> list[tuple[str, list[str] | None]]:
    """A payload's errors as (code, field) pairs."""
    return [(e["code"], e["field"]) for e in payload["errors"]]


def error_codes(result: ExecutionResult) -> list[str]:
    """The `extensions.code` of each GraphQL error of a result."""
    return [(e.extensions or {}).get("code", "") for e in result.errors or []]


@dataclass(frozen=True)
class Person:
    phone: str
    id: str
    name: str
    token: str


# The demo street as the first test loaded it through the services: its documents by
# collection, and the clock's time then. Later tests start from a copy of these documents
# (a third of a second less each), in their own fresh database as ever.
_DEMO: dict[datetime, dict[str, list[Document]]] = {}


async def load_demo_street(deps: Deps) -> None:
    """The demo street in this test's database: loaded through the services the first time
    (at a given clock time), then copied from what that load stored."""
    now = deps.clock.now()
    if now not in _DEMO:
        await load_demo(deps)
        names = await deps.db.list_collection_names()
        _DEMO[now] = {name: await deps.db[name].find().to_list() for name in names}
        return
    await asyncio.gather(
        *(
            deps.db[name].insert_many(copy.deepcopy(documents))
            for name, documents in _DEMO[now].items()
            if documents
        )
    )


# The time the `clock` fixture starts at.
START = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


@asynccontextmanager
async def shared_demo(client: Client, settings: Settings) -> AsyncIterator[Deps]:
    """A fresh database with the demo street, for the tests of one class that only read what
    is in it (and what the class's own set-up added); dropped after them."""
    name = f"test_shared_{uuid.uuid4().hex[:12]}"
    deps = Deps(client=client, db=client[name], settings=settings, clock=ManualClock(START))
    await ensure_indexes(deps.db)
    await load_demo_street(deps)
    try:
        yield deps
    finally:
        await client.drop_database(name)


async def street_over(schema: NeighborSchema, shared: Deps, *, own_clock: bool = True) -> Street:
    """The street of a shared database: for one test, with its own clock at the start; for
    the class's set-up (`own_clock=False`), with the database's."""
    deps = dataclasses.replace(shared, clock=ManualClock(START)) if own_clock else shared
    return await Street.open(Api(schema, deps))


class Street:
    """The demo street, signed in as whoever a test needs (each person logs in once)."""

    def __init__(self, api: Api, jinan: str, jinshan: str) -> None:
        self.api = api
        self.jinan = jinan  # 金安社区's id
        self.jinshan = jinshan  # 金山社区's id
        self._people: dict[str, Person] = {}

    @property
    def clock(self) -> ManualClock:
        clock = self.api.deps.clock
        assert isinstance(clock, ManualClock)
        return clock

    def advance(self, delta: timedelta) -> None:
        """Move this street's clock on, and sign everyone in again (tokens live 15 minutes)."""
        self.clock.advance(delta)
        self.sign_in_again()

    @classmethod
    async def open(cls, api: Api) -> Street:
        street = cls(api, "", "")
        street.jinan = await street._community_of(JINAN_WORKER)
        street.jinshan = await street._community_of(JINSHAN_WORKER)
        return street

    async def _community_of(self, phone: str) -> str:
        viewer = await self.api.data("Viewer", token=await self.token(phone))
        community_id: str = viewer["viewer"]["memberships"][0]["community"]["id"]
        return community_id

    async def person(self, phone: str, password: str = "neighbor-demo") -> Person:
        if phone not in self._people:
            data = await self.api.data("Login", {"input": {"phone": phone, "password": password}})
            login = data["login"]
            assert login["errors"] == [], login
            viewer = login["viewer"]
            self._people[phone] = Person(
                phone, viewer["id"], viewer["displayName"], login["accessToken"]
            )
        return self._people[phone]

    async def token(self, phone: str) -> str:
        return (await self.person(phone)).token

    def sign_in_again(self) -> None:
        """Forget every token (after the clock moved past their 15 minutes)."""
        self._people.clear()

    def report_input(self, **fields: Any) -> dict[str, Any]:
        """A SubmitReport input for 金安社区 (a lift making noises on 金湖路), with `fields`."""
        return {
            "communityId": self.jinan,
            "category": "REPAIR",
            "title": "金安里 12 栋电梯异响",
            "description": "12 栋 2 号电梯运行时有明显异响，住户担心安全。",
            "location": JINHU_ROAD,
            "address": "金湖路金安里 12 栋",
            **fields,
        }

    async def submit_payload(self, phone: str, **fields: Any) -> dict[str, Any]:
        """SubmitReport's payload, whatever it says."""
        data = await self.api.data(
            "SubmitReport", {"input": self.report_input(**fields)}, token=await self.token(phone)
        )
        payload: dict[str, Any] = data["submitReport"]
        return payload

    async def submit(self, phone: str, **fields: Any) -> dict[str, Any]:
        """A report that must be accepted: SubmitReport's `report`."""
        payload = await self.submit_payload(phone, **fields)
        assert payload["errors"] == [], payload
        report: dict[str, Any] = payload["report"]
        return report

    async def detail(self, phone: str, report_id: str, comments: int = 20) -> Any:
        """ReportDetail as `phone` sees it (None if they may not see it)."""
        data = await self.api.data(
            "ReportDetail",
            {"id": report_id, "commentsFirst": comments},
            token=await self.token(phone),
        )
        return data["report"]

    async def reports(self, phone: str, community: str | None = None, **variables: Any) -> Any:
        """The Reports connection as `phone` sees it (None for outsiders)."""
        data = await self.api.data(
            "Reports",
            {"communityId": community or self.jinan, **variables},
            token=await self.token(phone),
        )
        return data["reports"]

    async def numbers(self, phone: str, **variables: Any) -> list[str]:
        """The numbers of one page of Reports, in order."""
        connection = await self.reports(phone, **variables)
        return [e["node"]["number"] for e in connection["edges"]]

    async def demo_ids(self) -> dict[int, str]:
        """The demo reports' ids by their sequence number (1 to 12), as staff list them."""
        connection = await self.reports(JINAN_WORKER, first=100)
        return {
            int(e["node"]["number"].rsplit("-", 1)[1]): e["node"]["id"]
            for e in connection["edges"]
            if e["node"]["number"].startswith("JA-2026-")
        }

    async def nearby(
        self, phone: str, near: dict[str, float], radius: int, **variables: Any
    ) -> Any:
        """ReportsNearby's nodes as `phone` sees them."""
        data = await self.api.data(
            "ReportsNearby",
            {"near": near, "radiusMeters": radius, **variables},
            token=await self.token(phone),
        )
        return [e["node"] for e in data["reportsNearby"]["edges"]]

    async def endorse(self, phone: str, report_id: str) -> dict[str, Any]:
        data = await self.api.data(
            "EndorseReport", {"input": {"reportId": report_id}}, token=await self.token(phone)
        )
        payload: dict[str, Any] = data["endorseReport"]
        return payload

    async def comment(self, phone: str, report_id: str, body: str, **fields: Any) -> Any:
        data = await self.api.data(
            "CommentOnReport",
            {"input": {"reportId": report_id, "body": body, **fields}},
            token=await self.token(phone),
        )
        return data["commentOnReport"]


def demo_number(n: int, year: int = 2026) -> str:
    return f"JA-{year}-{n:06d}"


async def actor_of(deps: Deps, person: Person) -> Actor:
    return await memberships.actor_for(deps, object_id(person.id))


async def bulk_reports(
    deps: Deps, actor: Actor, community: str, count: int, *, at: dict[str, float] = JINHU_ROAD
) -> None:
    """`count` more reports by `actor` through the reports service (set-up of long lists)."""
    categories = list(ReportCategory)

    async def one(index: int) -> None:
        await reports.submit_report(
            deps,
            actor,
            community_id=object_id(community),
            category=categories[index % len(categories)],
            title=f"金湖路第 {index + 1} 处路灯不亮",
            description="晚上路过黑漆漆的，老人孩子出行不安全。",
            location=GeoPoint.at(lat=at["lat"], lng=at["lng"]),
            visibility=ReportVisibility.COMMUNITY,
        )

    for start in range(0, count, 10):
        await asyncio.gather(*(one(i) for i in range(start, min(start + 10, count))))


async def new_residents(deps: Deps, community: str, count: int) -> list[str]:
    """`count` new residents of the community, registered, asking to join and approved by its
    community worker through the services; their access tokens."""
    worker_id = await _worker_of(deps, object_id(community))
    worker = await memberships.actor_for(deps, worker_id)

    async def one(index: int) -> str:
        signed_in = await accounts.register(
            deps,
            phone=f"1391234{index:04d}",
            password="jinan-neighbour-2026",
            display_name=f"金安居民{index:02d}",
        )
        request = await memberships.join_community(
            deps,
            Actor(user_id=signed_in.user.id),
            community_id=object_id(community),
            address=f"金山路 130 号金安里 9 栋 {index + 101} 室",
            household_code=f"JA-9-{index + 101}",
        )
        await memberships.decide_membership(
            deps, worker, membership_id=request.id, approve=True, roles=[Role.RESIDENT]
        )
        token: str = signed_in.access_token
        return token

    return list(await asyncio.gather(*(one(i) for i in range(count))))


async def _worker_of(deps: Deps, community_id: ObjectId) -> ObjectId:
    found = await deps.db["memberships"].find_one(
        {"place_id": community_id, "roles": Role.COMMUNITY_WORKER.value, "status": "ACTIVE"}
    )
    assert found is not None
    worker: ObjectId = found["user_id"]
    return worker
