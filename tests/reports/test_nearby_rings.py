"""ReportsNearby reads ring by ring of fine cells (reports/repository.py `near`, core/geo
`Rings`) and its ranking is exactly the brute-force one: every report of the collection within
the radius, visible by one of the viewer's keys, by distance then id. And at scale, a page of
the nearest and a new report's possible duplicates read what is near or open, not the
history of the cells around the point (the documents the reads return are counted, and the
server's executionStats are asked of each find; time is never asserted)."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from bson import ObjectId
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neighbor_api.core.clock import ManualClock
from neighbor_api.core.deps import Deps
from neighbor_api.core.geo import distance_meters
from neighbor_api.core.mongo import Client, Document, ensure_indexes
from neighbor_api.places.models import GeoPoint
from neighbor_api.reports import repository
from neighbor_api.reports.models import (
    Report,
    ReportCategory,
    ReportStatus,
    ReportVisibility,
)
from neighbor_api.reports.repository import REPORTS
from neighbor_api.settings import Settings
from tests.conftest import CommandCounter, record_commands

AT = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
# 金安社区, 湖里区 (the demo's community), and the keys viewers may hold.
CENTRE = (118.1846, 24.5083)
KEYS = ("member:a", "member:b", "user:c", "staff:d")
TITLES = ("楼道灯不亮", "井盖松动", "路灯不亮", "垃圾清运不及时", "共享单车堵塞人行道")


def _report(
    lng: float,
    lat: float,
    *,
    status: ReportStatus = ReportStatus.CLOSED,
    community_id: ObjectId | None = None,
    category: ReportCategory = ReportCategory.REPAIR,
    index: int = 0,
) -> Report:
    path = [ObjectId(), ObjectId(), ObjectId(), community_id or ObjectId()]
    return Report(
        number=f"JA-2026-{index:06d}", community_id=path[-1], place_path=path,
        reporter_id=ObjectId(), category=category, title=TITLES[index % len(TITLES)],
        description="金山路金安里，居民反映的问题", location=GeoPoint.at(lat=lat, lng=lng),
        address="湖里区金山路 128 号", visibility=ReportVisibility.COMMUNITY, status=status,
        created_at=AT - timedelta(days=index % 700), updated_at=AT,
    )  # fmt: skip


def _scatter(rng: random.Random, count: int, spread: float) -> list[tuple[float, float]]:
    return [
        (CENTRE[0] + rng.uniform(-spread, spread), CENTRE[1] + rng.uniform(-spread, spread))
        for _ in range(count)
    ]


@pytest.fixture
async def field(deps: Deps) -> list[Document]:
    """About 500 reports around 金安社区: scattered over ±0.01° (about a kilometre), three
    busy spots of 30 reports each at the very same point (one building's door), a few far away;
    each visible by a random pair of the viewers' keys."""
    rng = random.Random(10)
    points = _scatter(rng, 380, 0.01)
    for _ in range(3):
        spot = _scatter(rng, 1, 0.003)[0]
        points += [spot] * 30
    points += [(118.08, 24.45), (118.3, 24.6)]
    documents = []
    for index, (lng, lat) in enumerate(points):
        document = _report(lng, lat, status=rng.choice(list(ReportStatus)), index=index)
        stored = document.to_document()
        stored["audience"] = rng.sample(KEYS, 2)
        documents.append(stored)
    await deps.db[REPORTS].insert_many(documents)
    return documents


def _brute_force(
    documents: list[Document], point: GeoPoint, radius: float, keys: set[str]
) -> list[tuple[float, ObjectId]]:
    found = [
        (distance_meters(point.coordinates, d["location"]["coordinates"]), d["_id"])
        for d in documents
        if not keys.isdisjoint(d["audience"])
    ]
    return sorted((distance, i) for distance, i in found if distance <= radius)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    dx=st.floats(-0.012, 0.012),
    dy=st.floats(-0.012, 0.012),
    radius=st.integers(5, 3000),
    skip=st.integers(0, 40),
    limit=st.integers(1, 25),
    keys=st.sets(st.sampled_from(KEYS), min_size=1),
    first_ring=st.integers(0, 2),
    fine_reads=st.integers(1, 4),
    hints=st.booleans(),
)
async def test_the_ranking_is_the_brute_force_one(
    deps: Deps,
    field: list[Document],
    monkeypatch: pytest.MonkeyPatch,
    dx: float,
    dy: float,
    radius: int,
    skip: int,
    limit: int,
    keys: set[str],
    first_ring: int,
    fine_reads: int,
    hints: bool,
) -> None:
    """With the blocks earlier pages needed (kept across examples) or without (MAX_HOLDING 0:
    every page starts at NEAR_FIRST_RING)."""
    monkeypatch.setattr(repository, "NEAR_FIRST_RING", first_ring)
    monkeypatch.setattr(repository, "MAX_FINE_READS", fine_reads)
    if not hints:
        monkeypatch.setattr(repository, "MAX_HOLDING", 0)
        monkeypatch.setattr(repository, "_HOLDING", {})
    point = GeoPoint(coordinates=(CENTRE[0] + dx, CENTRE[1] + dy))

    found = await repository.near(
        deps.db, point, radius_meters=radius, audience=keys, skip=skip, limit=limit
    )

    expected = _brute_force(field, point, radius, keys)[skip : skip + limit]
    assert [r.id for r, _ in found] == [i for _, i in expected]
    assert [d for _, d in found] == pytest.approx([d for d, _ in expected])


