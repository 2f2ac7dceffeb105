"""Patrols (巡查) over real HTTP with the contract's documents: a grid worker logs a round
(track, note, findings) idempotently; the distance is the haversine length of the track; the
grid's workers and the staff above see the grid's patrols, nobody else; bad tracks and times
are refused clearly and store nothing."""

from __future__ import annotations

import asyncio
import itertools
import json
import math
from datetime import timedelta
from typing import Any

import httpx
import pytest

from neighbor_api.core.deps import Deps
from neighbor_api.patrols import repository
from neighbor_api.places.models import PlaceLevel
from neighbor_api.privacy import service as privacy
from tests.conftest import CommandCounter
from tests.patrols.support import (
    GRID_WORKER,
    HULI_ADMIN,
    JINAN,
    JINAN_WORKER,
    JINSHAN_WORKER,
    LOG_PATROL,
    PATROLS,
    RESIDENT,
    SHANGHAI,
    Client,
    iso,
    place_id,
    walk,
)
from tests.reports.support import object_id

GRID = "金安社区第一网格"
# The demo's rounds of 陈志强 in that grid (neighbor_api/fixtures/demo.json).
DEMO_PATROLS = 2


def haversine(a: dict[str, float], b: dict[str, float]) -> float:
    """Written out independently of the service: the sphere of MongoDB's $centerSphere."""
    radius = 6378100.0
    p1, p2 = math.radians(a["lat"]), math.radians(b["lat"])
    dp, dl = p2 - p1, math.radians(b["lng"] - a["lng"])
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * radius * math.asin(math.sqrt(h))


async def _input(demo: Deps, **fields: Any) -> dict[str, Any]:
    now = demo.clock.now()
    values: dict[str, Any] = {
        "gridId": await place_id(demo, PlaceLevel.GRID, GRID),
        "startedAt": iso(now - timedelta(hours=2)),
        "endedAt": iso(now - timedelta(hours=1)),
        "track": walk(20),
        "note": "金安里 5 栋北侧路灯不亮，已随手拍上报",
    }
    return values | fields


async def _log(client: Client, input: dict[str, Any], phone: str = GRID_WORKER) -> dict[str, Any]:
    data = await client.run(LOG_PATROL, {"input": input}, phone=phone)
    result: dict[str, Any] = data["logPatrol"]
    return result


def _report_input(community: str) -> dict[str, Any]:
    return {
        "communityId": community,
        "category": "REPAIR",
        "title": "路灯不亮",
        "description": "金安里 5 栋北侧路灯坏了",
        "location": {"lat": JINAN[0], "lng": JINAN[1]},
    }


async def _stored(demo: Deps) -> int:
    """The patrols logged besides the demo's."""
    return await demo.db[repository.PATROLS].count_documents({}) - DEMO_PATROLS


async def test_a_grid_worker_logs_a_round_with_findings_once(
    demo: Deps, http: httpx.AsyncClient, command_counter: CommandCounter
) -> None:
    client = Client(http)
    community = await place_id(demo, PlaceLevel.COMMUNITY, "金安社区")
    submitted = await client.op(
        "SubmitReport", {"input": _report_input(community)}, phone=GRID_WORKER
    )
    report = submitted["submitReport"]["report"]
    track = walk(50)
    input = await _input(demo, track=track, findingReportIds=[report["id"]], idempotencyKey="k1")
    await client.token(GRID_WORKER)

    before = command_counter.counts.get(demo.db.name, 0)
    logged = await _log(client, input)
    sent = command_counter.counts.get(demo.db.name, 0) - before
    assert logged["errors"] == [], logged
    patrol = logged["patrol"]
    assert patrol["grid"]["name"] == GRID
    assert patrol["findings"] == [{"id": report["id"], "number": report["number"]}]
    wanted = sum(haversine(a, b) for a, b in itertools.pairwise(track))
    assert patrol["distanceMeters"] == pytest.approx(wanted, abs=0.1)
    assert 150 < wanted < 250  # 49 legs of about 3.8 m
    assert sent <= 9

    # The app resends it (it never heard back): the same patrol, nothing new stored.
    again = await _log(client, input)
    assert again["errors"] == []
    assert again["patrol"]["id"] == patrol["id"]
    assert again["patrol"]["findings"] == patrol["findings"]
    assert await _stored(demo) == 1
    stored = await demo.db[repository.TRACKS].find_one({"_id": object_id(patrol["id"], "Patrol")})
    assert stored is not None
    assert len(stored["points"]) == 50
    assert stored["points"][0] == [JINAN[1], JINAN[0]]  # GeoJSON order, lng first


