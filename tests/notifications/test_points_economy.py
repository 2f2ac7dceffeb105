"""The points economy's notifications (notifications/rules.py RULES): a cancelled task is told
to its assignees with the reason; a redemption to the community's staff with the pickup code; a
redemption cancelled by staff to the resident, with the refund."""

from __future__ import annotations

from neighbor_api.notifications import service
from tests.notifications.support import World
from tests.points.support import give, redeem, reward
from tests.reports.support import JINAN_NEIGHBOUR, JINAN_RESIDENT, JINAN_WORKER, object_id

CANCEL = """
mutation CancelRedemptionForNotice($input: CancelRedemptionInput!) {
  cancelRedemption(input: $input) { redemption { id status } errors { code } }
}
"""


async def test_a_cancelled_task_is_told_to_its_assignees(world: World) -> None:
    board = await world.boards.board()
    task = await world.boards.task(board, capacity=2)
    await world.boards.ok("ClaimTask", JINAN_RESIDENT, taskId=task["id"])
    claimed = await world.boards.ok("ClaimTask", JINAN_NEIGHBOUR, taskId=task["id"])
    payload = await world.boards.mutate(
        "CancelTask", JINAN_WORKER, taskId=task["id"], expectedVersion=claimed["version"],
        reason="台风预警",
    )  # fmt: skip
    assert payload["errors"] == []
    await service.notify(world.deps)

    written = await world.written("task.cancelled", object_id(task["id"], "Task"))
    assert sorted(w["user_id"] for w in written) == sorted(
        [await world.user(JINAN_RESIDENT), await world.user(JINAN_NEIGHBOUR)]
    )
    assert {w["kind"] for w in written} == {"TASK_CANCELLED"}
    assert {w["body"] for w in written} == {"您认领的「修剪 6 栋旁绿化带」已被林美华取消：台风预警"}


async def test_a_redemption_is_told_to_staff_and_a_staff_cancel_to_the_resident(
    world: World,
) -> None:
    await give(world.boards, JINAN_RESIDENT, 20)
    item = await reward(world.boards, cost=20, stock=1, name="大米 5 斤")
    token = await world.street.token(JINAN_RESIDENT)
    redemption = (await redeem(world.boards, token, item["id"]))["redemption"]
    result = await world.street.api.execute(
        CANCEL, {"input": {"redemptionId": redemption["id"]}},
        token=await world.street.token(JINAN_WORKER),
    )  # fmt: skip
    assert result.errors is None
    await service.notify(world.deps)

    subject = object_id(redemption["id"], "Redemption")
    (to_staff,) = await world.written("redemption.requested", subject)
    assert to_staff["user_id"] == await world.user(JINAN_WORKER)
    assert to_staff["kind"] == "REDEMPTION_REQUESTED"
    assert redemption["pickupCode"] in to_staff["body"]
    (to_resident,) = await world.written("redemption.cancelled", subject)
    assert to_resident["user_id"] == await world.user(JINAN_RESIDENT)
    assert to_resident["body"].startswith("「大米 5 斤」的兑换已被林美华取消，20 积分已退回")
