"""DataLoaders for users and their point balances."""

from __future__ import annotations

from collections.abc import Sequence

from bson import ObjectId
from strawberry.dataloader import DataLoader

from neighbor_api.accounts import sessions
from neighbor_api.accounts.models import User
from neighbor_api.core.deps import Deps
from neighbor_api.points import repository as points


def user_loader(deps: Deps) -> DataLoader[ObjectId, User | None]:
    async def load(ids: Sequence[ObjectId]) -> list[User | None]:
        found = await sessions.users(deps, ids)
        return [found.get(i) for i in ids]

    return DataLoader(load_fn=load)


def points_loader(deps: Deps) -> DataLoader[ObjectId, int]:
    async def load(ids: Sequence[ObjectId]) -> list[int]:
        balances = await points.balances(deps.db, ids)
        return [balances.get(i, 0) for i in ids]

    return DataLoader(load_fn=load)
