"""`viewerHasEndorsed` reads the viewer's endorsements only of reports someone endorsed.

A report's `endorsementCount` is counted in the transaction that adds each endorsement, and
none is ever taken back (`reports.service.endorsed_by_anyone`). So a report at 0 answers false
with no read, and a page reads the viewer's endorsements of its endorsed reports only (none
when it has none). The answers are the contract's, whoever asks.
"""

from __future__ import annotations

from typing import Any

import pytest

from neighbor_api.core.deps import Deps
from neighbor_api.reports import repository
from tests.conftest import Api, CommandCounter, record_commands
from tests.reports.street import CHAIR, NEIGHBOUR, RESIDENT, Street, load_demo_street, object_id


@pytest.fixture
async def street(api: Api, deps: Deps) -> Street:
    await load_demo_street(deps)
    return await Street.open(api)


async def submitted(street: Street, title: str) -> str:
    report = await street.submit(
        CHAIR, category="ENVIRONMENT", title=title, description="一下雨就积水。"
    )
    return str(report["id"])


def endorsement_reads(commands: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [c for c in commands if c.get("find") == repository.ENDORSEMENTS]


class TestViewerHasEndorsed:
    async def test_a_report_no_one_endorsed_is_answered_without_a_read(
        self, street: Street, command_counter: CommandCounter, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        report_id = await submitted(street, "金湖路雨水井堵塞")
        await street.token(RESIDENT)
        commands = record_commands(command_counter, monkeypatch, street.api.deps.db.name)

        detail = await street.detail(RESIDENT, report_id)

        assert (detail["endorsementCount"], detail["viewerHasEndorsed"]) == (0, False)
        assert endorsement_reads(commands) == []

    async def test_once_a_neighbour_endorsed_it_each_viewer_reads_their_own(
        self, street: Street, command_counter: CommandCounter, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        report_id = await submitted(street, "金湖路雨水井堵塞")
        assert (await street.endorse(NEIGHBOUR, report_id))["errors"] == []
        await street.token(RESIDENT)
        commands = record_commands(command_counter, monkeypatch, street.api.deps.db.name)

        mine = await street.detail(RESIDENT, report_id)
        theirs = await street.detail(NEIGHBOUR, report_id)

        assert (mine["endorsementCount"], mine["viewerHasEndorsed"]) == (1, False)
        assert (theirs["endorsementCount"], theirs["viewerHasEndorsed"]) == (1, True)
        assert len(endorsement_reads(commands)) == 2

    async def test_a_page_reads_the_endorsements_of_its_endorsed_reports_only(
        self, street: Street, command_counter: CommandCounter, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        endorsed = await submitted(street, "金湖路雨水井堵塞")
        await submitted(street, "金湖路路灯不亮")
        assert (await street.endorse(NEIGHBOUR, endorsed))["errors"] == []
        await street.token(NEIGHBOUR)
        commands = record_commands(command_counter, monkeypatch, street.api.deps.db.name)

        nodes = [e["node"] for e in (await street.reports(NEIGHBOUR, first=50))["edges"]]

        counted = {object_id(n["id"]) for n in nodes if n["endorsementCount"] > 0}
        assert object_id(endorsed) in counted
        (read,) = endorsement_reads(commands)
        assert set(read["filter"]["report_id"]["$in"]) == counted
        assert {n["id"] for n in nodes if n["viewerHasEndorsed"]} == {endorsed}

    async def test_a_page_no_one_endorsed_reads_none(
        self, street: Street, command_counter: CommandCounter, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        await submitted(street, "金湖路雨水井堵塞")
        await street.token(RESIDENT)
        commands = record_commands(command_counter, monkeypatch, street.api.deps.db.name)

        nodes = [e["node"] for e in (await street.reports(RESIDENT, first=1))["edges"]]

        assert [(n["endorsementCount"], n["viewerHasEndorsed"]) for n in nodes] == [(0, False)]
        assert endorsement_reads(commands) == []


class TestKeptForTheViewer:
    """A list page's answers for the viewer are kept under the community's version with the
    page (`reports.service.viewer_endorsed`): opened again, the list reads no endorsement; an
    endorsement changes the version, and another viewer reads their own."""

    async def test_listed_again_reads_no_endorsement(
        self, street: Street, command_counter: CommandCounter, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        endorsed = await submitted(street, "金湖路雨水井堵塞")
        assert (await street.endorse(NEIGHBOUR, endorsed))["errors"] == []
        first = await street.reports(NEIGHBOUR, first=50)
        commands = record_commands(command_counter, monkeypatch, street.api.deps.db.name)

        again = await street.reports(NEIGHBOUR, first=50)
        theirs = await street.reports(RESIDENT, first=50)

        assert again == first
        assert {e["node"]["id"] for e in again["edges"] if e["node"]["viewerHasEndorsed"]} == {
            endorsed
        }
        assert not any(e["node"]["viewerHasEndorsed"] for e in theirs["edges"])
        # The resident's own, once: not the neighbour's kept answers.
        (read,) = endorsement_reads(commands)
        assert read["filter"]["user_id"] == object_id((await street.person(RESIDENT)).id)

    async def test_the_viewers_endorsement_shows_at_once(self, street: Street) -> None:
        report_id = await submitted(street, "金湖路雨水井堵塞")
        assert (await street.endorse(NEIGHBOUR, report_id))["errors"] == []
        before = await street.reports(RESIDENT, first=50)  # kept: not endorsed by them

        assert (await street.endorse(RESIDENT, report_id))["errors"] == []
        after = await street.reports(RESIDENT, first=50)

        def shown(page: Any) -> tuple[int, bool]:
            (found,) = [e["node"] for e in page["edges"] if e["node"]["id"] == report_id]
            return found["endorsementCount"], found["viewerHasEndorsed"]

        assert (shown(before), shown(after)) == ((1, False), (2, True))
