"""The benchmark's data generator, at a tiny scale: what it writes loads through the app."""

from __future__ import annotations

import pytest

from bench import mix, sink
from bench.explain import explain_mix, table
from bench.generate import PASSWORD, City, Scale, generate, load_city, password_hash_for
from bench.people import GRID_WORKERS, WORKER, phone_of
from neighbor_api.core.deps import Deps
from neighbor_api.core.embedded import EmbeddedMongo
from neighbor_api.graphql.relay import to_global_id
from tests.conftest import Api

TINY = Scale(communities=2, users=60, reports=50)


async def test_tiny_city_loads_through_the_app(
    api: Api, deps: Deps, mongo_server: EmbeddedMongo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One generation, checked four ways (dropping a database is the slow part here). Every
    document of the tiny city is checked against its model (a large city checks one in
    `SAMPLE_EVERY`: a stage seen only there once failed a 1M run after 15 minutes)."""
    monkeypatch.setattr(sink, "SAMPLE_EVERY", 1)
    city = await generate(deps.db, TINY, password_hash=password_hash_for(deps.settings), batch=7)
    await _counts(city, deps)
    assert await load_city(deps.db) == city.communities  # what `scripts/bench --reuse` reads
    await _staff_see_every_report(city, api)
    await _a_resident_reads_and_votes(city, api, deps)
    await _every_read_of_the_mix_explained(city, api, deps, mongo_server.uri)


async def _counts(city: City, deps: Deps) -> None:
    assert city.counts["places"] == 1 + 6 + 37 + 2 + sum(len(c.grids) for c in city.communities)
    assert await deps.db["reports"].count_documents({}) == 50
    assert await deps.db["users"].count_documents({}) == 60
    # Each volunteer's account holds their ledger's sum, and each entry its running balance.
    sums: dict[object, int] = {}
    async for entry in deps.db["points_ledger"].find({}, sort=[("user_id", 1), ("at", 1)]):
        sums[entry["user_id"]] = sums.get(entry["user_id"], 0) + entry["points"]
        assert entry["balance"] == sums[entry["user_id"]]
    accounts = {a["_id"]: a["balance"] async for a in deps.db["point_accounts"].find()}
    assert sums
    assert accounts == sums
    # Each voting or closed proposal's tally shards add up to its roll.
    for proposal in await deps.db["proposals"].find({"status": "CLOSED"}).to_list():
        assert proposal["voted_count"] == await deps.db["participations"].count_documents(
            {"proposal_id": proposal["_id"]}
        )


async def _staff_see_every_report(city: City, api: Api) -> None:
    community = city.communities[0]
    token = await api.login(phone_of(0), PASSWORD)  # the first community's worker
    place = to_global_id("Place", community.id)
    data = await api.data("Reports", {"communityId": place, "first": 100}, token=token)
    assert data["reports"]["totalCount"] == 25
    report_id = data["reports"]["edges"][0]["node"]["id"]
    detail = await api.data("ReportDetail", {"id": report_id, "commentsFirst": 20}, token=token)
    assert detail["report"]["id"] == report_id


async def _a_resident_reads_and_votes(city: City, api: Api, deps: Deps) -> None:
    community = city.communities[1]
    per_community = len(community.users)
    token = await api.login(phone_of(per_community + 3), PASSWORD)  # a resident, not yet voted
    viewer = await api.data("Viewer", token=token)
    assert viewer["viewer"]["memberships"][0]["community"]["id"] == to_global_id(
        "Place", community.id
    )
    board = await deps.db["boards"].find_one({"community_id": community.id})
    assert board is not None
    data = await api.data("Board", {"id": to_global_id("Board", board["_id"]),
                                    "tasksFirst": 20}, token=token)  # fmt: skip
    assert sum(c["tasks"]["totalCount"] for c in data["board"]["columns"]) == 24
    proposal = await deps.db["proposals"].find_one(
        {"community_id": community.id, "status": "VOTING"}
    )
    assert proposal is not None
    proposal_id = to_global_id("Proposal", proposal["_id"])
    detail = await api.data("ProposalDetail", {"id": proposal_id}, token=token)
    voted_before = detail["proposal"]["turnout"]["voted"]
    option = detail["proposal"]["options"][0]["id"]
    cast = await api.data(
        "CastVote", {"input": {"proposalId": proposal_id, "optionIds": [option]}}, token=token
    )
    assert cast["castVote"]["errors"] == [], cast
    assert cast["castVote"]["proposal"]["turnout"]["voted"] == voted_before + 1

    # A report where the mix submits it is routed to one of the community's grids (their
    # boundaries split its field), as in a real community.
    submitted = await api.data("SubmitReport", {"input": {
        "communityId": to_global_id("Place", community.id), "category": "ENVIRONMENT",
        "title": "楼下垃圾桶满溢", "description": "垃圾桶已经满了两天，气味很大。",
        "location": {"lat": community.lat + 0.001, "lng": community.lng},
    }}, token=token)  # fmt: skip
    assert submitted["submitReport"]["errors"] == [], submitted
    report_id = submitted["submitReport"]["report"]["id"]
    detail = await api.data("ReportDetail", {"id": report_id, "commentsFirst": 1}, token=token)
    grids = {to_global_id("Place", g) for g in community.grids}
    assert detail["report"]["grid"]["id"] in grids, detail


async def _every_read_of_the_mix_explained(city: City, api: Api, deps: Deps, uri: str) -> None:
    """bench/explain.py runs the mix in-process and explains what it reads: on the tiny city
    every operation reads something and none scans a collection."""
    community = city.communities[0]
    place = to_global_id("Place", community.id)
    staff = [mix.Viewer(await api.login(phone_of(WORKER), PASSWORD), community, place)]
    first = GRID_WORKERS[-1] + 1
    residents = [mix.Viewer(await api.login(phone_of(first + i), PASSWORD), community, place)
                 for i in range(2)]  # fmt: skip
    for viewer in staff:
        await mix.with_objects(deps.db, viewer, resident=False)
    for viewer in residents:
        await mix.with_objects(deps.db, viewer, resident=True)
    cases = mix.api_cases("in-process", staff, residents)
    plans = await explain_mix(deps.settings, uri, deps.db.name, cases, clock=deps.clock)
    assert [p.operation for p in plans] == [c.name for c in cases]
    reading = [p for p in plans if p.operation != "{ viewer { id } }"]
    assert all(p.reads > 0 for p in reading), plans
    assert [p.scans for p in plans if p.scans] == [], plans
    assert "| Reports (resident) |" in "\n".join(table(plans))
