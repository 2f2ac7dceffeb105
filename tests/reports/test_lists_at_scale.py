"""A community's report list does work bounded by the page, not by the community's history.

One community (莲花五村社区, 嘉莲街道, 思明区) with a year of reports, as many as a community
holds in the 1M-report city (~2,000), written by bulk inserts and counted by migration step 11
(as an upgraded database gets its totals). Every read of `reports` that a list's first page,
its count and its next page send is taken off the wire and explained by the server
(executionStats): SecantusDB's `totalDocsExamined` is every document the index range bounds
(it fetches them all before sorting and limiting), so it is the work a read costs there.

What is asserted: every read rides an index and examines at most a few pages' worth of
documents (`BOUND`), whoever the viewer: staff (one window of time on `community_newest`; the
total from the community's totals, no read of reports), a resident (one window per audience key
on `community_audience_newest`, their own reports read whole: a person's share), a member of the
street as well (a third key), a grid worker (their grid's key and their own, assigned to them,
by windows too; a resident's own few reports are read whole). Never a time.
"""

from __future__ import annotations

import os
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from bson import ObjectId

from neighbor_api.core.clock import ManualClock
from neighbor_api.core.deps import Deps
from neighbor_api.core.mongo import Client, Document, ensure_indexes
from neighbor_api.core.policy import Actor, Grant, Role
from neighbor_api.migrations import m0011_report_totals
from neighbor_api.places.models import Place
from neighbor_api.reports import service
from neighbor_api.reports.models import (
    Report,
    ReportCategory,
    ReportOrder,
    ReportStatus,
    ReportVisibility,
)
from neighbor_api.reports.repository import REPORTS
from neighbor_api.reports.service import ReportFilter
from neighbor_api.settings import Settings
from tests.conftest import CommandCounter, record_commands
from tests.reports.test_indexes_at_scale import Plan, explain
from tests.reports.test_list_totals import LIANHUA, xiamen_places

REPORT_COUNT = int(os.environ.get("NEIGHBOR_TEST_COMMUNITY_REPORTS", "2000"))
RESIDENTS = 100
GRIDS = 3
NOW = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
PAGE = 20
# A few pages' worth: the windows are sized to hold about a page (a quarter more), and the
# reports of a year are denser in some weeks than others.
BOUND = 4 * (PAGE + 1)


@dataclass
class Busy:
    deps: Deps
    street: Place
    community: Place
    residents: list[ObjectId]
    grids: list[ObjectId]
    grid_workers: list[ObjectId]

    def viewer(self, who: str) -> Actor:
        member = Grant(self.community.id, frozenset({Role.RESIDENT}))
        if who == "staff":
            return Actor(
                ObjectId(), (Grant(self.community.id, frozenset({Role.COMMUNITY_WORKER})),)
            )
        if who == "resident":
            return Actor(self.residents[0], (member,))
        if who == "street_member":
            street = Grant(self.street.id, frozenset({Role.RESIDENT}))
            return Actor(self.residents[1], (member, street))
        grid = Grant(self.community.id, frozenset({Role.GRID_WORKER}), grid_id=self.grids[0])
        return Actor(self.grid_workers[0], (grid,))


def _report(busy: Busy, rng: random.Random, index: int) -> Document:
    # More recent than old, like the benchmark's city.
    created = NOW - timedelta(days=rng.uniform(0, 365) ** 1.5 / 365**0.5, seconds=index)
    grid = rng.randrange(GRIDS)
    status = rng.choice(list(ReportStatus))
    report = Report(
        number=f"LH-2026-{index + 1:06d}",
        community_id=busy.community.id,
        place_path=busy.community.path,
        grid_id=busy.grids[grid],
        reporter_id=rng.choice(busy.residents),
        assignee_id=busy.grid_workers[grid] if status is not ReportStatus.SUBMITTED else None,
        category=rng.choice(list(ReportCategory)),
        title=f"莲花五村第 {index + 1} 件诉求",
        description="楼道灯坏了，晚上看不清台阶。",
        location=LIANHUA,
        anonymous=rng.random() < 0.1,
        visibility=ReportVisibility.PRIVATE if rng.random() < 0.2 else ReportVisibility.COMMUNITY,
        status=status,
        created_at=created,
        updated_at=created,
    )
    return report.to_document()


@pytest.fixture(scope="module")
async def busy(mongo_client: Client, settings: Settings) -> Busy:
    name = f"test_busy_{uuid.uuid4().hex[:12]}"
    deps = Deps(
        client=mongo_client, db=mongo_client[name], settings=settings, clock=ManualClock(NOW)
    )
    await ensure_indexes(deps.db)
    places = xiamen_places()
    street, community = places[2], places[3]
    await deps.db["places"].insert_many([p.to_document() for p in places])
    busy = Busy(
        deps, street, community, [ObjectId() for _ in range(RESIDENTS)],
        [ObjectId() for _ in range(GRIDS)], [ObjectId() for _ in range(GRIDS)],
    )  # fmt: skip
    rng = random.Random(20261202)
    documents = [_report(busy, rng, i) for i in range(REPORT_COUNT)]
    for start in range(0, len(documents), 1000):
        await deps.db[REPORTS].insert_many(documents[start : start + 1000], ordered=False)
    await m0011_report_totals.apply(deps.db)
    # Not dropped afterwards (see test_indexes_at_scale.py: dropping thousands of reports
    # with their indexes is slow; the session's server goes at the end of the session).
    return busy


