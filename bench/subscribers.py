"""Benchmark: N WebSocket subscribers on one board all receive a card move.

Starts a real `neighbor-api serve` child (the demo street, in a temporary data directory or
`--data-dir`), signs in a few demo residents (many sockets share a token, as many devices of
one person would), opens N graphql-transport-ws sockets subscribing `boardEvents` for the demo
board, then moves a card over HTTP `--moves` times. Prints how many subscribers received each
move, the delay from the mutation's HTTP response to each subscriber's event (p50, p99, max),
and the API process's memory per idle subscribed socket (VmRSS from /proc before and after the
sockets opened, divided by N).

and the API process's CPU per move and socket (utime + stime from /proc, which a busy
machine inflates far less than the delays).

Run: `.venv/bin/python -m bench.subscribers [--subscribers 1000] [--moves 3]`.
Figures are for reading and comparing, never asserted in tests (tests/live/
test_many_subscribers.py checks the correctness at 200).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from bench.processes import cpu_seconds

ROOT = Path(__file__).resolve().parent.parent
# Each contract operation with the document it lives in (sent whole, with operationName).
OPERATIONS = {
    name: text
    for path in sorted((ROOT / "schema" / "operations").glob("*.graphql"))
    for text in [path.read_text(encoding="utf-8")]
    for name in re.findall(r"^(?:query|mutation|subscription)\s+(\w+)", text, re.MULTILINE)
}
PASSWORD = "neighbor-demo"
WORKER = "13800000001"  # 林美华, community worker of 金安社区: moves the card
RESIDENTS = ("13800000003", "13800000004", "13800000005", "13800000006", "13800000002")
TRANSPORT_WS = Subprotocol("graphql-transport-ws")
# Sockets opened at once (the server's accept queue and the handshakes' CPU).
OPENING_AT_ONCE = 50
STARTUP_SECONDS = 120.0
WAIT_SECONDS = 60.0


def _rss_kib(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    assert match, status
    return int(match.group(1))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@asynccontextmanager
async def _server(
    data_dir: Path, module: str = "neighbor_api.cli"
) -> AsyncIterator[tuple[str, int]]:
    """`neighbor-api serve --demo` (or `module`'s, given the same arguments) until the block
    ends: its URL and pid."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEIGHBOR_")}
    env.pop("MONGODB_URI", None)
    env.update(NEIGHBOR_DATA_DIR=str(data_dir), NEIGHBOR_ENVIRONMENT="development")
    # A few residents hold every socket: far past one person's caps (graphql/sockets.py).
    env.update(
        NEIGHBOR_MAX_CONNECTIONS_PER_USER="100000", NEIGHBOR_MAX_SUBSCRIPTIONS_PER_USER="100000"
    )
    if module != "neighbor_api.cli":  # a module of bench/, run from the data directory
        env["PYTHONPATH"] = str(ROOT)
    log = (data_dir / "serve.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        module,
        "serve",
        "--demo",
        "--port",
        str(port),
        env=env,
        cwd=data_dir,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=url, timeout=5) as http:
            async with asyncio.timeout(STARTUP_SECONDS):
                while True:
                    if process.returncode is not None:
                        raise RuntimeError((data_dir / "serve.log").read_text(errors="replace"))
                    try:
                        if (await http.get("/readyz")).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    await asyncio.sleep(0.2)
        yield url, process.pid
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            await process.wait()
        log.close()


class Api:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def op(self, name: str, variables: dict[str, Any], token: str | None = None) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.http.post(
            "/graphql",
            json={"query": OPERATIONS[name], "operationName": name, "variables": variables},
            headers=headers,
        )
        body = response.json()
        assert not body.get("errors"), body
        return body["data"]

    async def login(self, phone: str) -> str:
        data = await self.op("Login", {"input": {"phone": phone, "password": PASSWORD}})
        assert data["login"]["errors"] == [], data
        token: str = data["login"]["accessToken"]
        return token


async def _open(url: str, token: str, board_id: str) -> ClientConnection:
    ws = await connect(
        url.replace("http", "ws", 1) + "/graphql",
        subprotocols=[TRANSPORT_WS],
        open_timeout=WAIT_SECONDS,
        ping_interval=None,
    )
    await ws.send(json.dumps({"type": "connection_init",
                              "payload": {"authorization": f"Bearer {token}"}}))  # fmt: skip
    ack = json.loads(await ws.recv())
    assert ack == {"type": "connection_ack"}, ack
    await ws.send(
        json.dumps(
            {
                "id": "1",
                "type": "subscribe",
                "payload": {
                    "query": OPERATIONS["BoardEvents"],
                    "operationName": "BoardEvents",
                    "variables": {"boardId": board_id},
                },
            }
        )
    )
    return ws


