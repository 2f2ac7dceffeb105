"""DataLoaders for surveys (one of them is the viewer's own view)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from functools import cached_property

from bson import ObjectId
from strawberry.dataloader import DataLoader

from neighbor_api.core.deps import Deps
from neighbor_api.core.policy import Actor
from neighbor_api.surveys import repository
from neighbor_api.surveys.models import Survey
from neighbor_api.surveys.repository import CommunityTally

ViewerGetter = Callable[[], Awaitable[Actor | None]]


class SurveyLoaders:
    """Built on first use, like the request's other loaders (neighbor_api.context.Loaders)."""

    def __init__(self, deps: Deps, actor: ViewerGetter) -> None:
        self._db = deps.db
        self._actor = actor

    @cached_property
    def survey(self) -> DataLoader[ObjectId, Survey | None]:
        async def surveys(ids: Sequence[ObjectId]) -> list[Survey | None]:
            found = {s.id: s for s in await repository.surveys_by_ids(self._db, ids)}
            return [found.get(i) for i in ids]

        return DataLoader(surveys)

    @cached_property
    def tallies(self) -> DataLoader[ObjectId, list[CommunityTally]]:
        async def tallies(ids: Sequence[ObjectId]) -> list[list[CommunityTally]]:
            found = await repository.tallies(self._db, ids)
            return [found[i] for i in ids]

        return DataLoader(tallies)

    @cached_property
    def viewer_answered(self) -> DataLoader[ObjectId, bool]:
        async def answered(ids: Sequence[ObjectId]) -> list[bool]:
            viewer = await self._actor()
            if viewer is None:
                return [False for _ in ids]
            found = await repository.answered(self._db, viewer.user_id, ids)
            return [i in found for i in ids]

        return DataLoader(answered)
