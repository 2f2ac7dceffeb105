"""Benchmark: the contract's operations in-process against a fresh embedded database.

Prints, per operation: requests per second, median and 95th-percentile latency, and database
round trips per request. Run: `.venv/bin/python bench/run.py [--requests N]`.
Figures are for reading and comparing, never asserted in tests.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from pymongo import monitoring

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from neighbor_api.context import Context  # noqa: E402
from neighbor_api.core.clock import SystemClock  # noqa: E402
from neighbor_api.core.deps import Deps  # noqa: E402
from neighbor_api.core.embedded import EmbeddedMongo  # noqa: E402
from neighbor_api.core.i18n import Locale  # noqa: E402
from neighbor_api.core.mongo import connect, ensure_indexes  # noqa: E402
from neighbor_api.demo import load_demo  # noqa: E402
from neighbor_api.schema import build_schema  # noqa: E402
from neighbor_api.settings import Environment, Settings  # noqa: E402

OPERATIONS = {
    path.stem: path.read_text(encoding="utf-8")
    for path in sorted((ROOT / "schema" / "operations").glob("*.graphql"))
}


class Counter(monitoring.CommandListener):
    def __init__(self) -> None:
        self.count = 0

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.count += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


async def main(requests: int) -> None:
    settings = Settings(environment=Environment.TEST)
    schema = build_schema(settings)
    counter = Counter()
    with tempfile.TemporaryDirectory() as tmp, EmbeddedMongo(Path(tmp) / "db") as server:
        client = connect(server.uri, listeners=[counter])
        db = client["bench"]
        await ensure_indexes(db)
        deps = Deps(client=client, db=db, settings=settings, clock=SystemClock())
        await load_demo(deps)

        async def run(
            document: str, name: str, variables: dict[str, Any], token: str | None
        ) -> Any:
            context = Context(deps=deps, locale=Locale.ZH_CN, request_id="bench", token=token)
            result = await schema.execute(
                document, variable_values=variables, context_value=context, operation_name=name
            )
            assert result.errors is None, result.errors
            return result.data

        login = await run(
            OPERATIONS["auth"],
            "Login",
            {"input": {"phone": "13800000001", "password": "neighbor-demo"}},
            None,
        )
        token = login["login"]["accessToken"]
        viewer = await run(OPERATIONS["auth"], "Viewer", {}, token)
        community_id = viewer["viewer"]["memberships"][0]["community"]["id"]
        reports = await run(
            OPERATIONS["reports"], "Reports", {"communityId": community_id, "first": 20}, token
        )
        report_id = reports["reports"]["edges"][0]["node"]["id"]
        councils = await run(
            OPERATIONS["councils"], "Councils", {"communityId": community_id}, token
        )
        council_id = councils["community"]["councils"][0]["id"]
        proposals = await run(OPERATIONS["councils"], "Proposals", {"councilId": council_id}, token)
        proposal_id = proposals["proposals"]["edges"][0]["node"]["id"]
        cases = [
            ("auth", "Viewer", {}, token),
            ("places", "Community", {"id": community_id}, token),
            (
                "places",
                "NearbyCommunities",
                {"near": {"lat": 24.5, "lng": 118.18}, "first": 20},
                token,
            ),
            ("auth", "PendingMemberships", {"communityId": community_id, "first": 20}, token),
            ("reports", "Reports", {"communityId": community_id, "first": 20}, token),
            ("reports", "ReportDetail", {"id": report_id, "commentsFirst": 20}, token),
            ("councils", "ProposalDetail", {"id": proposal_id}, token),
        ]
        print(f"{'operation':<22}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'trips':>7}")  # noqa: T201
        for document, name, variables, case_token in cases:
            latencies = []
            counter.count = 0
            started = time.perf_counter()
            for _ in range(requests):
                t0 = time.perf_counter()
                await run(OPERATIONS[document], name, variables, case_token)
                latencies.append((time.perf_counter() - t0) * 1000)
            elapsed = time.perf_counter() - started
            p95 = statistics.quantiles(latencies, n=20)[-1]
            print(  # noqa: T201
                f"{name:<22}{requests / elapsed:>8.0f}{statistics.median(latencies):>9.2f}"
                f"{p95:>9.2f}{counter.count / requests:>7.1f}"
            )
        await client.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=300)
    asyncio.run(main(parser.parse_args().requests))
