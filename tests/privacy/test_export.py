"""exportMyData: a signed link, valid a few minutes, to one JSON document of everything
stored about the viewer; fetched over HTTP without a token; tampered, foreign, expired and
malformed links refused with a clear body in the request's language."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from neighbor_api.core.clock import ManualClock
from neighbor_api.core.deps import Deps
from neighbor_api.graphql.relay import from_global_id
from tests.conftest import Api
from tests.councils.support import Hall
from tests.privacy.support import (
    HOME,
    HOUSEHOLD,
    NAME,
    PHONE,
    Resident,
    call,
    delete_code,
    resident_with_a_footprint,
)


@pytest.fixture
async def hall(api: Api, deps: Deps) -> Hall:
    return await Hall.open(api, deps)


@pytest.fixture
async def resident(hall: Hall, http: httpx.AsyncClient) -> Resident:
    return await resident_with_a_footprint(hall, http)


async def export(http: httpx.AsyncClient, token: str) -> dict[str, Any]:
    body = await call(http, "ExportMyData", token=token)
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["exportMyData"]
    assert payload["errors"] == [], payload
    return payload


def with_params(url: str, **params: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()} | params
    return f"{parts.path}?{urlencode(query)}"


class TestExport:
    async def test_one_document_of_everything_stored_about_the_viewer(
        self, http: httpx.AsyncClient, resident: Resident, deps: Deps
    ) -> None:
        payload = await export(http, resident.token)

        expires = datetime.fromisoformat(payload["expiresAt"])
        assert timedelta(minutes=4) < expires - deps.clock.now() <= timedelta(minutes=5)
        response = await http.get(payload["url"])  # no token: the link is the permission
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/json")
        assert response.headers["cache-control"] == "no-store"
        assert "attachment" in response.headers["content-disposition"]
        data = response.json()
        assert data["format"] == "neighbor-api-personal-data"
        account = data["account"]
        assert (account["display_name"], account["phone"]) == (NAME, f"+86{PHONE}")
        assert [c["policy_version"] for c in account["consents"]] == [
            deps.settings.privacy_policy_version
        ]
        assert "password_hash" not in account
        (membership,) = data["memberships"]
        assert (membership["address"], membership["household_code"]) == (HOME, HOUSEHOLD)
        assert membership["owned_floor_area"] == 80.0
        assert [r["title"] for r in data["reports"]] == ["金湖路路灯不亮"]
        assert [c["body"] for c in data["reportComments"]] == ["晚上路过要小心。"]
        # The roll says she voted, never how (a secret ballot holds no choice anywhere).
        (vote,) = data["votesCast"]
        assert set(vote) >= {"proposal_id", "user_id"}
        assert not {"option_ids", "choice", "options"} & set(vote)
        assert len(data["sessions"]) >= 1
        assert all("token_hash" not in s for s in data["sessions"])
        for section in ("points", "tasks", "notifications", "photos", "phoneRevealedTo"):
            assert isinstance(data[section], list), section
        # Plain JSON: ids and times as strings.
        assert isinstance(account["_id"], str)
        assert isinstance(account["created_at"], str)

    async def test_who_saw_her_number_is_in_it(
        self, http: httpx.AsyncClient, hall: Hall, resident: Resident
    ) -> None:
        worker = await hall.token("13800000001")
        shown = """
        query Members($communityId: ID!) {
          memberships(communityId: $communityId, status: ACTIVE, first: 50) {
            edges { node { user { displayName phone } } }
          }
        }
        """
        response = await http.post(
            "/graphql",
            json={"query": shown, "variables": {"communityId": hall.jinan}},
            headers={"Authorization": f"Bearer {worker}"},
        )
        phones = {
            e["node"]["user"]["displayName"]: e["node"]["user"]["phone"]
            for e in response.json()["data"]["memberships"]["edges"]
        }
        assert phones[NAME] == f"+86{PHONE}"

        data = (await http.get((await export(http, resident.token))["url"])).json()

        (reveal,) = data["phoneRevealedTo"]
        assert reveal["reason"] == "MEMBERSHIP"

    @pytest.mark.parametrize(
        ("locale", "message"),
        [
            pytest.param(None, "导出链接无效", id="zh"),
            pytest.param("en", "The export link is not valid", id="en"),
        ],
    )
    async def test_a_tampered_link_is_403(
        self, http: httpx.AsyncClient, resident: Resident, locale: str | None, message: str
    ) -> None:
        url = (await export(http, resident.token))["url"]
        signature = parse_qs(urlsplit(url).query)["signature"][0]
        flipped = ("0" if signature[0] != "0" else "1") + signature[1:]
        headers = {"Accept-Language": locale} if locale else {}

        response = await http.get(with_params(url, signature=flipped), headers=headers)

        assert response.status_code == 403
        [error] = response.json()["errors"]
        assert error["extensions"]["code"] == "FORBIDDEN"
        assert error["message"].startswith(message)

    async def test_another_persons_id_in_the_link_is_403(
        self, http: httpx.AsyncClient, hall: Hall, resident: Resident
    ) -> None:
        url = (await export(http, resident.token))["url"]
        other = (await hall.api.data("Viewer", token=await hall.token("13800000004")))["viewer"]

        response = await http.get(with_params(url, user=str(from_global_id(other["id"], "User"))))

        assert response.status_code == 403

    async def test_a_later_expiry_in_the_link_is_403(
        self, http: httpx.AsyncClient, resident: Resident
    ) -> None:
        url = (await export(http, resident.token))["url"]
        expires = int(parse_qs(urlsplit(url).query)["expires"][0])

        response = await http.get(with_params(url, expires=str(expires + 86_400)))

        assert response.status_code == 403

    async def test_an_expired_link_is_410(
        self, http: httpx.AsyncClient, resident: Resident, deps: Deps
    ) -> None:
        assert isinstance(deps.clock, ManualClock)
        url = (await export(http, resident.token))["url"]
        deps.clock.advance(timedelta(minutes=5, seconds=1))

        response = await http.get(url, headers={"Accept-Language": "en"})

        assert response.status_code == 410
        [error] = response.json()["errors"]
        assert error["extensions"]["code"] == "LINK_EXPIRED"
        assert "expired" in error["message"]

    @pytest.mark.parametrize(
        "params",
        [
            pytest.param({"signature": ""}, id="no-signature"),
            pytest.param({"expires": "soon"}, id="bad-expiry"),
            pytest.param({"user": "not-an-id"}, id="bad-user"),
        ],
    )
    async def test_a_malformed_link_is_400(
        self, http: httpx.AsyncClient, resident: Resident, params: dict[str, str]
    ) -> None:
        url = (await export(http, resident.token))["url"]

        response = await http.get(with_params(url, **params))

        assert response.status_code == 400
        assert response.json()["errors"][0]["extensions"]["code"] == "INVALID_INPUT"

    async def test_a_deleted_account_exports_nothing(
        self, http: httpx.AsyncClient, resident: Resident, deps: Deps
    ) -> None:
        url = (await export(http, resident.token))["url"]
        code = await delete_code(http, resident.token, deps)
        deleted = await call(http, "DeleteAccount", {"input": {"code": code}}, token=resident.token)
        assert deleted["data"]["deleteAccount"]["errors"] == []

        response = await http.get(url)

        assert response.status_code == 410
        assert NAME not in response.text

    async def test_signed_out_is_unauthenticated(self, http: httpx.AsyncClient) -> None:
        body = await call(http, "ExportMyData")

        assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHENTICATED"]
