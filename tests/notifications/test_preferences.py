"""Notification preferences: muted kinds (never those asking to act on an assignment) and
quiet hours (no push inside them; the feed still gets everything), with their bad input."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from neighbor_api.core.i18n import Locale
from neighbor_api.core.ids import global_id
from neighbor_api.notifications import service
from neighbor_api.notifications.models import Preferences
from tests.notifications.support import World
from tests.reports.support import JINAN_RESIDENT, JINAN_WORKER, object_id


async def update(world: World, phone: str, locale: Locale = Locale.ZH_CN, **values: Any) -> Any:
    result = await world.api.op(
        "UpdateNotificationPreferences", {"input": values},
        token=await world.street.token(phone), locale=locale,
    )  # fmt: skip
    return result


async def preferences(world: World, phone: str) -> dict[str, Any]:
    data = await world.api.data("NotificationPreferences", token=await world.street.token(phone))
    found: dict[str, Any] = data["viewer"]["notificationPreferences"]
    return found


async def test_preferences_are_saved_and_read_back(world: World) -> None:
    assert await preferences(world, JINAN_RESIDENT) == {
        "mutedKinds": [], "quietHoursStart": None, "quietHoursEnd": None,
    }  # fmt: skip
    result = await update(
        world, JINAN_RESIDENT, mutedKinds=["TASK_CLAIMED", "VOTING_OPENED"],
        quietHoursStart="22:00", quietHoursEnd="07:00",
    )  # fmt: skip
    assert result.errors is None
    payload = result.data["updateNotificationPreferences"]
    assert payload["errors"] == []
    saved = {
        "mutedKinds": ["TASK_CLAIMED", "VOTING_OPENED"],
        "quietHoursStart": "22:00",
        "quietHoursEnd": "07:00",
    }
    assert payload["viewer"]["notificationPreferences"] == saved
    assert await preferences(world, JINAN_RESIDENT) == saved

    # Fields left out stay as they are; both quiet-hour ends null: no quiet hours.
    await update(world, JINAN_RESIDENT, quietHoursStart=None, quietHoursEnd=None)
    assert await preferences(world, JINAN_RESIDENT) == {
        **saved, "quietHoursStart": None, "quietHoursEnd": None,
    }  # fmt: skip


@pytest.mark.parametrize("kind", ["REPORT_ASSIGNED", "TASK_RETURNED", "REPORT_OVERDUE"])
async def test_a_kind_asking_to_act_cannot_be_muted(world: World, kind: str) -> None:
    result = await update(world, JINAN_WORKER, mutedKinds=["TASK_CLAIMED", kind])
    (error,) = result.data["updateNotificationPreferences"]["errors"]
    assert (error["code"], error["field"]) == ("INVALID_INPUT", ["input", "mutedKinds", "1"])
    assert error["message"] == f"需要您处理的通知（{kind}）不能屏蔽"
    assert (await preferences(world, JINAN_WORKER))["mutedKinds"] == []  # nothing changed


async def test_an_unknown_kind_is_refused_before_anything_runs(world: World) -> None:
    result = await update(world, JINAN_WORKER, mutedKinds=["NOT_A_KIND"])
    assert result.errors is not None
    assert result.errors[0].extensions is not None
    assert result.errors[0].extensions["code"] == "BAD_USER_INPUT"
    assert (await preferences(world, JINAN_WORKER))["mutedKinds"] == []


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"quietHoursStart": "25:00", "quietHoursEnd": "07:00"}, "quietHoursStart"),
        ({"quietHoursStart": "22:00", "quietHoursEnd": "7:60"}, "quietHoursEnd"),
        ({"quietHoursStart": "22:00"}, "quietHoursEnd"),
    ],
)
async def test_bad_quiet_hours_are_refused(
    world: World, values: dict[str, str], field: str
) -> None:
    result = await update(world, JINAN_RESIDENT, Locale.EN, **values)
    errors = result.data["updateNotificationPreferences"]["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [("INVALID_INPUT", ["input", field])]
    assert errors[0]["message"].startswith(("A time is 00:00–23:59", "Quiet hours need both"))
    assert (await preferences(world, JINAN_RESIDENT))["quietHoursStart"] is None


async def test_a_muted_kind_is_not_written_an_unmutable_one_is(world: World) -> None:
    await update(world, JINAN_WORKER, mutedKinds=["TASK_CLAIMED", "REPORT_SUBMITTED"])
    board = await world.boards.board()
    task = await world.boards.task(board, JINAN_WORKER)
    await world.boards.ok("ClaimTask", JINAN_RESIDENT, taskId=task["id"])
    report_id = await world.street.submit(JINAN_RESIDENT)
    await service.notify(world.deps)

    assert await world.written("task.claimed", object_id(task["id"], "Task")) == []
    assert await world.written("report.submitted", object_id(report_id)) == []
    feed = await world.feed(JINAN_WORKER, first=50)
    assert "TASK_CLAIMED" not in {e["node"]["kind"] for e in feed["edges"]}


async def test_quiet_hours_stop_pushes_but_the_feed_gets_everything(world: World) -> None:
    await service.notify(world.deps)  # the demo's own history
    await world.api.data(
        "RegisterPushDevice", {"input": {"token": "night-phone", "platform": "ANDROID"}},
        token=await world.street.token(JINAN_RESIDENT),
    )  # fmt: skip
    # The test clock reads 09:00 UTC: 17:00 in Asia/Shanghai, inside 16:00–18:00.
    await update(world, JINAN_RESIDENT, quietHoursStart="16:00", quietHoursEnd="18:00")
    quiet_report = await world.street.submit(JINAN_RESIDENT)
    await world.street.ok("accept", quiet_report, JINAN_WORKER)
    await service.notify(world.deps)
    (quiet,) = await world.written("report.accept", object_id(quiet_report))
    outbox = world.deps.db["push_outbox"]
    assert await outbox.count_documents({"notification_id": quiet["_id"]}) == 0

    await update(world, JINAN_RESIDENT, quietHoursStart="22:00", quietHoursEnd="07:00")
    loud_report = await world.street.submit(JINAN_RESIDENT)
    await world.street.ok("accept", loud_report, JINAN_WORKER)
    await service.notify(world.deps)
    (loud,) = await world.written("report.accept", object_id(loud_report))
    assert await outbox.count_documents({"notification_id": loud["_id"]}) == 1

    feed = await world.feed(JINAN_RESIDENT, first=5)
    in_feed = {e["node"]["id"] for e in feed["edges"]}
    assert {global_id("Notification", n["_id"]) for n in (quiet, loud)} <= in_feed


@pytest.mark.parametrize(
    ("start", "end", "local", "quiet"),
    [
        ("22:00", "07:00", "23:30", True),
        ("22:00", "07:00", "06:59", True),
        ("22:00", "07:00", "07:00", False),
        ("22:00", "07:00", "12:00", False),
        ("12:00", "14:00", "13:00", True),
        ("12:00", "14:00", "14:00", False),
        ("08:00", "08:00", "08:00", False),
    ],
)
def test_quiet_hours_cross_midnight(start: str, end: str, local: str, quiet: bool) -> None:
    hour, minute = map(int, local.split(":"))
    at = datetime(2026, 11, 27, (hour - 8) % 24, minute, tzinfo=UTC)  # Asia/Shanghai is UTC+8
    preferences = Preferences(quiet_hours_start=start, quiet_hours_end=end)
    assert preferences.is_quiet(at) is quiet
