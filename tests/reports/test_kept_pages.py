"""The community lists' pages kept by the instance (core/kept.py, `reports.service.kept`).

A page is kept under its community's version, which every write of one of the community's
reports increments after it (`repository.touch`). So an instance that kept a page before a
write on another instance answers the write at once, with no change stream: each test lists
on instance B, writes through the contract on instance A (its own caches, the same
database), and lists on B again, comparing with what B answers once it has dropped what it
kept.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import pytest

from neighbor_api.core.deps import Deps
from neighbor_api.core.kept import Kept
from neighbor_api.core.session_cache import SessionCache
from neighbor_api.reports import repository
from tests.conftest import Api, CommandCounter, FakeTimer
from tests.reports.street import (
    CHAIR,
    GRID_WORKER,
    JINAN_WORKER,
    NEIGHBOUR,
    RESIDENT,
    Street,
    load_demo_street,
    object_id,
)

# What a list can show that a write of a report changes.
LIST = """
query KeptList($communityId: ID!, $filter: ReportFilter, $first: Int) {
  reports(communityId: $communityId, filter: $filter, first: $first) {
    totalCount
    edges {
      node {
        id number title status priority dueAt commentCount endorsementCount followerCount
        viewerHasEndorsed assignee { id } duplicateOf { id } duplicates { id }
      }
    }
  }
}
"""


@pytest.fixture
async def street(api: Api, deps: Deps) -> Street:
    await load_demo_street(deps)
    return await Street.open(api)


@pytest.fixture
def other(api: Api, deps: Deps) -> Api:
    """Instance B: the same database and schema, caches of its own."""
    return Api(api.schema, replace(deps, sessions=SessionCache(), kept=Kept()))


async def listed(api: Api, street: Street, phone: str, **variables: Any) -> Any:
    token = await street.token(phone)
    variables = {"communityId": street.jinan, "first": 50, **variables}
    data = await api.execute(LIST, variables, token=token)
    assert data.errors is None, data.errors
    return data.data


async def fresh(api: Api, street: Street, phone: str, **variables: Any) -> Any:
    """What `api` lists once it has dropped every page it kept."""
    api.deps.kept.clear()
    return await listed(api, street, phone, **variables)


def node(page: Any, report_id: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [
        e["node"] for e in page["reports"]["edges"] if e["node"]["id"] == report_id
    ]
    assert len(found) == 1, report_id
    return found[0]


async def data(api: Api, street: Street, phone: str, operation: str, **input: Any) -> Any:
    result = await api.data(operation, {"input": input}, token=await street.token(phone))
    (payload,) = result.values()
    assert payload["errors"] == [], payload
    return payload


async def submitted(street: Street) -> str:
    report = await street.submit(
        CHAIR, category="ENVIRONMENT", title="金湖路雨水井堵塞", description="一下雨就积水。"
    )
    return str(report["id"])


class TestKeptOnOneInstance:
    async def test_a_kept_page_costs_the_lists_reads(
        self, street: Street, command_counter: CommandCounter
    ) -> None:
        """Listed again unchanged: the community's totals (the version) only; the page and the
        viewer's own reports come from the instance, and no report of the demo's page is
        endorsed, so the viewer's endorsements are not read (test_viewer_endorsed.py)."""
        api = street.api
        first = await listed(api, street, RESIDENT)  # signs in, and keeps the pages
        before = command_counter.counts.get(api.deps.db.name, 0)
        again = await listed(api, street, RESIDENT)
        sent = command_counter.counts.get(api.deps.db.name, 0) - before

        assert again == first
        assert api.deps.kept.hits >= 2
        assert sent == 1

    async def test_turned_off(self, street: Street, deps: Deps, api: Api) -> None:
        off = Api(api.schema, replace(deps, settings=deps.settings.model_copy(
            update={"list_cache_size": 0}), kept=Kept()))  # fmt: skip
        await listed(off, street, RESIDENT)
        await listed(off, street, RESIDENT)

        assert len(off.deps.kept) == 0
        assert off.deps.kept.hits == 0


