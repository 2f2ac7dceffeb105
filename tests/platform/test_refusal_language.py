"""Over real HTTP: a refusal says who may act, and a malformed id is INVALID_INPUT on its field,
both in the language Accept-Language asks for (zh-CN when it asks for nothing we speak)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from neighbor_api.core.deps import Deps
from neighbor_api.graphql.relay import to_global_id
from tests.conftest import DEMO_PASSWORD, OPERATIONS
from tests.platform.conftest import LiveServer

RESIDENT = "13800000004"  # 王丽娟, a resident of 金安社区


async def _post(
    http: httpx.AsyncClient,
    server: LiveServer,
    name: str,
    variables: dict[str, Any],
    headers: dict[str, str],
) -> dict[str, Any]:
    response = await http.post(
        server.graphql_url,
        json={"query": OPERATIONS[name], "operationName": name, "variables": variables},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


@pytest.mark.parametrize(
    ("accept_language", "refusal", "not_an_id"),
    [
        (None, "只有社区工作人员可以受理诉求", "不是有效的 ID"),
        ("en-GB,en;q=0.9", "Only community staff can accept a report", "Not a valid id"),
        ("zh-CN,zh;q=0.9,en;q=0.5", "只有社区工作人员可以受理诉求", "不是有效的 ID"),
        ("fr-FR", "只有社区工作人员可以受理诉求", "不是有效的 ID"),
    ],
)
async def test_refusals_in_the_requests_language(
    live_server: LiveServer,
    demo: Deps,
    accept_language: str | None,
    refusal: str,
    not_an_id: str,
) -> None:
    report = await demo.db["reports"].find_one({"status": "SUBMITTED", "visibility": "COMMUNITY"})
    assert report is not None
    async with httpx.AsyncClient(timeout=10) as http:
        login = await _post(
            http,
            live_server,
            "Login",
            {"input": {"phone": RESIDENT, "password": DEMO_PASSWORD}},
            {},
        )
        headers = {"Authorization": f"Bearer {login['login']['accessToken']}"}
        if accept_language:
            headers["Accept-Language"] = accept_language

        accept = await _post(
            http,
            live_server,
            "AcceptReport",
            {"input": {"reportId": to_global_id("Report", report["_id"]), "priority": "HIGH"}},
            headers,
        )
        malformed = await _post(
            http,
            live_server,
            "AcceptReport",
            {"input": {"reportId": "JA-2026-000001", "priority": "HIGH"}},
            headers,
        )

    assert accept["acceptReport"] == {
        "report": None,
        "errors": [{"code": "FORBIDDEN", "message": refusal, "field": None}],
    }
    assert malformed["acceptReport"] == {
        "report": None,
        "errors": [{"code": "INVALID_INPUT", "message": not_an_id, "field": ["input", "reportId"]}],
    }
    assert await demo.db["reports"].find_one({"_id": report["_id"]}) == report
