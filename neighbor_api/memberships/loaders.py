"""DataLoaders for memberships: a user's, and a grid's workers."""

from __future__ import annotations

from collections.abc import Sequence

from bson import ObjectId
from strawberry.dataloader import DataLoader

from neighbor_api.core.deps import Deps
from neighbor_api.memberships import repository
from neighbor_api.memberships.models import Membership


def memberships_of_user_loader(deps: Deps) -> DataLoader[ObjectId, list[Membership]]:
    async def load(ids: Sequence[ObjectId]) -> list[list[Membership]]:
        by_user: dict[ObjectId, list[Membership]] = {i: [] for i in ids}
        for membership in await repository.of_users(deps.db, ids):
            by_user[membership.user_id].append(membership)
        return [by_user[i] for i in ids]

    return DataLoader(load_fn=load)


def grid_workers_loader(deps: Deps) -> DataLoader[ObjectId, list[Membership]]:
    async def load(ids: Sequence[ObjectId]) -> list[list[Membership]]:
        by_grid: dict[ObjectId, list[Membership]] = {i: [] for i in ids}
        for membership in await repository.grid_workers(deps.db, ids):
            if membership.grid_id is not None:
                by_grid[membership.grid_id].append(membership)
        return [by_grid[i] for i in ids]

    return DataLoader(load_fn=load)


def membership_loader(deps: Deps) -> DataLoader[ObjectId, Membership | None]:
    async def load(ids: Sequence[ObjectId]) -> list[Membership | None]:
        found = {m.id: m for m in await repository.by_ids(deps.db, ids)}
        return [found.get(i) for i in ids]

    return DataLoader(load_fn=load)
