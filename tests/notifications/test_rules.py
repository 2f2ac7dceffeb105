"""Each row of the rule table (notifications/rules.py) by the mutations people make, checking
who is told (their feed, through the contract's Notifications) and who is not."""

from __future__ import annotations

from typing import Any

from bson import ObjectId

from neighbor_api.accounts import service as accounts
from neighbor_api.core.policy import Role
from neighbor_api.memberships import service as memberships
from neighbor_api.notifications import service
from neighbor_api.notifications.rules import RULES
from tests.boards.support import RETURN_TASK
from tests.councils.support import CHAIR, HULI_ADMIN
from tests.notifications.support import World
from tests.reports.support import (
    JINAN_CHAIR,
    JINAN_GRID_WORKER,
    JINAN_NEIGHBOUR,
    JINAN_RESIDENT,
    JINAN_WORKER,
    JINSHAN_RESIDENT,
    JINSHAN_WORKER,
    object_id,
)

STREET_ADMIN = "13900000301"


async def told(world: World, event: str, subject: ObjectId) -> dict[ObjectId, dict[str, Any]]:
    """The notifications written for the latest `event` about `subject`, by recipient."""
    await service.notify(world.deps)
    return {n["user_id"]: n for n in await world.written(event, subject)}


async def users(world: World, *phones: str) -> set[ObjectId]:
    return {await world.user(phone) for phone in phones}


async def in_feed(world: World, phone: str, kind: str) -> dict[str, Any]:
    """The newest notification of `kind` in `phone`'s feed (the contract's Notifications)."""
    feed = await world.feed(phone, first=50)
    found = [e["node"] for e in feed["edges"] if e["node"]["kind"] == kind]
    assert found, (phone, kind, [e["node"]["kind"] for e in feed["edges"]])
    node: dict[str, Any] = found[0]
    return node


async def follow(world: World, phone: str, report_id: str, name: str = "FollowReport") -> Any:
    data = await world.api.data(
        name, {"input": {"reportId": report_id}}, token=await world.street.token(phone)
    )
    return data[name[0].lower() + name[1:]]


def test_the_table_names_every_kind_it_writes_once_per_event_and_kind() -> None:
    """Rules sharing an event and a kind are alternatives (exclusive conditions)."""
    assert all(rule.who for rule in RULES)
    assert {rule.kind.value for rule in RULES} >= {
        "REPORT_ASSIGNED", "REPORT_ESCALATED", "REPORT_REJECTED", "REPORT_STATUS_CHANGED",
        "REPORT_COMMENTED", "REPORT_SUBMITTED", "REPORT_DUE_SOON", "REPORT_OVERDUE",
        "MEMBERSHIP_REQUESTED", "MEMBERSHIP_DECIDED", "TASK_SUBMITTED", "TASK_RETURNED",
        "TASK_APPROVED", "TASK_CLAIMED", "VOTING_OPENED", "VOTING_CLOSING_SOON", "VOTING_RESULT",
    }  # fmt: skip


# --- Reports ----------------------------------------------------------------------------------


async def test_a_new_report_is_told_to_the_community_staff_only(world: World) -> None:
    report_id = await world.street.submit(JINAN_RESIDENT)
    written = await told(world, "report.submitted", object_id(report_id))

    assert set(written) == await users(world, JINAN_WORKER)
    (notice,) = written.values()
    assert notice["kind"] == "REPORT_SUBMITTED"
    assert notice["body"].startswith("「金安里 6 栋楼道灯不亮」（JA-")
    node = await in_feed(world, JINAN_WORKER, "REPORT_SUBMITTED")
    assert node["subject"] == {"id": report_id, "__typename": "Report"}


async def test_the_assignee_is_told_of_an_assignment_with_its_due_time(world: World) -> None:
    report_id = await world.street.submit(JINAN_RESIDENT)
    await world.street.ok("accept", report_id, JINAN_WORKER, priority="URGENT")
    await world.street.ok("assign", report_id, JINAN_WORKER)
    written = await told(world, "report.assign", object_id(report_id))

    grid_worker, reporter = await world.user(JINAN_GRID_WORKER), await world.user(JINAN_RESIDENT)
    assert set(written) == {grid_worker, reporter}  # not the staff who assigned it
    assert written[grid_worker]["kind"] == "REPORT_ASSIGNED"
    # Accepted at 09:00 UTC as URGENT: due 4 h later, 21:00 in Asia/Shanghai.
    assert "林美华将「金安里 6 栋楼道灯不亮」" in written[grid_worker]["body"]
    assert written[grid_worker]["body"].endswith("请于 11-27 21:00 前处理")
    assert written[reporter]["kind"] == "REPORT_STATUS_CHANGED"
    assert (await in_feed(world, JINAN_GRID_WORKER, "REPORT_ASSIGNED"))["title"] == (
        "新的诉求派给您"
    )


