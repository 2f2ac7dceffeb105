"""remove_unreferenced(): uploads never attached go after a while, content and metadata."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bson import ObjectId

from neighbor_api.attachments import service
from neighbor_api.core.clock import ManualClock
from neighbor_api.core.deps import Deps
from neighbor_api.core.policy import Actor
from tests.attachments.support import file_counts, noisy_jpeg, stored

DAY = timedelta(days=1)


async def attach(deps: Deps, owner: ObjectId, attachment_id: ObjectId) -> None:
    await service.attach(
        deps,
        Actor(user_id=owner),
        attachment_ids=[attachment_id],
        subject_id=ObjectId(),
        place_path=[],
        field=("input", "photoIds"),
    )


class TestRemoveUnreferenced:
    async def test_removes_only_old_unattached_uploads(
        self, deps: Deps, clock: ManualClock
    ) -> None:
        owner = ObjectId()
        old_unused = await stored(deps, owner, noisy_jpeg(900, 900))  # three chunks
        old_used = await stored(deps, owner)
        await attach(deps, owner, old_used.id)
        clock.advance(DAY + timedelta(minutes=1))
        new_unused = await stored(deps, owner)

        removed = await service.remove_unreferenced(deps, older_than=DAY)

        assert removed == 1
        remaining = await service.by_ids(deps, [old_unused.id, old_used.id, new_unused.id])
        assert [a.id for a in remaining] == [old_used.id, new_unused.id]
        assert await deps.db["attachments.chunks"].count_documents({"files_id": old_unused.id}) == 0
        assert await file_counts(deps) == (2, 2)

    async def test_an_upload_younger_than_the_limit_stays(
        self, deps: Deps, clock: ManualClock
    ) -> None:
        await stored(deps)
        clock.advance(DAY - timedelta(seconds=1))

        assert await service.remove_unreferenced(deps, older_than=DAY) == 0
        assert await file_counts(deps) == (1, 1)

    async def test_removes_more_than_a_batch(self, deps: Deps, clock: ManualClock) -> None:
        count = service.CLEANUP_BATCH + 5
        await asyncio.gather(*(stored(deps) for _ in range(count)))
        clock.advance(2 * DAY)

        assert await service.remove_unreferenced(deps, older_than=DAY) == count
        assert await file_counts(deps) == (0, 0)

    async def test_instances_running_at_once_remove_each_upload_once(
        self, deps: Deps, clock: ManualClock
    ) -> None:
        await asyncio.gather(*(stored(deps) for _ in range(30)))
        clock.advance(2 * DAY)

        counts = await asyncio.gather(
            *(service.remove_unreferenced(deps, older_than=DAY) for _ in range(3))
        )

        assert sum(counts) == 30
        assert await file_counts(deps) == (0, 0)
