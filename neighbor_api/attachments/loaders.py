"""DataLoaders for attachments."""

from __future__ import annotations

from collections.abc import Sequence

from bson import ObjectId
from strawberry.dataloader import DataLoader

from neighbor_api.attachments import repository
from neighbor_api.attachments.models import Attachment
from neighbor_api.core.deps import Deps


def attachment_loader(deps: Deps) -> DataLoader[ObjectId, Attachment | None]:
    async def load(ids: Sequence[ObjectId]) -> list[Attachment | None]:
        found = {a.id: a for a in await repository.by_ids(deps.db, ids)}
        return [found.get(i) for i in ids]

    return DataLoader(load_fn=load)
