"""Plane geometry of place boundaries, small enough to be exact in a local projection.

A community or grid spans a few hundred metres, so its points are projected onto a plane
tangent at the point asked about (metres east and north): polygon checks (closed, not
self-intersecting), containment and the distance to a boundary are then plain 2-D geometry.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

# The earth radius MongoDB's spherical geometry uses.
EARTH_RADIUS_METERS = 6378100.0
MIN_RING_POINTS = 4  # a triangle and its closing point
MAX_RING_POINTS = 1000

Lnglat = tuple[float, float]


class BoundaryError(ValueError):
    """Why a ring is not a usable boundary: `key` is the i18n catalogue's key."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _orientation(a: Lnglat, b: Lnglat, c: Lnglat) -> float:
    return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])


def _on_segment(a: Lnglat, b: Lnglat, p: Lnglat) -> bool:
    return min(a[0], b[0]) <= p[0] <= max(a[0], b[0]) and min(a[1], b[1]) <= p[1] <= max(a[1], b[1])


def _segments_cross(a: Lnglat, b: Lnglat, c: Lnglat, d: Lnglat) -> bool:
    """Whether segments ab and cd share any point (touching and overlapping included)."""
    o1, o2 = _orientation(a, b, c), _orientation(a, b, d)
    o3, o4 = _orientation(c, d, a), _orientation(c, d, b)
    if ((o1 > 0 and o2 < 0) or (o1 < 0 and o2 > 0)) and (
        (o3 > 0 and o4 < 0) or (o3 < 0 and o4 > 0)
    ):
        return True
    return (
        (o1 == 0 and _on_segment(a, b, c))
        or (o2 == 0 and _on_segment(a, b, d))
        or (o3 == 0 and _on_segment(c, d, a))
        or (o4 == 0 and _on_segment(c, d, b))
    )


def check_ring(ring: Sequence[Lnglat]) -> None:
    """Refuse a ring that is too short or long, not closed (first point = last), has points
    off the globe, or crosses or touches itself anywhere but at neighbouring edges' shared
    corner."""
    if not MIN_RING_POINTS <= len(ring) <= MAX_RING_POINTS:
        raise BoundaryError("place.boundary_points")
    if any(not (-180 <= lng <= 180 and -90 <= lat <= 90) for lng, lat in ring):
        raise BoundaryError("place.boundary_points")
    if tuple(ring[0]) != tuple(ring[-1]):
        raise BoundaryError("place.boundary_not_closed")
    edges = [(ring[i], ring[i + 1]) for i in range(len(ring) - 1)]
    if any(a == b for a, b in edges):
        raise BoundaryError("place.boundary_self_intersecting")
    count = len(edges)
    for i in range(count):
        # Neighbouring edges share one corner: they may not fold back onto each other.
        (a, b), (_, c) = edges[i - 1], edges[i]
        dot = (b[0] - a[0]) * (c[0] - b[0]) + (b[1] - a[1]) * (c[1] - b[1])
        if _orientation(a, b, c) == 0 and dot < 0:
            raise BoundaryError("place.boundary_self_intersecting")
        for j in range(i + 2, count):
            if i == 0 and j == count - 1:
                continue  # the first and last edges are neighbours too
            if _segments_cross(*edges[i], *edges[j]):
                raise BoundaryError("place.boundary_self_intersecting")


def _project(origin: Lnglat, point: Lnglat) -> tuple[float, float]:
    """`point` in metres east and north of `origin` (equirectangular at origin's latitude)."""
    scale = EARTH_RADIUS_METERS * math.pi / 180
    east = (point[0] - origin[0]) * scale * math.cos(math.radians(origin[1]))
    north = (point[1] - origin[1]) * scale
    return east, north


def contains(ring: Sequence[Lnglat], point: Lnglat) -> bool:
    """Whether `point` lies inside the ring or on it (even-odd rule)."""
    inside = False
    for (x1, y1), (x2, y2) in itertools.pairwise(ring):
        if _orientation((x1, y1), (x2, y2), point) == 0 and _on_segment((x1, y1), (x2, y2), point):
            return True
        if (y1 > point[1]) != (y2 > point[1]):
            x = x1 + (point[1] - y1) * (x2 - x1) / (y2 - y1)
            if point[0] < x:
                inside = not inside
    return inside


def distance_meters(ring: Sequence[Lnglat], point: Lnglat) -> float:
    """How far `point` lies outside the ring, in metres (0 inside or on it)."""
    if contains(ring, point):
        return 0.0
    best = math.inf
    flat = [_project(point, p) for p in ring]
    for (x1, y1), (x2, y2) in itertools.pairwise(flat):
        dx, dy = x2 - x1, y2 - y1
        length = dx * dx + dy * dy
        t = 0.0 if length == 0 else max(0.0, min(1.0, -(x1 * dx + y1 * dy) / length))
        best = min(best, math.hypot(x1 + t * dx, y1 + t * dy))
    return best
