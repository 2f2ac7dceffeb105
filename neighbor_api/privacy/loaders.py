"""The per-request writer of the access log: every full phone number a request shows is
logged, in one insert for the whole response (a page of 20 members is one write, not 20)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from bson import ObjectId
from strawberry.dataloader import DataLoader

from neighbor_api.core.deps import Deps
from neighbor_api.core.policy import Need
from neighbor_api.privacy import service


class PhoneRevealKey(NamedTuple):
    viewer_id: ObjectId
    subject_id: ObjectId
    need: Need


def phone_reveals_loader(deps: Deps) -> DataLoader[PhoneRevealKey, None]:
    async def log(keys: Sequence[PhoneRevealKey]) -> list[None]:
        await service.log_phone_reveals(deps, [(k.viewer_id, k.subject_id, k.need) for k in keys])
        return [None] * len(keys)

    return DataLoader(load_fn=log)
