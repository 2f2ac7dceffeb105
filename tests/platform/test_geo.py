"""Map cells: a circle's cells hold every point of the circle, and distances agree with the
sphere MongoDB uses."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from neighbor_api.core.geo import (
    EARTH_RADIUS_METERS,
    cell_of,
    cells_covering,
    distance_meters,
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


@given(
    lng=st.floats(-179.0, 179.0),
    lat=st.floats(-80.0, 80.0),
    radius=st.floats(1.0, 5000.0),
    fraction=st.floats(0.0, 1.0),
    bearing=st.floats(0.0, 2 * math.pi),
)
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
