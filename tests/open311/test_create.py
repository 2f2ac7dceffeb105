"""POST requests: a partner files a report through the reports service, as the app does."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

import httpx
import pytest
from bson import ObjectId

from neighbor_api.app import create_app
from neighbor_api.core.clock import ManualClock
from neighbor_api.core.deps import Deps
from neighbor_api.graphql.relay import to_global_id
from neighbor_api.open311 import service
from tests.conftest import Api, make_settings
from tests.open311.conftest import PARTNER
from tests.open311.support import (
    AT_JINSHAN,
    FAR_AWAY,
    form,
    refusal,
    report_count,
    stored_report,
    xml,
)
from tests.places.support import JINAN_RESIDENT, JINAN_WORKER
from tests.platform.conftest import serve


class TestCreate:
    async def test_files_a_report_in_the_community_of_the_point(
        self, gateway: httpx.AsyncClient, api_key: str, demo: Deps
    ) -> None:
        response = await gateway.post("/requests.json", data=form(api_key))

        assert response.status_code == 200, response.text
        [created] = response.json()
        assert list(created) == ["service_request_id", "service_notice", "account_id"]
        assert created["account_id"] is None
        report = await stored_report(demo, created["service_request_id"])
        assert report["number"].startswith("JA-2026-")
        assert created["service_notice"] == f"由金安社区办理，诉求编号 {report['number']}"
        assert report["category"] == "REPAIR"
        assert report["title"] == "金安里 3 栋门口井盖松动"
        assert report["description"] == "金安里 3 栋门口井盖松动\n踩上去会晃，晚上很危险"
        assert report["address"] == "金安里 3 栋"
        assert report["location"]["coordinates"] == [118.1849, 24.5085]
        assert report["visibility"] == "COMMUNITY"
        assert report["anonymous"] is False

    async def test_staff_see_it_as_filed_by_the_partner(
        self, gateway: httpx.AsyncClient, api_key: str, api: Api
    ) -> None:
        response = await gateway.post("/requests.json", data=form(api_key))
        request_id = ObjectId(response.json()[0]["service_request_id"])
        variables = {"id": to_global_id("Report", request_id)}

        staff = await api.data("ReportDetail", variables, token=await api.login(JINAN_WORKER))

        report = staff["report"]
        assert report["community"]["name"] == "金安社区"
        assert report["reporter"]["displayName"] == PARTNER
        assert report["timeline"][0]["action"] == "SUBMITTED"
        assert report["timeline"][0]["actor"]["displayName"] == PARTNER
        assert report["viewerCan"]["accept"] is True
        # ... and it is a report like any other: the neighbours see it too.
        resident = await api.data("ReportDetail", variables, token=await api.login(JINAN_RESIDENT))
        assert resident["report"]["id"] == report["id"]

    async def test_the_nearest_community_within_reach_gets_it(
        self, gateway: httpx.AsyncClient, api_key: str, demo: Deps
    ) -> None:
        response = await gateway.post("/requests.json", data=form(api_key, **AT_JINSHAN))

        report = await stored_report(demo, response.json()[0]["service_request_id"])
        assert report["number"].startswith("JSQ-2026-")

    async def test_contact_details_are_not_stored(
        self, gateway: httpx.AsyncClient, api_key: str, demo: Deps
    ) -> None:
        contact = {
            "email": "zhang.san@example.com",
            "first_name": "三",
            "last_name": "张",
            "phone": "13912345678",
            "device_id": "device-42",
            "account_id": "partner-account-7",
        }

        response = await gateway.post("/requests.json", data=form(api_key, **contact))

        report = await stored_report(demo, response.json()[0]["service_request_id"])
        stored = repr(report)
        assert all(value not in stored for value in contact.values())

    async def test_a_media_url_is_kept_as_a_link_in_the_description(
        self, gateway: httpx.AsyncClient, api_key: str, demo: Deps
    ) -> None:
        link = "https://partner.example.com/photos/1.jpg"

        response = await gateway.post("/requests.json", data=form(api_key, media_url=link))

        report = await stored_report(demo, response.json()[0]["service_request_id"])
        assert report["description"].endswith(f"\n{link}")

    async def test_json_bodies_and_xml_answers(
        self, gateway: httpx.AsyncClient, api_key: str
    ) -> None:
        response = await gateway.post("/requests.xml", json=form(api_key))

        assert response.status_code == 200, response.text
        root = xml(response)
        assert root.tag == "service_requests"
        assert [child.tag for child in root.find("request") or []] == [
            "service_request_id",
            "service_notice",
            "account_id",
        ]
        assert root.findtext("request/account_id") == ""

    async def test_a_neighbour_dispute_is_filed_private(
        self, gateway: httpx.AsyncClient, api_key: str, demo: Deps
    ) -> None:
        response = await gateway.post(
            "/requests.json", data=form(api_key, service_code="NEIGHBOR_DISPUTE")
        )

        request_id = response.json()[0]["service_request_id"]
        assert (await stored_report(demo, request_id))["visibility"] == "PRIVATE"
        refusal(await gateway.get(f"/requests/{request_id}.json"), 404)


# Each bad request: the form's changes, the status, and words its description must have.
BAD_REQUESTS = [
    pytest.param({"api_key": None}, 403, "api_key", id="no-api-key"),
    pytest.param({"api_key": "o311_not-a-key"}, 403, "api_key", id="bad-api-key"),
    pytest.param({"service_code": None}, 400, "service_code", id="no-service-code"),
    pytest.param({"service_code": "POTHOLE"}, 404, "POTHOLE", id="unknown-service-code"),
    pytest.param({"lat": None, "long": None}, 400, "lat and long", id="no-location"),
    pytest.param({"lat": None}, 400, "lat and long", id="no-lat"),
    pytest.param({"lat": "north"}, 400, "lat must be", id="lat-not-a-number"),
    pytest.param({"long": "NaN"}, 400, "long must be", id="long-nan"),
    pytest.param({"lat": "91"}, 400, "lat must be", id="lat-out-of-range"),
    pytest.param({"long": "-180.5"}, 400, "long must be", id="long-out-of-range"),
    pytest.param(FAR_AWAY, 400, "outside every community", id="outside-communities"),
    pytest.param({"description": "  "}, 400, "description", id="no-description"),
    pytest.param({"description": "坏" * 2001}, 400, "description: At most 2000", id="too-long"),
    pytest.param({"media_url": "javascript:alert(1)"}, 400, "media_url", id="bad-media-url"),
    pytest.param({"jurisdiction_id": "sfgov.org"}, 404, "sfgov.org", id="other-jurisdiction"),
]


class TestRefused:
    @pytest.mark.parametrize(("changes", "status", "words"), BAD_REQUESTS)
    async def test_bad_input_is_a_clear_4xx_and_changes_nothing(
        self,
        gateway: httpx.AsyncClient,
        api_key: str,
        demo: Deps,
        changes: dict[str, str | None],
        status: int,
        words: str,
    ) -> None:
        before = await report_count(demo)
        data = {**form(api_key), **changes}

        response = await gateway.post(
            "/requests.json",
            data={k: v for k, v in data.items() if v is not None},
            headers={"Accept-Language": "en"},
        )

        assert words in refusal(response, status)
        assert await report_count(demo) == before

    async def test_messages_are_in_chinese_by_default(
        self, gateway: httpx.AsyncClient, api_key: str
    ) -> None:
        response = await gateway.post("/requests.json", data=form(None))

        assert refusal(response, 403).startswith("缺少 api_key")

    async def test_a_revoked_key_is_refused(
        self, gateway: httpx.AsyncClient, api_key: str, demo: Deps
    ) -> None:
        await service.revoke_key(demo, name=PARTNER)

        response = await gateway.post("/requests.json", data=form(api_key))

        assert "revoked" in refusal(response, 403) or "吊销" in response.text

    async def test_a_body_that_is_not_an_object_is_refused(
        self, gateway: httpx.AsyncClient, api_key: str
    ) -> None:
        response = await gateway.post("/requests.json", json=["api_key", api_key])

        refusal(response, 400)

    async def test_every_problem_is_listed(self, gateway: httpx.AsyncClient, api_key: str) -> None:
        response = await gateway.post(
            "/requests.json",
            data=form(api_key, lat="x", long="y", description=""),
            headers={"Accept-Language": "en"},
        )

        assert response.status_code == 400
        descriptions = [e["description"] for e in response.json()]
        assert len(descriptions) == 3, descriptions


class TestRateLimit:
    @pytest.fixture
    async def limited(self, demo: Deps) -> Deps:
        settings = make_settings(open311_requests_per_minute=3)
        return dataclasses.replace(demo, settings=settings)

    async def test_over_the_limit_is_429_until_the_next_minute(
        self, limited: Deps, api_key: str, clock: ManualClock
    ) -> None:
        async with (
            serve(create_app(limited.settings, deps=limited)) as server,
            httpx.AsyncClient(base_url=f"{server.url}/open311/v2", timeout=10) as gateway,
        ):
            statuses = [
                (await gateway.post("/requests.json", data=form(api_key))).status_code
                for _ in range(4)
            ]
            assert statuses == [200, 200, 200, 429]
            assert "3" in refusal(await gateway.post("/requests.json", data=form(api_key)), 429)
            # Other partners are not held back by this one.
            other = (await service.issue_key(limited, name="FixMyStreet")).secret
            assert (await gateway.post("/requests.json", data=form(other))).status_code == 200

            clock.advance(timedelta(minutes=1))

            assert (await gateway.post("/requests.json", data=form(api_key))).status_code == 200

    async def test_concurrent_requests_cannot_pass_the_limit(
        self, limited: Deps, api_key: str
    ) -> None:
        before = await report_count(limited)
        async with (
            serve(create_app(limited.settings, deps=limited)) as server,
            httpx.AsyncClient(base_url=f"{server.url}/open311/v2", timeout=30) as gateway,
        ):
            responses = await asyncio.gather(
                *(gateway.post("/requests.json", data=form(api_key)) for _ in range(10))
            )

        assert sorted(r.status_code for r in responses) == [200] * 3 + [429] * 7, [
            (r.status_code, r.text[:300]) for r in responses
        ]
        assert await report_count(limited) == before + 3


class TestOddBodies:
    async def test_a_form_that_is_not_utf8_is_a_4xx(
        self, gateway: httpx.AsyncClient, api_key: str
    ) -> None:
        body = (
            f"api_key={api_key}&service_code=REPAIR&lat=24.5085&long=118.1849&description=".encode()
        )
        response = await gateway.post(
            "/requests.json",
            content=body + b"\xff\xfe\xfa",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )

        assert 200 <= response.status_code < 500, response.text

    async def test_a_broken_multipart_body_is_a_4xx(
        self, gateway: httpx.AsyncClient, api_key: str, demo: Deps
    ) -> None:
        before = await report_count(demo)

        response = await gateway.post(
            "/requests.json",
            content=b'--xyz\r\nContent-Disposition: form-data; name="api_key"\r\n\r\nabc',
            headers={"Content-Type": "multipart/form-data; boundary=xyz", "GraphQL-Preflight": "1"},
        )

        assert 400 <= response.status_code < 500, response.text
        assert await report_count(demo) == before

    @pytest.mark.parametrize("lat", ["1e309", "-inf", "", "24,5", "0x18"])
    async def test_odd_numbers_are_refused(
        self, gateway: httpx.AsyncClient, api_key: str, lat: str
    ) -> None:
        response = await gateway.post("/requests.json", data=form(api_key, lat=lat))

        refusal(response, 400)
