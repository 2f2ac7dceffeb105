"""The console's own unit tests (Vitest, console/src/**/*.test.ts), run through npm. They need
console/node_modules (scripts/test installs it); without npm or it they skip, except on CI."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

CONSOLE = Path(__file__).resolve().parent.parent.parent / "console"


def test_the_consoles_vitest_suite_passes() -> None:
    npm = shutil.which("npm")
    if npm is None or not (CONSOLE / "node_modules" / ".bin" / "vitest").exists():
        reason = "console/node_modules missing: run scripts/test (or npm ci in console/)"
        if os.environ.get("CI"):
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    done = subprocess.run(
        [npm, "test", "--silent"],
        cwd=CONSOLE,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        env={**os.environ, "CI": "1", "NO_COLOR": "1"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
