"""`LiveEvent.shared` (live/hub.py `Shared`): a read asked by many subscribers of one event runs
once; one that goes away cancels nobody's read; an error reaches every waiter."""

from __future__ import annotations

import asyncio

import pytest

from neighbor_api.live.hub import Shared


async def test_one_read_for_every_asker() -> None:
    shared = Shared()
    reads = 0
    release = asyncio.Event()

    async def read() -> str:
        nonlocal reads
        reads += 1
        await release.wait()
        return "任务"

    askers = [asyncio.ensure_future(shared.once("task", read)) for _ in range(50)]
    await asyncio.sleep(0)
    release.set()
    assert await asyncio.gather(*askers) == ["任务"] * 50
    assert await shared.once("task", read) == "任务"  # after the read: at once
    assert reads == 1


async def test_an_asker_that_goes_away_cancels_nobody() -> None:
    shared = Shared()
    release = asyncio.Event()

    async def read() -> int:
        await release.wait()
        return 7

    first = asyncio.ensure_future(shared.once("k", read))
    second = asyncio.ensure_future(shared.once("k", read))
    await asyncio.sleep(0)
    first.cancel()
    await asyncio.sleep(0)
    release.set()
    assert await asyncio.wait_for(second, 1) == 7
    assert first.cancelled()


async def test_an_error_reaches_every_asker() -> None:
    shared = Shared()

    async def read() -> int:
        await asyncio.sleep(0)
        raise LookupError("gone")

    askers = [asyncio.ensure_future(shared.once("k", read)) for _ in range(3)]
    for asker in askers:
        with pytest.raises(LookupError):
            await asker
    with pytest.raises(LookupError):
        await shared.once("k", read)
