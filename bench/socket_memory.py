"""What an idle subscribed WebSocket holds in the API, by allocation site (tracemalloc).

Starts `neighbor-api serve --demo` with tracemalloc on (this module's `serve`), opens N sockets
subscribing `boardEvents` on the demo board as `bench.subscribers` does, and compares the
server's snapshots before and after (taken on SIGUSR1, after a full collection): the top
allocation sites per socket, grouped by the innermost frames of their tracebacks.

Run: `.venv/bin/python -m bench.socket_memory [--subscribers 300] [--frames 6] [--top 40]`.
tracemalloc slows the server several times; the figures are for finding what to drop, the
memory per socket of record is `bench.subscribers`' (VmRSS, no tracing).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import signal
import sys
import tempfile
import tracemalloc
from pathlib import Path
from types import FrameType

import httpx

from bench.subscribers import (
    RESIDENTS,
    WAIT_SECONDS,
    Api,
    _open_all,
    _server,
    _until_subscribed,
)

SNAPSHOT_ENV = "BENCH_SOCKET_SNAPSHOT"
FRAMES = 25


def serve() -> None:
    """`neighbor-api serve ...` (the same arguments) traced; each SIGUSR1 dumps a snapshot
    to $BENCH_SOCKET_SNAPSHOT.N."""
    tracemalloc.start(FRAMES)
    target = os.environ.pop(SNAPSHOT_ENV)
    taken = [0]

    def dump(_signum: int, _frame: FrameType | None) -> None:
        gc.collect()
        tracemalloc.take_snapshot().dump(f"{target}.{taken[0]}")
        taken[0] += 1
        Path(f"{target}.{taken[0] - 1}.done").touch()

    signal.signal(signal.SIGUSR1, dump)
    from neighbor_api.cli import main

    main(sys.argv[1:])


async def _snapshot(pid: int, target: Path, index: int) -> tracemalloc.Snapshot:
    os.kill(pid, signal.SIGUSR1)
    done = Path(f"{target}.{index}.done")
    for _ in range(int(WAIT_SECONDS / 0.1)):
        if await asyncio.to_thread(done.exists):
            return tracemalloc.Snapshot.load(f"{target}.{index}")
        await asyncio.sleep(0.1)
    raise TimeoutError("no snapshot")


async def measure(subscribers: int, frames: int, top: int, data_dir: Path) -> None:
    target = data_dir / "snapshot"
    os.environ[SNAPSHOT_ENV] = str(target)
    async with (
        _server(data_dir, module="bench.socket_memory") as (url, pid),
        httpx.AsyncClient(base_url=url, timeout=WAIT_SECONDS) as http,
    ):
        api = Api(http)
        tokens = [await api.login(phone) for phone in RESIDENTS]
        worker = await api.login("13800000001")
        viewer = await api.op("Viewer", {}, worker)
        community_id = viewer["viewer"]["memberships"][0]["community"]["id"]
        boards = await api.op("CommunityBoards", {"communityId": community_id}, worker)
        board_id = boards["community"]["boards"][0]["id"]
        warm = await _open_all(url, tokens, board_id, 10)
        await _until_subscribed(http, 10)
        for ws in warm:
            await ws.close()
        await asyncio.sleep(1)
        before = await _snapshot(pid, target, 0)
        sockets = await _open_all(url, tokens, board_id, subscribers)
        await _until_subscribed(http, subscribers)
        await asyncio.sleep(2)
        after = await _snapshot(pid, target, 1)
        for ws in sockets:
            await ws.close()
    stats = after.compare_to(before, "traceback")
    grouped: dict[tuple[str, ...], int] = {}
    for stat in stats:
        where = tuple(
            f"{Path(frame.filename).name}:{frame.lineno}" for frame in stat.traceback[-frames:]
        )
        grouped[where] = grouped.get(where, 0) + stat.size_diff
    total = sum(stat.size_diff for stat in stats)
    print(f"traced per socket: {total / subscribers / 1024:.1f} KiB")  # noqa: T201
    for where, size in sorted(grouped.items(), key=lambda item: -item[1])[:top]:
        print(f"{size / subscribers:8.0f} B  {' < '.join(reversed(where))}")  # noqa: T201


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=300)
    parser.add_argument("--frames", type=int, default=6)
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(measure(args.subscribers, args.frames, args.top, Path(tmp)))


if __name__ == "__main__":
    if os.environ.get(SNAPSHOT_ENV):
        serve()
    else:
        main()
