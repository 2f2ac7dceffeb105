"""API CPU per request, in-process: the app behind httpx's ASGI transport (middleware, view,
schema, encoding; no sockets), on the demo data in a fresh embedded database (a child process,
so its CPU is not counted). For profiling and before/after comparisons of the hot path; the
figures are read, never asserted. Run: `.venv/bin/python bench/cpu.py [--requests N]
[--profile NAME]` (`--profile` prints cProfile's top functions by CPU time for one operation).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.peer import app as peer_app  # noqa: E402
from neighbor_api.app import GC_THRESHOLDS, create_app  # noqa: E402
from neighbor_api.core.clock import SystemClock  # noqa: E402
from neighbor_api.core.deps import Deps  # noqa: E402
from neighbor_api.core.embedded import EmbeddedMongo  # noqa: E402
from neighbor_api.core.mongo import connect, ensure_indexes  # noqa: E402
from neighbor_api.demo import load_demo  # noqa: E402
from neighbor_api.settings import Environment, Settings  # noqa: E402

OPERATIONS = {
    path.stem: path.read_text(encoding="utf-8")
    for path in sorted((ROOT / "schema" / "operations").glob("*.graphql"))
}
ROUNDS = 3  # the best of three (--rounds): other processes on the machine only ever add time


async def main(
    requests: int, profile: str | None, dump: str | None = None, only: str | None = None
) -> None:
    settings = Settings(environment=Environment.TEST)
    with tempfile.TemporaryDirectory() as tmp, EmbeddedMongo(Path(tmp) / "db") as server:
        client = connect(server.uri)
        db = client["bench"]
        await ensure_indexes(db)
        deps = Deps(client=client, db=db, settings=settings, clock=SystemClock())
        await load_demo(deps)
        app = create_app(settings, deps=deps)
        transport = httpx.ASGITransport(app=app)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://bench") as http,
        ):
            headers: dict[str, str] = {}

            async def post(document: str, name: str | None, variables: dict[str, Any]) -> Any:
                body = {"query": document, "operationName": name, "variables": variables}
                response = await http.post("/graphql", json=body, headers=headers)
                payload = response.json()
                assert "errors" not in payload, payload
                return payload["data"]

            login = await post(
                OPERATIONS["auth"],
                "Login",
                {"input": {"phone": "13800000001", "password": "neighbor-demo"}},
            )
            headers["Authorization"] = f"Bearer {login['login']['accessToken']}"
            viewer = await post(OPERATIONS["auth"], "Viewer", {})
            community_id = viewer["viewer"]["memberships"][0]["community"]["id"]
            reports = await post(
                OPERATIONS["reports"], "Reports", {"communityId": community_id, "first": 20}
            )
            report_id = reports["reports"]["edges"][0]["node"]["id"]
            found = await post(
                "query($id: ID!) { community(id: $id) { boards { id } councils { id } } }",
                None,
                {"id": community_id},
            )
            board_id = found["community"]["boards"][0]["id"]
            proposals = await post(
                OPERATIONS["councils"],
                "Proposals",
                {"councilId": found["community"]["councils"][0]["id"], "first": 1},
            )
            proposal_id = proposals["proposals"]["edges"][0]["node"]["id"]
            cases: dict[str, tuple[str, str | None, dict[str, Any]]] = {
                "{ viewer { id } }": ("{ viewer { id } }", None, {}),
                "Viewer": (OPERATIONS["auth"], "Viewer", {}),
                "Reports (first 20)": (
                    OPERATIONS["reports"],
                    "Reports",
                    {"communityId": community_id, "first": 20},
                ),
                "ReportDetail": (
                    OPERATIONS["reports"],
                    "ReportDetail",
                    {"id": report_id, "commentsFirst": 20},
                ),
                "Board (tasksFirst 20)": (
                    OPERATIONS["tasks"],
                    "Board",
                    {"id": board_id, "tasksFirst": 20},
                ),
                "ProposalDetail": (OPERATIONS["councils"], "ProposalDetail", {"id": proposal_id}),
            }
            gc.freeze()  # as the app's start-up does (app.py)
            gc.set_threshold(*GC_THRESHOLDS)
            client_ms = await _cpu_ms(requests, _poster(_null_app, {}), NULL_CASE)
            peer = {
                label: await _cpu_ms(requests, _poster(peer_app, {}), case) - client_ms
                for label, case in PEER_CASES.items()
            }
            hello, listed = peer[PEER_HELLO], peer[PEER_LIST]
            print(  # noqa: T201
                f"{'operation':<28}{'API CPU ms/request':>20}{'× peer hello':>14}"
                f"{'× peer list':>13}\n(httpx's own {client_ms:.2f} ms per request subtracted)"
            )
            for label, (document, name, variables) in cases.items():
                if profile is not None and profile != name and profile != label:
                    continue
                if only is not None and only not in label:
                    continue
                for _ in range(min(requests, 50)):  # warm the caches
                    await post(document, name, variables)
                profiler = cProfile.Profile(time.process_time) if profile else None
                rounds = []
                for _ in range(ROUNDS):
                    if profiler:
                        profiler.enable()
                    started = time.process_time()
                    for _ in range(requests):
                        await post(document, name, variables)
                    rounds.append((time.process_time() - started) / requests * 1000)
                    if profiler:
                        profiler.disable()
                ms = min(rounds) - client_ms
                print(f"{label:<28}{ms:>20.2f}{ms / hello:>14.1f}{ms / listed:>13.1f}")  # noqa: T201
                if profiler:
                    if dump:
                        profiler.dump_stats(dump)
                    pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
                    print(f"(median of rounds {statistics.median(rounds):.2f})")  # noqa: T201
            for label, ms in peer.items():
                print(f"{label:<28}{ms:>20.2f}{ms / hello:>14.1f}{ms / listed:>13.1f}")  # noqa: T201
        await client.close()


Case = tuple[str, str | None, dict[str, Any]]
PEER_HELLO = "peer { hello }"
PEER_LIST = "peer 20 objects × 5 fields"
PEER_CASES: dict[str, Case] = {
    PEER_HELLO: ("{ hello }", None, {}),
    PEER_LIST: ("{ items(n: 20) { id title status votes createdAt } }", None, {}),
}
NULL_CASE: Case = ("{ hello }", None, {})
NULL_BODY = b'{"data":{"hello":"world"}}'


async def _null_app(scope: Any, receive: Any, send: Any) -> None:
    """What httpx and the ASGI transport cost by themselves: an app that answers at once."""
    if scope["type"] != "http":
        return
    await receive()
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": NULL_BODY})


def _poster(app: Any, headers: dict[str, str]) -> Any:
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench")

    async def post(document: str, name: str | None, variables: dict[str, Any]) -> Any:
        body = {"query": document, "operationName": name, "variables": variables}
        response = await http.post("/graphql/", json=body, headers=headers)
        return response.json()

    return post


async def _cpu_ms(requests: int, post: Any, case: Case) -> float:
    """The best of ROUNDS rounds of `requests` requests, in ms of this process's CPU each."""
    for _ in range(min(requests, 50)):
        await post(*case)
    rounds = []
    for _ in range(ROUNDS):
        started = time.process_time()
        for _ in range(requests):
            await post(*case)
        rounds.append((time.process_time() - started) / requests * 1000)
    return min(rounds)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--profile", help="an operation to profile (e.g. Reports)")
    parser.add_argument("--dump", help="write the profile's stats to this file (pstats)")
    parser.add_argument("--only", help="the operations whose label contains this text")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="rounds; the best is kept")
    arguments = parser.parse_args()
    ROUNDS = arguments.rounds
    asyncio.run(main(arguments.requests, arguments.profile, arguments.dump, arguments.only))
