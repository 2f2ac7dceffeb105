"""reportEvents: what each viewer receives, in order, with the contract's selection."""

from __future__ import annotations

from neighbor_api.core.deps import Deps
from tests.live.support import REPORT_EVENTS, People, client
from tests.platform.conftest import LiveServer
from tests.reports.support import (
    JINAN_NEIGHBOUR,
    JINAN_RESIDENT,
    JINAN_WORKER,
    JINSHAN_RESIDENT,
)


async def test_report_events_reach_the_community(
    server: LiveServer, people: People, demo: Deps
) -> None:
    street = people.street
    async with client(server, await people.token(JINAN_WORKER)) as worker:
        await worker.subscribe(REPORT_EVENTS, {"communityId": people.community()})
        await worker.silent(0.2)  # subscribed before anything happens

        report_id = await street.submit(JINAN_RESIDENT)
        created = (await worker.next())["reportEvents"]
        accepted = await street.ok("accept", report_id, JINAN_WORKER)
        status_changed = (await worker.next())["reportEvents"]

    assert created["kind"] == "CREATED"
    assert created["at"] == "2026-11-27T09:00:00+00:00"
    assert created["report"] == {
        "id": report_id,
        "number": created["report"]["number"],
        "status": "SUBMITTED",
        "assignee": None,
    }
    assert created["report"]["number"].startswith("JA-2026-")
    assert status_changed["kind"] == "STATUS_CHANGED"
    assert status_changed["report"]["status"] == accepted["status"] == "ACCEPTED"


async def test_private_reports_only_to_those_who_may_see_them(
    server: LiveServer, people: People
) -> None:
    street = people.street
    community = {"communityId": people.community()}
    async with (
        client(server, await people.token(JINAN_WORKER)) as worker,
        client(server, await people.token(JINAN_NEIGHBOUR)) as neighbour,
        client(server, await people.token(JINAN_RESIDENT)) as reporter,
    ):
        for viewer in (worker, neighbour, reporter):
            await viewer.subscribe(REPORT_EVENTS, community)
        await worker.silent(0.2)

        private = await street.submit(JINAN_RESIDENT, visibility="PRIVATE")
        public = await street.submit(JINAN_RESIDENT)

        assert (await worker.next())["reportEvents"]["report"]["id"] == private
        assert (await worker.next())["reportEvents"]["report"]["id"] == public
        assert (await reporter.next())["reportEvents"]["report"]["id"] == private
        assert (await reporter.next())["reportEvents"]["report"]["id"] == public
        # The neighbour's first event is the public one: the private one was never sent.
        assert (await neighbour.next())["reportEvents"]["report"]["id"] == public
        await neighbour.silent(0.3)


async def test_another_communitys_reports_are_not_found(server: LiveServer, people: People) -> None:
    async with client(server, await people.token(JINSHAN_RESIDENT)) as outsider:
        await outsider.subscribe(REPORT_EVENTS, {"communityId": people.community()})
        assert await outsider.error_codes() == ["NOT_FOUND"]
        # The connection stays usable: its own community works.
        await outsider.subscribe(
            REPORT_EVENTS, {"communityId": people.community("金山社区")}, operation_id="2"
        )
        await people.street.submit(JINAN_RESIDENT)  # 金安: not for them
        await outsider.silent(0.5)


async def test_without_a_token_it_is_unauthenticated(server: LiveServer, people: People) -> None:
    async with client(server, None) as anonymous:
        await anonymous.subscribe(REPORT_EVENTS, {"communityId": people.community()})
        assert await anonymous.error_codes() == ["UNAUTHENTICATED"]
