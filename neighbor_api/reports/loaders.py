"""DataLoaders for reports."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from bson import ObjectId
from strawberry.dataloader import DataLoader

from neighbor_api.core.deps import Deps
from neighbor_api.core.policy import Actor
from neighbor_api.reports import repository
from neighbor_api.reports.models import Unit


def endorsed_loader(
    deps: Deps, actor: Callable[[], Awaitable[Actor | None]]
) -> DataLoader[ObjectId, bool]:
    """Whether the viewer has endorsed each report (one query for a whole list)."""

    async def load(ids: Sequence[ObjectId]) -> list[bool]:
        viewer = await actor()
        if viewer is None:
            return [False for _ in ids]
        endorsed = await repository.endorsed(deps.db, viewer.user_id, ids)
        return [i in endorsed for i in ids]

    return DataLoader(load_fn=load)


def following_loader(
    deps: Deps, actor: Callable[[], Awaitable[Actor | None]]
) -> DataLoader[ObjectId, bool]:
    """Whether the viewer follows each report (one query for a whole list)."""

    async def load(ids: Sequence[ObjectId]) -> list[bool]:
        viewer = await actor()
        if viewer is None:
            return [False for _ in ids]
        followed = await repository.following(deps.db, viewer.user_id, ids)
        return [i in followed for i in ids]

    return DataLoader(load_fn=load)


def unit_loader(deps: Deps) -> DataLoader[ObjectId, Unit | None]:
    """Units by id (a page's handling units in one query)."""

    async def load(ids: Sequence[ObjectId]) -> list[Unit | None]:
        found = {unit.id: unit for unit in await repository.units_by_ids(deps.db, ids)}
        return [found.get(i) for i in ids]

    return DataLoader(load_fn=load)
