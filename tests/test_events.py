"""Domain-event kinds are one enum (`core.events.EventKind`) shared by writers and readers.

mypy holds `record()` to the enum and readers to its members; these tests hold the rest: no
module spells a kind as a string, every kind is written somewhere, every kind a reader waits
for is written, and what the services store reads back as the enum.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from bson import ObjectId

from neighbor_api.core import events
from neighbor_api.core.deps import Deps
from neighbor_api.core.events import COLLECTION, REPORT_MOVES, TASK_EVENTS, EventKind
from neighbor_api.reports.service import EVENT_OF_MOVE, Verb

PACKAGE = Path(__file__).resolve().parent.parent / "neighbor_api"
EVENTS_MODULE = PACKAGE / "core" / "events.py"
# Packages that read events (stats and open311 read none today: listed so one they gain is
# checked too).
READERS = ("live", "notifications", "stats", "open311")
# Every kind written before the enum existed, as stored.
STORED_BEFORE = {
    "user.registered", "session.reuse_detected",
    "membership.requested", "membership.decided", "membership.appointed",
    "attachment.uploaded",
    "report.submitted", "report.endorsed", "report.commented", "report.accept",
    "report.assign", "report.start", "report.resolve", "report.reject", "report.escalate",
    "report.rate", "report.close",
    "council.created", "council.member_set",
    "proposal.created", "proposal.voting_opened", "proposal.vote_cast", "proposal.closed",
    "proposal.withdrawn", "proposal.commented",
    "board.created",
    "task.created", "task.moved", "task.claimed", "task.released", "task.submitted",
    "task.approved", "task.returned",
}  # fmt: skip
SUBJECTS = {kind.value.split(".")[0] for kind in EventKind}


def modules() -> dict[Path, ast.Module]:
    return {
        path: ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for path in sorted(PACKAGE.rglob("*.py"))
        if path != EVENTS_MODULE
    }


def members_named(tree: ast.AST) -> set[EventKind]:
    """The `EventKind.X` a module names."""
    return {
        EventKind[node.attr]
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "EventKind"
    }


def is_writer(tree: ast.AST) -> bool:
    """Whether a module records events (`events.record(...)`)."""
    return any(
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "record"
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "events"
        for node in ast.walk(tree)
    )


def is_reader(path: Path) -> bool:
    return path.relative_to(PACKAGE).parts[0] in READERS


class TestEventKinds:
    def test_no_module_spells_a_kind_as_a_string(self) -> None:
        values = {kind.value for kind in EventKind}
        spelled = []
        for path, tree in modules().items():
            for node in ast.walk(tree):
                # "task.moved", or f"task.{verb}": a kind built from a string.
                if isinstance(node, ast.Constant) and node.value in values:
                    spelled.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {node.value!r}")
                if (
                    isinstance(node, ast.JoinedStr)
                    and node.values
                    and isinstance(first := node.values[0], ast.Constant)
                    and isinstance(first.value, str)
                    and first.value.removesuffix(".") in SUBJECTS
                    and first.value.endswith(".")
                ):
                    spelled.append(f"{path.relative_to(PACKAGE)}:{node.lineno} f{first.value!r}")
        assert spelled == []

    def test_every_kind_is_written_by_a_service(self) -> None:
        written: set[EventKind] = set()
        for tree in modules().values():
            if is_writer(tree):
                written |= members_named(tree)
        assert set(EventKind) - written == set()

    def test_every_kind_a_reader_waits_for_is_written(self) -> None:
        written: set[EventKind] = set()
        read: set[EventKind] = set(REPORT_MOVES | TASK_EVENTS)
        for path, tree in modules().items():
            if is_writer(tree):
                written |= members_named(tree)
            elif is_reader(path):
                read |= members_named(tree)
        assert read, "the readers name no kinds: the scan is broken"
        assert read - written == set()

    def test_every_report_move_records_its_own_kind(self) -> None:
        assert set(EVENT_OF_MOVE) == set(Verb)
        assert set(EVENT_OF_MOVE.values()) == REPORT_MOVES
        assert len(set(EVENT_OF_MOVE.values())) == len(Verb)

    def test_task_events_are_the_task_kinds(self) -> None:
        assert {kind.value for kind in TASK_EVENTS} == {
            kind.value for kind in EventKind if kind.value.startswith("task.")
        }


class TestStoredKinds:
    async def test_what_the_services_store_reads_back_as_the_enum(self, demo: Deps) -> None:
        stored = await demo.db[COLLECTION].distinct("kind")
        assert len(stored) > 10  # the demo street writes reports, votes, tasks, memberships
        assert [EventKind(kind) for kind in stored]

    async def test_record_refuses_a_string(self, deps: Deps) -> None:
        with pytest.raises(TypeError):
            await events.record(
                deps,
                kind="report.accept",  # type: ignore[arg-type]
                subject_id=ObjectId(),
                actor_id=None,
            )
        assert await deps.db[COLLECTION].count_documents({}) == 0

    def test_stored_values_never_change(self) -> None:
        # What earlier versions wrote (the first-edition upgrade fixture holds these) must read.
        assert {kind.value for kind in EventKind} >= STORED_BEFORE
