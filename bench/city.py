"""The city-scale benchmark, one command: `scripts/bench [--scale 10k|1m] [--duration S]`.

1. starts an embedded SecantusDB (its own process, so its CPU is measured apart) in
   `--work` (default `var/bench`, emptied first) and generates the city into it (bench/generate),
   kept as it was generated in `<work>/<scale>/city`: each run copies it to `db` and writes
   there, so `--reuse` measures the same city every time (not one grown by the reports the
   earlier runs' `SubmitReport` piled at one spot);
2. starts `neighbor-api serve` (production settings) on it and signs in sample residents and
   community workers over HTTP;
3. runs the list operations one request at a time for half of `--duration` (their latency
   unqueued; after a pass of each, not measured, that warms the database's cache), then each
   operation of the mobile mix with `--connections` keep-alive connections for `--duration`
   seconds, with the strawberry peer (bench/peer.py) before the first, between every two and
   after the last (the same generator, a quarter as long each; an operation's ratios use the
   mean of the peer's runs right before and right after it);
4. opens `--subscribers` WebSocket subscribers (1,000) on one board of a server of its own
   (bench/subscribers: the demo street) and moves a card `--moves` times;
5. prints the tables and writes them to bench/results/<date>-<time>-<scale>.md and .json; a
   1M run also compares its lists' p50 with the newest 10k results (bench/compare.py).

Figures: requests/s and p50/p99 latency as the load generator saw them; API and database CPU
per request from /proc (user + system, the idle rate subtracted); round trips per request
from the API's `neighbor_db_commands_total`; each API figure also as a ratio to the peer's.
Nothing here is asserted: the machine's load moves every absolute number.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import shutil
import time
from collections.abc import Sequence
from dataclasses import asdict, replace
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path

import httpx

from bench import compare, explain, mix, subscribers
from bench.generate import SCALES, City, generate, load_city, password_hash_for
from bench.load import (
    JOBS_FIRST_ROUND_SECONDS,
    Measured,
    Watched,
    db_commands,
    idle_line,
    idle_rates,
    run,
    settled_idle_rates,
)
from bench.processes import api_server, peer_server
from neighbor_api.core.clock import SystemClock
from neighbor_api.core.embedded import EmbeddedMongo
from neighbor_api.core.migrations import migrate
from neighbor_api.core.mongo import connect
from neighbor_api.migrations import STEPS
from neighbor_api.schema import build_schema
from neighbor_api.settings import Settings

RESULTS = Path(__file__).resolve().parent / "results"
DATABASE = "bench"
# Runs with fewer requests than this give no usable API CPU figure (said under the table).
FEW = 100
# The database's cache at either scale (a production mongod is sized to hold its working set;
# the 1M city's ~10 GB in SecantusDB's default 1 GB cache thrashes it).
CACHE_SIZE = "6G"
# A bulk-loaded city's server checkpoints its cache when it stops, and the next start recovers
# whatever it did not (after the default 10 s stop, then SIGKILL, a 1M city once did not
# start again within the default 30 s).
STOP_SECONDS = 1800.0
START_SECONDS = 1800.0


HELLO, LIST = "peer { hello }", "peer 20 objects × 5 fields"

# One run of the peer's cases, by name.
Peer = dict[str, Measured]


def table(
    rows: list[Measured], references: list[Peer], peer: Peer, fanout: subscribers.Fanout | None
) -> list[str]:
    """The operations (each as a ratio to its own `references` entry: the peer measured right
    around it), the peer's rows (`peer`: its mean over the run), the mix and the targets."""
    lines = [
        "| operation | req/s | p50 ms | p99 ms | API CPU ms/req | × peer hello | × peer list "
        "| DB CPU ms/req | round trips | outcomes |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    ratios: dict[str, tuple[float, float]] = {}
    measured = [*zip(rows, references, strict=True), *((r, peer) for r in peer.values())]
    for row, reference in measured:
        db = "—" if row.db_cpu_ms is None else f"{row.db_cpu_ms:.2f}"
        trips = "—" if row.trips is None else f"{row.trips:.1f}"
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(row.outcomes.items()))
        hello = row.api_cpu_ms / reference[HELLO].api_cpu_ms
        listed = row.api_cpu_ms / reference[LIST].api_cpu_ms
        ratios[row.name] = hello, listed
        lines.append(
            f"| {row.name} | {row.per_second:,.0f} | {row.p50_ms:.1f} | {row.p99_ms:.1f} "
            f"| {row.api_cpu_ms:.2f} | {hello:.1f} | {listed:.1f} | {db} | {trips} | {outcomes} |"
        )
    by_name = {row.name: row for row in rows}
    weights = sum(mix.WEIGHTS.values())
    mix_ms = sum(by_name[n].api_cpu_ms * w for n, w in mix.WEIGHTS.items()) / weights
    mix_ratio = sum(ratios[n][1] * w for n, w in mix.WEIGHTS.items()) / weights
    few = ", ".join(row.name for row in rows if row.requests < FEW)
    note = (
        f"Fewer than {FEW} requests ({few}): their API CPU and round trips are within the "
        "error of the idle rate subtracted over the run; their database CPU is not."
    )
    lines += [
        "",
        note if few else "",
        "",
        f"Mobile mix (weights {', '.join(f'{n} {w}' for n, w in mix.WEIGHTS.items())}): "
        f"{mix_ms:.2f} ms API CPU per request; its operations' ratios to the peer's list, "
        f"weighed alike: {mix_ratio:.1f} ×.",
        "",
        "| target (issue #10) | now |",
        "| --- | --- |",
        f"| `{{ viewer {{ id }} }}` ≤ 2 × peer `{{ hello }}` | {ratios[mix.VIEWER_ID][0]:.1f} × |",
        f"| `Reports` first 20 ≤ 4 × peer list "
        f"| {ratios['Reports (resident)'][1]:.1f} × (resident), "
        f"{ratios['Reports (staff)'][1]:.1f} × (staff) |",
        f"| mobile mix ≤ 4 × peer list | {mix_ratio:.1f} × |",
    ]
    if fanout is not None:
        lines += [
            f"| 1,000 subscribers on one board: every one gets each move "
            f"| {fanout.received:,} of {fanout.subscribers:,} |",
            f"| … p99 ≤ 250 ms from the mutation's response | {fanout.p(0.99):.0f} ms |",
            f"| ≤ 50 KB of API memory per idle subscribed socket "
            f"| {fanout.kib_per_socket * 1.024:.1f} KB ({fanout.kib_per_socket:.1f} KiB) |",
        ]
    return lines


