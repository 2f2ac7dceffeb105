"""The embedded database: a SecantusDB server run as a child process.

SecantusDB (PyPI `SecantusDB`) is a MongoDB-wire-protocol server on WiredTiger. It is started as
a separate process, never imported: it is a Python server that would otherwise share the API's
GIL, and it is GPL-2.0, so it stays at arm's length over the wire. Facts that shape the flags:
- `--sync-on-commit`: without it, writes acknowledged in the last ~1 s are lost on `kill -9`.
- `retryWrites=false` in the URI: its retry bookkeeping slows single writes ~20x after 10,000.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from pymongo import MongoClient
from pymongo.errors import PyMongoError

log = logging.getLogger(__name__)

STARTUP_TIMEOUT_SECONDS = 30.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _server_command(*, ttl_sweep: bool = True) -> list[str]:
    if not ttl_sweep:
        # -P: the file's folder is not put first on the path (its logging.py is not logging).
        return [sys.executable, "-P", str(Path(__file__).with_name("secantusd_no_sweep.py"))]
    executable = shutil.which("secantusd-py", path=str(Path(sys.executable).parent))
    if executable is None:
        executable = shutil.which("secantusd-py")
    if executable is None:
        raise RuntimeError("secantusd-py not found: install the SecantusDB package")
    return [executable]


def _uri(port: int) -> str:
    return (
        f"mongodb://127.0.0.1:{port}/"
        "?directConnection=true&retryWrites=false&serverSelectionTimeoutMS=5000"
    )


def _pid_path(storage_path: Path) -> Path:
    """`secantusd.pid` beside the storage: "server_pid owner_pid port" (the owner is the
    process that started the server, e.g. `neighbor-api serve`)."""
    return storage_path.parent / "secantusd.pid"


@dataclass(frozen=True)
class _Running:
    pid: int
    owner_alive: bool
    port: int | None


def _server_of(storage_path: Path) -> _Running | None:
    """The SecantusDB process the pid file names, if it is alive and serves this storage."""
    try:
        pid, owner, *rest = (int(p) for p in _pid_path(storage_path).read_text().split())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (OSError, ValueError):
        return None
    options = dict(itertools.pairwise(cmdline))
    if not any(b"secantusd" in part for part in cmdline[:3]):
        return None
    if options.get(b"--storage-path") != str(storage_path.resolve()).encode():
        return None
    port = rest[0] if rest and options.get(b"--port") == str(rest[0]).encode() else None
    return _Running(pid=pid, owner_alive=Path(f"/proc/{owner}").exists(), port=port)


def running_uri(storage_path: Path) -> str | None:
    """The URI of the server another process (a running `neighbor-api serve`) started on this
    storage and still owns, if there is one: admin commands use it instead of starting a
    second server, which the storage lock would refuse."""
    found = _server_of(storage_path)
    if found is None or not found.owner_alive or found.port is None:
        return None
    return _uri(found.port)


class EmbeddedMongo:
    """Start, wait for and stop one SecantusDB server whose data lives in `storage_path`."""

    def __init__(
        self,
        storage_path: Path,
        *,
        port: int | None = None,
        ttl_sweep: bool = True,
        cache_size: str | None = None,
        sync_on_commit: bool = True,
        startup_timeout: float = STARTUP_TIMEOUT_SECONDS,
    ) -> None:
        self.storage_path = storage_path.resolve()
        self.port = port or free_port()
        # Whether expired documents are removed (TTL indexes, every 60 s as mongod does). The
        # tests turn it off: their clock is not the server's, and a sweep by the real clock
        # would remove codes, gates and counters a test's clock still holds valid (the server
        # then runs through core/secantusd_no_sweep.py: its configuration's ttl_sweep_seconds
        # is read and dropped by SecantusDB 0.7.0b3's command line).
        self.ttl_sweep = ttl_sweep
        # WiredTiger's cache ("1G" by default: the demo and the tests fit in it many times). The
        # city benchmark's 1M reports with their indexes are ~10 GB: inserted into a 1 GB cache
        # they thrash it until the server stops answering.
        self.cache_size = cache_size
        # Every commit synced to disk before it is acknowledged (the app's embedded database
        # must not lose an acknowledged write). Off only to bulk-load data that can be made
        # again (the benchmark's generator).
        self.sync_on_commit = sync_on_commit
        # How long a start may take: a large storage not stopped cleanly is recovered first.
        self.startup_timeout = startup_timeout
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def uri(self) -> str:
        return _uri(self.port)

    @property
    def pid_path(self) -> Path:
        return _pid_path(self.storage_path)

    def _stop_orphan(self) -> None:
        """Stop a server left running on this storage by an API process that died without
        stopping it (killed hard): it would hold the storage's lock and refuse our start. A
        server whose owner still lives is left alone (the start then fails, as it should)."""
        found = _server_of(self.storage_path)
        if found is None or found.owner_alive:
            return
        log.warning("stopping an orphaned embedded database (pid %d)", found.pid)
        os.kill(found.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while Path(f"/proc/{found.pid}").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        if Path(f"/proc/{found.pid}").exists():
            os.kill(found.pid, signal.SIGKILL)

    def start(self) -> None:
        self.storage_path.mkdir(parents=True, exist_ok=True)
        self._stop_orphan()
        log_path = self.storage_path.parent / "secantusd.log"
        command = [
            *_server_command(ttl_sweep=self.ttl_sweep),
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--storage-path", str(self.storage_path),
            "--log-level", "WARNING",
        ]  # fmt: skip
        if self.sync_on_commit:
            command.append("--sync-on-commit")
        storage = []
        if self.cache_size is not None:
            storage.append(f'cache_size = "{self.cache_size}"')
        if storage:
            config = self.storage_path.parent / "secantusd.toml"
            config.write_text("\n".join(["[storage]", *storage, ""]), encoding="utf-8")
            command += ["--config", str(config)]
        with log_path.open("ab") as log_file:
            self.process = subprocess.Popen(
                command,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.pid_path.write_text(f"{self.process.pid} {os.getpid()} {self.port}")
        self._wait_until_ready(log_path)
        log.info("embedded SecantusDB on port %d, data in %s", self.port, self.storage_path)

    def _wait_until_ready(self, log_path: Path) -> None:
        deadline = time.monotonic() + self.startup_timeout
        client: MongoClient[dict[str, object]]
        with MongoClient(self.uri, serverSelectionTimeoutMS=200) as client:
            while True:
                assert self.process is not None
                if self.process.poll() is not None:
                    tail = log_path.read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"the embedded database exited at start-up:\n{tail}")
                try:
                    client.admin.command("ping")
                    return
                except PyMongoError:
                    if time.monotonic() > deadline:
                        self.stop()
                        raise RuntimeError("the embedded database did not start in time") from None
                    time.sleep(0.05)

    def stop(self, *, timeout: float = 10.0) -> None:
        """Stop cleanly (SIGTERM, then SIGKILL if it will not go)."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def kill(self) -> None:
        """Kill hard, as a crash would (tests of durability)."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    async def astart(self) -> None:
        await asyncio.to_thread(self.start)

    async def astop(self) -> None:
        await asyncio.to_thread(self.stop)

    def __enter__(self) -> EmbeddedMongo:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


@asynccontextmanager
async def database_uri(
    mongodb_uri: str | None, data_dir: Path, *, share_running: bool = False
) -> AsyncIterator[str]:
    """`mongodb_uri` when set; otherwise an embedded server's, with its data in `data_dir/db`,
    running for as long as the context lasts. With `share_running` (admin commands), the
    server a running `neighbor-api serve` owns on that data directory, when there is one."""
    if mongodb_uri is not None:
        yield mongodb_uri
        return
    if share_running and (running := running_uri(data_dir / "db")) is not None:
        log.info("using the embedded database of the running server")
        yield running
        return
    server = EmbeddedMongo(data_dir / "db")
    await server.astart()
    try:
        yield server.uri
    finally:
        await server.astop()
