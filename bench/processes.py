"""The processes the benchmark measures: the API (`neighbor-api serve`) and the strawberry peer
(uvicorn) as children, each on its own port, and their CPU time read from /proc."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

from neighbor_api.core.embedded import free_port

BIN = Path(sys.executable).parent
BENCH = Path(__file__).resolve().parent
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int, *, children: bool = True) -> float:
    """User + system CPU time of a process and (unless `children` is false) its children still
    running (from /proc)."""
    pids = [pid]
    for entry in Path("/proc").iterdir() if children else ():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                pids.append(int(entry.name))
    total = 0
    for each in pids:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / TICKS


class Child:
    """A server process, started and waited for until `ready_path` answers."""

    def __init__(self, name: str, command: list[str], env: Mapping[str, str], log: Path) -> None:
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        with log.open("ab") as output:
            self.process = subprocess.Popen(
                [part.replace("{port}", str(self.port)) for part in command],
                env={**os.environ, **env},
                stdout=output,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=BENCH.parent,
            )

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_ready(self, path: str, *, timeout: float = 600.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                tail = self.log.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"{self.name} exited at start-up:\n{tail}")
            try:
                if httpx.get(self.url + path, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not start in {timeout:.0f} s (log: {self.log})")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextmanager
def api_server(
    mongodb_uri: str, database: str, *, work: Path, metrics_token: str, secret_key: str
) -> Iterator[Child]:
    """`neighbor-api serve` in production mode against the benchmark's database."""
    env = {
        "MONGODB_URI": mongodb_uri,
        "NEIGHBOR_DATABASE": database,
        "NEIGHBOR_DATA_DIR": str(work / "api"),
        "NEIGHBOR_ENVIRONMENT": "production",
        "NEIGHBOR_SECRET_KEY": secret_key,
        "NEIGHBOR_METRICS_TOKEN": metrics_token,
        # Long enough for any run: the benchmark signs in once, before measuring.
        "NEIGHBOR_ACCESS_TOKEN_TTL": "PT4H",
        # It signs in a few hundred people from one address (the load generator's).
        "NEIGHBOR_LOGIN_ATTEMPTS_PER_ADDRESS": "100000",
        # Production refuses to start without a real SMS sender; the benchmark requests no
        # code, so a webhook nothing listens on will do.
        "NEIGHBOR_SMS_WEBHOOK_URL": "http://127.0.0.1:9/sms",
    }
    child = Child("the API", [str(BIN / "neighbor-api"), "serve", "--port", "{port}"], env,
                  work / "api.log")  # fmt: skip
    try:
        child.wait_ready("/readyz")
        yield child
    finally:
        child.stop()


@contextmanager
def peer_server(work: Path) -> Iterator[Child]:
    """The strawberry in-memory peer (`bench/peer.py`) under uvicorn, as its comment says."""
    command = [str(BIN / "python"), "-m", "uvicorn", "peer:app", "--port", "{port}",
               "--no-access-log", "--log-level", "warning", "--app-dir", str(BENCH)]  # fmt: skip
    child = Child("the peer", command, {}, work / "peer.log")
    try:
        child.wait_ready("/plain?n=1")
        yield child
    finally:
        child.stop()
