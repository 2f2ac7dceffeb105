"""Dashboards: `placeStats`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from neighbor_api.context import Info
from neighbor_api.graphql.relay import from_global_id
from neighbor_api.stats import service
from neighbor_api.stats.types import PlaceStatsType, asked_parts


@strawberry.type
class StatsQuery:
    @strawberry.field(
        description="The dashboard of a community, or rolled up over everything under a "
        "street, district or city, for the period [from, to) (times with a UTC offset; an "
        "open end is unbounded). Staff of the place or above only; null for anyone else."
    )
    async def place_stats(
        self,
        info: Info,
        place_id: strawberry.ID,
        from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        to: datetime | None = None,
    ) -> PlaceStatsType | None:
        actor = await info.context.require_actor()
        object_id = from_global_id(place_id, "Place")
        if object_id is None:
            return None
        stats = await service.place_stats(
            info.context.deps, actor, place_id=object_id, start=from_, end=to,
            parts=asked_parts([s for field in info.selected_fields for s in field.selections]),
        )  # fmt: skip
        return PlaceStatsType.from_model(stats) if stats else None
