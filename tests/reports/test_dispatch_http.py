"""Dispatch and return end to end over real HTTP against the running app, with the contract's
documents as clients send them: 金山街道's admin dispatches an escalated report to its 城管中队,
the unit's members are told (REPORT_DISPATCHED) and find it in their queue, one takes it, then
returns it with a reason; 金山街道's staff are told, the report is back in the street's queue.
Bad input over HTTP: a unit of another street, returning a report one does not hold (clear
errors in the request's language, nothing changed)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from neighbor_api.core.deps import Deps
from neighbor_api.notifications import service as notifier
from tests.conftest import DEMO_PASSWORD, OPERATIONS, Api
from tests.platform.conftest import live_server
from tests.reports.dispatching import (
    CHENGGUAN,
    CHENGGUAN_2,
    SHIZHENG,
    STREET_ADMIN,
    Dispatching,
    password_of,
)
from tests.reports.support import HULI_ADMIN, JINAN_RESIDENT, JINAN_WORKER, Street

__all__ = ["live_server"]


@pytest.fixture
async def world(api: Api, demo: Deps) -> Dispatching:
    return await Dispatching.open(await Street.open(api, demo))


@pytest.fixture
async def http(live_server: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as client:
        yield client


class Client:
    """One person's app over HTTP."""

    def __init__(self, http: httpx.AsyncClient, token: str, language: str = "zh-CN") -> None:
        self.http = http
        self.token = token
        self.language = language

    @classmethod
    async def sign_in(cls, http: httpx.AsyncClient, phone: str, password: str) -> Client:
        response = await http.post(
            "/graphql",
            json={
                "query": OPERATIONS["Login"], "operationName": "Login",
                "variables": {"input": {"phone": phone, "password": password}},
            },
        )  # fmt: skip
        payload = response.json()["data"]["login"]
        assert payload["errors"] == [], payload
        return cls(http, payload["accessToken"])

    async def run(self, name: str, **variables: Any) -> Any:
        document = OPERATIONS[name]
        response = await self.http.post(
            "/graphql",
            json={"query": document, "operationName": name, "variables": variables},
            headers={"Authorization": f"Bearer {self.token}", "Accept-Language": self.language},
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body
        return next(iter(body["data"].values()))

    async def kinds(self) -> list[tuple[str, str, str]]:
        """The feed: (kind, title, body), newest first."""
        feed = await self.run("Notifications", first=50)
        return [(e["node"]["kind"], e["node"]["title"], e["node"]["body"]) for e in feed["edges"]]


async def test_dispatch_and_return_over_http(world: Dispatching, http: httpx.AsyncClient) -> None:
    street = world.street
    report_id = await world.escalated("金尚路人行道被占用堆放建材")
    admin = await Client.sign_in(http, STREET_ADMIN, password_of(STREET_ADMIN))
    officer = await Client.sign_in(http, CHENGGUAN, password_of(CHENGGUAN))
    colleague = await Client.sign_in(http, CHENGGUAN_2, password_of(CHENGGUAN_2))
    worker = await Client.sign_in(http, JINAN_WORKER, DEMO_PASSWORD)
    unit_id = world.units["金山街道城管中队"]

    units = await admin.run("Units", placeId=street.places["金山街道"])
    names = ["金山街道城管中队", "金山街道市政所", "金山街道环卫所"]
    assert [u["id"] for u in units] == [world.units[name] for name in names]
    note = "请今天到现场核实，责令清理。"
    dispatched = await admin.run(
        "DispatchReport", input={"reportId": report_id, "unitId": unit_id, "note": note}
    )
    assert dispatched == {
        "report": {
            "id": report_id, "status": "ACCEPTED", "escalationLevel": "STREET",
            "handlingUnit": {"id": unit_id, "name": "金山街道城管中队"},
        },
        "errors": [],
    }  # fmt: skip
    await notifier.notify(street.deps)
    for member in (officer, colleague):
        kind, title, body = (await member.kinds())[0]
        assert kind == "REPORT_DISPATCHED"
        assert title == "金山街道城管中队收到派发的诉求"
        assert body.startswith("许志明将「金尚路人行道被占用堆放建材」（JA-")
        assert "派发至金山街道城管中队，请于 " in body
        assert body.endswith(f"前办理：{note}")
    assert "REPORT_DISPATCHED" not in [k for k, _, _ in await admin.kinds()]
    assert "REPORT_DISPATCHED" not in [k for k, _, _ in await worker.kinds()]

    queue = await officer.run("UnitQueue", unitId=unit_id, first=10)
    assert queue["totalCount"] == 1
    assert queue["edges"][0]["node"]["id"] == report_id
    assert queue["edges"][0]["node"]["community"]["name"] == "金安社区"
    taken = await officer.run("AcceptReport", input={"reportId": report_id})
    assert taken["errors"] == []
    assert taken["report"]["status"] == "ASSIGNED"

    reason = "建材属于金安里 6 栋装修业主，应由物业和社区先行劝导。"
    returned = await officer.run("ReturnReport", input={"reportId": report_id, "reason": reason})
    assert returned == {
        "report": {"id": report_id, "status": "ACCEPTED", "handlingUnit": None},
        "errors": [],
    }
    await notifier.notify(street.deps)
    kind, title, body = (await admin.kinds())[0]
    assert (kind, title) == ("REPORT_ESCALATED", "诉求被金山街道城管中队退回")
    assert body.endswith(f"退回金山街道：{reason}")
    # Not the member who returned it; the community did not dispatch it.
    assert (await officer.kinds())[0][0] == "REPORT_DISPATCHED"
    assert "诉求被金山街道城管中队退回" not in [t for _, t, _ in await worker.kinds()]
    # Back in the street's queue, and no longer in the unit's.
    held = await admin.run("EscalationQueue", placeId=street.places["金山街道"], first=50)
    assert report_id in [e["node"]["id"] for e in held["edges"]]
    assert (await colleague.run("UnitQueue", unitId=unit_id, first=10))["totalCount"] == 0


async def test_bad_input_over_http(world: Dispatching, http: httpx.AsyncClient) -> None:
    report_id = await world.escalated("金山路口红绿灯故障")
    admin = await Client.sign_in(http, STREET_ADMIN, password_of(STREET_ADMIN))
    admin.language = "en"
    district_unit = world.units["湖里区市政园林局"]

    wrong = await admin.run(
        "DispatchReport", input={"reportId": report_id, "unitId": district_unit}
    )
    assert wrong == {
        "report": None,
        "errors": [{
            "code": "INVALID_INPUT",
            "message": "The report can only be dispatched to a unit of 金山街道",
            "field": ["input", "unitId"],
        }],
    }  # fmt: skip
    other = await admin.run(
        "DispatchReport", input={"reportId": report_id, "unitId": world.units["江头街道城管中队"]}
    )
    assert other["errors"][0]["field"] == ["input", "unitId"]
    not_held = await admin.run("ReturnReport", input={"reportId": report_id, "reason": "不归我管"})
    assert not_held["report"] is None
    assert [(e["code"], e["message"]) for e in not_held["errors"]] == [
        ("FORBIDDEN", "Only members of the unit holding a report can return it")
    ]
    stranger = await Client.sign_in(http, SHIZHENG, password_of(SHIZHENG))
    hidden = await stranger.run("ReturnReport", input={"reportId": report_id, "reason": "退回"})
    assert [e["code"] for e in hidden["errors"]] == ["NOT_FOUND"]
    # Nothing changed: still the street's, dispatched to nobody.
    state = await world.street.state(report_id, STREET_ADMIN)
    assert state["timeline"][-1]["action"] == "ESCALATED"
    resident = await Client.sign_in(http, JINAN_RESIDENT, DEMO_PASSWORD)
    assert await resident.run("UnitQueue", unitId=district_unit, first=5) is None
    assert await resident.run("Units", placeId=world.street.places["湖里区"]) == []
    district = await Client.sign_in(http, HULI_ADMIN, DEMO_PASSWORD)
    assert len(await district.run("Units", placeId=world.street.places["湖里区"])) == 1
