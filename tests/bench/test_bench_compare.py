"""The lists' p50 at 1M over their p50 at 10k, as `scripts/bench --scale 1m` reports it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bench import city, compare
from bench.load import Measured


def _row(name: str, p50: float) -> Measured:
    return Measured(name, requests=200, seconds=4.0, p50_ms=p50, p99_ms=2 * p50,
                    api_cpu_ms=5.0, db_cpu_ms=7.0, trips=4.0)  # fmt: skip


def _results(scale: str, at: str, loaded: dict[str, float], alone: dict[str, float]) -> Any:
    return {
        "scale": scale, "at": at, "connections": 16,
        "operations": [{"name": n, "p50_ms": p} for n, p in loaded.items()],
        "alone": [{"name": n, "p50_ms": p} for n, p in alone.items()],
    }  # fmt: skip


SMALL = _results(
    "10k", "2026-12-02T17:58:00+00:00",
    {"Viewer": 30.0, "Reports (resident)": 200.0, "Reports (staff)": 100.0, "ReportsNearby": 900.0},
    {"Reports (resident)": 20.0, "Reports (staff)": 15.0, "ReportsNearby": 50.0},
)  # fmt: skip
LARGE = _results(
    "1m", "2026-12-02T18:10:00+00:00",
    {"Reports (resident)": 400.0, "Reports (staff)": 120.0, "ReportsNearby": 1152.0},
    {"Reports (resident)": 18.0, "Reports (staff)": 15.0, "ReportsNearby": 70.0},
)  # fmt: skip


def test_each_list_is_compared_loaded_and_alone() -> None:
    found = {r.operation: r for r in compare.ratios(SMALL, LARGE)}
    assert list(found) == list(compare.LISTS)  # Viewer is not a list
    resident = found["Reports (resident)"]
    assert resident.loaded == (200.0, 400.0)
    assert compare.Ratio.of(resident.loaded) == 2.0
    assert compare.Ratio.of(resident.alone) == pytest.approx(0.9)
    table = "\n".join(compare.lines(SMALL, LARGE, name="a-10k.json"))
    assert "p50 at 1m over p50 at 10k (`a-10k.json`), target ≤ 1.3 ×" in table
    assert "| Reports (resident) | 200.0 → 400.0 ms: 2.00 × (not met) | " in table
    assert "| 200.0 → 400.0 ms: 2.00 × (not met) | 20.0 → 18.0 ms: 0.90 × (met) |" in table
    nearby = "| ReportsNearby | 900.0 → 1152.0 ms: 1.28 × (met) | 50.0 → 70.0 ms: 1.40 × (not met)"
    assert nearby in table


def test_results_written_before_the_alone_runs_compare_loaded_only() -> None:
    older = {key: value for key, value in SMALL.items() if key != "alone"}
    staff = {r.operation: r for r in compare.ratios(older, LARGE)}["Reports (staff)"]
    assert staff.loaded == (100.0, 120.0)
    assert staff.alone is None
    assert "| Reports (staff) | 100.0 → 120.0 ms: 1.20 × (met) | — |" in compare.lines(older, LARGE)


def test_newest_results_of_a_scale_by_their_time(tmp_path: Path) -> None:
    for stem, at in [("2026-12-02-1758-10k", "2026-12-02T17:58:00+00:00"),
                     ("2026-12-02-1744-10k", "2026-12-02T17:44:00+00:00"),
                     ("2026-12-02-1753-1m", "2026-12-02T18:53:00+00:00")]:  # fmt: skip
        (tmp_path / f"{stem}.json").write_text(json.dumps({"at": at}), encoding="utf-8")
    (tmp_path / "broken-10k.json").write_text("{", encoding="utf-8")
    assert compare.newest(tmp_path, "10k") == tmp_path / "2026-12-02-1758-10k.json"
    assert compare.newest(tmp_path, "tiny") is None


def test_a_1m_run_is_compared_with_the_newest_10k(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(city, "RESULTS", tmp_path)
    when = datetime(2026, 12, 2, 18, 10, tzinfo=UTC)
    loaded = [_row(n, p) for n, p in LARGE_LOADED.items()]
    alone = [_row(n, p) for n, p in LARGE_ALONE.items()]
    assert city.scales("1m", 16, when, loaded, alone) == []  # no 10k results yet
    (tmp_path / "x-10k.json").write_text(json.dumps(SMALL), encoding="utf-8")
    table = "\n".join(city.scales("1m", 16, when, loaded, alone))
    assert "(`x-10k.json`)" in table
    assert "| 16 connections (queued) | one request at a time |" in table
    staff = "| Reports (staff) | 100.0 → 120.0 ms: 1.20 × (met) | 15.0 → 15.0 ms: 1.00 × (met) |"
    assert staff in table
    assert city.scales("10k", 16, when, loaded, alone) == []  # 10k is the reference
    assert "| Reports (staff) | 50 | 120.0 | 240.0 | 5.00 | 7.00 | 4.0 |" in city.alone_table(
        loaded
    )


LARGE_LOADED = {r["name"]: r["p50_ms"] for r in LARGE["operations"]}
LARGE_ALONE = {r["name"]: r["p50_ms"] for r in LARGE["alone"]}
