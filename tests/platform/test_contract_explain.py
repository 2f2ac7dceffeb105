"""Every query of every contract operation uses an index: each operation of
`schema/operations/` runs on the demo street as who would send it, every read it sends to the
database (find, and aggregate led by `$match`, counts included) is taken off the wire and
explained, and none may be a collection scan.

The scale of the lists is checked in `tests/reports/test_indexes_at_scale.py`; here it is the
breadth: boards and tasks, councils, proposals and their decisions, surveys, memberships,
notifications, places, dashboards, reports, field work (fieldwork.graphql: units, patrols, the
wide views). Reads that no index can serve on SecantusDB although MongoDB's would are listed in
KNOWN_SCANS with the reason, and a test fails when one of them stops scanning (so the list
stays true).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from bench.explain import KNOWN_SCANS, plan_of, read_filter
from neighbor_api.core.deps import Deps
from neighbor_api.core.mongo import Document
from tests.conftest import Api, CommandCounter, record_commands
from tests.reports.street import BUILDING_5, GRID_WORKER, HULI_ADMIN, JINAN_WORKER, NEIGHBOUR
from tests.surveys.support import SAFETY_SURVEY

CHENGGUAN = "13800000020"  # 郭永福, of the demo's 金山街道城管中队
AROUND_JINSHAN = {
    "southWest": {"lat": 24.49, "lng": 118.17},
    "northEast": {"lat": 24.52, "lng": 118.20},
}


@dataclass(frozen=True)
class Read:
    operation: str
    collection: str
    command: Document

    @property
    def filter(self) -> Document:
        return read_filter(self.command)

    @property
    def key(self) -> tuple[str, frozenset[str]]:
        return (self.collection, frozenset(self.filter))


@pytest.fixture
def reads(
    command_counter: CommandCounter, demo: Deps, monkeypatch: pytest.MonkeyPatch
) -> list[Document]:
    return record_commands(command_counter, monkeypatch, demo.db.name)


def _first(data: Any, key: str) -> Any:
    """The first value under `key` anywhere in a result (depth first)."""
    for found in _walk(data, key):
        return found
    raise AssertionError(f"no {key} in {data}")


def _walk(data: Any, key: str) -> Iterator[Any]:
    if isinstance(data, dict):
        if data.get(key):
            yield data[key]
        for value in data.values():
            yield from _walk(value, key)
    elif isinstance(data, list):
        for item in data:
            yield from _walk(item, key)


async def contract_reads(api: Api, sent: list[Document]) -> list[Read]:
    """Run every contract query, as staff or a resident, and collect the reads of each."""
    worker = await api.login(JINAN_WORKER)
    resident = await api.login(NEIGHBOUR)
    admin = await api.login(HULI_ADMIN)
    collected: list[Read] = []

    async def run(name: str, variables: dict[str, Any] | None = None, *, token: str) -> Any:
        api.deps.kept.clear()  # every read the database would get: none kept
        sent.clear()
        data = await api.data(name, variables or {}, token=token)
        for command in sent:
            collection = command.get("find") or command.get("aggregate")
            if isinstance(collection, str) and not collection.startswith("$"):
                collected.append(Read(name, collection, command))
        return data

    viewer = await run("Viewer", token=worker)
    community_id = _first(viewer["viewer"]["memberships"], "community")["id"]
    community = await run("Community", {"id": community_id}, token=worker)
    street_id = community["community"]["street"]["id"]
    district_id = community["community"]["district"]["id"]
    await run("Place", {"id": district_id}, token=worker)
    await run("NodeById", {"id": community_id}, token=worker)
    await run("NearbyCommunities", {"near": BUILDING_5, "first": 5}, token=resident)
    await run("PendingMemberships", {"communityId": community_id}, token=worker)
    await run("CommunityStats", {"placeId": community_id}, token=worker)
    await run("CommunityStats", {"placeId": district_id}, token=admin)
    await run("Notifications", {"first": 20}, token=resident)
    councils = await run("Councils", {"communityId": community_id}, token=resident)
    council_id = councils["community"]["councils"][0]["id"]
    proposals = await run("Proposals", {"councilId": council_id, "first": 20}, token=resident)
    proposal_id = _first(proposals["proposals"]["edges"], "node")["id"]
    await run("ProposalDetail", {"id": proposal_id}, token=resident)
    await run("ProposalDecision", {"id": proposal_id}, token=resident)
    closes = api.deps.clock.now() + timedelta(days=7)
    created = await api.data(
        "CreateSurvey",
        {"input": {"placeId": district_id, **SAFETY_SURVEY, "closesAt": closes.isoformat()}},
        token=admin,
    )
    survey_id = created["createSurvey"]["survey"]["id"]
    await run("MySurveys", token=resident)
    await run("SurveyResults", {"id": survey_id}, token=admin)
    boards = await run("CommunityBoards", {"communityId": community_id}, token=resident)
    board_id = boards["community"]["boards"][0]["id"]
    board = await run("Board", {"id": board_id, "tasksFirst": 20}, token=resident)
    task = next(_walk(board, "node"), None)
    if task is not None:
        await run("TaskDetail", {"id": task["id"]}, token=resident)
    await run("Leaderboard", {"communityId": community_id, "first": 10}, token=resident)
    # The points economy (points.graphql).
    await run("OpenTasks", {"communityId": community_id, "first": 20}, token=resident)
    if task is not None:
        await run("TaskRecord", {"id": task["id"]}, token=resident)
    await run("PointsHistory", {"first": 20}, token=resident)
    await run("Rewards", {"communityId": community_id}, token=resident)
    for period in ("ALL_TIME", "MONTH"):
        await run("PeriodLeaderboard", {"communityId": community_id, "period": period,
                                        "first": 10}, token=resident)  # fmt: skip
    for token in (worker, resident):
        reports = await run("Reports", {"communityId": community_id, "first": 5}, token=token)
        cursor = reports["reports"]["pageInfo"]["endCursor"]
        await run("Reports", {"communityId": community_id, "first": 5, "after": cursor},
                  token=token)  # fmt: skip
    report_id = _first(reports["reports"]["edges"], "node")["id"]
    await run("ReportDetail", {"id": report_id}, token=resident)
    await run("EscalationQueue", {"placeId": street_id}, token=admin)
    await run("ReportsNearby", {"near": BUILDING_5, "radiusMeters": 500}, token=resident)
    await fieldwork_reads(run, community_id, street_id, district_id, report_id, api)
    return collected


async def fieldwork_reads(
    run: Any, community_id: str, street_id: str, district_id: str, report_id: str, api: Api
) -> None:
    """fieldwork.graphql's queries: categories, similar reports, routing, the grid's queue,
    units and their queue, the wide views, patrols and the district's dashboard."""
    worker = await api.login(JINAN_WORKER)
    resident = await api.login(NEIGHBOUR)
    admin = await api.login(HULI_ADMIN)
    grid_worker = await api.login(GRID_WORKER)
    officer = await api.login(CHENGGUAN)
    await run("ReportCategories", {"communityId": community_id}, token=resident)
    await run("SimilarReports", {"communityId": community_id, "location": BUILDING_5,
              "category": "REPAIR", "radiusMeters": 200}, token=resident)  # fmt: skip
    await run("ReportRouting", {"id": report_id}, token=worker)
    queue = await run("MyGridQueue", {"communityId": community_id, "first": 20}, token=grid_worker)
    grid_id = _first(queue["reports"]["edges"], "grid")["id"]
    units = await run("Units", {"placeId": street_id}, token=admin)
    await run("Units", {"placeId": district_id}, token=admin)
    unit_id = units["units"][0]["id"]
    await run("UnitQueue", {"unitId": unit_id, "first": 20}, token=officer)
    await run("PlaceReports", {"placeId": district_id, "first": 20}, token=admin)
    await run("PlaceReports", {"placeId": street_id, "first": 20,
              "filter": {"status": "SUBMITTED"}}, token=admin)  # fmt: skip
    await run("ReportsInArea", {"box": AROUND_JINSHAN, "first": 50}, token=admin)
    await run("Patrols", {"gridId": grid_id, "first": 20}, token=worker)
    await run("DistrictDashboard", {"placeId": district_id}, token=admin)


async def test_every_contract_read_uses_an_index(
    api: Api, demo: Deps, reads: list[Document]
) -> None:
    collected = await contract_reads(api, reads)
    operations = {read.operation for read in collected}
    assert len(operations) >= 31, operations

    scans = []
    for read in collected:
        stages = [stage["stage"] for stage in await plan_of(demo.db, read.command)]
        if "COLLSCAN" in stages:
            scans.append(read)
    unexpected = [(r.operation, r.collection, r.filter) for r in scans if r.key not in KNOWN_SCANS]
    assert unexpected == []
    assert {r.key for r in scans} == set(KNOWN_SCANS)
