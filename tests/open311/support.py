"""Places, payloads and checks the Open311 tests share."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree

import httpx

from neighbor_api.core.deps import Deps

# 金安社区's centre, and a point by it; 金山社区 is about a kilometre south-west.
AT_JINAN = {"lat": "24.5085", "long": "118.1849"}
AT_JINSHAN = {"lat": "24.5030", "long": "118.1770"}
# 集美 across the bay: more than 1,500 m from every demo community.
FAR_AWAY = {"lat": "24.5760", "long": "118.0970"}


def form(api_key: str | None, **fields: str) -> dict[str, str]:
    """A POST service request's form: a pothole-like report at 金安社区."""
    values = {
        "service_code": "REPAIR",
        **AT_JINAN,
        "description": "金安里 3 栋门口井盖松动\n踩上去会晃，晚上很危险",
        "address_string": "金安里 3 栋",
    }
    if api_key is not None:
        values["api_key"] = api_key
    values.update(fields)
    return {k: v for k, v in values.items() if v is not None}


def refusal(response: httpx.Response, status: int) -> str:
    """The one GeoReport error of a refused JSON request; its description."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert isinstance(body, list), body
    assert len(body) == 1, body
    assert set(body[0]) == {"code", "description"}
    assert body[0]["code"] == status
    description: str = body[0]["description"]
    assert description
    return description


def xml(response: httpx.Response) -> ElementTree.Element:
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    assert response.text.startswith('<?xml version="1.0" encoding="utf-8"?>')
    return ElementTree.fromstring(response.content)


async def report_count(deps: Deps) -> int:
    count: int = await deps.db["reports"].count_documents({})
    return count


async def stored_report(deps: Deps, request_id: str) -> dict[str, Any]:
    from bson import ObjectId

    document = await deps.db["reports"].find_one({"_id": ObjectId(request_id)})
    assert document is not None
    return document
