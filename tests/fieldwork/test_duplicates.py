"""Duplicates and withdrawal: similarReports before submitting, possibleDuplicates on an
idempotent retry too, markReportDuplicate by staff (linked both ways, followers and
endorsements carried, the reporter told why) and withdrawReport by the reporter, with the bad
input the issue lists."""

from __future__ import annotations

from typing import Any

import httpx

from neighbor_api.notifications import service as notifier
from tests.fieldwork.support import GRID_1_POINT, run
from tests.fieldwork.test_routing import submit
from tests.notifications.support import World
from tests.platform.test_http import login
from tests.reports.street import north_of
from tests.reports.support import (
    HULI_ADMIN,
    JINAN_CHAIR,
    JINAN_HOUSEMATE,
    JINAN_NEIGHBOUR,
    JINAN_RESIDENT,
    JINAN_WORKER,
    JINSHAN_RESIDENT,
    object_id,
)

JINSHAN_POINT = {"lat": 24.5029, "lng": 118.1771}


async def new_report(
    world: World, http: httpx.AsyncClient, token: str, point: dict[str, float], **more: Any
) -> dict[str, Any]:
    payload = await submit(world, http, token, point, **more)
    assert payload["errors"] == [], payload
    report: dict[str, Any] = payload["report"]
    return report


async def similar(
    world: World, http: httpx.AsyncClient, token: str, **variables: Any
) -> list[dict[str, Any]]:
    body = await run(
        http, token, "SimilarReports",
        {"communityId": world.street.places["金安社区"], "location": GRID_1_POINT, **variables},
    )  # fmt: skip
    assert "errors" not in body, body
    found: list[dict[str, Any]] = body["data"]["similarReports"]
    return found


async def test_similar_reports_before_submitting(world: World, client: httpx.AsyncClient) -> None:
    resident = await login(client, JINAN_RESIDENT)
    chair = await login(client, JINAN_CHAIR)
    near = await new_report(world, client, chair, north_of(GRID_1_POINT, 20))
    nearer = await new_report(world, client, chair, north_of(GRID_1_POINT, 5))
    await new_report(world, client, chair, north_of(GRID_1_POINT, 10), category="ENVIRONMENT")
    await new_report(world, client, chair, north_of(GRID_1_POINT, 150))
    gone = await new_report(world, client, chair, north_of(GRID_1_POINT, 8))
    withdrawn = await run(client, chair, "WithdrawReport", {"input": {"reportId": gone["id"]}})
    assert withdrawn["data"]["withdrawReport"]["errors"] == []
    private = await new_report(
        world, client, chair, north_of(GRID_1_POINT, 2), visibility="PRIVATE"
    )

    found = await similar(world, client, resident, category="REPAIR")
    # Open, of the category, within 100 m, nearest first; not the PRIVATE one she may not see.
    assert [r["id"] for r in found] == [nearer["id"], near["id"]]
    assert [round(r["distanceMeters"]) for r in found] == [5, 20]
    assert found[0]["status"] == "SUBMITTED"
    assert found[0]["viewerIsFollowing"] is False
    # Any category; the reporter sees their PRIVATE one too.
    found = await similar(world, client, chair, radiusMeters=30)
    assert [round(r["distanceMeters"]) for r in found] == [2, 5, 10, 20]
    assert found[0]["id"] == private["id"]
    # An outsider sees nothing of 金安社区.
    assert await similar(world, client, await login(client, JINSHAN_RESIDENT)) == []
    body = await run(
        client, resident, "SimilarReports",
        {"communityId": world.street.places["金安社区"], "location": GRID_1_POINT,
         "radiusMeters": 5000},
    )  # fmt: skip
    assert [e["extensions"]["code"] for e in body["errors"]] == ["INVALID_INPUT"]


async def test_possible_duplicates_on_an_idempotent_retry(
    world: World, client: httpx.AsyncClient
) -> None:
    chair = await login(client, JINAN_CHAIR)
    resident = await login(client, JINAN_RESIDENT)
    first = await new_report(world, client, chair, GRID_1_POINT)
    point = north_of(GRID_1_POINT, 30)
    sent = await submit(world, client, resident, point, idempotencyKey="retry-0001")
    again = await submit(world, client, resident, point, idempotencyKey="retry-0001")
    assert again["report"]["id"] == sent["report"]["id"]
    assert [r["id"] for r in sent["possibleDuplicates"]] == [first["id"]]
    assert again["possibleDuplicates"] == sent["possibleDuplicates"]


