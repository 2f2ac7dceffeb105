"""Durability of the embedded database: each test runs its own SecantusDB server in a tmp dir
(not the session's), and stops it cleanly or kills it as a crash would."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pymongo import MongoClient

from neighbor_api.core.embedded import EmbeddedMongo, running_uri
from neighbor_api.core.secantusd_no_sweep import SWEEP_SECONDS

WRITES = 100


def client_for(server: EmbeddedMongo) -> MongoClient[dict[str, Any]]:
    return MongoClient(server.uri, serverSelectionTimeoutMS=5000)


@pytest.fixture
def storage(tmp_path: Path) -> Path:
    return tmp_path / "db"


@pytest.fixture
def servers() -> Iterator[list[EmbeddedMongo]]:
    """Servers a test starts; any still running at the end are killed (fast cleanup)."""
    started: list[EmbeddedMongo] = []
    yield started
    for server in started:
        server.kill()


def start(storage: Path, servers: list[EmbeddedMongo]) -> EmbeddedMongo:
    server = EmbeddedMongo(storage)
    servers.append(server)
    server.start()
    return server


class TestRestart:
    def test_data_survives_a_clean_stop(self, storage: Path, servers: list[EmbeddedMongo]) -> None:
        first = start(storage, servers)
        with client_for(first) as client:
            client.durability.people.insert_many(
                [{"_id": i, "name": f"neighbour {i}"} for i in range(10)]
            )
            client.durability.people.update_one({"_id": 3}, {"$set": {"name": "renamed"}})
            client.durability.people.delete_one({"_id": 9})
        first.stop()
        assert first.process is None

        second = start(storage, servers)
        with client_for(second) as client:
            people = {d["_id"]: d["name"] for d in client.durability.people.find()}

        assert sorted(people) == list(range(9))
        assert people[3] == "renamed"

    def test_uri_disables_retryable_writes(self, storage: Path) -> None:
        server = EmbeddedMongo(storage)

        assert "retryWrites=false" in server.uri
        assert f"127.0.0.1:{server.port}" in server.uri

    def test_a_second_server_on_the_same_storage_refuses_to_start(
        self, storage: Path, servers: list[EmbeddedMongo]
    ) -> None:
        first = start(storage, servers)

        with pytest.raises(RuntimeError, match="exited at start-up"):
            start(storage, servers)

        with client_for(first) as client:
            assert client.admin.command("ping")["ok"] == 1


class TestCrash:
    def test_acknowledged_single_writes_survive_sigkill(
        self, storage: Path, servers: list[EmbeddedMongo]
    ) -> None:
        server = start(storage, servers)
        with client_for(server) as client:
            for i in range(WRITES):
                result = client.durability.writes.insert_one({"_id": i, "n": i})
                assert result.acknowledged
        server.kill()  # right after the last acknowledgement: SIGKILL, no shutdown
        assert server.process is None

        restarted = start(storage, servers)
        with client_for(restarted) as client:
            ids = sorted(d["_id"] for d in client.durability.writes.find({}, {"_id": 1}))

        assert ids == list(range(WRITES))

    def test_a_committed_transaction_survives_sigkill(
        self, storage: Path, servers: list[EmbeddedMongo]
    ) -> None:
        server = start(storage, servers)
        with client_for(server) as client:
            db = client.durability
            db.create_collection("accounts")
            db.create_collection("events")
            with client.start_session() as session, session.start_transaction():
                db.accounts.insert_one({"_id": "a", "balance": 10}, session=session)
                db.events.insert_one({"_id": "e", "kind": "opened"}, session=session)
        server.kill()

        restarted = start(storage, servers)
        with client_for(restarted) as client:
            db = client.durability
            assert db.accounts.find_one({"_id": "a"}) == {"_id": "a", "balance": 10}
            assert db.events.find_one({"_id": "e"}) == {"_id": "e", "kind": "opened"}


class TestOrphan:
    def test_a_server_whose_owner_died_is_stopped_and_replaced(
        self, storage: Path, servers: list[EmbeddedMongo]
    ) -> None:
        first = start(storage, servers)
        with client_for(first) as client:
            client.durability.people.insert_one({"_id": 1, "name": "林美华"})
        # The API process that started it dies hard: its pid no longer exists.
        owner = subprocess.Popen([sys.executable, "-c", "pass"])
        owner.wait()
        server_pid = first.process.pid if first.process else 0
        first.pid_path.write_text(f"{server_pid} {owner.pid}")

        second = start(storage, servers)

        assert (
            not Path(f"/proc/{server_pid}").exists()
            or b"Z" in Path(f"/proc/{server_pid}/stat").read_bytes().split()[2]
        )
        with client_for(second) as client:
            assert client.durability.people.find_one({"_id": 1})["name"] == "林美华"


class TestRunningUri:
    """What admin commands use to reach the server a running `serve` owns."""

    def test_names_the_server_a_live_owner_runs(
        self, storage: Path, servers: list[EmbeddedMongo]
    ) -> None:
        server = start(storage, servers)

        assert running_uri(storage) == server.uri

        server.stop()
        assert running_uri(storage) is None

    def test_none_when_the_owner_died(self, storage: Path, servers: list[EmbeddedMongo]) -> None:
        server = start(storage, servers)
        owner = subprocess.Popen([sys.executable, "-c", "pass"])
        owner.wait()
        server_pid = server.process.pid if server.process else 0
        server.pid_path.write_text(f"{server_pid} {owner.pid} {server.port}")

        assert running_uri(storage) is None

    def test_none_for_another_storage_or_no_server(
        self, tmp_path: Path, storage: Path, servers: list[EmbeddedMongo]
    ) -> None:
        assert running_uri(storage) is None
        start(storage, servers)

        assert running_uri(tmp_path / "elsewhere" / "db") is None


class TestStorageOptions:
    """The city benchmark loads ~10 GB: a larger cache and no sync per commit (bench/city.py)."""

    def test_the_cache_size_reaches_the_server(self, storage: Path) -> None:
        # WiredTiger refuses a size it cannot read: the option is the server's, not ignored.
        server = EmbeddedMongo(storage, cache_size="a lot")

        with pytest.raises(RuntimeError, match="exited at start-up"):
            server.start()

    def test_a_bulk_load_without_sync_survives_a_clean_stop(
        self, storage: Path, servers: list[EmbeddedMongo]
    ) -> None:
        loading = EmbeddedMongo(storage, cache_size="64M", sync_on_commit=False)
        servers.append(loading)
        loading.start()
        with client_for(loading) as client:
            client.city.reports.insert_many([{"_id": i} for i in range(WRITES)])
        loading.stop()

        serving = start(storage, servers)
        with client_for(serving) as client:
            assert client.city.reports.count_documents({}) == WRITES


class TestTtlSweep:
    """The tests' servers run without the TTL sweeper (their clock is not the real one);
    SecantusDB 0.7.0b3's own command line drops the setting, so they run through
    core/secantusd_no_sweep.py, whose interval these tests shorten to see it reach the server."""

    PAST = datetime(2026, 11, 27, tzinfo=UTC)

    def expired_document(self, server: EmbeddedMongo) -> MongoClient[dict[str, Any]]:
        client = client_for(server)
        codes = client.neighbor.codes
        codes.create_index("expires_at", expireAfterSeconds=0)
        codes.insert_one({"expires_at": self.PAST})
        return client

    def count_after(self, client: MongoClient[dict[str, Any]], seconds: float) -> int:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and client.neighbor.codes.count_documents({}):
            time.sleep(0.1)
        return client.neighbor.codes.count_documents({})

    def test_the_interval_reaches_the_server(
        self, storage: Path, servers: list[EmbeddedMongo], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv(SWEEP_SECONDS, "0.5")
        server = EmbeddedMongo(storage, ttl_sweep=False)
        servers.append(server)
        server.start()

        with self.expired_document(server) as client:
            assert self.count_after(client, 10) == 0

    def test_off_by_default_for_the_tests(
        self, storage: Path, servers: list[EmbeddedMongo], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.delenv(SWEEP_SECONDS, raising=False)
        server = EmbeddedMongo(storage, ttl_sweep=False)
        servers.append(server)
        server.start()

        with self.expired_document(server) as client:
            assert self.count_after(client, 2) == 1
        assert server.process is not None
        assert b"secantusd_no_sweep.py" in Path(f"/proc/{server.process.pid}/cmdline").read_bytes()