class TestAWriteElsewhereShowsAtOnce:
    async def check(
        self, street: Street, other: Api, phone: str, write: Callable[[str], Awaitable[None]]
    ) -> None:
        report_id = await submitted(street)
        before = await listed(other, street, phone)  # B keeps the pages
        await write(report_id)  # on A
        after = await listed(other, street, phone)

        assert after == await fresh(other, street, phone)
        assert after != before

    async def test_submit(self, street: Street, other: Api) -> None:
        before = await listed(other, street, NEIGHBOUR)
        report_id = await submitted(street)
        after = await listed(other, street, NEIGHBOUR)

        assert node(after, report_id)["title"] == "金湖路雨水井堵塞"
        assert after["reports"]["totalCount"] == before["reports"]["totalCount"] + 1

    async def test_endorse(self, street: Street, other: Api) -> None:
        async def write(report_id: str) -> None:
            await street.endorse(NEIGHBOUR, report_id)

        await self.check(street, other, NEIGHBOUR, write)

    async def test_comment(self, street: Street, other: Api) -> None:
        async def write(report_id: str) -> None:
            await street.comment(NEIGHBOUR, report_id, "我家门口也是。")

        await self.check(street, other, RESIDENT, write)

    async def test_follow_and_unfollow(self, street: Street, other: Api) -> None:
        async def follow(report_id: str) -> None:
            await data(street.api, street, RESIDENT, "FollowReport", reportId=report_id)

        async def unfollow(report_id: str) -> None:
            await data(street.api, street, CHAIR, "UnfollowReport", reportId=report_id)

        await self.check(street, other, NEIGHBOUR, follow)
        await self.check(street, other, NEIGHBOUR, unfollow)

    async def test_moves_that_keep_their_status_and_that_change_it(
        self, street: Street, other: Api
    ) -> None:
        worker = await street.person(JINAN_WORKER)
        grid_worker = await street.person(GRID_WORKER)

        async def accept(report_id: str) -> None:
            await data(street.api, street, JINAN_WORKER, "AcceptReport", reportId=report_id,
                       priority="HIGH")  # fmt: skip

        async def assign_twice(report_id: str) -> None:
            await accept(report_id)
            await data(street.api, street, JINAN_WORKER, "AssignReport", reportId=report_id,
                       assigneeId=grid_worker.id)  # fmt: skip
            # Listed while ASSIGNED (on B), then assigned to another: the status stays.
            kept = await listed(other, street, JINAN_WORKER)
            await data(street.api, street, JINAN_WORKER, "AssignReport", reportId=report_id,
                       assigneeId=worker.id)  # fmt: skip
            again = await listed(other, street, JINAN_WORKER)
            assert node(again, report_id)["status"] == node(kept, report_id)["status"]
            assert node(again, report_id)["assignee"] == {"id": worker.id}

        await self.check(street, other, JINAN_WORKER, accept)
        await self.check(street, other, JINAN_WORKER, assign_twice)

    async def test_mark_duplicate(self, street: Street, other: Api) -> None:
        original = await submitted(street)

        async def write(report_id: str) -> None:
            await data(street.api, street, JINAN_WORKER, "MarkReportDuplicate",
                       reportId=report_id, duplicateOfId=original)  # fmt: skip

        await self.check(street, other, JINAN_WORKER, write)
        after = await listed(other, street, JINAN_WORKER)
        assert len(node(after, original)["duplicates"]) == 1


class TestEveryWriterTouches:
    """Writes of reports outside the contract's documents: the repository's own writers
    increment the community's version too (the rule lives there: `repository.touch`)."""

    async def test_add_unit_member(self, deps: Deps, street: Street) -> None:
        community = object_id(street.jinan)
        before = await repository.read_totals(deps.db, community)
        unit = await deps.db[repository.UNITS].find_one({})  # the demo street's
        report = await deps.db[repository.REPORTS].find_one({"community_id": community})
        assert unit is not None
        assert report is not None
        await deps.db[repository.REPORTS].update_one(
            {"_id": report["_id"]}, {"$set": {"handling_unit_id": unit["_id"]}}
        )
        await repository.add_unit_member(deps.db, unit["_id"], object_id(
            (await street.person(NEIGHBOUR)).id))  # fmt: skip

        after = await repository.read_totals(deps.db, community)
        assert after.version > before.version


