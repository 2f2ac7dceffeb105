"""What the dashboard tests share: the world they generate over the demo street (its places
found by name, new ones added under 湖里区) and the plain computation's small rules."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

from neighbor_api.core.deps import Deps
from neighbor_api.core.mongo import Client
from neighbor_api.core.policy import SYSTEM
from neighbor_api.places import repository as places_repository
from neighbor_api.places import service as places
from neighbor_api.places.models import Place, PlaceLevel
from neighbor_api.settings import Settings
from tests.reports.street import shared_demo


@dataclass
class World:
    deps: Deps
    places: dict[str, Place]


@asynccontextmanager
async def world_of(
    mongo_client: Client,
    settings: Settings,
    generate: Callable[[Deps], Awaitable[dict[str, Place]]],
) -> AsyncIterator[World]:
    """The demo street, and what `generate` adds to it (the module's fixture)."""
    async with shared_demo(mongo_client, settings) as deps:
        yield World(deps, await generate(deps))


# The demo's places the generated data is added to.
DEMO_PLACES = (
    ("厦门市", PlaceLevel.CITY),
    ("湖里区", PlaceLevel.DISTRICT),
    ("金山街道", PlaceLevel.STREET),
    ("金安社区", PlaceLevel.COMMUNITY),
    ("金山社区", PlaceLevel.COMMUNITY),
    ("金安社区第一网格", PlaceLevel.GRID),
)


async def demo_places(deps: Deps, more: Sequence[tuple[str, PlaceLevel]] = ()) -> dict[str, Place]:
    """DEMO_PLACES and `more` of the demo's places, by name."""
    found: dict[str, Place] = {}
    for name, level in (*DEMO_PLACES, *more):
        place = await places_repository.by_level_and_name(deps.db, level, name)
        assert place is not None
        found[name] = place
    return found


async def add_place(
    deps: Deps, found: dict[str, Place], name: str, level: PlaceLevel, parent: Place, code: str
) -> Place:
    """A new place (through the service), kept in `found` by name."""
    place = await places.create_place(
        deps, SYSTEM, name=name, level=level, parent_id=parent.id, code=code
    )
    found[name] = place
    return place


async def more_communities(
    deps: Deps, found: dict[str, Place], under_jinshan: Sequence[tuple[str, str]]
) -> list[Place]:
    """A second street of 湖里区 (江头街道, with 江头社区 and 吕岭社区), and `under_jinshan`
    (name, code) communities added to 金山街道 before them: the generated communities."""
    jiangtou = await add_place(deps, found, "江头街道", PlaceLevel.STREET, found["湖里区"], "JT")
    jinshan = [
        await add_place(deps, found, name, PlaceLevel.COMMUNITY, found["金山街道"], code)
        for name, code in under_jinshan
    ]
    return [
        *jinshan,
        await add_place(deps, found, "江头社区", PlaceLevel.COMMUNITY, jiangtou, "JTS"),
        await add_place(deps, found, "吕岭社区", PlaceLevel.COMMUNITY, jiangtou, "LL"),
    ]


def in_period(at: datetime | None, start: datetime | None, end: datetime | None) -> bool:
    return at is not None and (start is None or at >= start) and (end is None or at < end)


def percent(part: float, whole: float) -> float | None:
    return round(100 * part / whole, 1) if whole else None