async def test_withdrawing_a_report(world: World, client: httpx.AsyncClient) -> None:
    resident = await login(client, JINAN_RESIDENT)
    report = await new_report(world, client, resident, GRID_1_POINT)

    async def withdraw(token: str, report_id: str, **more: Any) -> dict[str, Any]:
        variables = {"input": {"reportId": report_id, **more}}
        body = await run(client, token, "WithdrawReport", variables)
        payload: dict[str, Any] = body["data"]["withdrawReport"]
        return payload

    for phone in (JINAN_NEIGHBOUR, JINAN_WORKER):  # only the reporter
        refused = await withdraw(await login(client, phone), report["id"])
        assert [e["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    done = await withdraw(resident, report["id"], reason="已自行联系物业修好")
    assert done == {"report": {"id": report["id"], "status": "WITHDRAWN"}, "errors": []}
    stored = await world.deps.db["reports"].find_one({"_id": object_id(report["id"])})
    assert stored is not None
    assert stored["withdrawal_reason"] == "已自行联系物业修好"
    assert stored["timeline"][-1]["action"] == "WITHDRAWN"
    # After acceptance: too late.
    accepted = await new_report(world, client, resident, GRID_1_POINT)
    await world.street.ok("accept", accepted["id"], JINAN_WORKER)
    late = await withdraw(resident, accepted["id"])
    assert [e["code"] for e in late["errors"]] == ["INVALID_TRANSITION"]


async def test_marking_a_duplicate(world: World, client: httpx.AsyncClient) -> None:
    resident, chair = await login(client, JINAN_RESIDENT), await login(client, JINAN_CHAIR)
    housemate, worker = await login(client, JINAN_HOUSEMATE), await login(client, JINAN_WORKER)
    original = await new_report(world, client, resident, GRID_1_POINT)
    duplicate = await new_report(world, client, chair, north_of(GRID_1_POINT, 10))
    for token in (housemate, resident):  # the original's reporter said "me too" as well
        endorsed = await run(
            client, token, "EndorseReport", {"input": {"reportId": duplicate["id"]}}
        )
        assert endorsed["data"]["endorseReport"]["errors"] == []

    async def mark(token: str, report_id: str, of: str, language: str = "zh-CN") -> Any:
        variables = {"input": {"reportId": report_id, "duplicateOfId": of}}
        body = await run(client, token, "MarkReportDuplicate", variables, language)
        return body["data"]["markReportDuplicate"]

    refused = await mark(chair, duplicate["id"], original["id"])
    assert [e["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    self_marked = await mark(worker, duplicate["id"], duplicate["id"], "en")
    assert [(e["code"], e["field"], e["message"]) for e in self_marked["errors"]] == [
        ("INVALID_INPUT", ["input", "duplicateOfId"], "A report cannot duplicate itself")
    ]
    elsewhere = await new_report(
        world, client, await login(client, JINSHAN_RESIDENT), JINSHAN_POINT,
        communityId=world.street.places["金山社区"],
    )  # fmt: skip
    admin = await login(client, HULI_ADMIN)
    other = await mark(admin, duplicate["id"], elsewhere["id"])
    assert [(e["code"], e["field"]) for e in other["errors"]] == [
        ("INVALID_INPUT", ["input", "duplicateOfId"])
    ]
    # 金安社区's worker cannot see 金山社区's report at all.
    unseen = await mark(worker, duplicate["id"], elsewhere["id"])
    assert [e["code"] for e in unseen["errors"]] == ["NOT_FOUND"]

    marked = await mark(worker, duplicate["id"], original["id"])
    assert marked["errors"] == []
    # Followers: the original's reporter, the duplicate's reporter and its other endorser.
    assert marked["report"] == {
        "id": duplicate["id"],
        "status": "DUPLICATE",
        "duplicateOf": {"id": original["id"], "number": original["number"], "followerCount": 3},
    }
    body = await run(client, resident, "ReportRouting", {"id": original["id"]})
    assert body["data"]["report"]["duplicates"] == [
        {"id": duplicate["id"], "number": duplicate["number"]}
    ]
    body = await run(client, resident, "ReportDetail", {"id": original["id"]})
    assert body["data"]["report"]["endorsementCount"] == 1  # the housemate; not her own
    body = await run(client, housemate, "ReportDetail", {"id": original["id"]})
    assert body["data"]["report"]["viewerHasEndorsed"] is True

    # A cycle: the original cannot become a duplicate of its duplicate.
    cycle = await mark(worker, original["id"], duplicate["id"])
    assert [(e["code"], e["field"]) for e in cycle["errors"]] == [
        ("INVALID_INPUT", ["input", "duplicateOfId"])
    ]

    # The duplicate's reporter and followers are told why; not the worker who marked it.
    await notifier.notify(world.deps)
    written = await world.written("report.mark_duplicate", object_id(duplicate["id"]))
    told = {n["user_id"]: n for n in written}
    assert set(told) == {
        await world.user(JINAN_CHAIR), await world.user(JINAN_HOUSEMATE),
        await world.user(JINAN_RESIDENT),
    }  # fmt: skip
    notice = told[await world.user(JINAN_CHAIR)]
    assert original["number"] in notice["body"]
    assert notice["kind"] == "REPORT_STATUS_CHANGED"
