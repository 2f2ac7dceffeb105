"""Round trips of the fieldwork documents this branch serves (units, dispatch, the wide
views), measured as tests/graphql/test_budgets.py measures the contract's: the database
commands one request sends, authentication included. The budgets move to that table when
fieldwork.graphql joins schema/operations/."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from neighbor_api.core.mongo import Client
from neighbor_api.schema import NeighborSchema
from neighbor_api.settings import Settings
from tests.conftest import CommandCounter
from tests.reports.dispatching import CHENGGUAN, OUTSIDER, STREET_ADMIN, Dispatching
from tests.reports.support import HULI_ADMIN, shared_street

# Operation -> the most commands one request may send.
BUDGETS = {
    "Units": 2,
    "CreateUnit": 2,
    "AddUnitMember": 6,
    "DispatchReport": 5,
    "ReturnReport": 4,
    "UnitQueue": 3,
    "PlaceReports": 2,
    "ReportsInArea": 2,
}


@pytest.fixture(scope="module")
async def world(
    mongo_client: Client, schema: NeighborSchema, settings: Settings
) -> AsyncIterator[Dispatching]:
    async with shared_street(mongo_client, schema, settings) as street:
        yield await Dispatching.open(street)


Case = tuple[str, dict[str, Any]]
AROUND_JINSHAN = {
    "southWest": {"lat": 24.49, "lng": 118.17},
    "northEast": {"lat": 24.52, "lng": 118.20},
}


async def _dispatch(world: Dispatching) -> Case:
    report_id = await world.escalated("金山路占道施工未围挡")
    unit = world.units["金山街道城管中队"]
    return STREET_ADMIN, {"input": {"reportId": report_id, "unitId": unit, "note": "请核查"}}


async def _return(world: Dispatching) -> Case:
    report_id = await world.escalated("金山路人行道违停")
    await world.dispatch(report_id, "金山街道城管中队")
    return CHENGGUAN, {"input": {"reportId": report_id, "reason": "不属于城管职责"}}


async def _add_member(world: Dispatching) -> Case:
    user = await world.street.user_id(OUTSIDER)
    return STREET_ADMIN, {"input": {"unitId": world.units["金山街道市政所"], "userId": user}}


SETUP: dict[str, Callable[[Dispatching], Awaitable[Case]]] = {
    "Units": lambda w: _case(STREET_ADMIN, placeId=w.street.places["金山街道"]),
    "CreateUnit": lambda w: _case(
        HULI_ADMIN, input={"placeId": w.street.places["湖里区"], "name": "湖里区城管执法局"}
    ),
    "AddUnitMember": _add_member,
    "DispatchReport": _dispatch,
    "ReturnReport": _return,
    "UnitQueue": lambda w: _case(CHENGGUAN, unitId=w.units["金山街道城管中队"], first=20),
    "PlaceReports": lambda w: _case(HULI_ADMIN, placeId=w.street.places["湖里区"], first=20),
    "ReportsInArea": lambda w: _case(HULI_ADMIN, first=50, box=AROUND_JINSHAN),
}


async def _case(phone: str, **variables: Any) -> Case:
    return phone, variables


@pytest.mark.parametrize("name", sorted(BUDGETS))
async def test_within_budget(
    name: str, world: Dispatching, command_counter: CommandCounter
) -> None:
    phone, variables = await SETUP[name](world)
    await world.street.token(phone)  # signed in before, as test_budgets' cases are
    database = world.street.deps.db.name
    before = command_counter.counts.get(database, 0)
    result = await world.execute(name, phone, **variables)
    sent = command_counter.counts.get(database, 0) - before
    assert result.errors is None, result.errors
    assert result.data is not None
    payload = next(iter(result.data.values()))
    assert payload is not None
    assert not isinstance(payload, dict) or payload.get("errors", []) == [], payload
    assert sent <= BUDGETS[name], sent
