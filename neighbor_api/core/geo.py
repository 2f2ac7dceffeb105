"""Distances on the sphere (the same function and sphere as main's `core/geo.py`, which adds
the map cells: on merging, keep that file)."""

from __future__ import annotations

import math

# The sphere of MongoDB's `$geoNear` and `$centerSphere` on GeoJSON points.
EARTH_RADIUS_METERS = 6378100.0


def distance_meters(a: tuple[float, float], b: tuple[float, float]) -> float:
    """The great-circle distance (haversine) between two (longitude, latitude) points."""
    lng1, lat1 = map(math.radians, a)
    lng2, lat2 = map(math.radians, b)
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_METERS * math.asin(min(1.0, math.sqrt(h)))
