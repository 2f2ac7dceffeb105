"""Places: city > district > street (jiedao) > community (shequ) > grid (wangge)."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from bson import ObjectId
from pydantic import BaseModel, ConfigDict, Field

from neighbor_api.core.models import StoredModel


class PlaceLevel(StrEnum):
    CITY = "CITY"
    DISTRICT = "DISTRICT"
    STREET = "STREET"
    COMMUNITY = "COMMUNITY"
    GRID = "GRID"
    # A residential building under a grid (一标三实's standard address): where households live.
    BUILDING = "BUILDING"


# Which level may sit directly under which.
CHILD_LEVEL: dict[PlaceLevel | None, PlaceLevel] = {
    None: PlaceLevel.CITY,
    PlaceLevel.CITY: PlaceLevel.DISTRICT,
    PlaceLevel.DISTRICT: PlaceLevel.STREET,
    PlaceLevel.STREET: PlaceLevel.COMMUNITY,
    PlaceLevel.COMMUNITY: PlaceLevel.GRID,
    PlaceLevel.GRID: PlaceLevel.BUILDING,
}


class GeoPoint(BaseModel):
    """A WGS-84 point, stored as GeoJSON (longitude first) for the 2dsphere index."""

    model_config = ConfigDict(frozen=True)

    type: Literal["Point"] = "Point"
    coordinates: tuple[float, float]

    @classmethod
    def at(cls, *, lat: float, lng: float) -> GeoPoint:
        return cls(coordinates=(lng, lat))

    @property
    def lat(self) -> float:
        return self.coordinates[1]

    @property
    def lng(self) -> float:
        return self.coordinates[0]


class GeoPolygon(BaseModel):
    """A boundary: one closed ring of WGS-84 points, stored as GeoJSON (longitude first) for
    the 2dsphere index. Checked when made (`places.geometry.check_ring`)."""

    model_config = ConfigDict(frozen=True)

    type: Literal["Polygon"] = "Polygon"
    coordinates: tuple[tuple[tuple[float, float], ...], ...]

    @classmethod
    def ring(cls, points: list[tuple[float, float]]) -> GeoPolygon:
        """From (lng, lat) points, the first repeated last."""
        return cls(coordinates=(tuple(points),))

    @property
    def outer(self) -> tuple[tuple[float, float], ...]:
        return self.coordinates[0]


class Place(StoredModel):
    name: str
    level: PlaceLevel
    parent_id: ObjectId | None = None
    # The place's ancestors from the city down, then the place itself: "everything under X"
    # is one indexed query on `path`, and roles granted on X reach every place under it.
    path: list[ObjectId] = Field(default_factory=list)
    location: GeoPoint | None = None
    # The area it covers (communities and grids): a report's point is routed by it.
    boundary: GeoPolygon | None = None
    # A short code, e.g. "JA" for 金安社区 (used in human-readable numbers).
    code: str | None = None

    def ancestor_at(self, level: PlaceLevel) -> ObjectId | None:
        """The id of this place's ancestor (or itself) at `level`."""
        index = list(PlaceLevel).index(level)
        return self.path[index] if index < len(self.path) else None
