"""The load generator's idle rates: read once the watched process has settled."""

from __future__ import annotations

import subprocess
import sys
import time

from bench.load import QUIET_CPU, Watched, idle_line, settled_idle_rates

# Busy for a second and a half (as an API reminding the staff of a city's overdue reports
# just after it started), then idle.
BUSY_THEN_IDLE = """
import time
until = time.monotonic() + 1.5
while time.monotonic() < until:
    pass
time.sleep(60)
"""


def test_the_idle_rates_are_read_after_the_busy_start() -> None:
    said: list[str] = []
    process = subprocess.Popen([sys.executable, "-c", BUSY_THEN_IDLE])
    try:
        started = time.monotonic()
        api, db, trips = settled_idle_rates(Watched(process.pid), seconds=0.5, say=said.append)
        waited = time.monotonic() - started
    finally:
        process.kill()
        process.wait()

    assert api <= QUIET_CPU
    assert (db, trips) == (0.0, 0.0)
    assert waited >= 1.0
    assert said
    assert "waiting for them to settle" in said[0]
    assert idle_line((api, db, trips)).startswith("Idle rates subtracted from every run: API")


def test_a_process_that_never_settles_is_said_so() -> None:
    assert "not settled within 300 s" in idle_line((0.4, 0.0, 12.0))
    assert "not settled within 300 s" in idle_line((0.01, 0.44, 7.0))  # the database busy
    assert "not settled" not in idle_line((0.01, 0.02, 1.0))


def test_the_idle_rates_wait_for_the_jobs_first_round() -> None:
    said: list[str] = []
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        started = time.monotonic()
        settled_idle_rates(
            Watched(process.pid), seconds=0.2, not_before=started + 1.0, say=said.append
        )
        waited = time.monotonic() - started
    finally:
        process.kill()
        process.wait()

    assert waited >= 1.2
    assert said[0].startswith("waiting 1 s for the API's jobs to run once")
