"""The lighter parts of uvicorn's WebSocket protocol (cli.LeanWebSocketProtocol): the app's
inbox and the `writable` gate behave as the asyncio Queue and Event they replace."""

from __future__ import annotations

import asyncio

from neighbor_api.cli import _Gate, _Inbox


async def test_the_inbox_hands_messages_in_order_and_waits_for_the_next() -> None:
    inbox = _Inbox()
    inbox.put_nowait({"n": 1})
    inbox.put_nowait({"n": 2})
    assert not inbox.empty()
    assert await inbox.get() == {"n": 1}
    assert await inbox.get() == {"n": 2}
    assert inbox.empty()

    waiting = asyncio.ensure_future(inbox.get())
    await asyncio.sleep(0)
    assert not waiting.done()
    inbox.put_nowait({"n": 3})
    assert await asyncio.wait_for(waiting, 1) == {"n": 3}


async def test_a_reader_cancelled_while_waiting_loses_nothing() -> None:
    inbox = _Inbox()
    waiting = asyncio.ensure_future(inbox.get())
    await asyncio.sleep(0)
    waiting.cancel()
    await asyncio.sleep(0)
    inbox.put_nowait("kept")
    assert await asyncio.wait_for(inbox.get(), 1) == "kept"


async def test_the_gate_holds_writers_until_it_opens() -> None:
    gate = _Gate()
    await asyncio.wait_for(gate.wait(), 1)  # open: at once
    gate.clear()
    assert not gate.is_set()
    writers = [asyncio.ensure_future(gate.wait()) for _ in range(2)]
    await asyncio.sleep(0.01)
    assert not any(writer.done() for writer in writers)
    gate.set()
    await asyncio.wait_for(asyncio.gather(*writers), 1)
    assert gate.is_set()
