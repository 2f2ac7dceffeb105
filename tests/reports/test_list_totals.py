"""A community's list as a member sees it: one indexed read per audience key, merged
(`core.pagination.union_page`), and its `totalCount` from the community's totals
(beside its day rollups, kept by every submit and move; `m0011_report_totals` backfills
them).

A community of 思明区 嘉莲街道 (莲花五村社区) with reports of every audience: COMMUNITY and
PRIVATE, anonymous, in a grid, assigned to a worker, filed by a grid worker on a resident's
behalf, many sharing one creation time (the `_id` breaks the tie). Every viewer pages through
with small pages and gets exactly what `can_see` allows, in order, each report once; the
total is the number of those reports, with and without filters.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from bson import ObjectId

from neighbor_api.core.deps import Deps
from neighbor_api.core.errors import DomainError, ErrorCode
from neighbor_api.core.pagination import DEFAULT_PAGE_SIZE, encode_cursor
from neighbor_api.core.policy import Actor, Grant, Role
from neighbor_api.migrations import m0011_report_totals
from neighbor_api.places.models import GeoPoint, Place, PlaceLevel
from neighbor_api.reports import repository, service
from neighbor_api.reports.models import (
    Report,
    ReportCategory,
    ReportOrder,
    ReportStatus,
    ReportVisibility,
    user_key,
)
from neighbor_api.reports.service import ReportFilter
from tests.conftest import CommandCounter, record_commands
from tests.reports.test_indexes_at_scale import _place

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
LIANHUA = GeoPoint.at(lat=24.4925, lng=118.1255)


def xiamen_places() -> list[Place]:
    """厦门市, 思明区, 嘉莲街道 and its 莲花五村社区, as stored (in this order)."""
    city = _place("厦门市", PlaceLevel.CITY, None)
    district = _place("思明区", PlaceLevel.DISTRICT, city)
    street = _place("嘉莲街道", PlaceLevel.STREET, district)
    return [city, district, street, _place("莲花五村社区", PlaceLevel.COMMUNITY, street, 1)]


@dataclass
class Community:
    deps: Deps
    street: Place
    community: Place
    other: Place
    residents: list[ObjectId]
    worker: ObjectId
    grid_worker: ObjectId
    grid: ObjectId

    def resident(self, index: int = 0, *, street_member: bool = False) -> Actor:
        grants = [Grant(self.community.id, frozenset({Role.RESIDENT}))]
        if street_member:  # a member of the street too: COMMUNITY reports carry both keys
            grants.append(Grant(self.street.id, frozenset({Role.RESIDENT})))
        return Actor(self.residents[index], tuple(grants))

    def of_grid(self) -> Actor:
        grant = Grant(self.community.id, frozenset({Role.GRID_WORKER}), grid_id=self.grid)
        return Actor(self.grid_worker, (grant,))

    def staff(self) -> Actor:
        return Actor(self.worker, (Grant(self.community.id, frozenset({Role.COMMUNITY_WORKER})),))

    def admin(self) -> Actor:
        return Actor(ObjectId(), (Grant(self.street.id, frozenset({Role.ADMIN})),))

    async def reports(self) -> list[Report]:
        found = self.deps.db[repository.REPORTS].find({"community_id": self.community.id})
        return [Report.from_document(d) async for d in found]


def _report(c: Community, rng: random.Random, index: int) -> Report:
    # A creation time shared by groups of four: the order's tie-break is the id.
    created = NOW - timedelta(minutes=10 * (index // 4))
    reporter = rng.choice(c.residents)
    fields: dict[str, Any] = {}
    if rng.random() < 0.3:
        fields["assignee_id"] = c.worker
    if rng.random() < 0.4:
        fields["grid_id"] = c.grid
    if rng.random() < 0.15:
        fields["entered_by_id"] = c.grid_worker
    return Report(
        number=f"LH-2026-{index + 1:06d}",
        community_id=c.community.id,
        place_path=c.community.path,
        reporter_id=reporter,
        category=rng.choice([ReportCategory.REPAIR, ReportCategory.ENVIRONMENT]),
        title=f"莲花五村 {index + 1} 号楼道灯不亮",
        description="晚上楼道漆黑，老人上下楼不安全。",
        location=LIANHUA,
        anonymous=rng.random() < 0.2,
        visibility=ReportVisibility.PRIVATE if rng.random() < 0.35 else ReportVisibility.COMMUNITY,
        status=rng.choice([ReportStatus.SUBMITTED, ReportStatus.ACCEPTED, ReportStatus.RESOLVED]),
        created_at=created,
        updated_at=created,
        **fields,
    )


@pytest.fixture
async def lianhua(deps: Deps) -> Community:
    places = xiamen_places()
    street, community = places[2], places[3]
    other = _place("松柏社区", PlaceLevel.COMMUNITY, street, 2)
    places.append(other)
    await deps.db["places"].insert_many([p.to_document() for p in places])
    c = Community(
        deps, street, community, other, [ObjectId() for _ in range(4)], ObjectId(), ObjectId(),
        ObjectId(),
    )  # fmt: skip
    rng = random.Random(20261202)
    for index in range(60):
        # Through the repository's insert: the report and its counts, as a submit writes them.
        await repository.insert(deps.db, _report(c, rng, index))
    # A report of the neighbouring community, visible to its members only.
    neighbour = _report(c, rng, 60).model_copy(
        update={"community_id": other.id, "place_path": other.path}
    )
    await repository.insert(deps.db, neighbour)
    return c


async def _all_pages(
    c: Community, actor: Actor, *, first: int, criteria: ReportFilter, order: ReportOrder
) -> tuple[list[Report], int]:
    seen: list[Report] = []
    after: str | None = None
    total = -1
    while True:
        page = await service.list_reports(
            c.deps, actor, community_id=c.community.id, criteria=criteria, order=order,
            first=first, after=after,
        )  # fmt: skip
        assert page is not None
        if after is None:
            total = await page.count()
        seen += [report for _, report in page.edges]
        if not page.has_next_page:
            return seen, total
        after = page.edges[-1][0]


def _expected(
    everything: list[Report], actor: Actor, criteria: ReportFilter, order: ReportOrder
) -> list[Report]:
    visible = [
        r
        for r in everything
        if service.can_see(actor, r)
        and (not criteria.status or r.status in criteria.status)
        and (not criteria.category or r.category in criteria.category)
    ]
    return sorted(visible, key=lambda r: (r.created_at, r.id), reverse=order is ReportOrder.NEWEST)


VIEWERS = ["resident", "street_member", "reporter_of_private", "grid_worker", "staff", "admin"]


def _viewer(c: Community, who: str, everything: list[Report]) -> Actor:
    if who == "resident":
        return c.resident(0)
    if who == "street_member":
        return c.resident(1, street_member=True)
    if who == "reporter_of_private":
        private = next(r for r in everything if r.visibility is ReportVisibility.PRIVATE)
        return Actor(private.reporter_id, (Grant(c.community.id, frozenset({Role.RESIDENT})),))
    if who == "grid_worker":
        return c.of_grid()
    return c.staff() if who == "staff" else c.admin()


class TestMergedPages:
    async def test_a_few_pages_in_all_are_read_whole_after_a_burst(
        self, lianhua: Community, command_counter: CommandCounter, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A community of two pages, of a year but five from today: its month's rate would
        size a window of days and widen it window by window; a range of a few pages is read
        in one read, whole, by its staff (`repository.WHOLE_PAGES`)."""
        c, now, rng = lianhua, lianhua.deps.clock.now(), random.Random(7)
        for index in range(36):
            days = 1 + index * 10 if index < 31 else rng.uniform(0, 0.5)
            report = _report(c, rng, 100 + index).model_copy(update={
                "community_id": c.other.id, "place_path": c.other.path,
                "created_at": now - timedelta(days=days),
            })  # fmt: skip
            await repository.insert(c.deps.db, report)
        staff = Actor(c.worker, (Grant(c.other.id, frozenset({Role.COMMUNITY_WORKER})),))
        sent = record_commands(command_counter, monkeypatch, c.deps.db.name)
        page = await service.list_reports(
            c.deps, staff, community_id=c.other.id, criteria=ReportFilter(),
            order=ReportOrder.NEWEST, first=20, after=None,
        )  # fmt: skip
        assert page is not None
        finds = [command for command in sent if command.get("find") == repository.REPORTS]
        assert len(finds) == 1, finds
        assert "created_at" not in finds[0]["filter"]
        stored = c.deps.db[repository.REPORTS].find({"community_id": c.other.id})
        newest = sorted([d async for d in stored], key=lambda d: (d["created_at"], d["_id"]))
        assert [r.id for _, r in page.edges] == [d["_id"] for d in newest[::-1][:20]]
        assert page.has_next_page
        assert await page.count() == 37

    @pytest.mark.parametrize("who", VIEWERS)
    @pytest.mark.parametrize("order", [ReportOrder.NEWEST, ReportOrder.OLDEST])
    async def test_every_page_holds_what_the_viewer_may_see_once_in_order(
        self, lianhua: Community, who: str, order: ReportOrder
    ) -> None:
        everything = await lianhua.reports()
        actor = _viewer(lianhua, who, everything)
        for criteria in (
            ReportFilter(),
            ReportFilter(status=[ReportStatus.SUBMITTED, ReportStatus.ACCEPTED]),
            ReportFilter(category=[ReportCategory.REPAIR]),
        ):
            expected = _expected(everything, actor, criteria, order)
            for first in (1, 7, 100):
                seen, total = await _all_pages(
                    lianhua, actor, first=first, criteria=criteria, order=order
                )
                assert [r.id for r in seen] == [r.id for r in expected], (criteria, first)
                assert total == len(expected), (criteria, first)
        if who in ("resident", "street_member", "reporter_of_private", "grid_worker"):
            # A member sees part of the community: the PRIVATE reports of others are left out.
            assert len(_expected(everything, actor, ReportFilter(), order)) < len(everything)

    async def test_a_members_own_private_and_anonymous_reports_are_listed_to_them(
        self, lianhua: Community
    ) -> None:
        everything = await lianhua.reports()
        private = next(r for r in everything if r.visibility is ReportVisibility.PRIVATE)
        owner = Actor(
            private.reporter_id, (Grant(lianhua.community.id, frozenset({Role.RESIDENT})),)
        )
        seen, total = await _all_pages(
            lianhua, owner, first=5, criteria=ReportFilter(), order=ReportOrder.NEWEST
        )
        assert private.id in {r.id for r in seen}
        others = [r for r in everything if r.reporter_id != private.reporter_id]
        hidden = [r for r in others if r.visibility is ReportVisibility.PRIVATE
                  and not service.can_see(owner, r)]  # fmt: skip
        assert hidden
        assert not {r.id for r in hidden} & {r.id for r in seen}
        assert total == len(seen)

    async def test_a_member_of_another_community_gets_no_list(self, lianhua: Community) -> None:
        outsider = Actor(ObjectId(), (Grant(lianhua.other.id, frozenset({Role.RESIDENT})),))
        page = await service.list_reports(
            lianhua.deps, outsider, community_id=lianhua.community.id, criteria=ReportFilter(),
            order=ReportOrder.NEWEST, first=5, after=None,
        )  # fmt: skip
        assert page is None

    async def test_a_members_first_page_reads_one_page_per_key(
        self, lianhua: Community, command_counter: CommandCounter, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Each key's read asks for the page's size (and one more) at most, never the key's
        matches (their own a default page's, so that it holds all a resident has for the
        total); a later page too (the cursor's tie, then windows of creation time)."""
        actor = lianhua.resident(1, street_member=True)
        keys = service.viewer_keys(actor, within=set(lianhua.community.path))
        assert len(keys) == 3  # themself, member of the community and of the street
        sent = record_commands(command_counter, monkeypatch, lianhua.deps.db.name)
        after: str | None = None
        for _ in range(2):
            sent.clear()
            page = await service.list_reports(
                lianhua.deps, actor, community_id=lianhua.community.id, criteria=ReportFilter(),
                order=ReportOrder.NEWEST, first=5, after=after,
            )  # fmt: skip
            assert page is not None
            assert len(page.edges) == 5
            finds = [c for c in sent if c.get("find") == repository.REPORTS]
            assert {c["filter"]["audience"] for c in finds} == set(keys)
            # A read of the cursor's tie (one creation time) has no limit; the others a page's.
            own = user_key(actor.user_id)
            assert all(
                0 < c["limit"] <= (DEFAULT_PAGE_SIZE if c["filter"]["audience"] == own else 5) + 1
                for c in finds
                if "limit" in c
            )
            # The members' key, most of the community, is read by a window of time.
            windows = [c["filter"]["created_at"] for c in finds
                       if c["filter"]["audience"].startswith("member:")
                       and isinstance(c["filter"].get("created_at"), dict)]  # fmt: skip
            assert windows
            assert all("$gte" in window for window in windows)
            after = page.edges[-1][0]


async def _recounted(c: Community) -> dict[str, Any]:
    """The community's totals as the migration counts them from the reports."""
    totals = c.deps.db[repository.ROLLUPS]
    stored = await totals.find_one({"_id": repository.totals_id(c.community.id)})
    await m0011_report_totals.apply(c.deps.db)
    recounted = await totals.find_one({"_id": repository.totals_id(c.community.id)})
    assert recounted is not None
    return {"stored": _nonzero(stored), "recounted": _nonzero(recounted)}


def _nonzero(document: dict[str, Any] | None) -> dict[str, dict[str, int]]:
    assert document is not None
    return {
        part: {s: n for s, n in document.get(part, {}).items() if n} for part in ("all", "members")
    }


class TestTotals:
    async def test_inserts_are_counted_as_the_migration_counts(self, lianhua: Community) -> None:
        counts = await _recounted(lianhua)
        assert counts["stored"] == counts["recounted"]
        assert sum(counts["stored"]["all"].values()) == 60

    async def test_concurrent_submits_and_moves_keep_the_totals_exact(
        self, lianhua: Community
    ) -> None:
        resident, staff = lianhua.resident(2), lianhua.staff()

        async def submit(index: int) -> ObjectId:
            submitted = await service.submit_report(
                lianhua.deps, resident, community_id=lianhua.community.id,
                category=ReportCategory.NEIGHBOR_DISPUTE if index % 3 == 0
                else ReportCategory.ENVIRONMENT,
                title=f"莲花五村 {index + 1} 号楼前垃圾未清运",
                description="垃圾桶满了两天没人清。", location=LIANHUA,
            )  # fmt: skip
            return submitted.report.id

        ids = await asyncio.gather(*(submit(i) for i in range(12)))
        # Moves at once: accepted, rejected, and two staff racing to accept the same report
        # (one of them is refused and counts nothing).
        moves = [
            service.accept_report(lianhua.deps, staff, report_id=i, priority=None) for i in ids[:4]
        ]
        moves += [
            service.reject_report(lianhua.deps, staff, report_id=i, reason="重复上报")
            for i in ids[4:7]
        ]
        moves += [service.accept_report(lianhua.deps, staff, report_id=ids[0], priority=None)]
        results = await asyncio.gather(*moves, return_exceptions=True)
        assert sum(isinstance(r, Exception) for r in results) == 1, results

        counts = await _recounted(lianhua)
        assert counts["stored"] == counts["recounted"]
        every = await lianhua.reports()
        assert sum(counts["stored"]["all"].values()) == len(every) == 72
        private = sum(r.visibility is ReportVisibility.PRIVATE for r in every)
        assert sum(counts["stored"]["members"].values()) == len(every) - private

        # And the lists' totals, from the counts, are still what each viewer sees.
        for actor in (resident, lianhua.resident(0), staff):
            for criteria in (ReportFilter(), ReportFilter(status=[ReportStatus.ACCEPTED])):
                _, total = await _all_pages(
                    lianhua, actor, first=100, criteria=criteria, order=ReportOrder.NEWEST
                )
                expected = _expected(every, actor, criteria, ReportOrder.NEWEST)
                assert total == len(expected)

    async def test_the_migration_sets_the_totals_again_and_drops_stale_ones(
        self, lianhua: Community
    ) -> None:
        rollups = lianhua.deps.db[repository.ROLLUPS]
        mine = repository.totals_id(lianhua.community.id)
        await rollups.update_one({"_id": mine}, {"$inc": {"all.SUBMITTED": 5}})
        await rollups.insert_one({"_id": repository.totals_id(ObjectId()), "all": {"SUBMITTED": 3}})
        await m0011_report_totals.apply(lianhua.deps.db)
        await m0011_report_totals.apply(lianhua.deps.db)  # again: nothing changes

        recounted = await _recounted(lianhua)
        assert recounted["stored"] == recounted["recounted"]
        # The two communities with reports have totals; the stale ones are gone.
        assert await rollups.count_documents({"_id": {"$regex": ":totals$"}}) == 2

    async def test_without_totals_the_lists_count_what_they_hold(self, lianhua: Community) -> None:
        """Reports stored around the writes (a bulk load before step 11 has run): no totals,
        so the lists count on their index (and read without windows) rather than say 0."""
        await lianhua.deps.db[repository.ROLLUPS].delete_one(
            {"_id": repository.totals_id(lianhua.community.id)}
        )
        everything = await lianhua.reports()
        for actor in (lianhua.staff(), lianhua.resident(0), lianhua.of_grid()):
            for criteria in (ReportFilter(), ReportFilter(status=[ReportStatus.RESOLVED])):
                seen, total = await _all_pages(
                    lianhua, actor, first=7, criteria=criteria, order=ReportOrder.NEWEST
                )
                expected = _expected(everything, actor, criteria, ReportOrder.NEWEST)
                assert [r.id for r in seen] == [r.id for r in expected]
                assert total == len(expected) > 0


class TestCursors:
    @pytest.mark.parametrize("at", [datetime(1, 1, 1), datetime(9999, 12, 31, 23, 59), "周一"])
    @pytest.mark.parametrize("order", [ReportOrder.NEWEST, ReportOrder.OLDEST])
    async def test_a_cursor_no_list_gave_is_invalid_input(
        self, lianhua: Community, at: Any, order: ReportOrder
    ) -> None:
        """A forged cursor whose time no report has (past the windows' reach) or that is not
        a time is refused on `after`, never an overflow in a window's arithmetic."""
        for actor in (lianhua.staff(), lianhua.resident(0)):
            with pytest.raises(DomainError) as refused:
                await service.list_reports(
                    lianhua.deps, actor, community_id=lianhua.community.id,
                    criteria=ReportFilter(), order=order, first=5,
                    after=encode_cursor([at, ObjectId()]),
                )  # fmt: skip
            assert [p.code for p in refused.value.problems] == [ErrorCode.INVALID_INPUT]
