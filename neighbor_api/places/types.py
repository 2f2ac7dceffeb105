"""GraphQL types of the place hierarchy."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry
from bson import ObjectId
from strawberry import relay

from neighbor_api.context import Info
from neighbor_api.graphql.enums import graphql_enum
from neighbor_api.graphql.relay import node_type
from neighbor_api.graphql.sync import MaybeAwaitable, loaded, then
from neighbor_api.places import service
from neighbor_api.places.models import GeoPoint, Place, PlaceLevel

if TYPE_CHECKING:
    from neighbor_api.accounts.types import UserType
    from neighbor_api.boards.types import BoardType
    from neighbor_api.councils.types import CouncilType

graphql_enum(
    PlaceLevel,
    "Where a place sits: city > district > street > ...",
    {
        PlaceLevel.CITY: "A city (市), the top of the hierarchy.",
        PlaceLevel.DISTRICT: "A district (区) of a city.",
        PlaceLevel.STREET: "A street or sub-district (街道) of a district.",
        PlaceLevel.COMMUNITY: "A community (社区): where residents, councils and boards belong.",
        PlaceLevel.GRID: "A grid (网格) of a community, served by its grid worker.",
        PlaceLevel.BUILDING: "A residential building (楼栋) of a grid: the standard address "
        "(一标三实) where households live.",
    },
)


@strawberry.type(name="GeoPoint", description="A WGS-84 point.")
class GeoPointType:
    lat: float = strawberry.field(description="Latitude in degrees.")
    lng: float = strawberry.field(description="Longitude in degrees.")

    @classmethod
    def from_model(cls, point: GeoPoint) -> GeoPointType:
        return cls(lat=point.lat, lng=point.lng)


@strawberry.input(description="A WGS-84 point.")
class GeoPointInput:
    lat: float = strawberry.field(description="Latitude in degrees, -90 to 90.")
    lng: float = strawberry.field(description="Longitude in degrees, -180 to 180.")

    def to_model(self) -> GeoPoint | None:
        """The point, or None if it is off the globe."""
        if not (-90 <= self.lat <= 90 and -180 <= self.lng <= 180):
            return None
        return GeoPoint.at(lat=self.lat, lng=self.lng)


@node_type
@strawberry.type(
    name="Place", description="A city, district, street (jiedao), community (shequ) or grid."
)
class PlaceType(relay.Node):
    id: relay.NodeID[str]
    name: str = strawberry.field(description="The place's name, e.g. 金安社区.")
    level: PlaceLevel = strawberry.field(description="The place's level.")
    location: GeoPointType | None = strawberry.field(
        description="Where the place is (communities have one)."
    )
    distance_meters: float | None = strawberry.field(
        default=None, description="Distance from the point asked about, in `communities(near:)`."
    )
    model: strawberry.Private[Place]

    @classmethod
    def from_model(cls, place: Place, distance_meters: float | None = None) -> PlaceType:
        return cls(
            id=str(place.id),
            name=place.name,
            level=place.level,
            location=GeoPointType.from_model(place.location) if place.location else None,
            distance_meters=round(distance_meters, 1) if distance_meters is not None else None,
            model=place,
        )

    @classmethod
    async def load(cls, info: Info, object_id: ObjectId) -> PlaceType | None:
        place = await info.context.loaders.place.load(object_id)
        return cls.from_model(place) if place else None

    @classmethod
    def load_now(cls, info: Info, object_id: ObjectId) -> MaybeAwaitable[PlaceType | None]:
        """`load`, at once for a place this process has read (places never change)."""
        known = service.known_place(info.context.deps, object_id)
        if known is not None:
            return cls.from_model(known)
        return then(
            loaded(info.context.loaders.place, object_id),
            lambda place: cls.from_model(place) if place else None,
        )

    async def _ancestor(self, info: Info, level: PlaceLevel) -> PlaceType | None:
        ancestor_id = self.model.ancestor_at(level)
        return await PlaceType.load(info, ancestor_id) if ancestor_id else None

    @strawberry.field(
        description="The area it covers (communities and grids; null where none is known): "
        "one closed ring of points, the first repeated last, for drawing it on a map."
    )
    def boundary(self) -> list[GeoPointType] | None:
        polygon = self.model.boundary
        if polygon is None:
            return None
        return [GeoPointType(lat=lat, lng=lng) for lng, lat in polygon.outer]

    @strawberry.field(description="The place this one is part of.")
    async def parent(self, info: Info) -> PlaceType | None:
        parent_id = self.model.parent_id
        return await PlaceType.load(info, parent_id) if parent_id else None

    async def _children(self, info: Info) -> list[PlaceType]:
        return [
            PlaceType.from_model(p) for p in await info.context.loaders.children.load(self.model.id)
        ]

    @strawberry.field(description="The places directly under this one, by name.")
    async def children(self, info: Info) -> list[PlaceType]:
        return await self._children(info)

    @strawberry.field(description="The city this place is in (or is).")
    async def city(self, info: Info) -> PlaceType | None:
        return await self._ancestor(info, PlaceLevel.CITY)

    @strawberry.field(description="The district this place is in (or is).")
    async def district(self, info: Info) -> PlaceType | None:
        return await self._ancestor(info, PlaceLevel.DISTRICT)

    @strawberry.field(description="The street (jiedao) this place is in (or is).")
    async def street(self, info: Info) -> PlaceType | None:
        return await self._ancestor(info, PlaceLevel.STREET)

    @strawberry.field(description="The community this place is in (or is).")
    async def community(self, info: Info) -> PlaceType | None:
        return await self._ancestor(info, PlaceLevel.COMMUNITY)

    @strawberry.field(description="A community's grids (wangge), by name.")
    async def grids(self, info: Info) -> list[PlaceType]:
        if self.model.level is not PlaceLevel.COMMUNITY:
            return []
        return await self._children(info)

    @strawberry.field(description="A community's councils, by name (for its members).")
    async def councils(
        self, info: Info
    ) -> list[Annotated[CouncilType, strawberry.lazy("neighbor_api.councils.types")]]:
        from neighbor_api.councils.service import can_see
        from neighbor_api.councils.types import CouncilType

        actor = await info.context.actor()
        councils = await info.context.loaders.councils.of_community.load(self.model.id)
        return [CouncilType.from_model(c) for c in councils if can_see(actor, c)]

    @strawberry.field(description="A community's task boards (for its members; else empty).")
    async def boards(
        self, info: Info
    ) -> list[Annotated[BoardType, strawberry.lazy("neighbor_api.boards.types")]]:
        from neighbor_api.boards.service import can_see
        from neighbor_api.boards.types import BoardType

        if not can_see(await info.context.actor(), self.model.path):
            return []
        found = await info.context.loaders.boards_of_community.load(self.model.id)
        return [BoardType.from_model(b) for b in found]

    @strawberry.field(description="A grid's grid workers (网格员).")
    async def workers(
        self, info: Info
    ) -> list[Annotated[UserType, strawberry.lazy("neighbor_api.accounts.types")]]:
        from neighbor_api.accounts.types import UserType

        memberships = await info.context.loaders.grid_workers.load(self.model.id)
        users = await info.context.loaders.user.load_many([m.user_id for m in memberships])
        return [UserType.from_model(user) for user in users if user is not None]
