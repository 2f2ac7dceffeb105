"""The dispatch queues and the wide views plan on indexes: the find each sends, taken off the
wire, is explained by the server and scans an index, never the collection (SecantusDB's
planner: equalities and at most one `$in` or range on an index's leading fields)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from neighbor_api.core.mongo import Client, Document
from neighbor_api.schema import NeighborSchema
from neighbor_api.settings import Settings
from tests.conftest import OPERATIONS, CommandCounter, record_commands
from tests.reports.dispatching import CHENGGUAN, STREET_ADMIN, Dispatching
from tests.reports.support import HULI_ADMIN, JINAN_RESIDENT, shared_street
from tests.reports.test_indexes import index_scanned, winning_plan


@pytest.fixture(scope="module")
async def world(
    mongo_client: Client, schema: NeighborSchema, settings: Settings
) -> AsyncIterator[Dispatching]:
    async with shared_street(mongo_client, schema, settings) as street:
        world = await Dispatching.open(street)
        for title in ("金山路路灯不亮", "金尚路井盖松动"):
            report_id = await world.escalated(title)
            await world.dispatch(report_id, "金山街道城管中队")
        yield world


@pytest.fixture
def sent(
    command_counter: CommandCounter, world: Dispatching, monkeypatch: pytest.MonkeyPatch
) -> list[Document]:
    return record_commands(command_counter, monkeypatch, world.street.deps.db.name)


async def finds(
    world: Dispatching, sent: list[Document], name: str, phone: str, **v: Any
) -> list[Document]:
    sent.clear()
    if name in OPERATIONS:
        result = await world.street.api.op(name, v, token=await world.street.token(phone))
        assert result.errors is None, result.errors
    else:
        await world.run(name, phone, **v)
    found = [c for c in sent if c.get("find") == "reports"]
    assert found, sent
    return found


@pytest.mark.parametrize("order", ["NEWEST", "OLDEST", "MOST_ENDORSED", "DUE_SOONEST"])
async def test_place_reports_scan_a_place_index(
    world: Dispatching, sent: list[Document], order: str
) -> None:
    place = world.street.places["湖里区"]
    # PlaceReports has no orderBy in the contract's document: the resolver's own argument.
    document = """query($placeId: ID!, $order: ReportOrder) {
      placeReports(placeId: $placeId, orderBy: $order, first: 5) { totalCount }
    }"""
    sent.clear()
    result = await world.street.api.execute(
        document, {"placeId": place, "order": order}, token=await world.street.token(HULI_ADMIN)
    )
    assert result.errors is None, result.errors
    (find,) = [c for c in sent if c.get("find") == "reports"]
    scanned = index_scanned(await winning_plan(world.street.deps, find)) or ""
    assert scanned.startswith(("place_", "stats_")), scanned


async def test_place_reports_by_status(world: Dispatching, sent: list[Document]) -> None:
    (find,) = await finds(
        world, sent, "PlaceReports", STREET_ADMIN, placeId=world.street.places["金山街道"],
        filter={"status": ["ACCEPTED", "SUBMITTED"]}, first=5,
    )  # fmt: skip
    assert index_scanned(await winning_plan(world.street.deps, find)) is not None


async def test_the_unit_queue_scans_the_unit_index(
    world: Dispatching, sent: list[Document]
) -> None:
    unit = world.units["金山街道城管中队"]
    (find,) = await finds(world, sent, "UnitQueue", CHENGGUAN, unitId=unit, first=5)
    assert index_scanned(await winning_plan(world.street.deps, find)) == "unit_status_newest"


async def test_the_street_queue_scans_an_escalation_index(
    world: Dispatching, sent: list[Document]
) -> None:
    place = world.street.places["金山街道"]
    (find,) = await finds(world, sent, "EscalationQueue", STREET_ADMIN, placeId=place, first=5)
    assert index_scanned(await winning_plan(world.street.deps, find)) == "escalated_held"


@pytest.mark.parametrize("phone", [HULI_ADMIN, JINAN_RESIDENT])
async def test_the_map_scans_an_index(world: Dispatching, sent: list[Document], phone: str) -> None:
    box = {"southWest": {"lat": 24.49, "lng": 118.17}, "northEast": {"lat": 24.52, "lng": 118.20}}
    (find,) = await finds(world, sent, "ReportsInArea", phone, box=box, first=20)
    assert index_scanned(await winning_plan(world.street.deps, find)) is not None
