"""Upgrading: a data directory written by the first edition (tests/fixtures/first_edition.tar.gz,
made by make_first_edition_data.py at commit 8a62e36) starts under this code — the real
lifespan, its own embedded server on that directory — with every report, vote, task and
account intact, and the migrations recorded; a second start applies nothing."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path
from typing import Any

from pymongo import AsyncMongoClient

from neighbor_api.app import create_app
from neighbor_api.core.embedded import running_uri
from neighbor_api.core.events import EventKind
from neighbor_api.core.migrations import COLLECTION as MIGRATIONS
from neighbor_api.core.mongo import Database
from neighbor_api.migrations import STEPS
from tests.conftest import make_settings
from tests.platform.conftest import serve
from tests.platform.processes import sign_in_and_read_viewer

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
# What the jobs may change at start-up (a resolved report closes itself after 7 days, which
# writes events), and what expires on its own (refresh tokens, login failures).
MOVING = {"events", "refresh_tokens", "login_failures"}


def unpack(into: Path) -> dict[str, Any]:
    with tarfile.open(FIXTURES / "first_edition.tar.gz") as tar:
        tar.extractall(into, filter="data")
    expected: dict[str, Any] = json.loads(
        (FIXTURES / "first_edition.json").read_text(encoding="utf-8")
    )
    return expected


async def snapshot(db: Database) -> dict[str, Any]:
    """What the fixture's first_edition.json records, read the same way."""
    names = sorted(n for n in await db.list_collection_names() if not n.startswith("system."))
    return {
        "counts": {name: await db[name].count_documents({}) for name in names},
        "reports": sorted(
            [[r["number"], r["title"], r["status"]] async for r in db["reports"].find()]
        ),
        "phones": sorted([u["phone"] async for u in db["users"].find()]),
        "tasks": sorted(
            [[t["title"], len(t.get("assignees", []))] async for t in db["tasks"].find()]
        ),
        "participations": await db["participations"].count_documents({}),
        "attachment_bytes": sum([int(f["length"]) async for f in db["attachments.files"].find()]),
    }


async def read_running(data_dir: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The data and the migration records, read through the running app's own server."""
    uri = running_uri(data_dir / "db")
    assert uri is not None
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(uri, tz_aware=True)
    try:
        db = client["neighbor"]
        found = await snapshot(db)
        tallies = [t async for t in db["tallies"].find()]
        found["votes_tallied"] = sum(sum(t.get("counts", {}).values()) for t in tallies)
        found["event_kinds"] = await db["events"].distinct("kind")
        records = [r async for r in db[MIGRATIONS].find({"number": {"$exists": True}})]
    finally:
        await client.close()
    return found, sorted(records, key=lambda r: r["number"])


class TestFirstEditionData:
    async def test_starts_under_the_new_code_with_everything_intact(self, tmp_path: Path) -> None:
        expected = unpack(tmp_path)
        settings = make_settings(data_dir=tmp_path)

        async with serve(create_app(settings)) as server:
            found, records = await read_running(tmp_path)
            name = await sign_in_and_read_viewer(server.url, "13800000004")

        assert name == "王丽娟"
        kept = [name for name in expected["counts"] if name not in MOVING]
        assert {name: found["counts"].get(name) for name in kept} == {
            name: expected["counts"][name] for name in kept
        }
        assert found["phones"] == expected["phones"]
        assert found["tasks"] == expected["tasks"]
        assert found["participations"] == expected["participations"] == 3
        assert found["votes_tallied"] == 3
        assert found["attachment_bytes"] == expected["attachment_bytes"] > 0
        # The events the first edition wrote still read as the enum's kinds.
        assert len(found["event_kinds"]) > 10
        assert set(found["event_kinds"]) - {kind.value for kind in EventKind} == set()
        # Every report, by number and title; a resolved one may have closed itself since.
        assert [r[:2] for r in found["reports"]] == [r[:2] for r in expected["reports"]]
        for (_, _, now), (_, _, then) in zip(found["reports"], expected["reports"], strict=True):
            assert now == then or (then, now) == ("RESOLVED", "CLOSED")
        assert [(r["number"], r["name"]) for r in records] == [(s.number, s.name) for s in STEPS]

        async with serve(create_app(settings)) as server:
            again, records_again = await read_running(tmp_path)

        assert records_again == records  # nothing applied twice
        assert again["counts"]["users"] == expected["counts"]["users"]