async def test_who_sees_a_grids_patrols(
    demo: Deps, http: httpx.AsyncClient, command_counter: CommandCounter
) -> None:
    client = Client(http)
    first = await _log(client, await _input(demo))
    later = demo.clock.now() - timedelta(minutes=30)
    second = await _log(
        client, await _input(demo, startedAt=iso(later), endedAt=iso(demo.clock.now()), note=None)
    )
    assert first["errors"] == second["errors"] == []
    grid = await place_id(demo, PlaceLevel.GRID, GRID)
    for phone in (GRID_WORKER, JINAN_WORKER, HULI_ADMIN):
        await client.run(PATROLS, {"gridId": grid, "first": 10}, phone=phone)  # signed in
        before = command_counter.counts.get(demo.db.name, 0)
        data = await client.run(PATROLS, {"gridId": grid, "first": 10}, phone=phone)
        sent = command_counter.counts.get(demo.db.name, 0) - before
        # The page, its count, the workers (one batch); a grid worker's membership too.
        assert sent <= 4
        patrols = data["patrols"]
        assert patrols["totalCount"] == 2 + DEMO_PATROLS
        nodes = [e["node"] for e in patrols["edges"]]
        # The latest round first: these two were walked after the demo's.
        assert [n["id"] for n in nodes[:2]] == [second["patrol"]["id"], first["patrol"]["id"]]
        assert nodes[0]["worker"]["displayName"] == "陈志强"
        assert nodes[0]["note"] is None
        assert nodes[1]["note"] == "金安里 5 栋北侧路灯不亮，已随手拍上报"
    # A resident, another community's staff: nothing (not even a count).
    for phone in (RESIDENT, JINSHAN_WORKER):
        data = await client.run(PATROLS, {"gridId": grid}, phone=phone)
        assert data["patrols"] is None
    # A community is not a grid.
    community = await place_id(demo, PlaceLevel.COMMUNITY, "金安社区")
    data = await client.run(PATROLS, {"gridId": community}, phone=JINAN_WORKER)
    assert data["patrols"] is None


def _errors(logged: dict[str, Any]) -> list[tuple[str, list[str] | None]]:
    assert logged["patrol"] is None
    return [(e["code"], e["field"]) for e in logged["errors"]]


async def test_bad_tracks_and_times_are_refused_and_store_nothing(
    demo: Deps, http: httpx.AsyncClient
) -> None:
    client = Client(http)
    now = demo.clock.now()

    # One point past the cap: refused with the cap and the count, in the request's language.
    too_many = await _log(client, await _input(demo, track=walk(5001)))
    assert _errors(too_many) == [("INVALID_INPUT", ["input", "track"])]
    assert "5000" in too_many["errors"][0]["message"]
    assert "5001" in too_many["errors"][0]["message"]

    # A point in another city: the point and the community are named.
    track = walk(10)
    track[6] = {"lat": SHANGHAI[0], "lng": SHANGHAI[1]}
    elsewhere = await _log(client, await _input(demo, track=track))
    assert _errors(elsewhere) == [("INVALID_INPUT", ["input", "track", "6"])]
    assert "第 7 个点" in elsewhere["errors"][0]["message"]
    assert "金安社区" in elsewhere["errors"][0]["message"]
    response = await client.post(
        LOG_PATROL, {"input": await _input(demo, track=track)}, phone=GRID_WORKER,
        **{"Accept-Language": "en"},
    )  # fmt: skip
    message = response.json()["data"]["logPatrol"]["errors"][0]["message"]
    assert "Point 7" in message
    assert "金安社区" in message

    # Two kilometres north of 金安社区: within 3 km of its centre, but 2 km past its boundary
    # (a round follows the streets around the community, not the next one's).
    track = walk(10)
    track[3] = {"lat": track[3]["lat"] + 0.02, "lng": track[3]["lng"]}
    north = await _log(client, await _input(demo, track=track))
    assert _errors(north) == [("INVALID_INPUT", ["input", "track", "3"])]
    assert "超过 1 公里" in north["errors"][0]["message"]

    # Times: reversed, in the future, naive; every problem at once.
    reversed_times = await _input(
        demo, startedAt=iso(now - timedelta(hours=1)), endedAt=iso(now - timedelta(hours=2))
    )
    assert _errors(await _log(client, reversed_times)) == [("INVALID_INPUT", ["input", "endedAt"])]
    future = await _input(demo, endedAt=iso(now + timedelta(hours=1)))
    assert _errors(await _log(client, future)) == [("INVALID_INPUT", ["input", "endedAt"])]
    naive = await _input(demo, startedAt="2026-11-27T08:00:00", track=walk(1))
    assert sorted(_errors(await _log(client, naive))) == [
        ("INVALID_INPUT", ["input", "startedAt"]),
        ("INVALID_INPUT", ["input", "track"]),
    ]
    off_globe = await _input(demo, track=[{"lat": 24.5, "lng": 118.18}, {"lat": 95, "lng": 0}])
    assert _errors(await _log(client, off_globe)) == [("INVALID_INPUT", ["input", "track", "1"])]

    # Not this grid's worker: a resident, the worker of grid 1 in grid 2.
    assert _errors(await _log(client, await _input(demo), RESIDENT)) == [("FORBIDDEN", None)]
    other_grid = await _input(
        demo, gridId=await place_id(demo, PlaceLevel.GRID, "金安社区第二网格")
    )
    assert _errors(await _log(client, other_grid)) == [("FORBIDDEN", None)]
    # A community is not a grid.
    community = await place_id(demo, PlaceLevel.COMMUNITY, "金安社区")
    assert _errors(await _log(client, await _input(demo, gridId=community))) == [
        ("NOT_FOUND", ["input", "gridId"])
    ]

    # A finding the worker did not file (a resident's own report).
    data = await client.op("SubmitReport", {"input": _report_input(community)}, phone=RESIDENT)
    theirs = data["submitReport"]["report"]["id"]
    not_mine = await _input(demo, findingReportIds=[theirs])
    assert _errors(await _log(client, not_mine)) == [
        ("INVALID_INPUT", ["input", "findingReportIds", "0"])
    ]
    assert await _stored(demo) == 0


