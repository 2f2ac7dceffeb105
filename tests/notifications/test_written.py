"""Notifications are written for the events a person cares about, to the right people only,
exactly once, in each recipient's language."""

from __future__ import annotations

import asyncio

from bson import ObjectId

from neighbor_api.accounts import service as accounts
from neighbor_api.memberships import service as memberships
from neighbor_api.notifications import service
from neighbor_api.notifications.repository import NOTIFICATIONS
from tests.conftest import CommandCounter
from tests.councils.support import CHAIR, JINSHAN_CHAIR
from tests.notifications.support import World
from tests.reports.support import (
    JINAN_NEIGHBOUR,
    JINAN_RESIDENT,
    JINAN_WORKER,
    JINSHAN_RESIDENT,
    object_id,
)

# The watermark, the events since it, which are done; the rules' reads (the actor's grants,
# the report, the community's staff, the grid's workers, the recipients' grants); the
# recipients' preferences and devices (the recipients and the actor themselves are users the
# instance keeps: accounts/sessions.py); the transaction (the notifications, the event marked
# done; its commit goes to `admin`); the watermark raised.
NOTIFY_ONE_EVENT = 13


async def test_a_report_status_change_is_told_to_its_reporter_only(world: World) -> None:
    report_id = await world.street.submit(JINAN_RESIDENT, anonymous=True)
    await world.street.ok("accept", report_id, JINAN_WORKER)
    await service.notify(world.deps)

    subject = object_id(report_id)
    # A new report is the community's staff's to hear of, not a change of status.
    assert [w["user_id"] for w in await world.written("report.submitted", subject)] == [
        await world.user(JINAN_WORKER)
    ]
    (written,) = await world.written("report.accept", subject)
    assert written["user_id"] == await world.user(JINAN_RESIDENT)  # anonymous to others only
    assert written["kind"] == "REPORT_STATUS_CHANGED"
    assert written["title"] == "您的诉求有新进展"
    assert written["body"] == "「金安里 6 栋楼道灯不亮」：已提交 → 已受理"
    assert written["read"] is False


async def test_an_approved_task_is_told_to_each_assignee(world: World) -> None:
    board = await world.boards.board()
    task = await world.boards.to_review(board, JINAN_RESIDENT, JINAN_NEIGHBOUR, pointReward=5)
    await world.boards.ok("ApproveTask", JINAN_WORKER, taskId=task["id"])
    await service.notify(world.deps)

    written = await world.written("task.approved", object_id(task["id"], "Task"))
    assert sorted(w["user_id"] for w in written) == sorted(
        [await world.user(JINAN_RESIDENT), await world.user(JINAN_NEIGHBOUR)]
    )
    assert {w["kind"] for w in written} == {"TASK_APPROVED"}
    assert {w["body"] for w in written} == {"「修剪 6 栋旁绿化带」已通过验收，获得 5 积分"}


async def test_opened_voting_is_told_to_the_electorate_but_not_the_opener(world: World) -> None:
    proposal_id = await world.hall.voting()
    await service.notify(world.deps)

    subject = object_id(proposal_id, "Proposal")
    electors = {
        u for e in await world.deps.db["electors"].find({"proposal_id": subject}).to_list()
        for u in e["user_ids"]
    }  # fmt: skip
    opener = await world.user(CHAIR)
    written = await world.written("proposal.voting_opened", subject)
    recipients = [w["user_id"] for w in written]
    assert sorted(recipients) == sorted(electors - {opener})
    assert recipients
    assert opener not in recipients
    assert await world.user(JINSHAN_CHAIR) not in recipients  # another community
    assert {w["title"] for w in written} == {"金安社区居民议事会开始表决"}


