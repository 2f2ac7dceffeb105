"""Distances on the sphere MongoDB's `$centerSphere` and `$geoNear` use for GeoJSON points."""

from __future__ import annotations

import math

EARTH_RADIUS_METERS = 6378100.0


def haversine_meters(a: tuple[float, float], b: tuple[float, float]) -> float:
    """The great-circle distance between two (lat, lng) points in degrees, in metres."""
    lat1, lng1 = map(math.radians, a)
    lat2, lng2 = map(math.radians, b)
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_METERS * math.asin(min(1.0, math.sqrt(h)))
