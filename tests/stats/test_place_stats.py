"""placeStats: every figure of the dashboard against a plain Python computation over the same
documents read back from the collections, on the demo street and on generated data (four more
communities, under 金山街道 and under a second street), for communities and their roll-ups,
over the whole time and over a window; who may see it; the period rules.

One database for the module (the tests only read). The generated documents are written through
the features' repository functions and models (thousands of service calls would take minutes);
the demo's through the services.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from bson import ObjectId

from neighbor_api.boards import repository as boards_repository
from neighbor_api.boards.models import Task, TaskStatus
from neighbor_api.core.deps import Deps
from neighbor_api.core.mongo import Client, Document
from neighbor_api.core.policy import SYSTEM
from neighbor_api.councils.models import (
    Ballot,
    Electorate,
    Option,
    OptionKey,
    Proposal,
    ProposalOutcome,
    ProposalStatus,
    VotingMethod,
)
from neighbor_api.councils.repository import PROPOSALS
from neighbor_api.graphql.relay import to_global_id
from neighbor_api.places.models import GeoPoint, Place
from neighbor_api.points import repository as points
from neighbor_api.reports import repository as reports_repository
from neighbor_api.reports.models import (
    SLA,
    Report,
    ReportCategory,
    ReportPriority,
    ReportStatus,
    ReportVisibility,
    Satisfaction,
)
from neighbor_api.schema import NeighborSchema
from neighbor_api.settings import Settings
from neighbor_api.stats import service
from neighbor_api.stats.service import PlaceStats
from tests.conftest import OPERATIONS
from tests.reports.street import (
    HULI_ADMIN,
    JINAN_WORKER,
    JINSHAN_WORKER,
    RESIDENT,
    START,
    error_codes,
    street_over,
)
from tests.stats.support import (
    World,
    demo_places,
    in_period,
    more_communities,
    percent,
    world_of,
)

# The contract's operation (schema/operations/console.graphql), as clients send it.
COMMUNITY_STATS = """
query CommunityStats($placeId: ID!, $from: DateTime, $to: DateTime) {
  placeStats(placeId: $placeId, from: $from, to: $to) {
    place { id name level }
    reportsTotal
    reportsOpen
    reportsOverdue
    reportsByStatus { status count }
    reportsByCategory { category count }
    medianResolutionHours
    onTimeResolutionPercent
    satisfactionPercent
    proposalsPassed
    averageTurnoutPercent
    tasksDone
    activeVolunteers
    pointsAwarded
  }
}
"""

FIELDWORK_STATUSES = {ReportStatus.WITHDRAWN, ReportStatus.DUPLICATE}
CLOSED_STATUSES = {
    ReportStatus.RESOLVED,
    ReportStatus.CLOSED,
    ReportStatus.REJECTED,
    *FIELDWORK_STATUSES,
}
DUE_STATUSES = {ReportStatus.ACCEPTED, ReportStatus.ASSIGNED, ReportStatus.IN_PROGRESS}
WINDOW = (START - timedelta(days=30), START - timedelta(days=10))
# Volunteers drawn from one pool for every community: some are active in several.
VOLUNTEERS = [ObjectId() for _ in range(12)]


# --- The generated data ---------------------------------------------------------------------


def _report(rng: random.Random, community: Place, index: int) -> Report:
    created = START - timedelta(minutes=rng.randrange(1, 60 * 24 * 60))
    # The statuses of the first edition (WITHDRAWN and DUPLICATE leave no resolution figures).
    status = rng.choice([s for s in ReportStatus if s not in FIELDWORK_STATUSES])
    fields: dict[str, Any] = {}
    ratings: list[Satisfaction] = []
    if status is not ReportStatus.SUBMITTED and status is not ReportStatus.REJECTED:
        priority = rng.choice(list(ReportPriority))
        accepted = created + timedelta(minutes=rng.randrange(1, 600))
        fields |= {"priority": priority, "accepted_at": accepted}
        # Most accepted reports have a due time; a few had it cleared.
        if rng.random() < 0.85:
            fields["due_at"] = accepted + SLA[priority]
        if status in CLOSED_STATUSES:
            resolved = accepted + timedelta(minutes=rng.randrange(1, 60 * 24 * 9))
            fields["resolved_at"] = resolved
            if status is ReportStatus.CLOSED:
                fields["closed_at"] = resolved + timedelta(hours=1)
                ratings.append(
                    Satisfaction(rating=rng.randint(3, 5), rated_at=resolved + timedelta(hours=1))
                )
        # An earlier resolution rated 1 or 2 reopened some of them.
        if rng.random() < 0.3:
            ratings.insert(
                0, Satisfaction(rating=rng.randint(1, 2), rated_at=accepted + timedelta(hours=2))
            )
    elif status is ReportStatus.REJECTED:
        fields["rejection_reason"] = "不属于社区受理范围"
    return Report(
        number=f"{community.code}-2026-{index:06d}",
        community_id=community.id,
        place_path=community.path,
        reporter_id=ObjectId(),
        category=rng.choice(list(ReportCategory)),
        title=f"诉求 {index}",
        description="生成的测试诉求",
        location=GeoPoint.at(lat=24.5 + rng.random() / 100, lng=118.18 + rng.random() / 100),
        visibility=rng.choice(list(ReportVisibility)),
        status=status,
        ratings=ratings,
        satisfaction=ratings[-1] if ratings else None,
        created_at=created,
        updated_at=created,
        **fields,
    )


def _proposal(rng: random.Random, community: Place) -> Proposal:
    created = START - timedelta(days=rng.randrange(1, 60))
    status = rng.choice([ProposalStatus.CLOSED] * 4 + [ProposalStatus.VOTING])
    fields: dict[str, Any] = {}
    if status is ProposalStatus.CLOSED:
        eligible = rng.choice([0, 3, 7, 12, 40])
        fields = {
            "eligible_count": eligible,
            "voted_count": rng.randint(0, eligible),
            "closed_at": created + timedelta(days=3, minutes=rng.randrange(600)),
            "outcome": rng.choice(list(ProposalOutcome)),
        }
    return Proposal(
        council_id=ObjectId(),
        community_id=community.id,
        place_path=community.path,
        author_id=ObjectId(),
        title="生成的议题",
        body="生成的测试议题",
        status=status,
        ballot=Ballot.OPEN,
        electorate=Electorate.COUNCIL_MEMBERS,
        method=VotingMethod.YES_NO_ABSTAIN,
        options=[Option(key=key) for key in OptionKey],
        max_choices=1,
        quorum_percent=50,
        pass_threshold_percent=50,
        created_at=created,
        updated_at=created,
        **fields,
    )


async def _tasks_and_points(rng: random.Random, deps: Deps, community: Place) -> None:
    for index in range(8):
        created = START - timedelta(days=rng.randrange(1, 60))
        done = rng.random() < 0.6
        approved = created + timedelta(hours=rng.randrange(1, 100)) if done else None
        assignees = rng.sample(VOLUNTEERS, rng.randint(1, 3))
        task = Task(
            board_id=ObjectId(),
            column_id=ObjectId(),
            title=f"任务 {index}",
            community_id=community.id,
            place_path=community.path,
            status=TaskStatus.DONE if done else TaskStatus.IN_PROGRESS,
            point_reward=rng.randrange(0, 50),
            assignees=assignees,
            approved_at=approved,
            created_at=created,
            updated_at=created,
        )
        await boards_repository.insert_task(deps.db, task)
        if approved is not None and task.point_reward:
            await points.award(
                deps.db,
                task_id=task.id,
                community_id=community.id,
                place_path=community.path,
                awards=[(user, task.point_reward) for user in assignees],
                at=approved,
            )


async def _generate(deps: Deps) -> dict[str, Place]:
    rng = random.Random(20261127)
    found = await demo_places(deps)
    generated = await more_communities(deps, found, [("金海社区", "JH"), ("金湖社区", "JHU")])
    # The demo's 金山社区 gets some too (金安社区 keeps only the demo's).
    for community in [*generated, found["金山社区"]]:
        count = rng.randrange(25, 45)
        for index in range(count):
            await reports_repository.insert(deps.db, _report(rng, community, index + 1))
        proposals = [_proposal(rng, community) for _ in range(rng.randrange(3, 7))]
        await deps.db[PROPOSALS].insert_many([p.to_document() for p in proposals])
        await _tasks_and_points(rng, deps, community)
    return found


@pytest.fixture(scope="module")
async def world(mongo_client: Client, settings: Settings) -> AsyncIterator[World]:
    async with world_of(mongo_client, settings, _generate) as world:
        yield world


# --- The independent computation ------------------------------------------------------------


async def _documents(deps: Deps, collection: str, place: Place) -> list[Document]:
    return await deps.db[collection].find({"place_path": place.id}).to_list()


async def expected(
    deps: Deps, place: Place, start: datetime | None = None, end: datetime | None = None
) -> dict[str, Any]:
    """Every figure, computed in Python over the documents read back (the dashboard's
    definitions, written out independently of its pipelines)."""
    now = deps.clock.now()
    reports = await _documents(deps, reports_repository.REPORTS, place)
    created = [r for r in reports if in_period(r["created_at"], start, end)]
    statuses = [ReportStatus(r["status"]) for r in created]
    resolved = [r for r in reports if in_period(r.get("resolved_at"), start, end)]
    hours = sorted((r["resolved_at"] - r["created_at"]).total_seconds() for r in resolved)
    with_due = [r for r in resolved if r.get("due_at") is not None]
    ratings = [
        x["rating"]
        for r in reports
        for x in r.get("ratings", [])
        if in_period(x["rated_at"], start, end)
    ]
    proposals = [
        p
        for p in await _documents(deps, PROPOSALS, place)
        if p["status"] == "CLOSED"
        and p["outcome"] != "CANCELLED"  # a cancelled vote decided nothing
        and in_period(p.get("closed_at"), start, end)
    ]
    turnouts = [p["voted_count"] / p["eligible_count"] for p in proposals if p["eligible_count"]]
    tasks = await _documents(deps, boards_repository.TASKS, place)
    ledger = [
        e
        for e in await _documents(deps, points.COLLECTION, place)
        if in_period(e["at"], start, end)
    ]
    return {
        "reportsTotal": len(created),
        "reportsOpen": sum(s not in CLOSED_STATUSES for s in statuses),
        "reportsOverdue": sum(
            ReportStatus(r["status"]) in DUE_STATUSES
            and r.get("due_at") is not None
            and r["due_at"] < now
            for r in created
        ),
        "reportsByStatus": [{"status": s.value, "count": statuses.count(s)} for s in ReportStatus],
        "reportsByCategory": [
            {"category": c.value, "count": sum(r["category"] == c.value for r in created)}
            for c in ReportCategory
        ],
        # The lower middle duration (the ⌈n/2⌉-th smallest).
        "medianResolutionHours": (round(hours[(len(hours) - 1) // 2] / 3600, 2) if hours else None),
        "onTimeResolutionPercent": percent(
            sum(r["resolved_at"] <= r["due_at"] for r in with_due), len(with_due)
        ),
        "satisfactionPercent": percent(sum(r >= 4 for r in ratings), len(ratings)),
        "proposalsPassed": sum(p["outcome"] == "PASSED" for p in proposals),
        "averageTurnoutPercent": percent(sum(turnouts), len(turnouts)),
        "tasksDone": sum(in_period(t.get("approved_at"), start, end) for t in tasks),
        "activeVolunteers": len({e["user_id"] for e in ledger}),
        "pointsAwarded": sum(e["points"] for e in ledger),
    }


def as_data(stats: PlaceStats) -> dict[str, Any]:
    """The service's answer in the contract's shape (without `place`)."""
    return {
        "reportsTotal": stats.reports_total,
        "reportsOpen": stats.reports_open,
        "reportsOverdue": stats.reports_overdue,
        "reportsByStatus": [
            {"status": s.value, "count": n} for s, n in stats.reports_by_status.items()
        ],
        "reportsByCategory": [
            {"category": c.value, "count": n} for c, n in stats.reports_by_category.items()
        ],
        "medianResolutionHours": stats.median_resolution_hours,
        "onTimeResolutionPercent": stats.on_time_resolution_percent,
        "satisfactionPercent": stats.satisfaction_percent,
        "proposalsPassed": stats.proposals_passed,
        "averageTurnoutPercent": stats.average_turnout_percent,
        "tasksDone": stats.tasks_done,
        "activeVolunteers": stats.active_volunteers,
        "pointsAwarded": stats.points_awarded,
    }


def assert_same(actual: dict[str, Any], wanted: dict[str, Any]) -> None:
    # A mean of fractions may be summed in another order: equal to the last printed decimal.
    for name in ("averageTurnoutPercent",):
        if wanted[name] is not None:
            assert actual[name] == pytest.approx(wanted[name], abs=0.11), name
        else:
            assert actual[name] is None
    rest = {k: v for k, v in actual.items() if k != "averageTurnoutPercent"}
    assert rest == {k: v for k, v in wanted.items() if k in rest}


async def figures_of(world: World, name: str, *period: datetime | None) -> PlaceStats:
    start, end = ((*period, None, None))[:2]
    stats = await service.place_stats(
        world.deps, SYSTEM, place_id=world.places[name].id, start=start, end=end
    )
    assert stats is not None
    return stats


COMMUNITIES = ["金安社区", "金山社区", "金海社区", "金湖社区", "江头社区", "吕岭社区"]
ROLL_UPS = {
    "金山街道": ["金安社区", "金山社区", "金海社区", "金湖社区"],
    "江头街道": ["江头社区", "吕岭社区"],
    "湖里区": COMMUNITIES,
    "厦门市": COMMUNITIES,
}
ADDITIVE = [
    "reportsTotal", "reportsOpen", "reportsOverdue", "proposalsPassed", "tasksDone",
    "pointsAwarded",
]  # fmt: skip


def _global(place: Place) -> str:
    return to_global_id("Place", place.id)


# --- Tests ----------------------------------------------------------------------------------


async def test_the_contract_operation_on_the_demo_community(
    world: World, schema: NeighborSchema
) -> None:
    street = await street_over(schema, world.deps)
    jinan = world.places["金安社区"]
    result = await street.api.execute(
        COMMUNITY_STATS,
        {"placeId": street.jinan},
        token=await street.token(JINAN_WORKER),
        operation_name="CommunityStats",
    )
    assert result.errors is None, result.errors
    assert result.data is not None
    data = result.data["placeStats"]
    assert data.pop("place") == {"id": street.jinan, "name": "金安社区", "level": "COMMUNITY"}
    wanted = await expected(world.deps, jinan)
    assert_same(data, wanted)
    # The demo street (neighbor_api/fixtures/demo.json): 12 reports, one approved task so far.
    assert data["reportsTotal"] == 12
    assert data["tasksDone"] >= 1
    assert data["pointsAwarded"] > 0
    assert data["activeVolunteers"] >= 2
    assert data["satisfactionPercent"] is not None


@pytest.mark.parametrize("name", [*COMMUNITIES, *ROLL_UPS])
async def test_every_figure_equals_the_python_computation(world: World, name: str) -> None:
    place = world.places[name]
    assert_same(as_data(await figures_of(world, name)), await expected(world.deps, place))
    assert_same(
        as_data(await figures_of(world, name, *WINDOW)),
        await expected(world.deps, place, *WINDOW),
    )


@pytest.mark.parametrize("name", list(ROLL_UPS))
async def test_roll_ups_are_sums_over_their_communities(world: World, name: str) -> None:
    whole = as_data(await figures_of(world, name))
    parts = [as_data(await figures_of(world, community)) for community in ROLL_UPS[name]]
    for figure in ADDITIVE:
        assert whole[figure] == sum(part[figure] for part in parts), figure
    for key, listing in (("status", "reportsByStatus"), ("category", "reportsByCategory")):
        for index, row in enumerate(whole[listing]):
            assert row["count"] == sum(part[listing][index]["count"] for part in parts), row[key]
    # The median of the union, not a median of medians; volunteers counted once.
    wanted = await expected(world.deps, world.places[name])
    assert whole["medianResolutionHours"] == wanted["medianResolutionHours"]
    assert whole["activeVolunteers"] <= sum(part["activeVolunteers"] for part in parts)
    assert whole["activeVolunteers"] == wanted["activeVolunteers"]


async def test_the_window_counts_only_its_own_period(world: World) -> None:
    everything = as_data(await figures_of(world, "金山街道"))
    windowed = as_data(await figures_of(world, "金山街道", *WINDOW))
    assert 0 < windowed["reportsTotal"] < everything["reportsTotal"]
    assert 0 < windowed["pointsAwarded"] < everything["pointsAwarded"]
    # [from, to): the halves of a window add up to it.
    middle = WINDOW[0] + (WINDOW[1] - WINDOW[0]) / 2
    first = as_data(await figures_of(world, "金山街道", WINDOW[0], middle))
    second = as_data(await figures_of(world, "金山街道", middle, WINDOW[1]))
    for figure in ADDITIVE:
        assert first[figure] + second[figure] == windowed[figure], figure
    # Only `from`, only `to`.
    since = as_data(await figures_of(world, "金山街道", WINDOW[1]))
    before = as_data(await figures_of(world, "金山街道", None, WINDOW[1]))
    assert since["reportsTotal"] + before["reportsTotal"] == everything["reportsTotal"]
    assert_same(since, await expected(world.deps, world.places["金山街道"], WINDOW[1]))
    assert_same(before, await expected(world.deps, world.places["金山街道"], None, WINDOW[1]))
    # A period with nothing in it: zeros and nulls.
    empty = as_data(await figures_of(world, "金山街道", START + timedelta(days=90)))
    assert empty["reportsTotal"] == 0
    assert empty["pointsAwarded"] == 0
    assert empty["medianResolutionHours"] is None
    assert empty["satisfactionPercent"] is None
    assert empty["averageTurnoutPercent"] is None


def _window_variables(place: Place) -> dict[str, Any]:
    return {
        "placeId": _global(place),
        "from": WINDOW[0].isoformat(),
        "to": WINDOW[1].isoformat(),
    }


async def test_through_the_api_with_a_window(world: World, schema: NeighborSchema) -> None:
    street = await street_over(schema, world.deps)
    district = world.places["湖里区"]
    result = await street.api.execute(
        COMMUNITY_STATS, _window_variables(district), token=await street.token(HULI_ADMIN)
    )
    assert result.errors is None, result.errors
    assert result.data is not None
    data = result.data["placeStats"]
    assert data.pop("place")["level"] == "DISTRICT"
    assert_same(data, await expected(world.deps, district, *WINDOW))


@pytest.mark.parametrize(
    ("phone", "name", "visible"),
    [
        (JINAN_WORKER, "金安社区", True),
        (JINAN_WORKER, "金山社区", False),  # another community's
        (JINAN_WORKER, "金山街道", False),  # the street above: not its staff
        (JINSHAN_WORKER, "金安社区", False),
        (RESIDENT, "金安社区", False),  # a resident of it
        (HULI_ADMIN, "湖里区", True),
        (HULI_ADMIN, "江头社区", True),  # an admin covers every community under the district
        (HULI_ADMIN, "厦门市", False),  # not the city above
    ],
)
async def test_who_may_see_it(
    world: World, schema: NeighborSchema, phone: str, name: str, visible: bool
) -> None:
    street = await street_over(schema, world.deps)
    result = await street.api.execute(
        COMMUNITY_STATS, {"placeId": _global(world.places[name])}, token=await street.token(phone)
    )
    assert result.errors is None, result.errors
    assert result.data is not None
    assert (result.data["placeStats"] is not None) is visible


async def test_signed_out_malformed_and_grid(world: World, schema: NeighborSchema) -> None:
    street = await street_over(schema, world.deps)
    result = await street.api.execute(
        COMMUNITY_STATS, {"placeId": _global(world.places["金安社区"])}
    )
    assert error_codes(result) == ["UNAUTHENTICATED"]
    token = await street.token(JINAN_WORKER)
    # A malformed id, an unknown place (a grid has figures: tests/stats/test_fieldwork.py).
    for place_id in ("nonsense", to_global_id("Place", ObjectId())):
        result = await street.api.execute(COMMUNITY_STATS, {"placeId": place_id}, token=token)
        assert result.errors is None
        assert result.data == {"placeStats": None}


REVERSED = "统计截止时间须晚于开始时间"
NO_OFFSET = "统计时间须带时区偏移，例如 2026-11-01T00:00:00+08:00"


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"from": "2026-11-01T00:00:00+08:00", "to": "2026-11-01T00:00:00+08:00"}, REVERSED),
        ({"from": "2026-11-02T00:00:00+08:00", "to": "2026-11-01T00:00:00+08:00"}, REVERSED),
        ({"from": "2026-11-01T00:00:00"}, NO_OFFSET),
        ({"to": "2026-11-01T00:00:00"}, NO_OFFSET),
    ],
)
async def test_the_period_rules(
    world: World, schema: NeighborSchema, variables: dict[str, str], message: str
) -> None:
    street = await street_over(schema, world.deps)
    result = await street.api.execute(
        COMMUNITY_STATS,
        {"placeId": street.jinan, **variables},
        token=await street.token(JINAN_WORKER),
    )
    assert error_codes(result) == ["INVALID_INPUT"]
    assert result.errors is not None
    assert result.errors[0].message == message


@pytest.mark.skipif(
    "CommunityStats" not in OPERATIONS, reason="console.graphql not in schema/operations yet"
)
async def test_the_contract_document_by_name(world: World, schema: NeighborSchema) -> None:
    street = await street_over(schema, world.deps)
    data = await street.api.data(
        "CommunityStats", {"placeId": street.jinan}, token=await street.token(JINAN_WORKER)
    )
    assert data["placeStats"]["reportsTotal"] == 12
