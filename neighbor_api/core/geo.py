"""Distances on the sphere and the map cells that index points by B-tree.

Circles are not asked of the database's 2dsphere index: SecantusDB plans `$geoWithin` on it but
takes about a second per circle at 10k reports, and runs `$geoNear` as a scan. A point is
instead stored with its `cell` (an integer naming the CELL_DEGREES square it lies in), a circle
becomes the `$in` of the cells covering it (one ordinary index, planned alike by both servers)
and the exact distance is computed by a later stage of the read (`distance_expression`, the
haversine of `distance_meters`), so the server returns only the nearest. CELL_DEGREES is
part of the stored data: changing it needs a migration step that recomputes every stored cell.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from neighbor_api.core.mongo import Document

# The sphere of MongoDB's `$geoNear` and `$centerSphere` on GeoJSON points.
EARTH_RADIUS_METERS = 6378100.0
# About 550 m of latitude: a 500 m circle is covered by 3 × 3 or 4 × 4 cells.
CELL_DEGREES = 0.005
_ROWS_OFFSET = 18_000  # cells of latitude below the equator (90 / CELL_DEGREES)
_COLUMNS = 72_001  # cells of longitude around the globe, and one for 180° itself
_COLUMNS_OFFSET = 36_000
_METERS_PER_DEGREE = math.pi * EARTH_RADIUS_METERS / 180


def distance_meters(a: tuple[float, float], b: tuple[float, float]) -> float:
    """The great-circle distance (haversine) between two (longitude, latitude) points."""
    lng1, lat1 = map(math.radians, a)
    lng2, lat2 = map(math.radians, b)
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_METERS * math.asin(min(1.0, math.sqrt(h)))


def distance_expression(origin: tuple[float, float], field: str) -> Document:
    """`distance_meters` from `origin` to the GeoJSON point of a document's `field`, as an
    aggregation expression: the same haversine on the same sphere, computed by the server."""
    lng, lat = (math.radians(c) for c in origin)
    point = f"${field}.coordinates"
    lng2 = {"$degreesToRadians": {"$arrayElemAt": [point, 0]}}
    lat2 = {"$degreesToRadians": {"$arrayElemAt": [point, 1]}}

    def half_sine_squared(delta: Document) -> Document:
        return {"$pow": [{"$sin": {"$divide": [delta, 2]}}, 2]}

    h = {
        "$add": [
            half_sine_squared({"$subtract": [lat2, lat]}),
            {
                "$multiply": [
                    math.cos(lat),
                    {"$cos": lat2},
                    half_sine_squared({"$subtract": [lng2, lng]}),
                ]
            },
        ]
    }
    return {"$multiply": [2 * EARTH_RADIUS_METERS, {"$asin": {"$min": [1.0, {"$sqrt": h}]}}]}


def cell_of(lng: float, lat: float) -> int:
    """The cell holding a point."""
    return _cell(_row(lat), _column(lng))


def cells_covering(lng: float, lat: float, radius_meters: float) -> list[int]:
    """Every cell meeting the circle (those of its bounding box, clipped at the poles; a box
    crossing the 180th meridian is clipped there too — no community lies on it)."""
    dlat = radius_meters / _METERS_PER_DEGREE
    cos_lat = math.cos(math.radians(min(89.0, abs(lat) + dlat)))
    dlng = min(180.0, dlat / max(cos_lat, 1e-6))
    rows = range(_row(max(-90.0, lat - dlat)), _row(min(90.0, lat + dlat)) + 1)
    columns = range(_column(max(-180.0, lng - dlng)), _column(min(180.0, lng + dlng)) + 1)
    return [_cell(row, column) for row in rows for column in columns]


def _row(lat: float) -> int:
    return math.floor(lat / CELL_DEGREES) + _ROWS_OFFSET


def _column(lng: float) -> int:
    return math.floor(lng / CELL_DEGREES) + _COLUMNS_OFFSET


def _cell(row: int, column: int) -> int:
    return row * _COLUMNS + column


# --- The fine grid: nearest first, ring by ring -------------------------------------------
#
# `ReportsNearby` ranks by distance and wants the first N: it reads the fine cells (about
# 55 m × 50 m in Xiamen) around the point block by block — the cells at Chebyshev rings
# 0..r of the point's cell — and stops when N are found nearer than anything outside the block
# can be (`Block.guaranteed_meters`). Kept beside the coarse `cell` (whose circles the counts
# and the open reports read whole): the reads then hold what lies near the point, not a whole
# 550 m square's history. FINE_CELL_DEGREES is part of the stored data (`fine_cell`), like
# CELL_DEGREES.
FINE_CELL_DEGREES = 0.0005
_FINE_ROWS_OFFSET = 180_000
_FINE_COLUMNS = 720_001
_FINE_COLUMNS_OFFSET = 360_000


def fine_cell_of(lng: float, lat: float) -> int:
    """The fine cell holding a point."""
    return _fine_row(lat) * _FINE_COLUMNS + _fine_column(lng)


def _fine_row(lat: float) -> int:
    return math.floor(lat / FINE_CELL_DEGREES) + _FINE_ROWS_OFFSET


def _fine_column(lng: float) -> int:
    return math.floor(lng / FINE_CELL_DEGREES) + _FINE_COLUMNS_OFFSET


def fine_cells_covering(lng: float, lat: float, radius_meters: float) -> list[int]:
    """Every fine cell meeting the circle's bounding box (as `cells_covering`, finer)."""
    rings = Rings(lng, lat, radius_meters)
    return rings.band(-1, rings.last)


