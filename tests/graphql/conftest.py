"""Helpers for the GraphQL platform tests: what reaches the database, and a bigger street."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

import pytest
from bson import ObjectId
from graphql import DocumentNode, GraphQLError
from pymongo import monitoring

import neighbor_api.graphql.documents as documents_module
from neighbor_api.accounts import service as accounts
from neighbor_api.core.deps import Deps
from neighbor_api.core.policy import SYSTEM, Role
from neighbor_api.memberships import service as memberships
from neighbor_api.places import service as places
from neighbor_api.places.models import Place, PlaceLevel
from neighbor_api.places.repository import by_level_and_name
from tests.conftest import CommandCounter


@dataclass
class Commands:
    """How many commands this test's database has received so far."""

    counter: CommandCounter
    database: str

    @property
    def count(self) -> int:
        return self.counter.counts.get(self.database, 0)


@pytest.fixture
def commands(command_counter: CommandCounter, deps: Deps) -> Commands:
    return Commands(command_counter, deps.db.name)


@pytest.fixture
def sent_commands(
    command_counter: CommandCounter, deps: Deps, monkeypatch: pytest.MonkeyPatch
) -> list[dict[str, Any]]:
    """The commands sent to this test's database from now on, as they were sent."""
    sent: list[dict[str, Any]] = []
    count = command_counter.started

    def started(event: monitoring.CommandStartedEvent) -> None:
        count(event)
        if event.database_name == deps.db.name:
            sent.append(dict(event.command))

    monkeypatch.setattr(command_counter, "started", started)
    return sent


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> list[DocumentNode]:
    """The documents validated from now on (the validation itself still runs)."""
    validated: list[DocumentNode] = []
    validate = documents_module.validate_document

    def counting(schema: Any, document: DocumentNode, rules: Any) -> list[GraphQLError]:
        validated.append(document)
        return validate(schema, document, rules)

    monkeypatch.setattr(documents_module, "validate_document", counting)
    return validated


def cursor_of(value: Any) -> str:
    """What a client forging a cursor would send: url-safe base64 of some JSON."""
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


async def place_named(deps: Deps, level: PlaceLevel, name: str) -> Place:
    place = await by_level_and_name(deps.db, level, name)
    assert place is not None, name
    return place


async def add_communities(
    deps: Deps, parent_id: ObjectId, count: int, *, prefix: str = "阳光社区"
) -> list[tuple[Place, Place]]:
    """`count` communities under a street, each with one grid: (community, grid) pairs. Their
    names sort after the demo's 金安社区 and 金山社区."""
    created = []
    for index in range(count):
        name = f"{prefix}{index:03}"
        community = await places.create_place(
            deps, SYSTEM, name=name, level=PlaceLevel.COMMUNITY, parent_id=parent_id
        )
        grid = await places.create_place(
            deps, SYSTEM, name=f"{name}网格", level=PlaceLevel.GRID, parent_id=community.id
        )
        created.append((community, grid))
    return created


async def appoint_grid_worker(deps: Deps, community: Place, grid: Place, phone: str) -> None:
    """A new account, made grid worker of `grid`."""
    signed_in = await accounts.register(
        deps, phone=phone, password="grid-worker-pass", display_name=f"网格员{phone[-4:]}"
    )
    await memberships.appoint(
        deps,
        SYSTEM,
        user_id=signed_in.user.id,
        place_id=community.id,
        roles=[Role.GRID_WORKER],
        grid_id=grid.id,
    )
