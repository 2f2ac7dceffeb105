"""Grids with boundaries: a report is routed to the grid holding its point (one grid,
always the same, on a shared edge), a point outside its community is refused naming it, the
grid's worker handles what falls in his grid first (accept, start, resolve), sees it in his
queue (MyGridQueue) and is told of it; boundaries that are open or cross themselves are
refused when places are made."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from neighbor_api.core.errors import DomainError, ErrorCode
from neighbor_api.core.policy import SYSTEM
from neighbor_api.notifications import service as notifier
from neighbor_api.places import geometry
from neighbor_api.places import service as places
from neighbor_api.places.models import GeoPolygon, PlaceLevel
from tests.fieldwork.support import (
    GRID_1_POINT,
    GRID_2_POINT,
    JUST_OUTSIDE,
    SHANGHAI,
    SHARED_EDGE,
    run,
)
from tests.notifications.support import World
from tests.platform.test_http import login
from tests.reports.support import (
    JINAN_GRID_WORKER,
    JINAN_RESIDENT,
    JINAN_WORKER,
    JINSHAN_RESIDENT,
    REPORT,
    object_id,
)


async def submit(
    world: World, http: httpx.AsyncClient, token: str, location: dict[str, float], **more: Any
) -> dict[str, Any]:
    language = more.pop("language", "zh-CN")
    variables = {
        "input": {
            "communityId": world.street.places["金安社区"],
            **REPORT,
            "location": location,
            **more,
        }
    }
    body = await run(http, token, "SubmitReport", variables, language)
    payload: dict[str, Any] = body["data"]["submitReport"]
    return payload


async def grid_of(http: httpx.AsyncClient, token: str, report_id: str) -> str | None:
    body = await run(http, token, "ReportRouting", {"id": report_id})
    grid = body["data"]["report"]["grid"]
    return grid["name"] if grid else None


@pytest.mark.parametrize(
    ("point", "grid"),
    [
        (GRID_1_POINT, "金安社区第一网格"),
        (GRID_2_POINT, "金安社区第二网格"),
        # On the edge both grids share: the first by name, every time.
        (SHARED_EDGE, "金安社区第一网格"),
        (JUST_OUTSIDE, "金安社区第一网格"),
    ],
    ids=["grid-1", "grid-2", "shared-edge", "just-outside"],
)
async def test_a_report_is_routed_to_the_grid_holding_its_point(
    world: World, client: httpx.AsyncClient, point: dict[str, float], grid: str
) -> None:
    resident = await login(client, JINAN_RESIDENT)
    for _ in range(2):
        payload = await submit(world, client, resident, point)
        assert payload["errors"] == []
        assert await grid_of(client, resident, payload["report"]["id"]) == grid


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("zh-CN", "该位置不在金安社区辖区内，请在本社区范围内选点"),
        ("en", "This location is outside 金安社区; pick a point within the community"),
    ],
)
async def test_a_point_outside_the_community_is_refused_naming_it(
    world: World, client: httpx.AsyncClient, language: str, message: str
) -> None:
    resident = await login(client, JINAN_RESIDENT)
    before = await world.deps.db["reports"].count_documents({})
    for point in (SHANGHAI, {"lat": 24.5029, "lng": 118.1771}):  # Shanghai; 金山社区
        payload = await submit(world, client, resident, point, language=language)
        assert payload["report"] is None
        assert [(e["code"], e["field"], e["message"]) for e in payload["errors"]] == [
            ("INVALID_INPUT", ["input", "location"], message)
        ]
    assert await world.deps.db["reports"].count_documents({}) == before


async def test_the_grid_worker_handles_what_falls_in_his_grid(
    world: World, client: httpx.AsyncClient
) -> None:
    resident = await login(client, JINAN_RESIDENT)
    grid_worker = await login(client, JINAN_GRID_WORKER)
    mine = (await submit(world, client, resident, GRID_1_POINT, visibility="PRIVATE"))["report"]
    other = (await submit(world, client, resident, GRID_2_POINT))["report"]

    # He sees his grid's PRIVATE report and is offered its moves.
    body = await run(client, grid_worker, "ReportDetail", {"id": mine["id"]})
    assert body["data"]["report"]["viewerCan"]["accept"] is True
    accepted = await run(client, grid_worker, "AcceptReport", {"input": {"reportId": mine["id"]}})
    assert accepted["data"]["acceptReport"]["errors"] == []
    started = await run(client, grid_worker, "StartReport", {"input": {"reportId": mine["id"]}})
    report = started["data"]["startReport"]["report"]
    assert report["status"] == "IN_PROGRESS"
    # Taking it on straight from ACCEPTED makes him its assignee.
    body = await run(client, grid_worker, "ReportRouting", {"id": mine["id"]})
    assert body["data"]["report"]["assignee"]["displayName"] == "陈志强"
    resolved = await run(
        client, grid_worker, "ResolveReport",
        {"input": {"reportId": mine["id"], "note": "已更换灯泡。"}},
    )  # fmt: skip
    assert resolved["data"]["resolveReport"]["report"]["status"] == "RESOLVED"

    # Another grid's report: not his to accept.
    refused = await run(client, grid_worker, "AcceptReport", {"input": {"reportId": other["id"]}})
    assert [e["code"] for e in refused["data"]["acceptReport"]["errors"]] == ["FORBIDDEN"]

    # His queue: his grid's reports only.
    queue = await run(
        client, grid_worker, "MyGridQueue",
        {"communityId": world.street.places["金安社区"], "first": 100},
    )  # fmt: skip
    nodes = [e["node"] for e in queue["data"]["reports"]["edges"]]
    assert mine["id"] in {n["id"] for n in nodes}
    assert other["id"] not in {n["id"] for n in nodes}
    assert {n["grid"]["name"] for n in nodes} == {"金安社区第一网格"}
    assert queue["data"]["reports"]["totalCount"] == len(nodes)
    # A resident looks after no grid: an empty queue.
    queue = await run(
        client, resident, "MyGridQueue", {"communityId": world.street.places["金安社区"]}
    )
    assert queue["data"]["reports"] == {"totalCount": 0, "edges": []}


async def test_the_grid_worker_is_told_of_a_new_report_in_his_grid(
    world: World, client: httpx.AsyncClient
) -> None:
    resident = await login(client, JINAN_RESIDENT)
    staff, grid_worker = await world.user(JINAN_WORKER), await world.user(JINAN_GRID_WORKER)
    for point, told in ((GRID_1_POINT, {staff, grid_worker}), (GRID_2_POINT, {staff})):
        report = (await submit(world, client, resident, point))["report"]
        await notifier.notify(world.deps)
        written = await world.written("report.submitted", object_id(report["id"]))
        assert {n["user_id"] for n in written} == told


async def test_a_jinshan_resident_cannot_submit_to_jinan(
    world: World, client: httpx.AsyncClient
) -> None:
    outsider = await login(client, JINSHAN_RESIDENT)
    payload = await submit(world, client, outsider, GRID_1_POINT)
    assert [e["code"] for e in payload["errors"]] == ["FORBIDDEN"]


@pytest.mark.parametrize(
    ("ring", "key"),
    [
        ([(118.18, 24.50), (118.19, 24.50), (118.19, 24.51), (118.18, 24.51)], "not_closed"),
        # A bow tie: its second and fourth edges cross.
        (
            [(118.18, 24.50), (118.19, 24.51), (118.19, 24.50), (118.18, 24.51), (118.18, 24.50)],
            "self_intersecting",
        ),
        # Folding back along itself.
        (
            [(118.18, 24.50), (118.19, 24.50), (118.185, 24.50), (118.18, 24.50)],
            "self_intersecting",
        ),
        ([(118.18, 24.50), (118.19, 24.50), (118.18, 24.50)], "points"),
    ],
    ids=["open", "bow-tie", "folded", "too-short"],
)
async def test_bad_boundaries_are_refused_when_places_are_made(
    world: World, ring: list[tuple[float, float]], key: str
) -> None:
    with pytest.raises(geometry.BoundaryError) as raised:
        geometry.check_ring(ring)
    assert raised.value.key == f"place.boundary_{key}"
    with pytest.raises(DomainError) as refused:
        await places.create_place(
            world.deps, SYSTEM, name="新网格", level=PlaceLevel.GRID,
            parent_id=object_id(world.street.places["金安社区"], "Place"),
            boundary=GeoPolygon(coordinates=(tuple(ring),)),
        )  # fmt: skip
    assert [(p.code, p.field, p.message) for p in refused.value.problems] == [
        (ErrorCode.INVALID_INPUT, ("boundary",), f"place.boundary_{key}")
    ]
    assert await world.deps.db["places"].count_documents({"name": "新网格"}) == 0


def test_the_demo_grids_tile_their_community() -> None:
    """Every point of a fine lattice over 金安社区 lies in exactly one grid or on the edge
    they share; nothing of a grid lies outside the community."""
    from neighbor_api.demo import demo_data

    def rings(node: dict[str, Any], into: dict[str, list[tuple[float, float]]]) -> None:
        if "boundary" in node:
            into[node["name"]] = [(lng, lat) for lat, lng in node["boundary"]]
        for child in node.get("children", []):
            rings(child, into)

    found: dict[str, list[tuple[float, float]]] = {}
    rings(demo_data()["places"], found)
    for ring in found.values():
        geometry.check_ring(ring)
    community, grids = found["金安社区"], [found["金安社区第一网格"], found["金安社区第二网格"]]
    for i in range(41):
        for j in range(41):
            point = (118.1820 + i * 0.0002, 24.5050 + j * 0.00014)
            inside = geometry.contains(community, point)
            holding = [g for g in grids if geometry.contains(g, point)]
            assert (len(holding) >= 1) == inside, point
            if len(holding) == 2:  # on the shared edge
                assert geometry.distance_meters(grids[0], point) == 0