class Reads:
    """The documents the cells' reads return (`repository._nearest`, wrapped)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.returned = 0
        self.reads = 0
        original: Callable[..., Any] = repository._nearest

        async def counted(*args: Any, **kwargs: Any) -> list[Any]:
            found: list[Any] = await original(*args, **kwargs)
            self.returned += len(found)
            self.reads += 1
            return found

        monkeypatch.setattr(repository, "_nearest", counted)


async def _examined(deps: Deps, sent: list[dict[str, Any]]) -> list[tuple[str, int]]:
    """The winning index and totalDocsExamined of each read of reports sent (the cells'
    aggregates, as SecantusDB explains them: the leading `$match`'s plan)."""
    found = []
    for command in sent:
        if REPORTS not in (command.get("find"), command.get("aggregate")):
            continue
        keys = ("find", "filter", "projection", "aggregate", "pipeline", "cursor")
        inner = {k: command[k] for k in keys if k in command}
        explained = await deps.db.command("explain", inner, verbosity="executionStats")
        stage = explained["queryPlanner"]["winningPlan"]
        names = []
        while stage:
            names.append(stage.get("indexName") or stage["stage"])
            stage = stage.get("inputStage")
        examined = int(explained.get("executionStats", {}).get("totalDocsExamined", 0))
        found.append((",".join(str(n) for n in names), examined))
    return found


class TestAtScale:
    """3,000 historic (closed) reports in the cells around a point, a few open ones: the old
    flat read of the cells covering 500 m returned all 3,000 for every request."""

    HISTORY = 3000

    @pytest.fixture
    async def scale(self, mongo_client: Client, settings: Settings, clock: ManualClock) -> Deps:
        """A database of its own, not dropped afterwards (as test_indexes_at_scale.py's:
        dropping thousands of reports with their indexes takes SecantusDB long; the session's
        server and its data directory go at the end of the session)."""
        deps = Deps(
            client=mongo_client, db=mongo_client[f"test_near_{uuid.uuid4().hex[:12]}"],
            settings=settings, clock=clock,
        )  # fmt: skip
        await ensure_indexes(deps.db)
        return deps

    @pytest.fixture
    async def city(self, scale: Deps) -> tuple[ObjectId, list[ObjectId]]:
        deps = scale
        rng = random.Random(7)
        community_id = ObjectId()
        history = [
            _report(lng, lat, community_id=community_id, index=i).to_document()
            for i, (lng, lat) in enumerate(_scatter(rng, self.HISTORY, 0.004))
        ]
        open_ones = [
            _report(lng, lat, status=ReportStatus.ACCEPTED, community_id=community_id, index=i)
            for i, (lng, lat) in enumerate(_scatter(rng, 6, 0.0004))
        ]
        await deps.db[REPORTS].insert_many(history + [r.to_document() for r in open_ones])
        return community_id, [r.id for r in open_ones]

    async def test_a_nearby_page_and_the_duplicate_check_read_what_is_near_or_open(
        self,
        scale: Deps,
        city: tuple[ObjectId, list[ObjectId]],
        monkeypatch: pytest.MonkeyPatch,
        command_counter: CommandCounter,
    ) -> None:
        deps = scale
        community_id, open_ids = city
        reads = Reads(monkeypatch)
        sent = record_commands(command_counter, monkeypatch, deps.db.name)
        point = GeoPoint(coordinates=CENTRE)
        # The point's own fine cell first (about 55 m × 50 m: some ten of the 3,000).
        monkeypatch.setattr(repository, "NEAR_FIRST_RING", 0)

        page = await repository.near(
            deps.db, point, radius_meters=500, audience={f"member:{community_id}"},
            skip=0, limit=21,
        )  # fmt: skip

        assert len(page) == 21
        # The point's cell, then one wider block: a few hundred at most, not the 3,000; the
        # server returns the page's 21 at most per read.
        assert reads.reads == 2
        assert reads.returned <= 21 * reads.reads, reads.returned
        plans = await _examined(deps, sent)
        assert all(p.endswith("FETCH,fine_cell") for p, _ in plans), plans
        assert sum(examined for _, examined in plans) <= 600, plans

        # The next page asked there reads the block this one needed at once.
        reads.returned = reads.reads = 0
        sent.clear()
        again = await repository.near(
            deps.db, point, radius_meters=500, audience={f"member:{community_id}"},
            skip=0, limit=21,
        )  # fmt: skip

        assert again == page
        assert reads.reads == 1
        plans = await _examined(deps, sent)
        assert sum(examined for _, examined in plans) <= 600, plans

        # A new report's possible duplicates (100 m, the community's open reports).
        reads.returned = reads.reads = 0
        sent.clear()
        found = await repository.open_near(
            deps.db, point, radius_meters=100, community_id=community_id,
            category=ReportCategory.REPAIR, limit=5,
        )  # fmt: skip

        assert found
        assert {r.id for r, _ in found} <= set(open_ids)
        assert reads.reads == 1
        assert reads.returned <= 5
        plans = await _examined(deps, sent)
        assert plans[0][0].endswith("FETCH,live_cell"), plans
        assert plans[0][1] <= len(open_ids), plans
