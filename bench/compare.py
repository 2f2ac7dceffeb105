"""The lists' latency at two scales: p50 at the larger city over p50 at the smaller one.

Issue #10's target is that each list operation's p50 at 1M reports is at most 1.3 × its p50 at
10k. Two figures are compared, because they answer different questions:

- **loaded** (`operations`: `--connections` requests in flight): on the two-core machine the
  database, the API and the load generator saturate it, so this p50 is mostly time queued
  behind other requests, i.e. the inverse of the throughput;
- **alone** (`alone`: one request at a time, nothing else running): the latency a request
  meets on an idle server, which is what the size of the city can change.

`python -m bench.compare SMALLER.json LARGER.json` prints the table; `scripts/bench --scale 1m`
adds it to its results, against the newest 10k results in `bench/results`.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The list operations of the mobile mix the target names.
LISTS = ("Reports (resident)", "Reports (staff)", "ReportsNearby")
TARGET = 1.3


@dataclass(frozen=True)
class Ratio:
    operation: str
    loaded: tuple[float, float] | None  # p50 ms at the smaller and the larger scale
    alone: tuple[float, float] | None

    @staticmethod
    def of(pair: tuple[float, float] | None) -> float | None:
        return None if pair is None or pair[0] <= 0 else pair[1] / pair[0]


def _p50s(results: dict[str, Any], key: str) -> dict[str, float]:
    return {row["name"]: float(row["p50_ms"]) for row in results.get(key) or []}


def ratios(smaller: dict[str, Any], larger: dict[str, Any]) -> list[Ratio]:
    """Each list operation's p50 at both scales, loaded and alone (None: not measured in one
    of them, as in results written before `alone` was)."""
    found = []
    for operation in LISTS:
        pairs = []
        for key in ("operations", "alone"):
            small, large = _p50s(smaller, key).get(operation), _p50s(larger, key).get(operation)
            pairs.append(None if small is None or large is None else (small, large))
        found.append(Ratio(operation, pairs[0], pairs[1]))
    return found


def _cell(pair: tuple[float, float] | None) -> str:
    ratio = Ratio.of(pair)
    if pair is None or ratio is None:
        return "—"
    mark = "met" if ratio <= TARGET else "not met"
    return f"{pair[0]:.1f} → {pair[1]:.1f} ms: {ratio:.2f} × ({mark})"


def lines(smaller: dict[str, Any], larger: dict[str, Any], *, name: str = "") -> list[str]:
    """A markdown table of `ratios`, with what was compared."""
    source = f" (`{name}`)" if name else ""
    return [
        f"p50 at {larger.get('scale')} over p50 at {smaller.get('scale')}{source}, "
        f"target ≤ {TARGET} × (`bench/compare.py`):",
        "",
        f"| list | {larger.get('connections')} connections (queued) | one request at a time |",
        "| --- | --- | --- |",
        *(
            f"| {r.operation} | {_cell(r.loaded)} | {_cell(r.alone)} |"
            for r in ratios(smaller, larger)
        ),
    ]


def newest(directory: Path, scale: str) -> Path | None:
    """The results file of `scale` in `directory` written last (by its `at`)."""
    best: tuple[str, Path] | None = None
    for path in directory.glob(f"*-{scale}.json"):
        try:
            at = json.loads(path.read_text(encoding="utf-8")).get("at")
        except (OSError, ValueError):
            continue
        if isinstance(at, str) and (best is None or at > best[0]):
            best = (at, path)
    return None if best is None else best[1]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("smaller", type=Path, help="results JSON of the smaller city (10k)")
    parser.add_argument("larger", type=Path, help="results JSON of the larger city (1M)")
    args = parser.parse_args()
    smaller = json.loads(args.smaller.read_text(encoding="utf-8"))
    larger = json.loads(args.larger.read_text(encoding="utf-8"))
    print("\n".join(lines(smaller, larger, name=args.smaller.name)))  # noqa: T201


if __name__ == "__main__":
    main()