async def _open_all(url: str, tokens: list[str], board_id: str, n: int) -> list[ClientConnection]:
    sockets: list[ClientConnection] = []
    for start in range(0, n, OPENING_AT_ONCE):
        batch = range(start, min(n, start + OPENING_AT_ONCE))
        sockets += await asyncio.gather(
            *(_open(url, tokens[i % len(tokens)], board_id) for i in batch)
        )
    return sockets


async def _subscriptions(http: httpx.AsyncClient) -> int:
    """The server's boardEvents subscriptions running (from /metrics)."""
    text = (await http.get("/metrics")).text
    match = re.search(r'^neighbor_subscriptions_active\{field="boardEvents"\} (\S+)$', text, re.M)
    return int(float(match.group(1))) if match else 0


async def _until_subscribed(http: httpx.AsyncClient, n: int) -> None:
    for _ in range(int(WAIT_SECONDS / 0.2)):
        if await _subscriptions(http) >= n:
            return
        await asyncio.sleep(0.2)
    raise TimeoutError(f"{await _subscriptions(http)} of {n} subscriptions running")


class Arrivals:
    """When each subscriber received each move (perf_counter), and whether all have."""

    def __init__(self, subscribers: int, moves: int) -> None:
        self.subscribers = subscribers
        self.times: list[list[float]] = [[] for _ in range(moves)]
        self.complete = [asyncio.Event() for _ in range(moves)]

    async def read(self, ws: ClientConnection) -> None:
        for move in range(len(self.times)):
            while True:
                message = json.loads(await ws.recv())
                if message.get("type") == "ping":
                    await ws.send(json.dumps({"type": "pong"}))
                    continue
                break
            assert message["type"] == "next", message
            assert message["payload"]["data"]["boardEvents"]["kind"] == "MOVED", message
            self.times[move].append(time.perf_counter())
            if len(self.times[move]) == self.subscribers:
                self.complete[move].set()


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@dataclass(frozen=True)
class Fanout:
    """What one run of `measure` saw: N sockets on one board, M card moves."""

    subscribers: int
    users: int
    moves: int
    received: int  # sockets that received every move
    opening_s: float
    delays_ms: list[float]  # each socket's event after the mutation's response, every move
    answered_ms: list[float]  # how long each moveTask took to answer
    cpu_us_per_socket: float  # API CPU per move and socket, the move itself included
    rss_before_kib: int
    rss_after_kib: int

    @property
    def kib_per_socket(self) -> float:
        return (self.rss_after_kib - self.rss_before_kib) / self.subscribers

    def p(self, q: float) -> float:
        return _percentile(self.delays_ms, q) if self.delays_ms else float("nan")

    def summary(self) -> dict[str, float]:
        """The figures the results file keeps (the delays as percentiles, not one by one)."""
        return {
            "subscribers": self.subscribers, "users": self.users, "moves": self.moves,
            "received": self.received, "opening_s": self.opening_s,
            "p50_ms": self.p(0.5), "p99_ms": self.p(0.99),
            "max_ms": max(self.delays_ms, default=float("nan")),
            "answered_ms": max(self.answered_ms, default=float("nan")),
            "cpu_us_per_socket": self.cpu_us_per_socket,
            "kib_per_socket": self.kib_per_socket,
        }  # fmt: skip

    def lines(self) -> list[str]:
        n = self.subscribers
        lines = [
            f"subscribers: {n} sockets on one board ({self.users} users), {self.moves} moves",
            f"received every move: {self.received} of {n}",
            f"opening {n} sockets and subscriptions: {self.opening_s:.1f} s",
        ]
        if self.delays_ms:
            early = sum(1 for d in self.delays_ms if d < 0)
            lines.append(
                f"delay from the mutation's response (ms): p50 {self.p(0.5):.0f}, "
                f"p99 {self.p(0.99):.0f}, min {min(self.delays_ms):.0f}, "
                f"max {max(self.delays_ms):.0f}, "
                f"mean {statistics.fmean(self.delays_ms):.0f} ({early} before the response)"
            )
        return [
            *lines,
            f"moveTask answered in (ms): {', '.join(f'{a:.0f}' for a in self.answered_ms)}",
            f"API CPU per move and socket: {self.cpu_us_per_socket:.0f} µs "
            "(the move itself included)",
            f"API memory: {self.rss_before_kib / 1024:.1f} MiB before, "
            f"{self.rss_after_kib / 1024:.1f} MiB with the sockets: "
            f"{self.kib_per_socket:.1f} KiB per idle subscribed socket",
        ]