async def _pages(
    busy: Busy,
    actor: Actor,
    sent: list[Document],
    criteria: ReportFilter,
    order: ReportOrder = ReportOrder.NEWEST,
) -> tuple[list[Plan], list[Plan], list[Report], int]:
    """The plans of the finds on `reports` of a first page, its count and the next page, and
    of the counts (aggregates); the two pages' reports and the total."""
    sent.clear()
    reports: list[Report] = []
    after: str | None = None
    total = -1
    for _ in range(2):
        page = await service.list_reports(
            busy.deps, actor, community_id=busy.community.id, criteria=criteria,
            order=order, first=PAGE, after=after,
        )  # fmt: skip
        assert page is not None
        if after is None:
            total = await page.count()
        reports += [r for _, r in page.edges]
        assert page.has_next_page
        after = page.edges[-1][0]
    finds = [await explain(busy.deps, c) for c in sent if c.get("find") == REPORTS]
    counts = [await explain(busy.deps, c) for c in sent if c.get("aggregate") == REPORTS]
    return finds, counts, reports, total


async def _expected(
    busy: Busy, actor: Actor, criteria: ReportFilter, order: ReportOrder = ReportOrder.NEWEST
) -> list[Report]:
    everything = [
        Report.from_document(d)
        async for d in busy.deps.db[REPORTS].find({"community_id": busy.community.id})
    ]
    visible = [
        r
        for r in everything
        if service.can_see(actor, r) and (not criteria.status or r.status in criteria.status)
    ]
    newest = order is ReportOrder.NEWEST
    return sorted(visible, key=lambda r: (r.created_at, r.id), reverse=newest)


@pytest.fixture
def sent(
    command_counter: CommandCounter, busy: Busy, monkeypatch: pytest.MonkeyPatch
) -> list[Document]:
    return record_commands(command_counter, monkeypatch, busy.deps.db.name)


class TestListsAtCommunityScale:
    async def test_the_community_is_busy(self, busy: Busy) -> None:
        assert await busy.deps.db[REPORTS].count_documents({}) == REPORT_COUNT

    @pytest.mark.parametrize("who", ["staff", "resident", "street_member", "grid_worker"])
    async def test_two_pages_examine_a_bounded_number_of_reports(
        self, busy: Busy, sent: list[Document], who: str
    ) -> None:
        actor = busy.viewer(who)
        finds, counts, reports, total = await _pages(busy, actor, sent, ReportFilter())
        expected = await _expected(busy, actor, ReportFilter())

        assert [r.id for r in reports] == [r.id for r in expected[: 2 * PAGE]]
        assert total == len(expected)
        assert finds
        for plan in finds + counts:
            assert not plan.collection_scan, plan
            assert plan.index is not None, plan
        examined = [p.docs_examined for p in finds]
        assert all(n <= BOUND for n in examined), (examined, BOUND)
        assert sum(examined) <= 3 * BOUND, examined
        if who == "staff":
            # The staff's total is the community's totals: no read of reports for it.
            assert not counts
            assert {p.index for p in finds} == {"community_newest"}, finds
        else:
            assert {p.index for p in finds} == {"community_audience_newest"}, finds
        if who in ("resident", "street_member"):
            # Their total: the totals' COMMUNITY reports and their own PRIVATE ones, read
            # with the rest of their own (a find above), not counted.
            assert not counts
        if who == "grid_worker":
            # Counted on the index (not from the totals): their grid's share and more.
            assert len(counts) == 1

    @pytest.mark.parametrize("who", ["staff", "resident"])
    async def test_the_oldest_first_are_read_by_windows_too(
        self, busy: Busy, sent: list[Document], who: str
    ) -> None:
        actor = busy.viewer(who)
        finds, _, reports, total = await _pages(
            busy, actor, sent, ReportFilter(), ReportOrder.OLDEST
        )
        expected = await _expected(busy, actor, ReportFilter(), ReportOrder.OLDEST)

        assert [r.id for r in reports] == [r.id for r in expected[: 2 * PAGE]]
        assert total == len(expected)
        examined = [p.docs_examined for p in finds]
        assert all(n <= BOUND for n in examined), (examined, BOUND)

    async def test_a_status_filter_keeps_its_index_and_the_totals_count(
        self, busy: Busy, sent: list[Document]
    ) -> None:
        criteria = ReportFilter(status=[ReportStatus.SUBMITTED, ReportStatus.ACCEPTED])
        for who in ("staff", "resident"):
            actor = busy.viewer(who)
            finds, counts, reports, total = await _pages(busy, actor, sent, criteria)
            expected = await _expected(busy, actor, criteria)
            assert [r.id for r in reports] == [r.id for r in expected[: 2 * PAGE]]
            assert total == len(expected)
            assert not counts  # from the totals (and a resident's own reports)
            for plan in finds:
                assert not plan.collection_scan, plan
                assert plan.index is not None, plan
            if who == "staff":
                # One read per status, each windowed on community_status_newest. (A member's
                # windows read every status and keep those asked for: about a page divided by
                # their share, not asserted here.)
                assert {p.index for p in finds} == {"community_status_newest"}, finds
                assert all(p.docs_examined <= BOUND for p in finds), finds