async def test_a_round_may_follow_the_streets_around_the_community(
    demo: Deps, http: httpx.AsyncClient
) -> None:
    track = walk(10)
    track[3] = {"lat": 24.5112, "lng": 118.1846}  # 70 m past 金安社区's northern edge

    logged = await _log(Client(http), await _input(demo, track=track))

    assert logged["errors"] == []
    assert logged["patrol"] is not None


async def test_a_track_of_100000_points_is_refused_before_it_is_read(
    demo: Deps, http: httpx.AsyncClient
) -> None:
    client = Client(http)
    response = await client.post(
        LOG_PATROL, {"input": await _input(demo, track=walk(100_000))}, phone=GRID_WORKER
    )
    assert response.status_code == 413
    assert await _stored(demo) == 0


async def test_the_workers_patrols_and_tracks_are_in_their_data_export(
    demo: Deps, http: httpx.AsyncClient
) -> None:
    client = Client(http)
    logged = await _log(client, await _input(demo, track=walk(3)))
    assert logged["errors"] == []
    patrol = await demo.db[repository.PATROLS].find_one(
        {"_id": object_id(logged["patrol"]["id"], "Patrol")}
    )
    assert patrol is not None
    exported = await privacy.export_document(demo, patrol["worker_id"])
    assert exported is not None
    data = json.loads(exported)
    assert len(data["patrols"]) == len(data["patrolTracks"]) == 1 + DEMO_PATROLS
    (mine,) = [p for p in data["patrols"] if p["_id"] == str(patrol["_id"])]
    assert mine["note"] == "金安里 5 栋北侧路灯不亮，已随手拍上报"
    (track,) = [t for t in data["patrolTracks"] if t["_id"] == str(patrol["_id"])]
    assert track["points"] == [[p["lng"], p["lat"]] for p in walk(3)]


async def test_the_demo_rounds(demo: Deps, http: httpx.AsyncClient) -> None:
    client = Client(http)
    grid = await place_id(demo, PlaceLevel.GRID, GRID)
    data = await client.run(PATROLS, {"gridId": grid}, phone=JINAN_WORKER)
    nodes = [e["node"] for e in data["patrols"]["edges"]]
    assert [n["worker"]["displayName"] for n in nodes] == ["陈志强"] * DEMO_PATROLS
    assert nodes[0]["note"].startswith("早间巡查")
    assert all(n["distanceMeters"] > 100 for n in nodes)


async def test_two_sends_at_once_under_one_key_log_one_patrol(
    demo: Deps, http: httpx.AsyncClient
) -> None:
    client = Client(http)
    await client.token(GRID_WORKER)
    input = await _input(demo, idempotencyKey="round-2026-11-27-am")
    first, second = await asyncio.gather(_log(client, input), _log(client, input))
    assert first["errors"] == second["errors"] == []
    assert first["patrol"]["id"] == second["patrol"]["id"]
    assert await _stored(demo) == 1
    assert await demo.db[repository.TRACKS].count_documents({}) == 1 + DEMO_PATROLS