async def measure(subscribers: int, moves: int, data_dir: Path) -> Fanout:
    """Open `subscribers` sockets on the demo board of a server of its own (in `data_dir`),
    move a card `moves` times and see who got each move, when."""
    async with (
        _server(data_dir) as (url, pid),
        httpx.AsyncClient(base_url=url, timeout=WAIT_SECONDS) as http,
    ):
        api = Api(http)
        worker = await api.login(WORKER)
        tokens = [await api.login(phone) for phone in RESIDENTS]
        viewer = await api.op("Viewer", {}, worker)
        community_id = viewer["viewer"]["memberships"][0]["community"]["id"]
        boards = (await api.op("CommunityBoards", {"communityId": community_id}, worker))[
            "community"
        ]["boards"]
        board_id = boards[0]["id"]
        board = (await api.op("Board", {"id": board_id, "tasksFirst": 1}, worker))["board"]
        # A card moves between columns short of DONE (entered only by approval), unlimited.
        movable = [c for c in board["columns"] if c["kind"] != "DONE"]
        holding = next(c for c in movable if c["tasks"]["edges"])
        task = holding["tasks"]["edges"][0]["node"]
        other = next(c for c in movable if c is not holding and c["wipLimit"] is None)
        columns = [other["id"], holding["id"]]

        # Warm up (first subscriptions pay for imports and caches), then measure.
        warm = await _open_all(url, tokens, board_id, 10)
        await _until_subscribed(http, 10)
        for ws in warm:
            await ws.close()
        await asyncio.sleep(1)
        before = _rss_kib(pid)
        opened_at = time.perf_counter()
        sockets = await _open_all(url, tokens, board_id, subscribers)
        await _until_subscribed(http, subscribers)
        opening = time.perf_counter() - opened_at
        await asyncio.sleep(2)
        after = _rss_kib(pid)

        arrivals = Arrivals(subscribers, moves)
        readers = [asyncio.create_task(arrivals.read(ws)) for ws in sockets]
        delays: list[float] = []
        answered: list[float] = []  # how long each moveTask took to answer, ms
        version = task["version"]
        cpu_before = cpu_seconds(pid, children=False)
        for move in range(moves):  # one at a time: each delivered to all before the next
            sent = time.perf_counter()
            data = await api.op(
                "MoveTask",
                {"input": {"taskId": task["id"], "toColumnId": columns[move % len(columns)],
                           "expectedVersion": version}},
                worker,
            )  # fmt: skip
            responded = time.perf_counter()
            answered.append((responded - sent) * 1000)
            assert data["moveTask"]["errors"] == [], data
            version = data["moveTask"]["task"]["version"]
            with suppress(TimeoutError):
                async with asyncio.timeout(WAIT_SECONDS):
                    await arrivals.complete[move].wait()
            delays += [(arrived - responded) * 1000 for arrived in arrivals.times[move]]
            await asyncio.sleep(0.5)
        # The moves' own work and their fan-out (the idle hub's getMores are in the noise).
        cpu_per_socket = (cpu_seconds(pid, children=False) - cpu_before) / moves / subscribers * 1e6
        for reader in readers:
            reader.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
        received = min(len(times) for times in arrivals.times)
        for ws in sockets:
            await ws.close()

    return Fanout(
        subscribers=subscribers, users=len(tokens), moves=moves, received=received,
        opening_s=opening, delays_ms=delays, answered_ms=answered,
        cpu_us_per_socket=cpu_per_socket, rss_before_kib=before, rss_after_kib=after,
    )  # fmt: skip


def run(subscribers: int, moves: int, data_dir: Path | None = None) -> Fanout:
    """`measure` in a new event loop, in `data_dir` or a temporary directory."""
    if data_dir is not None:
        return asyncio.run(measure(subscribers, moves, data_dir.resolve()))
    with tempfile.TemporaryDirectory() as tmp:
        return asyncio.run(measure(subscribers, moves, Path(tmp)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--moves", type=int, default=3)
    parser.add_argument("--data-dir", type=Path, help="an existing data directory (default: new)")
    args = parser.parse_args()
    for line in run(args.subscribers, args.moves, args.data_dir).lines():
        print(line)  # noqa: T201


if __name__ == "__main__":
    main()
