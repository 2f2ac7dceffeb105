"""DataLoaders for councils and proposals (some of them are the viewer's own view)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from functools import cached_property

from bson import ObjectId
from strawberry.dataloader import DataLoader

from neighbor_api.boards import repository as boards
from neighbor_api.boards.models import Task
from neighbor_api.core.deps import Deps
from neighbor_api.core.mongo import Document
from neighbor_api.core.policy import Actor
from neighbor_api.councils import repository, service
from neighbor_api.councils.models import Council, Elector, Participation

ViewerGetter = Callable[[], Awaitable[Actor | None]]


class CouncilLoaders:
    """Built on first use, like the request's other loaders (neighbor_api.context.Loaders)."""

    def __init__(self, deps: Deps, actor: ViewerGetter) -> None:
        self._deps = deps
        self._db = deps.db
        self._actor = actor

    @cached_property
    def council(self) -> DataLoader[ObjectId, Council | None]:
        async def councils(ids: Sequence[ObjectId]) -> list[Council | None]:
            found = await service.councils(self._deps, ids)
            return [found.get(i) for i in ids]

        return DataLoader(councils)

    @cached_property
    def of_community(self) -> DataLoader[ObjectId, list[Council]]:
        async def of_community(ids: Sequence[ObjectId]) -> list[list[Council]]:
            by_community: dict[ObjectId, list[Council]] = {i: [] for i in ids}
            for council in await repository.councils_of(self._db, ids):
                by_community[council.community_id].append(council)
            return [by_community[i] for i in ids]

        return DataLoader(of_community)

    @cached_property
    def viewer_elector(self) -> DataLoader[ObjectId, Elector | None]:
        async def electors(ids: Sequence[ObjectId]) -> list[Elector | None]:
            viewer = await self._actor()
            if viewer is None:
                return [None for _ in ids]
            found = {
                e.proposal_id: e
                for e in await repository.electors_of_user(self._db, viewer.user_id, ids)
            }
            return [found.get(i) for i in ids]

        return DataLoader(electors)

    @cached_property
    def viewer_participation(self) -> DataLoader[ObjectId, Participation | None]:
        async def participations(ids: Sequence[ObjectId]) -> list[Participation | None]:
            """The roll entry of the viewer's elector (their own or their household's vote)."""
            mine = [e for e in await self.viewer_elector.load_many(ids) if e is not None]
            keys = [(e.proposal_id, e.voter_key) for e in mine]
            found = {
                p.proposal_id: p for p in await repository.participations_of_keys(self._db, keys)
            }
            return [found.get(i) for i in ids]

        return DataLoader(participations)

    @cached_property
    def viewer_co_signed(self) -> DataLoader[ObjectId, bool]:
        async def co_signed(ids: Sequence[ObjectId]) -> list[bool]:
            viewer = await self._actor()
            if viewer is None:
                return [False for _ in ids]
            found = await repository.co_signed_by(self._db, viewer.user_id, ids)
            return [i in found for i in ids]

        return DataLoader(co_signed)

    @cached_property
    def live_counts(self) -> DataLoader[ObjectId, Document]:
        async def counts(ids: Sequence[ObjectId]) -> list[Document]:
            totals = await repository.live_counts(self._db, ids)
            return [totals[i] for i in ids]

        return DataLoader(counts)

    @cached_property
    def turnout(self) -> DataLoader[ObjectId, tuple[int, int]]:
        async def turnout(ids: Sequence[ObjectId]) -> list[tuple[int, int]]:
            found = await repository.turnout(self._db, ids)
            return [found[i] for i in ids]

        return DataLoader(turnout)

    @cached_property
    def resulting_tasks(self) -> DataLoader[ObjectId, list[Task]]:
        async def tasks(ids: Sequence[ObjectId]) -> list[list[Task]]:
            by_proposal: dict[ObjectId, list[Task]] = {i: [] for i in ids}
            for task in await boards.tasks_from_proposals(self._db, ids):
                if task.source_proposal_id is not None:
                    by_proposal[task.source_proposal_id].append(task)
            return [by_proposal[i] for i in ids]

        return DataLoader(tasks)
