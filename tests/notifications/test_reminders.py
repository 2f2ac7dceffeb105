"""The time-based notices (due soon, overdue, closing soon): recorded once each by the
`remind` job, with a controllable clock, however many instances run it; then told by the
rule table."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from neighbor_api.core.deps import Deps
from neighbor_api.notifications import service
from tests.councils.support import CHAIR, CLOSES
from tests.notifications.support import World
from tests.reports.support import (
    JINAN_GRID_WORKER,
    JINAN_RESIDENT,
    JINAN_WORKER,
    START,
    object_id,
)


async def reminded(world: World, kind: str, subject_id: object) -> int:
    """Run the job (as the app does), then count its events of `kind` about the subject."""
    await service.remind(world.deps)
    return await world.deps.db["events"].count_documents({"kind": kind, "subject_id": subject_id})


async def kinds_told(world: World, kind: str, subject_id: object) -> dict[object, str]:
    """Recipient -> body of the notifications written for `kind` events about the subject."""
    await service.notify(world.deps)
    events = await world.deps.db["events"].find({"kind": kind, "subject_id": subject_id}).to_list()
    found = (
        await world.deps.db["notifications"]
        .find({"event_id": {"$in": [e["_id"] for e in events]}})
        .to_list()
    )
    return {n["user_id"]: n["body"] for n in found}


async def test_due_soon_then_overdue_once_each_to_assignee_and_staff(world: World) -> None:
    report_id = await world.street.submit(JINAN_RESIDENT)
    await world.street.ok("accept", report_id, JINAN_WORKER, priority="HIGH")  # due in 24 h
    await world.street.ok("assign", report_id, JINAN_WORKER)
    subject = object_id(report_id)
    assert await reminded(world, "report.due_soon", subject) == 0  # due in 24 h: not yet

    world.hall.advance(timedelta(hours=20, minutes=1))  # due within 4 h
    assert await reminded(world, "report.due_soon", subject) == 1
    assert await reminded(world, "report.due_soon", subject) == 1  # never twice
    due_soon = await kinds_told(world, "report.due_soon", subject)
    assert set(due_soon) == {await world.user(JINAN_GRID_WORKER), await world.user(JINAN_WORKER)}
    # Accepted 09:00 UTC + 24 h: due 11-28 17:00 in Asia/Shanghai.
    (body,) = set(due_soon.values())
    assert body.endswith("将于 11-28 17:00 到期")
    feed = await world.feed(JINAN_GRID_WORKER, first=5)
    assert feed["edges"][0]["node"]["kind"] == "REPORT_DUE_SOON"

    world.hall.advance(timedelta(hours=4))  # past due
    assert await reminded(world, "report.overdue", subject) == 1
    assert await reminded(world, "report.overdue", subject) == 1
    overdue = await kinds_told(world, "report.overdue", subject)
    assert set(overdue) == set(due_soon)
    assert await world.user(JINAN_RESIDENT) not in overdue
    world.hall.advance(timedelta(hours=1))
    assert await reminded(world, "report.overdue", subject) == 1  # still overdue: told once
    assert await reminded(world, "report.due_soon", subject) == 1


async def test_a_resolved_report_is_not_reminded(world: World) -> None:
    report_id = await world.street.reach("RESOLVED", priority="URGENT")
    world.hall.advance(timedelta(hours=5))
    await service.remind(world.deps)
    assert await world.street.events(report_id, "report.overdue") == []
    assert await world.street.events(report_id, "report.due_soon") == []


async def test_a_reopened_report_is_reminded_of_its_new_due_time(world: World) -> None:
    report_id = await world.street.reach("RESOLVED", priority="URGENT")  # due 13:00 UTC
    world.hall.advance(timedelta(hours=1))
    await world.street.ok("rate", report_id, JINAN_RESIDENT, rating=2)  # due again in 4 h
    assert await reminded(world, "report.due_soon", object_id(report_id)) == 1
    world.hall.advance(timedelta(hours=4, minutes=1))
    assert await reminded(world, "report.overdue", object_id(report_id)) == 1
    kinds = [e["kind"] for e in await world.street.events(report_id)]
    assert kinds.count("report.due_soon") == 1
    assert kinds.count("report.overdue") == 1


async def test_two_instances_remind_once(world: World, second_instance: Deps) -> None:
    await service.remind(world.deps)  # the demo's own
    await service.notify(world.deps)
    subjects = []
    for _ in range(3):
        report_id = await world.street.submit(JINAN_RESIDENT)
        await world.street.ok("accept", report_id, JINAN_WORKER, priority="URGENT")
        subjects.append(object_id(report_id))
    world.hall.advance(timedelta(hours=1))
    recorded = await asyncio.gather(
        service.remind(world.deps), service.remind(second_instance),
        service.remind(world.deps), service.remind(second_instance),
    )  # fmt: skip
    assert sum(recorded) == 3
    due_soon = {"kind": "report.due_soon", "subject_id": {"$in": subjects}}
    events = await world.deps.db["events"].find(due_soon).to_list()
    assert len(events) == 3
    await asyncio.gather(service.notify(world.deps), service.notify(second_instance))
    written = (
        await world.deps.db["notifications"]
        .find({"event_id": {"$in": [e["_id"] for e in events]}})
        .to_list()
    )
    pairs = [(n["event_id"], n["user_id"]) for n in written]
    assert len(pairs) == len(set(pairs)) == 3  # the community's staff, once each


async def test_voting_closing_soon_tells_electors_who_have_not_voted(world: World) -> None:
    proposal_id = await world.hall.voting()
    await world.hall.vote(JINAN_RESIDENT, proposal_id, "赞成")
    subject = object_id(proposal_id, "Proposal")
    assert await reminded(world, "proposal.closing_soon", subject) == 0  # closes in 3 days

    world.hall.advance(CLOSES - START - timedelta(hours=23))
    assert await reminded(world, "proposal.closing_soon", subject) == 1
    assert await reminded(world, "proposal.closing_soon", subject) == 1
    told = await kinds_told(world, "proposal.closing_soon", subject)

    voted = await world.deps.db["participations"].find({"proposal_id": subject}).to_list()
    voter_keys = {p["voter_key"] for p in voted}
    not_voted = {
        u for e in await world.deps.db["electors"].find({"proposal_id": subject}).to_list()
        if e["voter_key"] not in voter_keys for u in e["user_ids"]
    }  # fmt: skip
    assert told
    assert set(told) == not_voted
    assert await world.user(JINAN_RESIDENT) not in told
    assert await world.user(CHAIR) in told  # the chair opened it, but has not voted
    assert all("您尚未投票" in body for body in told.values())
