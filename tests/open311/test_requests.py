"""GET requests and GET a request: public reports only, as GeoReport v2 service requests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from neighbor_api.core.clock import ManualClock
from neighbor_api.core.deps import Deps
from tests.open311.support import refusal, xml

FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "lat",
    "long",
]
OPEN = {"SUBMITTED", "ACCEPTED", "ASSIGNED", "IN_PROGRESS"}


async def stored(deps: Deps) -> list[dict[str, Any]]:
    return [d async for d in deps.db["reports"].find()]


async def public_ids(deps: Deps, **condition: Any) -> set[str]:
    query = {"visibility": "COMMUNITY", **condition}
    return {str(d["_id"]) async for d in deps.db["reports"].find(query)}


class TestList:
    async def test_every_public_report_and_no_private_one(
        self, gateway: httpx.AsyncClient, demo: Deps
    ) -> None:
        response = await gateway.get("/requests.json")

        assert response.status_code == 200
        requests = response.json()
        documents = await stored(demo)
        private = {str(d["_id"]) for d in documents if d["visibility"] == "PRIVATE"}
        assert private, "the demo has a private report"
        ids = [r["service_request_id"] for r in requests]
        assert set(ids) == await public_ids(demo)
        assert not set(ids) & private
        assert all(list(r) == FIELDS for r in requests)
        # Nothing names a reporter (the spec has no such field; anonymous or not).
        assert "reporter" not in response.text
        assert all(str(d["reporter_id"]) not in response.text for d in documents)

    async def test_a_request_in_the_spec_shape(
        self, gateway: httpx.AsyncClient, demo: Deps
    ) -> None:
        response = await gateway.get("/requests.json")

        by_id = {r["service_request_id"]: r for r in response.json()}
        document = next(d for d in await stored(demo) if str(d["_id"]) in by_id)
        request = by_id[str(document["_id"])]
        assert request["status"] == ("open" if document["status"] in OPEN else "closed")
        assert request["service_code"] == document["category"]
        assert request["description"] == document["description"]
        assert request["agency_responsible"] in {"金安社区", "金山社区"}
        assert request["service_notice"].endswith(document["number"])
        assert request["requested_datetime"] == "2026-11-27T17:00:00+08:00"
        assert request["lat"] == document["location"]["coordinates"][1]
        assert request["long"] == document["location"]["coordinates"][0]

    @pytest.mark.parametrize("status", ["open", "closed"])
    async def test_by_status(self, gateway: httpx.AsyncClient, demo: Deps, status: str) -> None:
        response = await gateway.get("/requests.json", params={"status": status})

        found = {r["service_request_id"] for r in response.json()}
        statuses = {"$in": sorted(OPEN)} if status == "open" else {"$nin": sorted(OPEN)}
        assert found == await public_ids(demo, status=statuses)
        assert found
        assert {r["status"] for r in response.json()} == {status}

    async def test_by_service_codes(self, gateway: httpx.AsyncClient, demo: Deps) -> None:
        response = await gateway.get("/requests.json", params={"service_code": "REPAIR,TRAFFIC"})

        found = {r["service_request_id"] for r in response.json()}
        assert found == await public_ids(demo, category={"$in": ["REPAIR", "TRAFFIC"]})

    async def test_by_ids(self, gateway: httpx.AsyncClient, demo: Deps) -> None:
        documents = await stored(demo)
        private = next(str(d["_id"]) for d in documents if d["visibility"] == "PRIVATE")
        public = sorted(await public_ids(demo))[:2]

        response = await gateway.get(
            "/requests.json", params={"service_request_id": ",".join([*public, private])}
        )

        assert sorted(r["service_request_id"] for r in response.json()) == public

    async def test_by_period(self, gateway: httpx.AsyncClient, demo: Deps) -> None:
        around = {"start_date": "2026-11-27T00:00:00+08:00", "end_date": "2026-11-28T00:00:00Z"}
        later = {"start_date": "2026-11-28T00:00:00Z"}
        earlier = {"end_date": "2026-11-27T16:59:59+08:00"}

        assert len((await gateway.get("/requests.json", params=around)).json()) == len(
            await public_ids(demo)
        )
        assert (await gateway.get("/requests.json", params=later)).json() == []
        assert (await gateway.get("/requests.json", params=earlier)).json() == []

    async def test_the_default_is_the_last_90_days(
        self, gateway: httpx.AsyncClient, clock: ManualClock
    ) -> None:
        clock.advance(timedelta(days=91))

        assert (await gateway.get("/requests.json")).json() == []

    async def test_xml_list(self, gateway: httpx.AsyncClient, demo: Deps) -> None:
        root = xml(await gateway.get("/requests.xml", params={"status": "open"}))

        assert root.tag == "service_requests"
        requests = root.findall("request")
        assert requests
        assert all([child.tag for child in r] == FIELDS for r in requests)
        assert {r.findtext("status") for r in requests} == {"open"}


BAD_FILTERS = [
    pytest.param({"status": "pending"}, 400, "status must be", id="bad-status"),
    pytest.param({"service_code": "POTHOLE"}, 404, "POTHOLE", id="unknown-service-code"),
    pytest.param({"start_date": "yesterday"}, 400, "start_date must be", id="bad-date"),
    pytest.param({"end_date": "2026-11-27T00:00:00"}, 400, "time zone", id="date-without-zone"),
    pytest.param(
        {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"},
        400,
        "90 days",
        id="span-over-90-days",
    ),
    pytest.param(
        {"start_date": "2026-11-28T00:00:00Z", "end_date": "2026-11-27T00:00:00Z"},
        400,
        "after start_date",
        id="end-before-start",
    ),
    pytest.param(
        {"service_request_id": "0123456789abcdef01234567,abc"}, 400, "“abc”", id="malformed-id"
    ),
    pytest.param({"jurisdiction_id": "sfgov.org"}, 404, "sfgov.org", id="other-jurisdiction"),
]


class TestListRefused:
    @pytest.mark.parametrize(("params", "status", "words"), BAD_FILTERS)
    async def test_bad_filters_are_a_clear_4xx(
        self, gateway: httpx.AsyncClient, params: dict[str, str], status: int, words: str
    ) -> None:
        response = await gateway.get(
            "/requests.json", params=params, headers={"Accept-Language": "en"}
        )

        assert words in refusal(response, status)


class TestOne:
    async def test_a_public_request(self, gateway: httpx.AsyncClient, demo: Deps) -> None:
        request_id = sorted(await public_ids(demo))[0]

        response = await gateway.get(f"/requests/{request_id}.json")

        assert response.status_code == 200
        [request] = response.json()
        assert request["service_request_id"] == request_id
        assert list(request) == FIELDS

    async def test_xml(self, gateway: httpx.AsyncClient, demo: Deps) -> None:
        request_id = sorted(await public_ids(demo))[0]

        root = xml(await gateway.get(f"/requests/{request_id}.xml"))

        assert root.findtext("request/service_request_id") == request_id

    async def test_a_private_report_is_not_found(
        self, gateway: httpx.AsyncClient, demo: Deps
    ) -> None:
        documents = await stored(demo)
        private = next(str(d["_id"]) for d in documents if d["visibility"] == "PRIVATE")

        response = await gateway.get(f"/requests/{private}.json")

        assert private in refusal(response, 404)
        assert "楼上" not in response.text

    @pytest.mark.parametrize("request_id", ["0123456789abcdef01234567", "JA-2026-000001", "x"])
    async def test_unknown_or_malformed_ids_are_not_found(
        self, gateway: httpx.AsyncClient, request_id: str
    ) -> None:
        refusal(await gateway.get(f"/requests/{request_id}.json"), 404)


SECANTUS_PLANNER = pytest.mark.xfail(
    strict=True,
    reason="SecantusDB 0.7.0b3 uses an index only when every top-level field of the filter is "
    "on it; MongoDB reads visibility_newest and filters status/category on the way.",
)


class TestIndexes:
    @pytest.mark.parametrize(
        "condition",
        [
            pytest.param({}, id="all"),
            pytest.param(
                {"status": {"$in": ["RESOLVED", "CLOSED", "REJECTED"]}},
                id="closed",
                marks=SECANTUS_PLANNER,
            ),
            pytest.param(
                {"category": {"$in": ["REPAIR"]}}, id="service-code", marks=SECANTUS_PLANNER
            ),
        ],
    )
    async def test_the_public_list_reads_an_index(
        self, demo: Deps, condition: dict[str, Any]
    ) -> None:
        # The filter reports.service.public_reports sends over a period.
        period = {"$gte": demo.clock.now() - timedelta(days=90), "$lte": demo.clock.now()}
        query = {"visibility": "COMMUNITY", **condition, "created_at": period}

        explained = await demo.db.command(
            "explain",
            {"find": "reports", "filter": query, "sort": {"created_at": -1, "_id": -1}},
            verbosity="queryPlanner",
        )

        assert "visibility_newest" in repr(explained["queryPlanner"]["winningPlan"])