async def test_a_decided_membership_is_told_to_the_applicant_in_their_language(
    world: World,
) -> None:
    community = object_id(world.street.places["金安社区"], "Place")
    worker = await memberships.actor_for(world.deps, await world.user(JINAN_WORKER))
    decided: list[tuple[ObjectId, ObjectId]] = []
    for phone, locale, approve in (("13900000201", "en", True), ("13900000202", None, False)):
        signed_in = await accounts.register(
            world.deps, phone=phone, password="neighbor-test-1", display_name="新居民",
            locale=locale,
        )  # fmt: skip
        applicant = await memberships.actor_for(world.deps, signed_in.user.id)
        membership = await memberships.join_community(
            world.deps, applicant, community_id=community, address="金安里 9 栋 101",
            household_code=None,
        )  # fmt: skip
        await memberships.decide_membership(
            world.deps, worker, membership_id=membership.id, approve=approve,
            reason=None if approve else "地址无法核实",
        )  # fmt: skip
        decided.append((signed_in.user.id, membership.id))
    await service.notify(world.deps)

    (approved,) = await world.written("membership.decided", decided[0][1])
    assert approved["user_id"] == decided[0][0]
    assert (approved["title"], approved["body"]) == (
        "Your membership was approved",
        "Welcome to 金安社区",
    )
    (rejected,) = await world.written("membership.decided", decided[1][1])
    assert rejected["user_id"] == decided[1][0]
    assert (rejected["title"], rejected["body"]) == (
        "入驻申请未通过",
        "金安社区未通过您的申请。地址无法核实",
    )


async def test_each_is_written_exactly_once_however_often_the_notifier_runs(
    world: World,
) -> None:
    report_id = await world.street.submit(JINAN_RESIDENT)
    await world.street.ok("accept", report_id, JINAN_WORKER)
    await world.hall.voting()
    await asyncio.gather(*(service.notify(world.deps) for _ in range(4)))
    await service.notify(world.deps)
    before = await world.deps.db[NOTIFICATIONS].count_documents({})
    await asyncio.gather(service.notify(world.deps), service.notify(world.deps))

    assert await world.deps.db[NOTIFICATIONS].count_documents({}) == before
    pairs = [
        (n["event_id"], n["user_id"]) for n in await world.deps.db[NOTIFICATIONS].find({}).to_list()
    ]
    assert len(pairs) == len(set(pairs))
    assert (await world.written("report.accept", object_id(report_id)))[0]["user_id"] == (
        await world.user(JINAN_RESIDENT)
    )


async def test_an_event_committed_late_is_still_notified(world: World) -> None:
    """An event whose `at` is before the last run (its transaction committed late) is within
    the settle window, so the next run still finds it."""
    report_id = await world.street.submit(JINAN_RESIDENT)
    await service.notify(world.deps)
    await world.street.ok("accept", report_id, JINAN_WORKER)
    await world.deps.db["events"].update_one(
        {"kind": "report.accept"}, {"$set": {"at": world.deps.clock.now() - service.SETTLE / 2}}
    )
    await service.notify(world.deps)

    assert len(await world.written("report.accept", object_id(report_id))) == 1


async def test_nothing_is_told_to_other_communities(world: World) -> None:
    outsider = await world.user(JINSHAN_RESIDENT)
    await service.notify(world.deps)  # the demo's own history (their membership, ...)
    before = await world.deps.db[NOTIFICATIONS].count_documents({"user_id": outsider})
    report_id = await world.street.submit(JINAN_RESIDENT)
    await world.street.ok("accept", report_id, JINAN_WORKER)
    await world.hall.voting()
    await service.notify(world.deps)

    assert await world.deps.db[NOTIFICATIONS].count_documents({"user_id": outsider}) == before


async def test_a_new_report_is_told_in_a_fixed_number_of_round_trips(
    world: World, command_counter: CommandCounter
) -> None:
    """The notifier's work for one event, on the database: the recipients' preferences are
    read once (their muted kinds and their quiet hours)."""
    await service.notify(world.deps)  # the world's own events
    await world.street.submit(JINAN_RESIDENT)
    database = world.deps.db.name
    before = command_counter.counts.get(database, 0)

    assert await service.notify(world.deps) == 1

    assert command_counter.counts[database] - before == NOTIFY_ONE_EVENT


async def test_a_batch_of_events_is_written_in_one_transaction(
    world: World, command_counter: CommandCounter
) -> None:
    """Four new reports, by different residents: the events of a batch are evaluated
    together, so each read serves all four (`rules.Reads`), and one transaction writes all
    (their notifications and their marks as done): as many commands as for one."""
    await service.notify(world.deps)
    for phone in (JINAN_RESIDENT, JINAN_NEIGHBOUR, JINAN_RESIDENT, JINAN_NEIGHBOUR):
        await world.street.submit(phone)
    database = world.deps.db.name
    before = command_counter.counts.get(database, 0)

    assert await service.notify(world.deps) == 4

    assert command_counter.counts[database] - before == NOTIFY_ONE_EVENT
    assert await world.deps.db["notified_events"].count_documents({}) >= 4
