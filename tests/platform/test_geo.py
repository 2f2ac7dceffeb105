"""Map cells: a circle's cells hold every point of the circle, and distances agree with the
sphere MongoDB uses. The fine cells' rings: the whole block holds every point of the circle,
bands partition it, and nothing outside a block is nearer than its guarantee."""

from __future__ import annotations

import itertools
import math

from hypothesis import given
from hypothesis import strategies as st

from neighbor_api.core.geo import (
    EARTH_RADIUS_METERS,
    Rings,
    cell_of,
    cells_covering,
    distance_meters,
    fine_cell_of,
)

XIAMEN = (118.0894, 24.4798)


def _offset(point: tuple[float, float], meters: float, bearing: float) -> tuple[float, float]:
    """The point `meters` from `point` along `bearing` (radians), on the sphere."""
    lng, lat = map(math.radians, point)
    d = meters / EARTH_RADIUS_METERS
    lat2 = math.asin(math.sin(lat) * math.cos(d) + math.cos(lat) * math.sin(d) * math.cos(bearing))
    east = math.sin(bearing) * math.sin(d) * math.cos(lat)
    lng2 = lng + math.atan2(east, math.cos(d) - math.sin(lat) * math.sin(lat2))
    return math.degrees(lng2), math.degrees(lat2)


# A circle (centre, radius) and a point of it (a fraction of the radius along a bearing).
CIRCLE_POINT = {
    "lng": st.floats(-179.0, 179.0),
    "lat": st.floats(-80.0, 80.0),
    "radius": st.floats(1.0, 5000.0),
    "fraction": st.floats(0.0, 1.0),
    "bearing": st.floats(0.0, 2 * math.pi),
}


@given(**CIRCLE_POINT)
def test_every_point_of_a_circle_lies_in_one_of_its_cells(
    lng: float, lat: float, radius: float, fraction: float, bearing: float
) -> None:
    inside = _offset((lng, lat), radius * fraction, bearing)

    assert cell_of(*inside) in set(cells_covering(lng, lat, radius))


def test_a_500_m_circle_in_xiamen_is_a_few_cells_and_5_km_some_hundreds() -> None:
    assert 4 <= len(cells_covering(*XIAMEN, 500)) <= 16
    assert len(cells_covering(*XIAMEN, 5000)) <= 500


def test_neighbouring_squares_have_different_cells() -> None:
    assert cell_of(118.0, 24.0) != cell_of(118.006, 24.0) != cell_of(118.0, 24.006)
    assert cell_of(-0.001, -0.001) != cell_of(0.001, 0.001)


def test_distance_is_the_great_circle_distance() -> None:
    one_degree_of_latitude = math.pi * EARTH_RADIUS_METERS / 180
    assert math.isclose(distance_meters((118.0, 24.0), (118.0, 25.0)), one_degree_of_latitude)
    assert math.isclose(distance_meters(XIAMEN, _offset(XIAMEN, 1234.5, 1.0)), 1234.5)


@given(**CIRCLE_POINT, ring=st.integers(0, 40))
def test_nothing_outside_a_block_is_nearer_than_its_guarantee(
    lng: float, lat: float, radius: float, fraction: float, bearing: float, ring: int
) -> None:
    rings = Rings(lng, lat, radius)
    other = _offset((lng, lat), radius * fraction, bearing)
    assert fine_cell_of(*other) in set(rings.band(-1, rings.last))

    if fine_cell_of(*other) not in set(rings.band(-1, ring)):
        assert distance_meters((lng, lat), other) >= rings.guaranteed_meters(ring)


@given(
    lng=st.floats(117.9, 118.4),
    lat=st.floats(24.3, 24.7),
    inner=st.integers(-1, 10),
    width=st.integers(0, 10),
)
def test_bands_partition_the_block(lng: float, lat: float, inner: int, width: int) -> None:
    rings = Rings(lng, lat, 2000)
    outer = inner + width
    first, second = rings.band(-1, inner), rings.band(inner, outer)

    assert not set(first) & set(second)
    assert sorted(first + second) == sorted(rings.band(-1, outer))


def test_the_guarantee_grows_by_about_a_cell_a_ring_in_xiamen() -> None:
    rings = Rings(*XIAMEN, 2000)
    guarantees = [rings.guaranteed_meters(r) for r in range(5)]
    steps = [b - a for a, b in itertools.pairwise(guarantees)]
    # About 50 m (a fine cell's width in Xiamen) to 56 m (its height).
    assert all(0.99 * rings.cell_meters() <= step <= 56 for step in steps), steps
    assert guarantees[0] < rings.cell_meters()
    assert rings.guaranteed_meters(rings.last) == math.inf