class TestKept:
    """core/kept.py itself: kept for one version, for `max_age` seconds, `max_size` keys."""

    @staticmethod
    async def read(kept: Kept, key: str, version: int, value: str, **bounds: Any) -> str:
        async def load() -> str:
            return value

        limits = {"max_age": 30.0, "max_size": 2, **bounds}
        found: str = await kept.read(key, version, load, **limits)
        return found

    async def test_kept_for_its_version(self) -> None:
        kept = Kept()
        assert await self.read(kept, "k", 1, "first") == "first"
        assert await self.read(kept, "k", 1, "second") == "first"
        assert await self.read(kept, "k", 2, "third") == "third"
        assert await self.read(kept, "k", 1, "fourth") == "fourth"  # never an older version's
        assert (kept.hits, kept.misses) == (1, 3)

    async def test_aged(self) -> None:
        timer = FakeTimer()
        kept = Kept(timer=timer)
        start = timer.now
        await self.read(kept, "k", 1, "first")
        timer.now = start + 29.9
        assert await self.read(kept, "k", 1, "second") == "first"
        timer.now = start + 30.0
        assert await self.read(kept, "k", 1, "third") == "third"

    async def test_least_recently_used_out(self) -> None:
        kept = Kept()
        await self.read(kept, "a", 1, "a")
        await self.read(kept, "b", 1, "b")
        await self.read(kept, "a", 1, "a again")  # a is used: b goes first
        await self.read(kept, "c", 1, "c")

        assert len(kept) == 2
        assert await self.read(kept, "a", 1, "new") == "a"
        assert await self.read(kept, "b", 1, "new") == "new"

    async def test_size_zero_keeps_nothing(self) -> None:
        kept = Kept()
        await self.read(kept, "k", 1, "first", max_size=0)
        assert await self.read(kept, "k", 1, "second", max_size=0) == "second"
        assert len(kept) == 0

    async def test_cleared(self) -> None:
        kept = Kept()
        await self.read(kept, "k", 1, "first")
        kept.clear()
        assert await self.read(kept, "k", 1, "second") == "second"

    async def test_each_shelf_holds_its_own_number(self) -> None:
        """Many viewers' values (`Deps.keep(..., per_viewer=True)`) never push the shared
        pages out."""
        kept = Kept()
        await self.read(kept, "page", 1, "page")
        for viewer in ("a", "b", "c"):
            await self.read(kept, viewer, 1, viewer, shelf="viewers")

        assert len(kept) == 3  # the page, and the two most recent viewers'
        assert await self.read(kept, "page", 1, "new") == "page"
        assert await self.read(kept, "a", 1, "new", shelf="viewers") == "new"
        kept.clear()
        assert len(kept) == 0


LIMITS: dict[str, Any] = {"max_age": 30.0, "max_size": 10}


