"""DataLoaders for places: one round trip per batch, whatever the page size."""

from __future__ import annotations

from collections.abc import Sequence

from bson import ObjectId
from strawberry.dataloader import DataLoader

from neighbor_api.core.deps import Deps
from neighbor_api.places import repository, service
from neighbor_api.places.models import Place


def place_loader(deps: Deps) -> DataLoader[ObjectId, Place | None]:
    async def load(ids: Sequence[ObjectId]) -> list[Place | None]:
        found = await service.places_by_ids(deps, ids)
        return [found.get(i) for i in ids]

    return DataLoader(load_fn=load)


def children_loader(deps: Deps) -> DataLoader[ObjectId, list[Place]]:
    async def load(ids: Sequence[ObjectId]) -> list[list[Place]]:
        by_parent: dict[ObjectId, list[Place]] = {i: [] for i in ids}
        for place in await repository.children_of(deps.db, ids):
            if place.parent_id is not None:
                by_parent[place.parent_id].append(place)
        return [by_parent[i] for i in ids]

    return DataLoader(load_fn=load)
