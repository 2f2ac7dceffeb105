"""Notifications (paging, unreadOnly, unreadCount, subject) and MarkNotificationsRead."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bson import ObjectId

from neighbor_api.notifications import repository, service
from neighbor_api.notifications.models import Notification, NotificationKind
from tests.notifications.support import World
from tests.reports.support import JINAN_RESIDENT, JINAN_WORKER, JINSHAN_RESIDENT


async def _feed_of(world: World, phone: str, count: int) -> None:
    """`count` notifications for `phone`, one minute apart (about a missing report)."""
    user_id = await world.user(phone)
    now = world.deps.clock.now()
    await repository.insert_many(
        world.deps.db,
        [
            Notification(
                user_id=user_id,
                event_id=ObjectId(),
                kind=NotificationKind.REPORT_STATUS_CHANGED,
                title=f"t{i}",
                body=f"b{i}",
                subject_type="Report",
                subject_id=ObjectId(),
                created_at=now + timedelta(minutes=i),
            )
            for i in range(count)
        ],
    )


async def test_the_feed_pages_newest_first_with_unread_count(world: World) -> None:
    await world.deps.db[repository.NOTIFICATIONS].delete_many({})
    await _feed_of(world, JINAN_RESIDENT, 5)
    await _feed_of(world, JINSHAN_RESIDENT, 2)

    first = await world.feed(JINAN_RESIDENT, first=2)
    assert [e["node"]["title"] for e in first["edges"]] == ["t4", "t3"]
    assert first["unreadCount"] == 5
    assert first["pageInfo"]["hasNextPage"] is True
    rest = await world.feed(JINAN_RESIDENT, first=10, after=first["pageInfo"]["endCursor"])
    assert [e["node"]["title"] for e in rest["edges"]] == ["t2", "t1", "t0"]
    assert rest["pageInfo"]["hasNextPage"] is False
    assert rest["edges"][0]["node"]["subject"] is None  # a subject the viewer cannot see

    read = [first["edges"][0]["node"]["id"], rest["edges"][0]["node"]["id"]]
    assert (await world.mark_read(JINAN_RESIDENT, ids=read)) == {"unreadCount": 3, "errors": []}
    unread = await world.feed(JINAN_RESIDENT, unreadOnly=True)
    assert [e["node"]["title"] for e in unread["edges"]] == ["t3", "t1", "t0"]
    assert {e["node"]["read"] for e in unread["edges"]} == {False}
    assert unread["unreadCount"] == 3


async def test_a_real_notification_points_at_its_subject(world: World) -> None:
    report_id = await world.street.submit(JINAN_RESIDENT)
    await world.street.ok("accept", report_id, JINAN_WORKER)
    await service.notify(world.deps)

    (latest,) = (await world.feed(JINAN_RESIDENT, first=1))["edges"]
    assert latest["node"]["kind"] == "REPORT_STATUS_CHANGED"
    assert latest["node"]["subject"] == {"id": report_id, "__typename": "Report"}


async def test_mark_read_by_ids_all_and_someone_elses(world: World) -> None:
    await world.deps.db[repository.NOTIFICATIONS].delete_many({})
    await _feed_of(world, JINAN_RESIDENT, 3)
    await _feed_of(world, JINSHAN_RESIDENT, 2)
    theirs = [e["node"]["id"] for e in (await world.feed(JINSHAN_RESIDENT))["edges"]]

    # Someone else's ids are ignored: nothing of theirs or mine changes.
    assert await world.mark_read(JINAN_RESIDENT, ids=theirs) == {"unreadCount": 3, "errors": []}
    assert (await world.feed(JINSHAN_RESIDENT))["unreadCount"] == 2
    assert await world.mark_read(JINAN_RESIDENT, all=True) == {"unreadCount": 0, "errors": []}
    assert (await world.feed(JINSHAN_RESIDENT))["unreadCount"] == 2
    assert await world.mark_read(JINAN_RESIDENT, all=True) == {"unreadCount": 0, "errors": []}


async def test_mark_read_needs_ids_or_all(world: World) -> None:
    nothing: list[dict[str, Any]] = [{}, {"ids": []}, {"all": False}]
    for values in nothing:
        payload = await world.mark_read(JINAN_RESIDENT, **values)
        assert payload["unreadCount"] is None
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [
            ("INVALID_INPUT", ["input", "ids"])
        ], values
    payload = await world.mark_read(JINAN_RESIDENT, ids=["not-an-id"])
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("INVALID_INPUT", ["input", "ids", "0"])
    ]


async def test_signed_out_viewers_get_nothing(world: World) -> None:
    result = await world.api.op("MarkNotificationsRead", {"input": {"all": True}})
    assert result.errors is not None
    assert result.errors[0].extensions == {"code": "UNAUTHENTICATED"}
