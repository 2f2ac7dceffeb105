"""The gateway driven by a GeoReport v2 client library (PyPI `georeport`, synchronous, run in
a thread) over real HTTP, in both formats: a partner's round trip from filing a request to
seeing staff close it."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from bson import ObjectId
from georeport import GeoReport

from neighbor_api.graphql.relay import to_global_id
from tests.conftest import Api
from tests.open311.support import form
from tests.places.support import JINAN_WORKER
from tests.platform.conftest import LiveServer


@pytest.fixture(params=["json", "xml"])
def client(request: pytest.FixtureRequest, server: LiveServer) -> GeoReport:
    return GeoReport(
        f"{server.url}/open311/v2", jurisdiction="xm.gov.cn", output_format=request.param
    )


async def call(function: Any, *args: Any, **kwargs: Any) -> Any:
    """A blocking client call, off the event loop the server runs on."""
    return await asyncio.to_thread(function, *args, **kwargs)


class TestWithAGeoReportClient:
    async def test_services_and_a_definition(self, client: GeoReport) -> None:
        services = await call(client.get_service_list)
        definition = await call(client.get_service_definition, "REPAIR")

        assert [s["service_code"] for s in services][:2] == ["REPAIR", "ENVIRONMENT"]
        assert services[0]["service_name"] == "设施报修"
        assert definition["service_code"] == "REPAIR"

    async def test_a_filed_request_is_followed_to_its_end(
        self, client: GeoReport, gateway: httpx.AsyncClient, api_key: str, api: Api
    ) -> None:
        # The library reads; filing is a plain form POST, as the spec defines it.
        created = await gateway.post("/requests.json", data=form(api_key))
        request_id = created.json()[0]["service_request_id"]

        filed = await call(client.get_service_request, request_id)

        assert filed["service_request_id"] == request_id
        assert filed["status"] == "open"
        assert filed["status_notes"] == "已提交"
        assert filed["agency_responsible"] == "金安社区"
        opened = await call(client.get_service_requests, status="open", service_code="REPAIR")
        assert request_id in _ids(opened)

        token = await api.login(JINAN_WORKER)
        reason = "已转交市政部门处理"
        variables = {
            "input": {"reportId": to_global_id("Report", ObjectId(request_id)), "reason": reason}
        }
        rejected = await api.data("RejectReport", variables, token=token)
        assert rejected["rejectReport"]["errors"] == []

        closed = await call(client.get_service_request, request_id)
        assert closed["status"] == "closed"
        assert closed["status_notes"] == f"不予受理：{reason}"
        still_open = await call(client.get_service_requests, status="open")
        assert request_id not in _ids(still_open)


def _ids(requests: Any) -> list[str]:
    """xmltodict gives one request as a dict, several as a list."""
    items = requests if isinstance(requests, list) else [requests]
    return [r["service_request_id"] for r in items]
