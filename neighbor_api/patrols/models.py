"""A patrol (巡查): one round a grid worker walked through their grid, logged afterwards."""

from __future__ import annotations

from datetime import datetime

from bson import ObjectId
from pydantic import Field

from neighbor_api.core.idempotency import Idempotency
from neighbor_api.core.models import StoredModel


class Patrol(StoredModel):
    grid_id: ObjectId
    community_id: ObjectId
    # The grid's place path (city, district, street, community, grid): the dashboards count a
    # place's patrols with one indexed `place_path` match.
    place_path: list[ObjectId]
    worker_id: ObjectId
    started_at: datetime
    ended_at: datetime
    # How many points the track has; the track itself is stored apart (`PatrolTrack`), so
    # that lists of patrols never carry thousands of points each.
    point_count: int
    # The length of the track along the sphere (haversine), in metres.
    distance_meters: float
    note: str | None = None
    photo_ids: list[ObjectId] = Field(default_factory=list)
    # The reports the worker filed on the way.
    finding_ids: list[ObjectId] = Field(default_factory=list)
    idempotency: Idempotency | None = None
    created_at: datetime


class PatrolTrack(StoredModel):
    """A patrol's track, `_id` the patrol's id: [lng, lat] pairs in order (GeoJSON's order)."""

    grid_id: ObjectId
    # Whose movements it records (the personal-data export finds it by this).
    worker_id: ObjectId
    points: list[tuple[float, float]]