async def test_a_reassignment_tells_the_new_assignee(world: World) -> None:
    report_id = await world.street.reach("ASSIGNED")
    worker_id = await world.street.user_id(JINAN_WORKER)
    await world.street.ok("assign", report_id, HULI_ADMIN, assigneeId=worker_id)
    written = await told(world, "report.assign", object_id(report_id))

    worker = await world.user(JINAN_WORKER)
    assert written[worker]["kind"] == "REPORT_ASSIGNED"
    assert await world.user(JINAN_GRID_WORKER) not in written  # no longer theirs (no change)
    assert await world.user(HULI_ADMIN) not in written


async def test_a_low_rating_reopens_the_report_to_its_assignee(world: World) -> None:
    report_id = await world.street.reach("RESOLVED")
    await world.street.ok("rate", report_id, JINAN_RESIDENT, rating=1, comment="灯还是不亮")
    written = await told(world, "report.rate", object_id(report_id))

    grid_worker = await world.user(JINAN_GRID_WORKER)
    assert written[grid_worker]["kind"] == "REPORT_ASSIGNED"
    assert written[grid_worker]["title"] == "诉求被退回重办"
    assert written[grid_worker]["body"].startswith("居民评价 1 星")
    assert await world.user(JINAN_RESIDENT) not in written  # the reporter rated it


async def test_a_high_rating_tells_the_assignee_nothing(world: World) -> None:
    report_id = await world.street.reach("RESOLVED")
    await world.street.ok("rate", report_id, JINAN_RESIDENT, rating=5)
    written = await told(world, "report.rate", object_id(report_id))

    assert await world.user(JINAN_GRID_WORKER) not in written


async def test_an_escalation_is_told_to_the_receiving_level_only(world: World) -> None:
    await world.street.appoint(STREET_ADMIN, "街道干部", "金山街道", Role.ADMIN)
    report_id = await world.street.reach("ACCEPTED")
    await world.street.ok("escalate", report_id, JINAN_WORKER)
    written = await told(world, "report.escalate", object_id(report_id))

    assert set(written) == await users(world, STREET_ADMIN)  # not the district, not the reporter
    (notice,) = written.values()
    assert notice["kind"] == "REPORT_ESCALATED"
    assert notice["title"] == "有诉求上报至金山街道"
    assert notice["body"].endswith("：涉及市政道路，需街道协调市政部门。")

    await world.street.ok("escalate", report_id, STREET_ADMIN)
    written = await told(world, "report.escalate", object_id(report_id))
    assert set(written) == await users(world, HULI_ADMIN)


async def test_a_rejection_tells_reporter_and_followers_the_reason(world: World) -> None:
    report_id = await world.street.submit(JINAN_RESIDENT)
    assert (await follow(world, JINAN_CHAIR, report_id))["errors"] == []
    await world.street.ok("reject", report_id, JINAN_WORKER)
    written = await told(world, "report.reject", object_id(report_id))

    assert set(written) == await users(world, JINAN_RESIDENT, JINAN_CHAIR)
    assert {n["kind"] for n in written.values()} == {"REPORT_REJECTED"}
    assert {n["body"] for n in written.values()} == {
        "「金安里 6 栋楼道灯不亮」未被受理：经核实属于物业维修范围，已转金安里物业服务中心处理。"
    }
    assert await world.user(JINAN_NEIGHBOUR) not in written  # does not follow it


async def test_endorsers_follow_and_hear_every_status_change(world: World) -> None:
    report_id = await world.street.submit(JINAN_RESIDENT)
    await world.api.data(
        "EndorseReport", {"input": {"reportId": report_id}},
        token=await world.street.token(JINAN_NEIGHBOUR),
    )  # fmt: skip
    await world.street.ok("accept", report_id, JINAN_WORKER)
    written = await told(world, "report.accept", object_id(report_id))

    assert set(written) == await users(world, JINAN_RESIDENT, JINAN_NEIGHBOUR)
    assert {n["body"] for n in written.values()} == {"「金安里 6 栋楼道灯不亮」：已提交 → 已受理"}
    node = await in_feed(world, JINAN_NEIGHBOUR, "REPORT_STATUS_CHANGED")
    assert node["subject"]["id"] == report_id


