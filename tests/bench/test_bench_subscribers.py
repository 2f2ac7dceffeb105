"""The benchmark's live-updates step (`bench/subscribers.py`, run by `scripts/bench`), small:
a real `neighbor-api serve --demo` child, real sockets, and the rows it adds to the results."""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise
from pathlib import Path

from bench import city, mix
from bench.load import Measured
from bench.subscribers import Fanout, measure


async def test_every_socket_gets_every_move_and_the_results_say_so(tmp_path: Path) -> None:
    fanout = await measure(20, 2, tmp_path)

    assert (fanout.subscribers, fanout.users, fanout.moves) == (20, 5, 2)
    assert fanout.received == 20
    assert len(fanout.delays_ms) == 20 * 2
    assert len(fanout.answered_ms) == 2
    assert fanout.rss_after_kib > fanout.rss_before_kib > 0
    summary = fanout.summary()
    assert summary["received"] == 20
    assert summary["p99_ms"] >= summary["p50_ms"]

    lines = "\n".join(city.table(_rows(), _references(), _peer(), fanout))
    assert "| 1,000 subscribers on one board: every one gets each move | 20 of 20 |" in lines
    assert f"| … p99 ≤ 250 ms from the mutation's response | {fanout.p(0.99):.0f} ms |" in lines
    assert f"({fanout.kib_per_socket:.1f} KiB) |" in lines


def test_the_table_has_no_subscriber_rows_when_none_were_measured() -> None:
    lines = "\n".join(city.table(_rows(), _references(), _peer(), None))
    assert "mobile mix ≤ 4 × peer list" in lines
    assert "subscribers" not in lines


def test_a_fanout_reads_its_percentiles_from_every_delay() -> None:
    fanout = Fanout(
        subscribers=4, users=1, moves=1, received=4, opening_s=0.1,
        delays_ms=[10.0, 20.0, 30.0, 400.0], answered_ms=[5.0],
        cpu_us_per_socket=100.0, rss_before_kib=1000, rss_after_kib=1200,
    )  # fmt: skip
    assert (fanout.p(0.5), fanout.p(0.99)) == (30.0, 400.0)
    assert fanout.kib_per_socket == 50.0
    assert "p50 30, p99 400" in "\n".join(fanout.lines())


def _rows() -> list[Measured]:
    names = [mix.VIEWER_ID, *mix.WEIGHTS]
    return [Measured(name, 100, 1.0, 10.0, 20.0, 2.0, 1.0, 3.0) for name in names]


def _peer() -> dict[str, Measured]:
    names = ("peer { hello }", "peer 20 objects × 5 fields")
    return {name: Measured(name, 100, 1.0, 5.0, 9.0, 0.5, None, None) for name in names}


def _references() -> list[dict[str, Measured]]:
    return [_peer() for _ in _rows()]


def test_each_operation_is_a_ratio_to_the_peer_measured_around_it() -> None:
    """The peer runs before the first operation, between every two and after the last; the
    machine's speed drifts within a run (here it halves: the peer's CPU doubles), and each
    operation is measured against the mean of the peer's runs right before and right after."""
    rows = _rows()
    runs = [
        {name: replace(row, api_cpu_ms=0.5 * (1 + i / len(rows))) for name, row in _peer().items()}
        for i in range(len(rows) + 1)
    ]  # fmt: skip
    around = [(a[city.LIST].api_cpu_ms + b[city.LIST].api_cpu_ms) / 2 for a, b in pairwise(runs)]
    # Each operation costs twice the peer's list at the speed of its moment.
    drifting = [replace(row, api_cpu_ms=2 * ms) for row, ms in zip(rows, around, strict=True)]
    lines = "\n".join(city.table(drifting, city.references(runs), city.peer_mean(runs), None))
    assert "| mobile mix ≤ 4 × peer list | 2.0 × |" in lines
    assert "| `{ viewer { id } }` ≤ 2 × peer `{ hello }` | 2.0 × |" in lines
    # The mean of the whole run's peer would misread the first and the last operation.
    assert city.peer_mean(runs)[city.LIST].api_cpu_ms == 0.75
    assert "peer { hello } 0.50–1.00" in city.drift_line(runs)