class TestSharedLoads:
    """Readers missing one key for one version at once share one load (core/kept.py)."""

    @staticmethod
    def gated(value: str, gate: asyncio.Event, loads: list[str]) -> Callable[[], Awaitable[str]]:
        async def load() -> str:
            loads.append(value)
            await gate.wait()
            return value

        return load

    async def test_one_load_for_readers_at_once(self) -> None:
        kept, gate, loads = Kept(), asyncio.Event(), []
        first = asyncio.create_task(kept.read("k", 1, self.gated("a", gate, loads), **LIMITS))
        await asyncio.sleep(0)
        others = [
            asyncio.create_task(kept.read("k", 1, self.gated(v, gate, loads), **LIMITS))
            for v in ("b", "c")
        ]
        await asyncio.sleep(0)
        gate.set()
        assert [await first, *[await o for o in others]] == ["a", "a", "a"]
        assert loads == ["a"]
        assert (kept.misses, kept.shared) == (1, 2)

    async def test_another_version_loads_its_own(self) -> None:
        kept, gate, loads = Kept(), asyncio.Event(), []
        old = asyncio.create_task(kept.read("k", 1, self.gated("old", gate, loads), **LIMITS))
        await asyncio.sleep(0)
        new = asyncio.create_task(kept.read("k", 2, self.gated("new", gate, loads), **LIMITS))
        await asyncio.sleep(0)
        gate.set()
        assert (await old, await new) == ("old", "new")
        assert loads == ["old", "new"]

    async def test_a_slow_older_load_does_not_replace_a_newer_value(self) -> None:
        kept, slow, loads = Kept(), asyncio.Event(), []
        old = asyncio.create_task(kept.read("k", 1, self.gated("old", slow, loads), **LIMITS))
        await asyncio.sleep(0)
        ready = asyncio.Event()
        ready.set()
        assert await kept.read("k", 2, self.gated("new", ready, loads), **LIMITS) == "new"
        slow.set()
        assert await old == "old"
        assert await kept.read("k", 2, self.gated("again", ready, loads), **LIMITS) == "new"

    @pytest.mark.parametrize("how", ["cancelled", "failed"])
    async def test_when_the_loading_reader_stops_the_others_load(self, how: str) -> None:
        kept, gate, loads = Kept(), asyncio.Event(), []

        async def failing() -> str:
            loads.append("failing")
            await gate.wait()
            raise RuntimeError("database gone")

        leader = asyncio.create_task(
            kept.read("k", 1, self.gated("a", gate, loads) if how == "cancelled" else failing,
                      **LIMITS)
        )  # fmt: skip
        await asyncio.sleep(0)
        other = asyncio.create_task(kept.read("k", 1, self.gated("b", gate, loads), **LIMITS))
        await asyncio.sleep(0)
        if how == "cancelled":
            leader.cancel()
        gate.set()
        assert await other == "b"
        with pytest.raises(asyncio.CancelledError if how == "cancelled" else RuntimeError):
            await leader
        assert len(loads) == 2

    async def test_nothing_kept_nothing_shared(self) -> None:
        kept, gate, loads = Kept(), asyncio.Event(), []
        limits = {**LIMITS, "max_size": 0}
        reads = [
            asyncio.create_task(kept.read("k", 1, self.gated(v, gate, loads), **limits))
            for v in ("a", "b")
        ]
        await asyncio.sleep(0)
        gate.set()
        assert [await r for r in reads] == ["a", "b"]


class TestKeptComments:
    """A report's comments are kept under its `comment_count`, which each comment adds to in
    its transaction."""

    async def detail(self, api: Api, street: Street, report_id: str) -> Any:
        data = await api.data(
            "ReportDetail", {"id": report_id, "commentsFirst": 20},
            token=await street.token(RESIDENT),
        )  # fmt: skip
        return data["report"]

    async def test_a_comment_shows_at_once_on_another_instance(
        self, street: Street, other: Api
    ) -> None:
        report_id = await submitted(street)
        before = await self.detail(other, street, report_id)  # B keeps the page
        assert before["comments"]["edges"] == []
        await street.comment(NEIGHBOUR, report_id, "我家门口也是。")  # on A
        after = await self.detail(other, street, report_id)

        assert [e["node"]["body"] for e in after["comments"]["edges"]] == ["我家门口也是。"]
        other.deps.kept.clear()
        assert after == await self.detail(other, street, report_id)

    async def test_shown_again_the_page_is_not_read(
        self, street: Street, command_counter: CommandCounter
    ) -> None:
        """The report only is read: the comments are the instance's, and no one endorsed the
        report nor made a task from it, so neither the viewer's endorsement nor its tasks are
        read (test_viewer_endorsed.py, tests/boards/test_linked_tasks.py)."""
        report_id = await submitted(street)
        await street.comment(NEIGHBOUR, report_id, "我家门口也是。")
        api = street.api
        first = await self.detail(api, street, report_id)
        before = command_counter.counts.get(api.deps.db.name, 0)
        again = await self.detail(api, street, report_id)

        assert again == first
        assert command_counter.counts.get(api.deps.db.name, 0) - before == 1
