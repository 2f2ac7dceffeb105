"""The place hierarchy: reading it (public) and building it (the system or an admin above)."""

from __future__ import annotations

from collections.abc import Sequence

from bson import ObjectId

from neighbor_api.core.deps import Deps
from neighbor_api.core.errors import DomainError, ErrorCode
from neighbor_api.core.pagination import Page, offset_edges, offset_of, page_size
from neighbor_api.core.policy import Actor, ensure, is_system
from neighbor_api.core.validation import Checks
from neighbor_api.places import geometry, repository
from neighbor_api.places.models import CHILD_LEVEL, GeoPoint, GeoPolygon, Place, PlaceLevel

MAX_NAME_LENGTH = 60
# How far outside its community's boundary a report's point may lie (a pin dropped across the
# road, GPS drift) and still be the community's.
BOUNDARY_TOLERANCE_METERS = 200


# A place is never changed or deleted once created (the repository has no such query), so
# each process keeps the places it has read: after the first reads the hierarchy costs no
# round trip (a city has a few thousand places). Keyed by database; a data migration that
# rewrites places runs at start-up, before the process reads any.
_KNOWN: dict[tuple[str, ObjectId], Place] = {}
_KNOWN_MAX = 50_000


async def get_place(deps: Deps, place_id: ObjectId) -> Place | None:
    """Places are public: anyone may see the hierarchy."""
    return (await places_by_ids(deps, [place_id])).get(place_id)


async def get_place_or_raise(
    deps: Deps, place_id: ObjectId, *, level: PlaceLevel | None = None, field: tuple[str, ...]
) -> Place:
    place = await get_place(deps, place_id)
    if place is None or (level is not None and place.level is not level):
        message = "community.not_found" if level is PlaceLevel.COMMUNITY else "NOT_FOUND"
        raise DomainError.of(ErrorCode.NOT_FOUND, message, field=field)
    return place


async def create_place(
    deps: Deps,
    actor: Actor,
    *,
    name: str,
    level: PlaceLevel,
    parent_id: ObjectId | None = None,
    location: GeoPoint | None = None,
    code: str | None = None,
    boundary: GeoPolygon | None = None,
) -> Place:
    """Add a place under `parent_id` (a city has none). Only the system or an admin above.
    A `boundary` that is not closed or crosses itself is refused."""
    checks = Checks(prefix=())
    name = checks.text(name, "name", max_length=MAX_NAME_LENGTH)
    if boundary is not None:
        try:
            geometry.check_ring(boundary.outer)
        except geometry.BoundaryError as error:
            checks.fail("boundary", error.key, name=name)
    checks.done()
    parent = None
    if parent_id is not None:
        parent = await get_place_or_raise(deps, parent_id, field=("parentId",))
    ensure(
        is_system(actor) or (parent is not None and actor.is_staff(parent.path)),
        "place.create_forbidden",
    )
    if CHILD_LEVEL[parent.level if parent else None] is not level:
        raise DomainError.of(ErrorCode.INVALID_INPUT, field=("level",))
    place_id = ObjectId()
    place = Place(
        _id=place_id,
        name=name,
        level=level,
        parent_id=parent.id if parent else None,
        path=[*(parent.path if parent else []), place_id],
        location=location,
        code=code,
        boundary=boundary,
    )
    await repository.insert(deps.db, place)
    return place


async def communities(
    deps: Deps, *, near: GeoPoint | None, first: int | None, after: str | None
) -> Page[tuple[Place, float | None]]:
    """Communities nearest first when `near` is given, else by name."""
    if near is None:
        page = await repository.communities_by_name(deps.db, first=first, after=after)
        return page.map(lambda place: (place, None))
    limit, start = page_size(first), offset_of(after)
    found = await repository.nearest_communities(deps.db, near, skip=start, limit=limit + 1)

    async def count() -> int:
        return await repository.count_level(deps.db, PlaceLevel.COMMUNITY)

    items: list[tuple[Place, float | None]] = [(p, d) for p, d in found[:limit]]
    return Page(offset_edges(items, start), len(found) > limit, count)


def known_place(deps: Deps, place_id: ObjectId) -> Place | None:
    """The place of `place_id` if this process has read it (None: not read yet, or none)."""
    return _KNOWN.get((deps.db.name, place_id))


async def places_by_ids(deps: Deps, ids: Sequence[ObjectId]) -> dict[ObjectId, Place]:
    """The places of `ids` that exist: from this process's copy, the rest in one query."""
    database = deps.db.name
    found = {i: p for i in dict.fromkeys(ids) if (p := _KNOWN.get((database, i))) is not None}
    missing = [i for i in dict.fromkeys(ids) if i not in found]
    if missing:
        if len(_KNOWN) >= _KNOWN_MAX:
            _KNOWN.clear()
        for place in await repository.by_ids(deps.db, missing):
            _KNOWN[(database, place.id)] = found[place.id] = place
    return found


async def under(deps: Deps, place: Place, level: PlaceLevel) -> list[Place]:
    """The places at `level` under `place` (itself if it is at that level; none if it is
    below), with every place between: one query per level between (a district's
    communities: two). Kept like every place read."""
    found = [place]
    between: list[Place] = []
    levels = list(PlaceLevel)
    while found and levels.index(found[0].level) < levels.index(level):
        between += found
        found = await repository.children_of(deps.db, [p.id for p in found])
        for child in found:
            _KNOWN[(deps.db.name, child.id)] = child
    at_level = [p for p in found if p.level is level]
    return [*between, *at_level]


async def nearest_community(deps: Deps, near: GeoPoint) -> tuple[Place, float] | None:
    """The community whose centre is nearest `near`, and its distance in metres (places have
    centres, not boundaries)."""
    found = await repository.nearest_communities(deps.db, near, skip=0, limit=1)
    return found[0] if found else None


async def children(deps: Deps, parent_id: ObjectId) -> list[Place]:
    """The places directly under a place (by name), kept by this process like every place."""
    found = sorted(await repository.children_of(deps.db, [parent_id]), key=lambda p: p.name)
    for place in found:
        _KNOWN[(deps.db.name, place.id)] = place
    return found


def outside_meters(community: Place, point: GeoPoint) -> float:
    """How far `point` lies outside the community's boundary (0 inside, or with no boundary)."""
    if community.boundary is None:
        return 0.0
    return geometry.distance_meters(community.boundary.outer, point.coordinates)


async def grid_at(deps: Deps, community: Place, point: GeoPoint) -> Place | None:
    """The community's grid holding `point` (its boundary, edges included). On a boundary two
    grids share, the first by name then id: always the same one. A point just outside every
    grid (within the community's tolerance) goes to the grid nearest it; a community whose
    grids have no boundaries routes nothing. One indexed read of the community's few grids,
    checked here (`geometry`: exact at a grid's size); SecantusDB's `$geoIntersects` took
    about 110 ms per point over the 1,500 grids of the generated city."""
    bounded = [
        (geometry.distance_meters(g.boundary.outer, point.coordinates), g.name, g.id, g)
        for g in await repository.children_of(deps.db, [community.id])
        if g.boundary is not None
    ]
    return min(bounded, key=lambda t: t[:3])[3] if bounded else None
