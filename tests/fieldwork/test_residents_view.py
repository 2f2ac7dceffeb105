"""The resident's view of their report: who handles it (name, role, a masked contact line),
every rating with its stars in the timeline, and `satisfaction` as the latest rating with the
history kept."""

from __future__ import annotations

from typing import Any

import httpx

from tests.fieldwork.support import FIELDWORK, GRID_1_POINT, run
from tests.fieldwork.test_duplicates import new_report
from tests.notifications.support import World
from tests.platform.test_http import login
from tests.reports.support import (
    JINAN_GRID_WORKER,
    JINAN_NEIGHBOUR,
    JINAN_RESIDENT,
    JINAN_WORKER,
    object_id,
)

FIELDWORK["ResidentView"] = """
query ResidentView($id: ID!) {
  report(id: $id) {
    status
    assignee { displayName phone }
    assigneeRole
    satisfaction { rating comment }
    ratings { rating comment }
    timeline { action rating note }
  }
}
"""


async def view(http: httpx.AsyncClient, token: str, report_id: str) -> dict[str, Any]:
    body = await run(http, token, "ResidentView", {"id": report_id})
    assert "errors" not in body, body
    report: dict[str, Any] = body["data"]["report"]
    return report


async def test_the_reporter_sees_the_handler_and_every_rating(
    world: World, client: httpx.AsyncClient
) -> None:
    resident = await login(client, JINAN_RESIDENT)
    report_id = (await new_report(world, client, resident, GRID_1_POINT))["id"]
    street = world.street
    await street.ok("accept", report_id, JINAN_WORKER)
    await street.ok("assign", report_id, JINAN_WORKER)  # to 陈志强, the grid's worker
    seen = await view(client, resident, report_id)
    assert seen["assignee"] == {"displayName": "陈志强", "phone": "138****0002"}
    assert seen["assigneeRole"] == "GRID_WORKER"
    # A neighbour sees who handles it, not even a masked number.
    neighbour = await view(client, await login(client, JINAN_NEIGHBOUR), report_id)
    assert neighbour["assignee"] == {"displayName": "陈志强", "phone": None}

    await street.ok("start", report_id, JINAN_GRID_WORKER)
    await street.ok("resolve", report_id, JINAN_GRID_WORKER)
    await street.ok("rate", report_id, JINAN_RESIDENT, rating=2, comment="还是不亮。")
    await street.ok("start", report_id, JINAN_GRID_WORKER)
    await street.ok("resolve", report_id, JINAN_GRID_WORKER, note="更换了线路和开关。")
    # Resolved again, not rated yet: the latest rating stands.
    seen = await view(client, resident, report_id)
    assert seen["satisfaction"] == {"rating": 2, "comment": "还是不亮。"}
    await street.ok("rate", report_id, JINAN_RESIDENT, rating=5, comment="这次修好了。")

    seen = await view(client, resident, report_id)
    assert seen["status"] == "CLOSED"
    assert seen["satisfaction"] == {"rating": 5, "comment": "这次修好了。"}
    assert seen["ratings"] == [
        {"rating": 2, "comment": "还是不亮。"},
        {"rating": 5, "comment": "这次修好了。"},
    ]
    rated = [e for e in seen["timeline"] if e["action"] == "RATED"]
    assert rated == [
        {"action": "RATED", "rating": 2, "note": "还是不亮。"},
        {"action": "RATED", "rating": 5, "note": "这次修好了。"},
    ]
    assert {e["rating"] for e in seen["timeline"] if e["action"] != "RATED"} == {None}
    # Closed: the reporter no longer gets the handler's contact line.
    assert (await view(client, resident, report_id))["assignee"]["phone"] is None


async def test_stars_of_ratings_stored_before_they_were_kept(
    world: World, client: httpx.AsyncClient
) -> None:
    """Timelines written before the stars were kept on RATED entries take them from
    `ratings`, in order."""
    resident = await login(client, JINAN_RESIDENT)
    report_id = (await new_report(world, client, resident, GRID_1_POINT))["id"]
    for verb in ("accept", "assign"):
        await world.street.ok(verb, report_id, JINAN_WORKER)
    for verb in ("start", "resolve"):
        await world.street.ok(verb, report_id, JINAN_GRID_WORKER)
    await world.street.ok("rate", report_id, JINAN_RESIDENT, rating=4)
    await world.deps.db["reports"].update_one(
        {"_id": object_id(report_id), "timeline.action": "RATED"},
        {"$unset": {"timeline.$.rating": ""}},
    )
    seen = await view(client, resident, report_id)
    assert [e["rating"] for e in seen["timeline"] if e["action"] == "RATED"] == [4]