def alone_table(alone: list[Measured]) -> list[str]:
    lines = [
        "| list | req/s | p50 ms | p99 ms | API CPU ms/req | DB CPU ms/req | round trips |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in alone:
        db = "—" if row.db_cpu_ms is None else f"{row.db_cpu_ms:.2f}"
        trips = "—" if row.trips is None else f"{row.trips:.1f}"
        lines.append(
            f"| {row.name} | {row.per_second:,.0f} | {row.p50_ms:.1f} | {row.p99_ms:.1f} "
            f"| {row.api_cpu_ms:.2f} | {db} | {trips} |"
        )
    return lines


# The scale the lists' latency at 1M is compared with (issue #10: p50 ≤ 1.3 × its p50 here).
REFERENCE = {"1m": "10k"}


def scales(
    scale: str, connections: int, when: datetime, rows: list[Measured], alone: list[Measured]
) -> list[str]:
    """The lists' p50 over their p50 in the newest results of the reference scale (none for a
    scale without one, or before that scale was ever measured)."""
    reference = REFERENCE.get(scale)
    found = compare.newest(RESULTS, reference) if reference else None
    if found is None:
        return []
    smaller = json.loads(found.read_text(encoding="utf-8"))
    larger = {
        "scale": scale, "at": when.isoformat(), "connections": connections,
        "operations": [asdict(r) for r in rows], "alone": [asdict(r) for r in alone],
    }  # fmt: skip
    return [*compare.lines(smaller, larger, name=found.name), ""]


async def measure(args: argparse.Namespace) -> None:
    scale = SCALES[args.scale]
    work: Path = args.work
    build_schema(Settings())  # imports every feature, so every index is registered
    marker, pristine = work / "city.json", work / "city"
    if not (args.reuse and marker.exists() and pristine.exists()):
        shutil.rmtree(pristine, ignore_errors=True)
        # Bulk-loaded without a sync per commit: data the generator can make again.
        with EmbeddedMongo(pristine, cache_size=CACHE_SIZE, sync_on_commit=False) as loading:
            print(f"generating the {args.scale} city …", flush=True)  # noqa: T201
            client = connect(loading.uri)
            try:
                city = await generate(client[DATABASE], scale,
                                      password_hash=password_hash_for(Settings()))  # fmt: skip
            finally:
                await client.close()
                loading.stop(timeout=STOP_SECONDS)
            marker.write_text(json.dumps({"counts": city.counts, "seconds": city.seconds,
                                          "phases": city.phases}))  # fmt: skip
    else:  # a new city is generated after the migrations; one kept may predate some
        print(f"reusing the {args.scale} city in {pristine}", flush=True)  # noqa: T201
        await _migrate(pristine)
    # The run writes to a copy: the city stays as generated (and migrated) for the next one.
    shutil.rmtree(work / "db", ignore_errors=True)
    shutil.copytree(pristine, work / "db")
    with EmbeddedMongo(
        work / "db", cache_size=CACHE_SIZE, startup_timeout=START_SECONDS
    ) as database:
        client = connect(database.uri)
        db = client[DATABASE]
        city = City(await load_city(db), **json.loads(marker.read_text()))
        phases = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in city.phases.items())
        print(f"{sum(city.counts.values()):,} documents in {city.seconds:.0f} s ({phases})",  # noqa: T201
              flush=True)  # fmt: skip
        token, secret = secrets.token_urlsafe(24), secrets.token_urlsafe(48)
        started, api_started = time.perf_counter(), time.monotonic()
        with api_server(database.uri, DATABASE, work=work, metrics_token=token,
                        secret_key=secret) as api, peer_server(work) as peer_process:  # fmt: skip
            print(f"API ready in {time.perf_counter() - started:.0f} s", flush=True)  # noqa: T201
            peer_watch = Watched(peer_process.pid)
            peer_watch = Watched(peer_process.pid, idle=idle_rates(peer_watch))
            url = f"{api.url}/graphql"
            step = max(len(city.communities) // args.communities, 1)
            sample = city.communities[::step][: args.communities]
            staff, residents = await mix.viewers(url, db, sample, residents_each=args.residents)
            with httpx.Client(timeout=30) as scraper:
                watched = Watched(api.pid, database.process.pid if database.process else None,
                                  lambda: db_commands(scraper, api.url, token))  # fmt: skip
                jobs_ran = api_started + JOBS_FIRST_ROUND_SECONDS
                idle = settled_idle_rates(watched, not_before=jobs_ran)
                watched = Watched(watched.api_pid, watched.db_pid, watched.metrics, idle)
                # The lists one request at a time (their latency unqueued), first: before any
                # mutation, whose aftermath (notifications, jobs) would be counted with them;
                # after a loaded pass of each, not measured, that brings the sample communities'
                # reports into the database's cache (a server just started reads them from disk:
                # at 1M the first pass's p50 was 1.4 x the 10k one, 2026-12-03 03:53).
                lists = [case for case in mix.api_cases(url, staff, residents)
                         if case.name in compare.LISTS]  # fmt: skip
                for case in lists:
                    await run(case, watched, connections=args.connections,
                              duration=args.duration / 2)  # fmt: skip
                alone = [await run(case, watched, connections=1, duration=args.duration / 2)
                         for case in lists]  # fmt: skip
                # The peer around every operation (a quarter as long): the machine's speed
                # drifts within a run (another tenant's load), and each operation's ratios use
                # the peer's runs right before and right after it.
                peer_runs = [await run_peer(peer_process.url, peer_watch, args)]
                rows = []
                for case in mix.api_cases(url, staff, residents):
                    rows.append(await run(case, watched, connections=args.connections,
                                          duration=args.duration))  # fmt: skip
                    print(f"  {case.name}: {rows[-1].per_second:.0f}/s", flush=True)  # noqa: T201
                    peer_runs.append(await run_peer(peer_process.url, peer_watch, args))
        # The plans of every read the mix sends, on this city (after the runs: votes are used).
        server = Settings(mongodb_uri=database.uri, database=DATABASE, secret_key=secret)
        plans = await explain.explain_mix(server, database.uri, DATABASE,
                                          mix.api_cases(url, staff, residents))  # fmt: skip
        await client.close()
    fanout = None
    if args.subscribers:  # alone on the machine: the city's database has stopped
        shutil.rmtree(work / "subscribers", ignore_errors=True)
        (work / "subscribers").mkdir()
        fanout = await subscribers.measure(args.subscribers, args.moves, work / "subscribers")
    report(args, city, rows, alone, peer_runs, mix.fresh_ballots(residents), plans,
           fanout, watched.idle)  # fmt: skip


async def _migrate(pristine: Path) -> None:
    """The migrations added since the city was generated, applied to the city itself (once,
    not in each run's copy; not in the API's start-up either, which has a timeout, and a
    million reports to go through)."""
    with EmbeddedMongo(pristine, cache_size=CACHE_SIZE, startup_timeout=START_SECONDS) as server:
        client = connect(server.uri)
        try:
            started = time.perf_counter()
            await migrate(client[DATABASE], STEPS, clock=SystemClock())
            print(f"migrated in {time.perf_counter() - started:.0f} s", flush=True)  # noqa: T201
        finally:
            await client.close()
            server.stop(timeout=STOP_SECONDS)


async def run_peer(url: str, watched: Watched, args: argparse.Namespace) -> Peer:
    """The strawberry peer's cases, each for a quarter of the duration."""
    return {
        case.name: await run(case, watched, connections=args.connections,
                             duration=args.duration / 4)
        for case in mix.peer_cases(url)
    }  # fmt: skip


def peer_mean(runs: Sequence[Peer]) -> Peer:
    """The peer's rows as last run, with the mean API CPU of `runs`."""
    return {
        name: replace(row, api_cpu_ms=sum(run[name].api_cpu_ms for run in runs) / len(runs))
        for name, row in runs[-1].items()
    }


def references(runs: Sequence[Peer]) -> list[Peer]:
    """Each operation's peer: the mean of its runs right before and right after it."""
    return [peer_mean(pair) for pair in pairwise(runs)]


def drift_line(runs: Sequence[Peer]) -> str:
    """How the peer's CPU moved over the run."""
    parts = [
        f"{name} {min(r[name].api_cpu_ms for r in runs):.2f}–"
        f"{max(r[name].api_cpu_ms for r in runs):.2f}"
        for name in runs[-1]
    ]
    return (
        f"The peer ran {len(runs)} times, a quarter of the duration each: before the first "
        "operation, between every two and after the last. The machine's speed moves within a "
        "run (its API CPU per request ranged " + ", ".join(parts) + " ms), so each operation's "
        "ratios use the mean of the peer's runs right before and right after it; the peer's rows "
        "show the mean of all its runs."
    )


def report(args: argparse.Namespace, city: City, rows: list[Measured], alone: list[Measured],
           peer_runs: list[Peer], ballots: int,
           plans: list[explain.Explained], fanout: subscribers.Fanout | None,
           idle: tuple[float, float, float]) -> None:  # fmt: skip
    when = datetime.now(UTC)
    peer = peer_mean(peer_runs)
    counts, generated_s = city.counts, city.seconds
    phases = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in city.phases.items())
    lines = [
        f"# Benchmark {when:%Y-%m-%d %H:%M} UTC, scale {args.scale}",
        "",
        f"{sum(counts.values()):,} documents generated in {generated_s:.0f} s "
        f"({phases + '; ' if phases else ''}{counts.get('reports', 0):,} reports, "
        f"{counts.get('users', 0):,} accounts). "
        f"{args.connections} connections, {args.duration:.0f} s per operation, "
        f"{args.communities} sample communities, {args.residents} signed-in residents each "
        f"({ballots} votes to cast: CastVote stops when they are used up, the first "
        f"{args.connections} in the warm-up). "
        "API and database each on their own process, load generator in a third. " + idle_line(idle),
        "",
        *table(rows, references(peer_runs), peer, fanout),
        "",
        drift_line(peer_runs),
        "",
        "The lists one request at a time (one connection, half as long, measured before the runs "
        "above):",
        "",
        *alone_table(alone),
        "",
        *scales(args.scale, args.connections, when, rows, alone),
        "Every read of the mix explained on this city (`bench/explain.py`; the `Reports` lists "
        "with their second page; CastVote after its ballots are used):",
        "",
        *explain.table(plans),
    ]
    if fanout is not None:
        lines += [
            "",
            "Live updates (`bench/subscribers.py`, after the city's runs, on a server of its own "
            "with the demo street):",
            "",
            *(f"- {line}" for line in fanout.lines()),
        ]
    text = "\n".join(lines) + "\n"
    print(text)  # noqa: T201
    RESULTS.mkdir(exist_ok=True)
    stem = RESULTS / f"{when:%Y-%m-%d-%H%M}-{args.scale}"
    stem.with_suffix(".md").write_text(text, encoding="utf-8")
    stem.with_suffix(".json").write_text(json.dumps({
        "at": when.isoformat(), "scale": args.scale, "connections": args.connections,
        "duration_s": args.duration, "documents": counts, "generated_s": generated_s,
        "generated_phases_s": city.phases,
        "idle": dict(zip(("api_cpu", "db_cpu", "trips"), idle, strict=True)),
        "operations": [asdict(r) | {"per_second": r.per_second} for r in rows],
        "alone": [asdict(r) | {"per_second": r.per_second} for r in alone],
        "peer": [asdict(r) | {"per_second": r.per_second} for r in peer.values()],
        "peer_runs": [[asdict(r) | {"per_second": r.per_second} for r in run.values()]
                      for run in peer_runs],
        "weights": mix.WEIGHTS,
        "plans": [asdict(p) | {"indexes": sorted(p.indexes)} for p in plans],
        "subscribers": fanout.summary() if fanout else None,
    }, ensure_ascii=False, indent=2), encoding="utf-8")  # fmt: skip
    print(f"written: {stem}.md, {stem}.json")  # noqa: T201


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", choices=sorted(SCALES), default="10k")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per operation")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--communities", type=int, default=20, help="sample communities")
    parser.add_argument("--residents", type=int, default=8, help="signed in per community")
    parser.add_argument("--work", type=Path, default=Path("var/bench"))
    parser.add_argument(
        "--subscribers", type=int, default=1000, help="sockets on one board (0: none)"
    )
    parser.add_argument("--moves", type=int, default=3, help="card moves they receive")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the city generated by an earlier run"
    )
    args = parser.parse_args()
    args.work = args.work.resolve() / args.scale
    if not args.reuse:
        shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True, exist_ok=True)
    asyncio.run(measure(args))


if __name__ == "__main__":
    main()
