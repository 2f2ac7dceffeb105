"""Queries of the place hierarchy."""

from __future__ import annotations

import strawberry

from neighbor_api.context import Info
from neighbor_api.core.errors import DomainError, ErrorCode
from neighbor_api.graphql.relay import Connection, from_global_id
from neighbor_api.places import service
from neighbor_api.places.models import PlaceLevel
from neighbor_api.places.types import GeoPointInput, PlaceType


async def _place(info: Info, id: strawberry.ID) -> PlaceType | None:
    object_id = from_global_id(id, "Place")
    return await PlaceType.load(info, object_id) if object_id else None


@strawberry.type
class PlaceQuery:
    @strawberry.field(description="Any place of the hierarchy by id.")
    async def place(self, info: Info, id: strawberry.ID) -> PlaceType | None:
        return await _place(info, id)

    @strawberry.field(description="A community by id (null if the id is not a community's).")
    async def community(self, info: Info, id: strawberry.ID) -> PlaceType | None:
        place = await _place(info, id)
        return place if place and place.level is PlaceLevel.COMMUNITY else None

    @strawberry.field(
        description="Communities, nearest first when `near` is given (with `distanceMeters`), "
        "else by name."
    )
    async def communities(
        self,
        info: Info,
        near: GeoPointInput | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[PlaceType]:
        point = near.to_model() if near else None
        if near is not None and point is None:
            raise DomainError.of(ErrorCode.INVALID_INPUT, field=("near",))
        page = await service.communities(info.context.deps, near=point, first=first, after=after)
        return Connection.of(page.map(lambda item: PlaceType.from_model(*item)))
