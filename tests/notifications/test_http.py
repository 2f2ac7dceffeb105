"""The contract's notify.graphql documents over real HTTP against the running app, including
bad input (a clear error, never a 500) and the reporter's follow shown on the report."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.conftest import OPERATIONS
from tests.notifications.support import World
from tests.platform.conftest import LiveServer
from tests.platform.test_http import login
from tests.reports.support import JINAN_NEIGHBOUR, JINAN_RESIDENT


@pytest.fixture
async def client(world: World, live_server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=10) as http:
        yield http


async def run(
    http: httpx.AsyncClient, token: str, name: str, variables: dict[str, Any] | None = None,
    language: str = "zh-CN",
) -> dict[str, Any]:  # fmt: skip
    response = await http.post(
        "/graphql",
        json={"query": OPERATIONS[name], "operationName": name, "variables": variables or {}},
        headers={"Authorization": f"Bearer {token}", "Accept-Language": language},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_following_over_http(world: World, client: httpx.AsyncClient) -> None:
    report_id = await world.street.submit(JINAN_RESIDENT)
    neighbour = await login(client, JINAN_NEIGHBOUR)
    body = await run(client, neighbour, "FollowReport", {"input": {"reportId": report_id}})
    assert body["data"]["followReport"] == {
        "report": {"id": report_id, "viewerIsFollowing": True, "followerCount": 2},
        "errors": [],
    }
    body = await run(client, neighbour, "UnfollowReport", {"input": {"reportId": report_id}})
    assert body["data"]["unfollowReport"]["report"]["followerCount"] == 1


async def test_devices_and_preferences_over_http_with_bad_input(
    world: World, client: httpx.AsyncClient
) -> None:
    token = await login(client, JINAN_RESIDENT)
    huge = {"input": {"token": "t" * 10_240, "platform": "ANDROID"}}
    body = await run(client, token, "RegisterPushDevice", huge, "en")
    (error,) = body["data"]["registerPushDevice"]["errors"]
    assert (error["code"], error["field"]) == ("INVALID_INPUT", ["input", "token"])
    assert error["message"].startswith("Not a push token")

    ok = {"input": {"token": "hms-0001", "platform": "HARMONY"}}
    device = (await run(client, token, "RegisterPushDevice", ok))["data"]["registerPushDevice"]
    assert device["errors"] == []
    assert device["device"]["platform"] == "HARMONY"

    late = {"input": {"quietHoursStart": "25:00", "quietHoursEnd": "07:00"}}
    body = await run(client, token, "UpdateNotificationPreferences", late)
    (error,) = body["data"]["updateNotificationPreferences"]["errors"]
    assert (error["code"], error["field"]) == ("INVALID_INPUT", ["input", "quietHoursStart"])
    assert error["message"] == "时间格式应为 00:00–23:59，例如 22:00（收到：25:00）"

    unknown = {"input": {"mutedKinds": ["NOT_A_KIND"]}}
    body = await run(client, token, "UpdateNotificationPreferences", unknown)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"

    body = await run(client, token, "NotificationPreferences")
    assert body["data"]["viewer"]["notificationPreferences"] == {
        "mutedKinds": [], "quietHoursStart": None, "quietHoursEnd": None,
    }  # fmt: skip

    gone = {"input": {"deviceId": device["device"]["id"]}}
    body = await run(client, token, "UnregisterPushDevice", gone)
    assert body["data"]["unregisterPushDevice"] == {"errors": []}
    body = await run(client, token, "UnregisterPushDevice", gone)
    assert [e["code"] for e in body["data"]["unregisterPushDevice"]["errors"]] == ["NOT_FOUND"]
