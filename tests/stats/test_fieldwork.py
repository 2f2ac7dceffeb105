"""The 综治中心's dashboard (fieldwork.graphql's DistrictDashboard): reportsEscalated, patrols,
series, children, byWorker and a grid's figures, against a plain Python computation over the
same documents read back, on generated data (the demo street and four more communities, with
grids, workers, escalations, resolutions, ratings and patrols), for grids, communities and
their roll-ups, over the whole time and over windows; then the contract's document over real
HTTP, and its round trips."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from bson import ObjectId

from neighbor_api.app import create_app
from neighbor_api.core.deps import Deps
from neighbor_api.core.errors import DomainError
from neighbor_api.core.mongo import Client, Document
from neighbor_api.core.policy import SYSTEM
from neighbor_api.graphql.relay import to_global_id
from neighbor_api.patrols import repository as patrols_repository
from neighbor_api.patrols.models import Patrol, PatrolTrack
from neighbor_api.places.models import GeoPoint, Place, PlaceLevel
from neighbor_api.reports import repository as reports_repository
from neighbor_api.reports.models import (
    SLA,
    EscalationLevel,
    Report,
    ReportAction,
    ReportCategory,
    ReportPriority,
    ReportStatus,
    ReportVisibility,
    Satisfaction,
    TimelineEntry,
)
from neighbor_api.settings import Settings
from neighbor_api.stats import service
from neighbor_api.stats.service import PlaceStats, StatsInterval
from tests.conftest import CommandCounter
from tests.patrols.support import DISTRICT_DASHBOARD
from tests.patrols.support import Client as HttpClient
from tests.platform.conftest import serve
from tests.reports.street import HULI_ADMIN, JINAN_WORKER, START
from tests.stats.support import (
    World,
    add_place,
    demo_places,
    in_period,
    more_communities,
    percent,
    world_of,
)

ZONE = ZoneInfo("Asia/Shanghai")
OPEN = {ReportStatus.SUBMITTED, ReportStatus.ACCEPTED, ReportStatus.ASSIGNED}
OPEN |= {ReportStatus.IN_PROGRESS}
DUE = {ReportStatus.ACCEPTED, ReportStatus.ASSIGNED, ReportStatus.IN_PROGRESS}
WORKERS = [ObjectId() for _ in range(6)]
# A window ending mid-day (local), and one of whole local days.
WINDOW = (START - timedelta(days=30, hours=5), START - timedelta(days=9, hours=3))
DAYS = (
    datetime.combine((START - timedelta(days=20)).astimezone(ZONE).date(), time(), tzinfo=ZONE),
    datetime.combine((START - timedelta(days=6)).astimezone(ZONE).date(), time(), tzinfo=ZONE),
)


def _report(rng: random.Random, community: Place, grids: list[Place], index: int) -> Report:
    created = START - timedelta(minutes=rng.randrange(1, 60 * 24 * 50))
    status = rng.choice(list(ReportStatus))
    fields: dict[str, Any] = {}
    timeline = [
        TimelineEntry(at=created, action=ReportAction.SUBMITTED, to_status=ReportStatus.SUBMITTED)
    ]
    ratings: list[Satisfaction] = []
    if status not in (ReportStatus.SUBMITTED, ReportStatus.REJECTED):
        priority = rng.choice(list(ReportPriority))
        accepted = created + timedelta(minutes=rng.randrange(1, 600))
        fields |= {
            "priority": priority,
            "accepted_at": accepted,
            "due_at": accepted + SLA[priority],
        }
        if status is not ReportStatus.ACCEPTED and rng.random() < 0.9:
            fields["assignee_id"] = rng.choice(WORKERS)
        if status in (ReportStatus.RESOLVED, ReportStatus.CLOSED):
            resolved = accepted + timedelta(minutes=rng.randrange(1, 60 * 24 * 9))
            fields["resolved_at"] = resolved
            timeline.append(
                TimelineEntry(
                    at=resolved,
                    action=ReportAction.RESOLVED,
                    from_status=ReportStatus.IN_PROGRESS,
                    to_status=ReportStatus.RESOLVED,
                )
            )
            if status is ReportStatus.CLOSED:
                ratings.append(
                    Satisfaction(rating=rng.randint(1, 5), rated_at=resolved + timedelta(hours=2))
                )
        if rng.random() < 0.3:
            street, district = community.path[2], community.path[1]
            fields["escalated_to"] = [street] if rng.random() < 0.6 else [street, district]
            fields["escalation_level"] = (
                EscalationLevel.STREET
                if len(fields["escalated_to"]) == 1
                else EscalationLevel.DISTRICT
            )
    return Report(
        number=f"{community.code}-2026-{index:06d}",
        community_id=community.id,
        place_path=community.path,
        grid_id=rng.choice(grids).id if grids and rng.random() < 0.9 else None,
        reporter_id=ObjectId(),
        category=rng.choice(list(ReportCategory)),
        title=f"诉求 {index}",
        description="生成的测试诉求",
        location=GeoPoint.at(lat=24.5 + rng.random() / 100, lng=118.18 + rng.random() / 100),
        visibility=ReportVisibility.COMMUNITY,
        status=status,
        ratings=ratings,
        satisfaction=ratings[-1] if ratings else None,
        timeline=timeline,
        created_at=created,
        updated_at=created,
        **fields,
    )


def _patrol(rng: random.Random, grid: Place) -> tuple[Patrol, PatrolTrack]:
    started = START - timedelta(minutes=rng.randrange(60, 60 * 24 * 50))
    patrol = Patrol(
        grid_id=grid.id,
        community_id=grid.path[3],
        place_path=grid.path,
        worker_id=rng.choice(WORKERS),
        started_at=started,
        ended_at=started + timedelta(minutes=rng.randrange(20, 180)),
        point_count=2,
        distance_meters=10.0,
        created_at=started,
    )
    track = PatrolTrack(
        _id=patrol.id,
        grid_id=grid.id,
        worker_id=patrol.worker_id,
        points=[(118.18, 24.5), (118.1801, 24.5)],
    )
    return patrol, track


async def _generate(deps: Deps) -> dict[str, Place]:
    rng = random.Random(20261201)
    found = await demo_places(
        deps,
        (
            ("金安社区第二网格", PlaceLevel.GRID),
            ("金山社区第一网格", PlaceLevel.GRID),
        ),
    )
    generated = await more_communities(deps, found, [("金海社区", "JH")])
    grids = {
        "金安社区": [found["金安社区第一网格"], found["金安社区第二网格"]],
        "金山社区": [found["金山社区第一网格"]],
    }
    for community in generated:
        grids[community.name] = [
            await add_place(
                deps,
                found,
                f"{community.name}第{n}网格",
                PlaceLevel.GRID,
                community,
                f"{community.code}{i}",
            )
            for i, n in enumerate("一二", start=1)
        ]
    for community in [*generated, found["金山社区"], found["金安社区"]]:
        for index in range(rng.randrange(30, 50)):
            report = _report(rng, community, grids[community.name], 100 + index)
            await reports_repository.insert(deps.db, report)
        for grid in grids[community.name]:
            for _ in range(rng.randrange(2, 9)):
                await patrols_repository.insert(deps.db, *_patrol(rng, grid))
    return found


@pytest.fixture(scope="module")
async def world(mongo_client: Client, settings: Settings) -> AsyncIterator[World]:
    async with world_of(mongo_client, settings, _generate) as world:
        yield world


# --- The independent computation ------------------------------------------------------------


def _lower_median_hours(durations: list[float]) -> float | None:
    ordered = sorted(durations)
    return round(ordered[(len(ordered) - 1) // 2] / 3600, 2) if ordered else None


def _of(place: Place, document: Document) -> bool:
    if place.level is PlaceLevel.GRID:
        return bool(document.get("grid_id") == place.id)
    return place.id in document["place_path"]


async def _all(deps: Deps, collection: str) -> list[Document]:
    return await deps.db[collection].find().to_list()


async def expected(
    deps: Deps, place: Place, children: list[Place], start: datetime | None, end: datetime | None
) -> dict[str, Any]:
    now = deps.clock.now()
    reports = [r for r in await _all(deps, reports_repository.REPORTS) if _of(place, r)]
    patrols = [p for p in await _all(deps, patrols_repository.PATROLS) if _of(place, p)]

    def figures(of: list[Document], patrols_of: list[Document]) -> dict[str, Any]:
        created = [r for r in of if in_period(r["created_at"], start, end)]
        ratings = [
            x["rating"]
            for r in of
            for x in r.get("ratings", [])
            if in_period(x["rated_at"], start, end)
        ]
        return {
            "reportsTotal": len(created),
            "reportsOpen": sum(ReportStatus(r["status"]) in OPEN for r in created),
            "reportsOverdue": sum(
                ReportStatus(r["status"]) in DUE
                and r.get("due_at") is not None
                and r["due_at"] < now
                for r in created
            ),
            "reportsEscalated": sum(bool(r.get("escalated_to")) for r in created),
            "satisfactionPercent": percent(sum(x >= 4 for x in ratings), len(ratings)),
            "patrols": sum(in_period(p["started_at"], start, end) for p in patrols_of),
        }

    resolved = [r for r in reports if in_period(r.get("resolved_at"), start, end)]
    by_worker: dict[ObjectId, list[float]] = {}
    for r in resolved:
        if r.get("assignee_id") is not None:
            hours = (r["resolved_at"] - r["created_at"]).total_seconds()
            by_worker.setdefault(r["assignee_id"], []).append(hours)
    workers = sorted(by_worker.items(), key=lambda item: (-len(item[1]), item[0]))
    under = {
        child.id: (
            [r for r in reports if _of(child, r)],
            [p for p in patrols if child.id in p["place_path"]],
        )
        for child in children
    }
    return {
        **figures(reports, patrols),
        "children": [{"place": child.name, **figures(*under[child.id])} for child in children],
        "byWorker": [
            {"user": user, "resolved": len(d), "medianResolutionHours": _lower_median_hours(d)}
            for user, d in workers
        ],
    }


def _local_day(at: datetime) -> datetime:
    return datetime.combine(at.astimezone(ZONE).date(), time(), tzinfo=ZONE)


async def expected_series(
    deps: Deps, place: Place, start: datetime, end: datetime, interval: StatsInterval
) -> list[tuple[datetime, int, int]]:
    reports = [r for r in await _all(deps, reports_repository.REPORTS) if _of(place, r)]

    def bucket(at: datetime) -> datetime:
        day = _local_day(at)
        if interval is StatsInterval.WEEK:
            day = _local_day(day - timedelta(days=day.weekday()))
        return day

    starts = [bucket(start)]
    while True:
        following = _local_day(
            starts[-1] + timedelta(days=7 if interval is StatsInterval.WEEK else 1, hours=12)
        )
        if following >= end:
            break
        starts.append(following)
    counts = {s: [0, 0] for s in starts}
    for r in reports:
        if in_period(r["created_at"], start, end):
            counts[bucket(r["created_at"])][0] += 1
        if in_period(r.get("resolved_at"), start, end):
            counts[bucket(r["resolved_at"])][1] += 1
    return [(max(s, start), c, n) for s, (c, n) in counts.items()]


def as_data(
    stats: PlaceStats,
    patrols: int,
    children: list[service.ChildStats],
    workers: list[service.WorkerStats],
) -> dict[str, Any]:
    return {
        "reportsTotal": stats.reports_total,
        "reportsOpen": stats.reports_open,
        "reportsOverdue": stats.reports_overdue,
        "reportsEscalated": stats.reports_escalated,
        "satisfactionPercent": stats.satisfaction_percent,
        "patrols": patrols,
        "children": [
            {
                "place": c.place.name,
                "reportsTotal": c.reports_total,
                "reportsOpen": c.reports_open,
                "reportsOverdue": c.reports_overdue,
                "reportsEscalated": c.reports_escalated,
                "satisfactionPercent": c.satisfaction_percent,
                "patrols": c.patrols,
            }
            for c in children
        ],
        "byWorker": [
            {
                "user": w.user_id,
                "resolved": w.resolved,
                "medianResolutionHours": w.median_resolution_hours,
            }
            for w in workers
        ],
    }


PLACES = [
    "金安社区第一网格", "金安社区第二网格", "金海社区第一网格", "金安社区", "金山社区", "金海社区",
    "江头社区", "金山街道", "江头街道", "湖里区", "厦门市",
]  # fmt: skip
PERIODS = {"all time": (None, None), "a window": WINDOW, "whole days": DAYS}


@pytest.mark.parametrize("period", sorted(PERIODS))
@pytest.mark.parametrize("name", PLACES)
async def test_the_figures_equal_the_python_computation(
    world: World, name: str, period: str
) -> None:
    start, end = PERIODS[period]
    place = world.places[name]
    stats = await service.place_stats(world.deps, SYSTEM, place_id=place.id, start=start, end=end)
    assert stats is not None
    children = await service.children(world.deps, stats)
    workers = await service.by_worker(world.deps, stats)
    patrols = await service.patrols(world.deps, stats)
    wanted = await expected(world.deps, place, [c.place for c in children], start, end)
    assert as_data(stats, patrols, children, workers) == wanted
    # Every child place is listed (zeros included): a community's grids, a street's communities.
    assert [c.place.parent_id for c in children] == [place.id] * len(children)
    if place.level is not PlaceLevel.GRID:
        assert len(children) >= 1


@pytest.mark.parametrize("interval", list(StatsInterval))
@pytest.mark.parametrize("name", ["金安社区第一网格", "金安社区", "金山街道", "湖里区"])
@pytest.mark.parametrize("period", ["a window", "whole days"])
async def test_the_series_equals_the_python_computation(
    world: World, name: str, interval: StatsInterval, period: str
) -> None:
    start, end = PERIODS[period]
    assert start is not None
    assert end is not None
    place = world.places[name]
    stats = await service.place_stats(world.deps, SYSTEM, place_id=place.id, start=start, end=end)
    assert stats is not None
    points = await service.series(world.deps, stats, interval)
    wanted = await expected_series(world.deps, place, start, end, interval)
    assert [(p.start, p.reports_created, p.reports_resolved) for p in points] == wanted
    assert sum(p.reports_created for p in points) == stats.reports_total


async def test_a_series_too_long_is_refused(world: World) -> None:
    stats = await service.place_stats(
        world.deps, SYSTEM, place_id=world.places["湖里区"].id,
        start=START - timedelta(days=500), end=START,
    )  # fmt: skip
    assert stats is not None
    with pytest.raises(DomainError) as refused:
        await service.series(world.deps, stats, StatsInterval.DAY)
    assert [(p.field, p.message) for p in refused.value.problems] == [
        (("from",), "stats.series_too_long")
    ]
    weekly = await service.series(world.deps, stats, StatsInterval.WEEK)
    assert 71 <= len(weekly) <= 73


async def test_the_contract_document_over_http(
    world: World, settings: Settings, command_counter: CommandCounter
) -> None:
    district = world.places["湖里区"]
    variables = {
        "placeId": to_global_id("Place", district.id),
        "from": DAYS[0].isoformat(),
        "to": DAYS[1].isoformat(),
    }
    async with (
        serve(create_app(settings, deps=world.deps)) as server,
        httpx.AsyncClient(base_url=server.url, timeout=60) as http,
    ):
        client = HttpClient(http)
        await client.run(DISTRICT_DASHBOARD, variables, phone=HULI_ADMIN)  # signed in
        before = command_counter.counts.get(world.deps.db.name, 0)
        data = await client.run(DISTRICT_DASHBOARD, variables, phone=HULI_ADMIN)
        sent = command_counter.counts.get(world.deps.db.name, 0) - before
        # A community worker of 金安社区 sees no district dashboard.
        refused = await client.run(DISTRICT_DASHBOARD, variables, phone=JINAN_WORKER)
    assert refused == {"placeStats": None}
    stats = data["placeStats"]
    wanted = await expected(
        world.deps, district, [world.places["江头街道"], world.places["金山街道"]], *DAYS
    )
    assert [c["place"]["name"] for c in stats["children"]] == ["江头街道", "金山街道"]
    assert [c["place"]["level"] for c in stats["children"]] == ["STREET", "STREET"]
    for key in ("reportsTotal", "reportsOpen", "reportsOverdue", "reportsEscalated", "patrols"):
        assert stats[key] == wanted[key], key
    for child, want in zip(stats["children"], wanted["children"], strict=True):
        for key in ("reportsTotal", "reportsOpen", "reportsOverdue", "satisfactionPercent"):
            assert child[key] == want[key], key
    assert [w["resolved"] for w in stats["byWorker"]] == [w["resolved"] for w in wanted["byWorker"]]
    assert [w["medianResolutionHours"] for w in stats["byWorker"]] == [
        w["medianResolutionHours"] for w in wanted["byWorker"]
    ]
    series = await expected_series(world.deps, district, *DAYS, StatsInterval.DAY)
    assert [(p["reportsCreated"], p["reportsResolved"]) for p in stats["series"]] == [
        (c, r) for _, c, r in series
    ]
    # The figures, the series, the children and the workers: a fixed number of reads, however
    # many streets, communities and days.
    assert sent <= 11, sent
