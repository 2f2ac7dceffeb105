"""Distances on the sphere and the map cells that index points by B-tree.

Circles are not asked of the database's 2dsphere index: SecantusDB plans `$geoWithin` on it but
takes about a second per circle at 10k reports, and runs `$geoNear` as a scan. A point is
instead stored with its `cell` (an integer naming the CELL_DEGREES square it lies in), a circle
becomes the `$in` of the cells covering it (one ordinary index, planned alike by both servers)
and the exact distance is computed here. CELL_DEGREES is part of the stored data: changing it
needs a migration step that recomputes every stored cell.
"""

from __future__ import annotations

import math

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
