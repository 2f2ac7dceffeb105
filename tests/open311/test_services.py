"""GET services and service definitions: the report categories, in the spec's shapes."""

from __future__ import annotations

import httpx

from tests.open311.support import refusal, xml
from tests.platform.conftest import LiveServer

CATEGORIES = [
    "REPAIR",
    "ENVIRONMENT",
    "SAFETY_HAZARD",
    "TRAFFIC",
    "NEIGHBOR_DISPUTE",
    "PROPERTY_MANAGEMENT",
    "PUBLIC_ORDER",
    "OTHER",
]
FIELDS = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]


class TestServiceList:
    async def test_every_category_is_a_service_in_chinese_by_default(
        self, gateway: httpx.AsyncClient
    ) -> None:
        response = await gateway.get("/services.json")

        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json; charset=utf-8"
        services = response.json()
        assert [s["service_code"] for s in services] == CATEGORIES
        assert all(list(s) == FIELDS for s in services)
        repair = services[0]
        assert repair["service_name"] == "设施报修"
        assert repair["metadata"] is False
        assert repair["type"] == "realtime"
        assert repair["group"] == "设施与物业"
        assert "路灯" in repair["keywords"]

    async def test_names_follow_accept_language(self, gateway: httpx.AsyncClient) -> None:
        response = await gateway.get("/services.json", headers={"Accept-Language": "en-US"})

        services = {s["service_code"]: s for s in response.json()}
        assert services["REPAIR"]["service_name"] == "Repairs"
        assert services["NEIGHBOR_DISPUTE"]["group"] == "Community affairs"

    async def test_xml_has_the_spec_elements(self, gateway: httpx.AsyncClient) -> None:
        root = xml(await gateway.get("/services.xml"))

        assert root.tag == "services"
        services = root.findall("service")
        assert [s.findtext("service_code") for s in services] == CATEGORIES
        assert [child.tag for child in services[0]] == FIELDS
        assert services[0].findtext("metadata") == "false"
        assert services[0].findtext("type") == "realtime"

    async def test_our_jurisdiction_is_accepted_and_another_is_not_found(
        self, gateway: httpx.AsyncClient
    ) -> None:
        ours = await gateway.get("/services.json", params={"jurisdiction_id": "xm.gov.cn"})
        other = await gateway.get("/services.json", params={"jurisdiction_id": "sfgov.org"})

        assert ours.status_code == 200
        assert "sfgov.org" in refusal(other, 404)

    async def test_an_unknown_format_is_not_found(self, gateway: httpx.AsyncClient) -> None:
        description = refusal(await gateway.get("/services.csv"), 404)

        assert ".json" in description


class TestServiceDefinition:
    async def test_a_category_has_no_attributes(self, gateway: httpx.AsyncClient) -> None:
        response = await gateway.get("/services/TRAFFIC.json")

        assert response.status_code == 200
        assert response.json() == {"service_code": "TRAFFIC", "attributes": []}

    async def test_xml_definition(self, gateway: httpx.AsyncClient) -> None:
        root = xml(await gateway.get("/services/TRAFFIC.xml"))

        assert root.tag == "service_definition"
        assert root.findtext("service_code") == "TRAFFIC"
        attributes = root.find("attributes")
        assert attributes is not None
        assert list(attributes) == []

    async def test_an_unknown_code_is_not_found_in_the_spec_format(
        self, gateway: httpx.AsyncClient
    ) -> None:
        response = await gateway.get("/services/POTHOLE.json", headers={"Accept-Language": "en"})

        assert refusal(response, 404) == "Unknown service_code “POTHOLE” (see services.json)"

    async def test_an_unknown_code_in_xml(self, gateway: httpx.AsyncClient) -> None:
        response = await gateway.get("/services/POTHOLE.xml")

        assert response.status_code == 404
        root = xml(response)
        assert root.tag == "errors"
        assert root.findtext("error/code") == "404"
        assert "POTHOLE" in (root.findtext("error/description") or "")

    async def test_an_unknown_path_is_not_found(self, gateway: httpx.AsyncClient) -> None:
        refusal(await gateway.get("/tokens/123.json"), 404)

    async def test_a_post_to_the_service_list_is_not_allowed(
        self, gateway: httpx.AsyncClient
    ) -> None:
        refusal(await gateway.post("/services.json"), 405)


class TestDiscovery:
    async def test_json(self, gateway: httpx.AsyncClient, server: LiveServer) -> None:
        response = await gateway.get("/discovery.json")

        assert response.status_code == 200
        discovery = response.json()
        assert list(discovery) == ["changeset", "contact", "key_service", "endpoints"]
        [endpoint] = discovery["endpoints"]
        assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
        assert endpoint["url"] == f"{server.url}/open311/v2"
        assert endpoint["type"] == "test"
        assert endpoint["formats"] == ["text/xml", "application/json"]

    async def test_xml(self, gateway: httpx.AsyncClient) -> None:
        root = xml(await gateway.get("/discovery.xml"))

        assert root.tag == "discovery"
        assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == [
            "text/xml",
            "application/json",
        ]
