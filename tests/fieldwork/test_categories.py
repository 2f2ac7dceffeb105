"""Report categories as data: the catalogue in both languages (ReportCategories), answers
checked by submitReport, and every problem of a submission reported at once."""

from __future__ import annotations

from typing import Any

import httpx
from bson import ObjectId

from neighbor_api.graphql.relay import to_global_id
from neighbor_api.reports.models import ReportCategory
from tests.fieldwork.support import GRID_1_POINT, SHANGHAI, run
from tests.fieldwork.test_routing import submit
from tests.notifications.support import World
from tests.platform.test_http import login
from tests.reports.support import JINAN_RESIDENT


async def test_the_catalogue_in_both_languages(world: World, client: httpx.AsyncClient) -> None:
    token = await login(client, JINAN_RESIDENT)
    community = {"communityId": world.street.places["金安社区"]}
    zh = (await run(client, token, "ReportCategories", community))["data"]["reportCategories"]
    en = (await run(client, token, "ReportCategories", community, "en"))["data"]["reportCategories"]
    assert [c["category"] for c in zh] == [c.value for c in ReportCategory]
    repair = zh[0]
    assert (repair["label"], en[0]["label"]) == ("设施维修", "Repairs")
    assert repair["questions"][0] == {
        "key": "facility",
        "label": "损坏的设施",
        "kind": "SINGLE_CHOICE",
        "required": True,
        "options": ["楼道灯", "水管", "电梯", "路面", "其他"],
    }
    assert en[0]["questions"][0]["label"] == "Which facility"
    assert all(c["label"] and c["description"] for c in zh + en)
    # Not a community: null.
    grid = {"communityId": world.street.places["金安社区第一网格"]}
    assert (await run(client, token, "ReportCategories", grid))["data"] == {
        "reportCategories": None
    }


async def test_answers_are_checked_and_kept(world: World, client: httpx.AsyncClient) -> None:
    token = await login(client, JINAN_RESIDENT)
    answers = [
        {"key": "dangerous", "value": "true"},
        {"key": "facility", "value": "楼道灯"},
        {"key": "floor", "value": " 3 "},
    ]
    payload = await submit(world, client, token, GRID_1_POINT, answers=answers)
    assert payload["errors"] == []
    body = await run(client, token, "ReportRouting", {"id": payload["report"]["id"]})
    # In the questions' order, trimmed.
    assert body["data"]["report"]["answers"] == [
        {"key": "facility", "value": "楼道灯"},
        {"key": "floor", "value": "3"},
        {"key": "dangerous", "value": "true"},
    ]
    # A client of the first edition sends no answers: nothing is asked of it.
    assert (await submit(world, client, token, GRID_1_POINT))["errors"] == []


async def test_every_problem_of_a_submission_at_once(
    world: World, client: httpx.AsyncClient
) -> None:
    token = await login(client, JINAN_RESIDENT)
    before = await world.deps.db["reports"].count_documents({})
    answers: list[dict[str, Any]] = [
        {"key": "floor", "value": "三楼"},
        {"key": "colour", "value": "红"},
        {"key": "dangerous", "value": "maybe"},
    ]
    payload = await submit(
        world, client, token, SHANGHAI, title="", answers=answers,
        photoIds=[to_global_id("Attachment", ObjectId())], language="en",
    )  # fmt: skip
    assert payload["report"] is None
    assert [(e["code"], e["field"], e["message"]) for e in payload["errors"]] == [
        ("INVALID_INPUT", ["input", "title"], "This field is required"),
        (
            "INVALID_INPUT", ["input", "location"],
            "This location is outside 金安社区; pick a point within the community",
        ),
        ("INVALID_INPUT", ["input", "answers", "0", "value"], "Enter a number"),
        (
            "INVALID_INPUT", ["input", "answers", "1", "key"],
            'This category has no question "colour"',
        ),
        ("INVALID_INPUT", ["input", "answers", "2", "value"], "Answer true or false"),
        ("INVALID_INPUT", ["input", "answers"], "Please answer: Which facility"),
        ("NOT_FOUND", ["input", "photoIds"], "Attachment not found"),
    ]  # fmt: skip
    assert await world.deps.db["reports"].count_documents({}) == before
    # A choice not offered names the options.
    wrong = [{"key": "facility", "value": "窗户"}]
    payload = await submit(world, client, token, GRID_1_POINT, answers=wrong)
    assert [e["message"] for e in payload["errors"]] == [
        "请从以下选项中选择：楼道灯、水管、电梯、路面、其他"
    ]
