"""Whom a community worker may assign to: `memberships(status: ACTIVE, role: …)`, the console's
AssignableStaff. Its community's staff only; each role's page is one find that the server plans on
`place_role_status_created` (equalities on its leading fields), never a collection scan."""

from __future__ import annotations

from typing import Any

import pytest

from neighbor_api.core.deps import Deps
from neighbor_api.core.mongo import Document
from tests.conftest import Api, CommandCounter, record_commands
from tests.places.support import (
    HULI_ADMIN,
    JINAN_RESIDENT,
    JINAN_WORKER,
    JINSHAN_WORKER,
    DemoPlaces,
)
from tests.reports.test_indexes import index_scanned, winning_plan


@pytest.fixture
def sent(
    command_counter: CommandCounter, demo: Deps, monkeypatch: pytest.MonkeyPatch
) -> list[Document]:
    return record_commands(command_counter, monkeypatch, demo.db.name)


def people(page: dict[str, Any] | None) -> list[tuple[str, list[str]]]:
    assert page is not None
    return [(e["node"]["user"]["displayName"], e["node"]["roles"]) for e in page["edges"]]


async def test_a_community_worker_lists_the_workers_and_grid_workers(
    api: Api, places: DemoPlaces
) -> None:
    token = await api.login(JINAN_WORKER)
    data = await api.data("AssignableStaff", {"communityId": places["金安社区"]}, token=token)
    assert people(data["workers"]) == [("林美华", ["COMMUNITY_WORKER"])]
    assert people(data["gridWorkers"]) == [("陈志强", ["GRID_WORKER"])]
    (grid_worker,) = data["gridWorkers"]["edges"]
    assert grid_worker["node"]["grid"]["name"] == "金安社区第一网格"


async def test_an_admin_above_sees_them_and_no_one_else_does(api: Api, places: DemoPlaces) -> None:
    variables = {"communityId": places["金安社区"]}
    admin = await api.data("AssignableStaff", variables, token=await api.login(HULI_ADMIN))
    assert people(admin["gridWorkers"]) == [("陈志强", ["GRID_WORKER"])]
    for phone in (JINAN_RESIDENT, JINSHAN_WORKER):
        data = await api.data("AssignableStaff", variables, token=await api.login(phone))
        assert data == {"workers": None, "gridWorkers": None}, phone


async def test_each_roles_page_scans_the_place_role_index(
    api: Api, places: DemoPlaces, demo: Deps, sent: list[Document]
) -> None:
    token = await api.login(JINAN_WORKER)
    sent.clear()
    await api.data("AssignableStaff", {"communityId": places["金安社区"]}, token=token)
    finds = [c for c in sent if c.get("find") == "memberships"]
    assert len(finds) == 2, sent  # one a role
    for find in finds:
        assert "roles" in find["filter"], find
        stages = await winning_plan(demo, find)
        assert index_scanned(stages) == "place_role_status_created", stages