async def test_an_unfollower_hears_nothing_more(world: World) -> None:
    report_id = await world.street.submit(JINAN_RESIDENT)
    await follow(world, JINAN_NEIGHBOUR, report_id)
    await follow(world, JINAN_NEIGHBOUR, report_id, "UnfollowReport")
    await world.street.ok("accept", report_id, JINAN_WORKER)
    written = await told(world, "report.accept", object_id(report_id))

    assert set(written) == await users(world, JINAN_RESIDENT)


async def test_a_private_reports_follower_who_may_no_longer_see_it_is_not_told(
    world: World,
) -> None:
    """A worker who followed a PRIVATE report while it was theirs stops seeing it once it is
    reassigned: they are no longer told (the reporter still is)."""
    report_id = await world.street.submit(
        JINAN_RESIDENT, category="NEIGHBOR_DISPUTE", visibility="PRIVATE"
    )
    await world.street.ok("accept", report_id, JINAN_WORKER)
    await world.street.ok("assign", report_id, JINAN_WORKER)  # to the grid worker
    assert (await follow(world, JINAN_GRID_WORKER, report_id))["errors"] == []
    worker_id = await world.street.user_id(JINAN_WORKER)
    await world.street.ok("assign", report_id, HULI_ADMIN, assigneeId=worker_id)
    await world.street.ok("start", report_id, JINAN_WORKER)
    written = await told(world, "report.start", object_id(report_id))

    assert set(written) == await users(world, JINAN_RESIDENT)
    assert await world.user(JINAN_GRID_WORKER) not in written


async def test_staff_comments_are_told_to_reporter_and_followers_neighbours_not(
    world: World,
) -> None:
    report_id = await world.street.submit(JINAN_RESIDENT)
    await follow(world, JINAN_CHAIR, report_id)
    await world.api.data(
        "CommentOnReport", {"input": {"reportId": report_id, "body": "我也看到了。"}},
        token=await world.street.token(JINAN_NEIGHBOUR),
    )  # fmt: skip
    assert await told(world, "report.commented", object_id(report_id)) == {}

    await world.api.data(
        "CommentOnReport", {"input": {"reportId": report_id, "body": "明天上午安排电工上门。"}},
        token=await world.street.token(JINAN_WORKER),
    )  # fmt: skip
    written = await told(world, "report.commented", object_id(report_id))
    assert set(written) == await users(world, JINAN_RESIDENT, JINAN_CHAIR)
    assert {n["body"] for n in written.values()} == {
        "林美华回复「金安里 6 栋楼道灯不亮」：明天上午安排电工上门。"
    }


async def test_the_assignees_comment_is_told_too(world: World) -> None:
    report_id = await world.street.reach("ASSIGNED")
    await world.api.data(
        "CommentOnReport", {"input": {"reportId": report_id, "body": "已到现场查看。"}},
        token=await world.street.token(JINAN_GRID_WORKER),
    )  # fmt: skip
    written = await told(world, "report.commented", object_id(report_id))
    assert set(written) == await users(world, JINAN_RESIDENT)
    (notice,) = written.values()
    assert notice["body"] == "陈志强回复「金安里 6 栋楼道灯不亮」：已到现场查看。"


async def test_following_a_report_one_may_not_see_is_not_found(world: World) -> None:
    private = await world.street.submit(
        JINAN_RESIDENT, category="NEIGHBOR_DISPUTE", visibility="PRIVATE"
    )
    for phone, report_id in ((JINAN_NEIGHBOUR, private), (JINSHAN_RESIDENT, private)):
        payload = await follow(world, phone, report_id)
        assert payload["report"] is None
        assert [e["code"] for e in payload["errors"]] == ["NOT_FOUND"]
        assert payload["errors"][0]["field"] == ["input", "reportId"]
    assert (
        await world.deps.db["report_follows"].count_documents({"report_id": object_id(private)})
        == 1
    )  # the reporter only