class Rings:
    """The fine cells around a point within a radius, by Chebyshev ring of the point's cell:
    `block(r)` is rings 0..r clipped to the circle's bounding box (cells beyond it hold no
    point of the circle)."""

    def __init__(self, lng: float, lat: float, radius_meters: float) -> None:
        self.lng, self.lat = lng, lat
        self.row, self.column = _fine_row(lat), _fine_column(lng)
        dlat = radius_meters / _METERS_PER_DEGREE
        cos_lat = math.cos(math.radians(min(89.0, abs(lat) + dlat)))
        dlng = min(180.0, dlat / max(cos_lat, 1e-6))
        self.rows = (_fine_row(max(-90.0, lat - dlat)), _fine_row(min(90.0, lat + dlat)))
        self.columns = (
            _fine_column(max(-180.0, lng - dlng)),
            _fine_column(min(180.0, lng + dlng)),
        )
        # The ring from which the block holds the whole bounding box.
        self.last = max(
            self.row - self.rows[0],
            self.rows[1] - self.row,
            self.column - self.columns[0],
            self.columns[1] - self.column,
        )

    def band(self, inner: int, outer: int) -> list[int]:
        """The cells of rings inner+1..outer (inner -1: from the point's own cell)."""
        cells = []
        for row in range(
            max(self.rows[0], self.row - outer), min(self.rows[1], self.row + outer) + 1
        ):
            for column in range(
                max(self.columns[0], self.column - outer),
                min(self.columns[1], self.column + outer) + 1,
            ):
                if max(abs(row - self.row), abs(column - self.column)) > inner:
                    cells.append(row * _FINE_COLUMNS + column)
        return cells

    def guaranteed_meters(self, r: int) -> float:
        """A lower bound of the distance from the point to any point outside block `r` (the
        nearest of its four edges: a parallel along the meridian, a meridian by the distance
        to its great circle); infinite once the block holds the whole bounding box."""
        if r >= self.last:
            return math.inf
        south = (self.row - r - _FINE_ROWS_OFFSET) * FINE_CELL_DEGREES
        north = (self.row + r + 1 - _FINE_ROWS_OFFSET) * FINE_CELL_DEGREES
        west = (self.column - r - _FINE_COLUMNS_OFFSET) * FINE_CELL_DEGREES
        east = (self.column + r + 1 - _FINE_COLUMNS_OFFSET) * FINE_CELL_DEGREES
        along = math.radians(min(self.lat - south, north - self.lat)) * EARTH_RADIUS_METERS
        dlng = math.radians(min(90.0, self.lng - west, east - self.lng))
        across = EARTH_RADIUS_METERS * math.asin(
            min(1.0, math.cos(math.radians(self.lat)) * math.sin(dlng))
        )
        # Less a millimetre: the floating point of the edges and of the haversine.
        return max(0.0, min(along, across) - 1e-3)

    def holding(self, distance: float) -> int:
        """The first ring whose block holds every point nearer than `distance` (guarantees
        grow with the ring)."""
        ring = 0
        while ring < self.last and self.guaranteed_meters(ring) <= distance:
            ring += 1
        return ring

    def cell_meters(self) -> float:
        """The narrower side of a fine cell here (what one ring adds to the guarantee)."""
        side = FINE_CELL_DEGREES * _METERS_PER_DEGREE
        return side * min(1.0, math.cos(math.radians(self.lat)))
