"""Helpers of the dispatch (吹哨报到) and wide-view tests: the demo street with a street admin
of 金山街道, units of the street and of the district with their members, a second street of
湖里区 with a unit of its own, and the contract's fieldwork documents run as clients send them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import ExecutionResult
from strawberry import relay

from neighbor_api.core.policy import SYSTEM
from neighbor_api.places import service as places
from neighbor_api.places.models import GeoPoint, PlaceLevel
from tests.conftest import DEMO_PASSWORD, OPERATIONS
from tests.places.support import PASSWORD, register
from tests.reports.support import HULI_ADMIN, JINAN_WORKER, Street, object_id

# The demo's officers (neighbor_api/fixtures/demo.json: its units and their members).
CHENGGUAN = "13800000020"  # 郭永福, 金山街道城管中队
SHIZHENG = "13800000021"  # 何丽萍, 湖里区市政园林局
# New accounts, made in each database: 金山街道's admin and more of the units' people.
STREET_ADMIN = "13959208801"  # 许志明, ADMIN of 金山街道
CHENGGUAN_2 = "13959208812"  # 叶晓东, 金山街道城管中队
OTHER_STREET_OFFICER = "13959208831"  # 庄志伟, 江头街道城管中队
OUTSIDER = "13959208841"  # 洪雅琴: an account with no role anywhere
HUANWEI = "13959208871"  # 黄志鹏, 金山街道环卫所

NAMES = {
    STREET_ADMIN: "许志明",
    CHENGGUAN: "郭永福",
    CHENGGUAN_2: "叶晓东",
    SHIZHENG: "何丽萍",
    OTHER_STREET_OFFICER: "庄志伟",
    OUTSIDER: "洪雅琴",
    HUANWEI: "黄志鹏",
}


def payload_of(result: ExecutionResult) -> Any:
    """The one root field of a result without GraphQL errors."""
    assert result.errors is None, result.errors
    assert result.data is not None
    return next(iter(result.data.values()))


@dataclass
class Units:
    """The units of the set-up, by name: their global ids."""

    ids: dict[str, str]

    def __getitem__(self, name: str) -> str:
        return self.ids[name]


class Dispatching:
    """The demo street with units, and the fieldwork documents as each person runs them."""

    def __init__(self, street: Street) -> None:
        self.street = street
        self.units = Units({})

    @classmethod
    async def open(cls, street: Street) -> Dispatching:
        """Appoint 金山街道's admin, create a second street (江头街道) under 湖里区, and the
        units besides the demo's 金山街道城管中队 (郭永福; 叶晓东 joins here) and 湖里区市政园林局
        (何丽萍): 金山街道市政所 (no members, ever), 金山街道环卫所 (黄志鹏; tests add members to
        this one only) and 江头街道城管中队 (庄志伟). The units of 金山街道 are these three in
        every test, whatever the order the tests run in."""
        self = cls(street)
        await street.appoint(STREET_ADMIN, NAMES[STREET_ADMIN], "金山街道")
        for phone in (CHENGGUAN_2, OTHER_STREET_OFFICER, OUTSIDER, HUANWEI):
            await self.register(phone)
        street._names |= {CHENGGUAN: NAMES[CHENGGUAN], SHIZHENG: NAMES[SHIZHENG]}
        for place in ("金山街道", "湖里区"):
            found = await self.run("Units", HULI_ADMIN, placeId=street.places[place])
            self.units.ids |= {unit["name"]: unit["id"] for unit in found}
        jiangtou = await places.create_place(
            street.deps, SYSTEM, name="江头街道", level=PlaceLevel.STREET,
            parent_id=object_id(street.places["湖里区"], "Place"),
            location=GeoPoint.at(lat=24.5043, lng=118.1546),
        )  # fmt: skip
        street.places.ids["江头街道"] = await self.place_global_id(str(jiangtou.id))
        made = {
            "金山街道市政所": ("金山街道", STREET_ADMIN),
            "金山街道环卫所": ("金山街道", STREET_ADMIN),
            "江头街道城管中队": ("江头街道", HULI_ADMIN),
        }
        for name, (place, phone) in made.items():
            payload = await self.run(
                "CreateUnit", phone, input={"placeId": street.places[place], "name": name}
            )
            assert payload["errors"] == [], payload
            self.units.ids[name] = payload["unit"]["id"]
        added = {
            "金山街道城管中队": [CHENGGUAN_2],
            "金山街道环卫所": [HUANWEI],
            "江头街道城管中队": [OTHER_STREET_OFFICER],
        }
        for name, members in added.items():
            for member in members:
                payload = await self.add_member(
                    name, STREET_ADMIN if name.startswith("金山") else HULI_ADMIN,
                    await street.user_id(member),
                )  # fmt: skip
                assert payload["errors"] == [], payload
        return self

    async def register(self, phone: str, name: str | None = None) -> None:
        """A new account with no role (as a department's officer signs up)."""
        name = name or NAMES[phone]
        registered = await register(self.street.api, phone, name)
        self.street._passwords[phone] = PASSWORD
        self.street._ids[phone] = registered.id
        self.street._names[phone] = name

    async def place_global_id(self, object_id_text: str) -> str:
        return str(relay.GlobalID("Place", object_id_text))

    async def execute(self, name: str, phone: str, **variables: Any) -> ExecutionResult:
        """A fieldwork document as `phone` sends it."""
        return await self.street.api.execute(
            OPERATIONS[name], variables, token=await self.street.token(phone), operation_name=name
        )

    async def run(self, name: str, phone: str, **variables: Any) -> Any:
        return payload_of(await self.execute(name, phone, **variables))

    async def add_member(self, unit: str, phone: str, member_id: str) -> dict[str, Any]:
        """addUnitMember's payload: `phone` adds the user `member_id` to `unit`."""
        payload: dict[str, Any] = await self.run(
            "AddUnitMember",
            phone,
            input={"unitId": self.units.ids.get(unit, unit), "userId": member_id},
        )
        return payload

    async def escalated(
        self, title: str, *, to_district: bool = False, status: str = "ACCEPTED"
    ) -> str:
        """A new report of 金安社区 at `status`, escalated by the community to 金山街道 (and on
        to 湖里区)."""
        report_id = await self.street.reach(status, title=title)
        await self.street.ok("escalate", report_id, JINAN_WORKER)
        if to_district:
            await self.street.ok("escalate", report_id, STREET_ADMIN)
        return report_id

    async def dispatch(
        self, report_id: str, unit: str, phone: str = STREET_ADMIN, note: str | None = None
    ) -> dict[str, Any]:
        payload: dict[str, Any] = await self.run(
            "DispatchReport", phone,
            input={"reportId": report_id, "unitId": self.units[unit], "note": note},
        )  # fmt: skip
        return payload

    async def give_back(self, report_id: str, phone: str, reason: str = "") -> dict[str, Any]:
        payload: dict[str, Any] = await self.run(
            "ReturnReport", phone,
            input={"reportId": report_id, "reason": reason or "不属于城管职责，应由市政部门处理。"},
        )  # fmt: skip
        return payload

    async def queue(self, unit: str, phone: str) -> dict[str, Any] | None:
        queue: dict[str, Any] | None = await self.run(
            "UnitQueue", phone, unitId=self.units[unit], first=50
        )
        return queue

    async def queued(self, unit: str, phone: str) -> list[str]:
        queue = await self.queue(unit, phone)
        assert queue is not None, (unit, phone)
        return [edge["node"]["id"] for edge in queue["edges"]]


def password_of(phone: str) -> str:
    """The demo's accounts share the demo password; the accounts made here have their own."""
    return DEMO_PASSWORD if phone.startswith("138000000") else PASSWORD