async def test_follow_state_and_count(world: World) -> None:
    report_id = await world.street.submit(JINAN_RESIDENT)
    payload = await follow(world, JINAN_NEIGHBOUR, report_id)
    assert payload["report"] == {"id": report_id, "viewerIsFollowing": True, "followerCount": 2}
    payload = await follow(world, JINAN_NEIGHBOUR, report_id)  # a repeat changes nothing
    assert payload["report"]["followerCount"] == 2
    payload = await follow(world, JINAN_RESIDENT, report_id, "UnfollowReport")
    assert payload["report"] == {"id": report_id, "viewerIsFollowing": False, "followerCount": 1}
    payload = await follow(world, JINAN_RESIDENT, report_id, "UnfollowReport")
    assert payload["report"]["followerCount"] == 1


# --- Memberships --------------------------------------------------------------------------------


async def test_a_request_to_join_is_told_to_that_communitys_staff(world: World) -> None:
    community = object_id(world.street.places["金安社区"], "Place")
    signed_in = await accounts.register(
        world.deps, phone="13900000401", password="neighbor-test-1", display_name="新居民"
    )
    applicant = await memberships.actor_for(world.deps, signed_in.user.id)
    membership = await memberships.join_community(
        world.deps, applicant, community_id=community, address="金安里 9 栋 101",
        household_code=None,
    )  # fmt: skip
    written = await told(world, "membership.requested", membership.id)

    assert set(written) == await users(world, JINAN_WORKER)  # not 金山社区's, not the admin above
    (notice,) = written.values()
    assert notice["kind"] == "MEMBERSHIP_REQUESTED"
    assert notice["body"] == "新居民申请加入金安社区（金安里 9 栋 101），请审核"
    assert (await in_feed(world, JINAN_WORKER, "MEMBERSHIP_REQUESTED"))["subject"] is not None


# --- Tasks --------------------------------------------------------------------------------------


async def test_a_claim_tells_the_tasks_creator(world: World) -> None:
    board = await world.boards.board()
    task = await world.boards.task(board, JINAN_WORKER)
    await world.boards.ok("ClaimTask", JINAN_RESIDENT, taskId=task["id"])
    written = await told(world, "task.claimed", object_id(task["id"], "Task"))

    assert set(written) == await users(world, JINAN_WORKER)
    assert next(iter(written.values()))["body"] == "王丽娟认领了「修剪 6 栋旁绿化带」"


async def test_a_submission_tells_the_boards_staff(world: World) -> None:
    board = await world.boards.board()
    task = await world.boards.to_review(board, JINAN_RESIDENT, JINAN_NEIGHBOUR)
    written = await told(world, "task.submitted", object_id(task["id"], "Task"))

    assert set(written) == await users(world, JINAN_WORKER)  # not the other assignee
    assert next(iter(written.values()))["kind"] == "TASK_SUBMITTED"


async def test_a_return_tells_every_assignee_the_reason(world: World) -> None:
    board = await world.boards.board()
    task = await world.boards.to_review(board, JINAN_RESIDENT, JINAN_NEIGHBOUR)
    result = await world.api.execute(
        RETURN_TASK, {"input": {"taskId": task["id"], "reason": "南侧还有两棵没有修剪。"}},
        token=await world.street.token(JINAN_WORKER),
    )  # fmt: skip
    assert result.errors is None
    written = await told(world, "task.returned", object_id(task["id"], "Task"))

    assert set(written) == await users(world, JINAN_RESIDENT, JINAN_NEIGHBOUR)
    assert {n["body"] for n in written.values()} == {
        "「修剪 6 栋旁绿化带」被林美华退回：南侧还有两棵没有修剪。"
    }


# --- Votes --------------------------------------------------------------------------------------


async def test_a_closed_vote_tells_electors_and_council_the_outcome(world: World) -> None:
    proposal_id = await world.hall.voting()
    await world.hall.vote(JINAN_RESIDENT, proposal_id, "赞成")
    await world.hall.close(proposal_id)
    subject = object_id(proposal_id, "Proposal")
    written = await told(world, "proposal.closed", subject)

    electors = {
        u for e in await world.deps.db["electors"].find({"proposal_id": subject}).to_list()
        for u in e["user_ids"]
    }  # fmt: skip
    council = await world.deps.db["councils"].find_one({"name": "金安社区居民议事会"})
    assert council is not None
    members = {m["user_id"] for m in council["members"]}
    assert set(written) == (electors | members) - await users(world, CHAIR)
    assert await world.user(JINSHAN_WORKER) not in written
    assert {n["kind"] for n in written.values()} == {"VOTING_RESULT"}
    body = written[await world.user(JINAN_RESIDENT)]["body"]
    assert body.startswith("「")
    assert "投票 1/" in body
    assert "参与投票人数（占选民）" in body or "各项规则均已满足" in body
