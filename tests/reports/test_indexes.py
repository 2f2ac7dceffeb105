"""The report lists use indexes: the query each list actually sends, taken off the wire, is
explained by the server (`explain` with verbosity queryPlanner) and its winning plan must scan
an index of the community, not the whole collection.

SecantusDB answers `explain` in MongoDB's shape (queryPlanner.winningPlan with stage,
inputStage and indexName), but its planner is simpler: it uses an index only for a filter
whose top-level fields are plain equalities or ranges over an index's leading fields (no
top-level $and/$or), and picks the shortest such index without weighing the sort (which then
runs as an in-memory SORT stage over the community's reports). A member's list is one read
per audience key they hold (see `Report.audience`), merged, so each plans on the audience
index. The same at scale, with later pages: `test_indexes_at_scale.py`,
`test_lists_at_scale.py`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from neighbor_api.core.deps import Deps
from neighbor_api.core.mongo import Client, Document
from neighbor_api.schema import NeighborSchema
from neighbor_api.settings import Settings
from tests.conftest import CommandCounter, record_commands
from tests.reports.street import (
    GRID_WORKER,
    HULI_ADMIN,
    JINAN_WORKER,
    NEIGHBOUR,
    Street,
    shared_demo,
    street_over,
)

COMMUNITY_INDEXES = {
    "community_newest",
    "community_status_newest",
    "community_most_endorsed",
    "community_due",
}


@pytest.fixture(scope="module")
async def shared(mongo_client: Client, settings: Settings) -> AsyncIterator[Deps]:
    """The demo street, read by every test here."""
    async with shared_demo(mongo_client, settings) as deps:
        yield deps


@pytest.fixture
async def street(schema: NeighborSchema, shared: Deps) -> Street:
    return await street_over(schema, shared)


@pytest.fixture
def sent(
    command_counter: CommandCounter, shared: Deps, monkeypatch: pytest.MonkeyPatch
) -> list[Document]:
    """The commands sent to the shared database from now on, as they were sent."""
    return record_commands(command_counter, monkeypatch, shared.db.name)


async def queue_query(
    street: Street, sent: list[Document], phone: str, **variables: Any
) -> Document:
    """The find on `reports` that the Reports query sends for `phone`."""
    (find,) = await queue_queries(street, sent, phone, **variables)
    return find


async def queue_queries(
    street: Street, sent: list[Document], phone: str, **variables: Any
) -> list[Document]:
    """The finds on `reports` that the Reports query sends for `phone`."""
    sent.clear()
    assert await street.reports(phone, **variables) is not None
    return [c for c in sent if c.get("find") == "reports"]


async def winning_plan(shared: Deps, find: Document) -> list[tuple[str, str | None]]:
    """The stages of the winning plan of `find`, outermost first, with their index names."""
    command = {k: find[k] for k in ("find", "filter", "sort", "limit") if k in find}
    explained = await shared.db.command("explain", command, verbosity="queryPlanner")
    stage = explained["queryPlanner"]["winningPlan"]
    stages = []
    while stage:
        stages.append((stage["stage"], stage.get("indexName")))
        stage = stage.get("inputStage") or next(iter(stage.get("inputStages", [])), None)
    return stages


def index_scanned(stages: list[tuple[str, str | None]]) -> str | None:
    """The community index the plan scans (None if it scans the collection)."""
    assert "COLLSCAN" not in [s for s, _ in stages], stages
    scans = [name for stage, name in stages if stage == "IXSCAN"]
    return scans[0] if scans else None


class TestReportsIndexes:
    @pytest.mark.parametrize("order", ["NEWEST", "OLDEST", "MOST_ENDORSED", "DUE_SOONEST"])
    async def test_the_community_workers_queue_scans_a_community_index(
        self, street: Street, shared: Deps, sent: list[Document], order: str
    ) -> None:
        find = await queue_query(street, sent, JINAN_WORKER, orderBy=order, first=20)

        stages = await winning_plan(shared, find)

        assert index_scanned(stages) in COMMUNITY_INDEXES, stages

    async def test_a_district_admins_view_of_the_community_scans_an_index(
        self, street: Street, shared: Deps, sent: list[Document]
    ) -> None:
        find = await queue_query(street, sent, HULI_ADMIN)

        assert index_scanned(await winning_plan(shared, find)) in COMMUNITY_INDEXES

    async def test_the_queue_by_status_scans_the_status_index(
        self, street: Street, shared: Deps, sent: list[Document]
    ) -> None:
        find = await queue_query(street, sent, JINAN_WORKER, filter={"status": ["SUBMITTED"]})

        assert index_scanned(await winning_plan(shared, find)) == "community_status_newest"

    @pytest.mark.parametrize("viewer", [NEIGHBOUR, GRID_WORKER])
    async def test_a_members_list_scans_the_audience_index(
        self, street: Street, shared: Deps, sent: list[Document], viewer: str
    ) -> None:
        finds = await queue_queries(street, sent, viewer)

        assert len(finds) >= 2  # themself, member of 金安社区 (and the grid worker's grid)
        for find in finds:
            assert index_scanned(await winning_plan(shared, find)) == "community_audience_newest"
