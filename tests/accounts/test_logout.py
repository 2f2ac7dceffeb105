from __future__ import annotations

from typing import Any

from neighbor_api.core.i18n import Locale
from tests.accounts.conftest import (
    PASSWORD,
    PHONE,
    Login,
    Refresh,
    assert_unauthenticated,
    error_code,
)
from tests.conftest import Api

# 金山社区, 金山街道 (湖里区, 厦门)
JINSHAN = {"lat": 24.5029, "lng": 118.1771}


class TestLogout:
    async def test_ok(self, api: Api, signed_up: dict[str, Any]) -> None:
        data = await api.data("Logout", token=signed_up["accessToken"])

        assert data["logout"] == {"ok": True, "errors": []}

    async def test_access_token_is_then_unauthenticated(
        self, api: Api, signed_up: dict[str, Any]
    ) -> None:
        await api.data("Logout", token=signed_up["accessToken"])

        assert_unauthenticated(await api.op("Viewer", token=signed_up["accessToken"]))

    async def test_access_token_is_then_unauthenticated_on_any_operation(
        self, api: Api, signed_up: dict[str, Any]
    ) -> None:
        await api.data("Logout", token=signed_up["accessToken"])
        token = signed_up["accessToken"]

        # Even on operations that need no token: the app must learn to sign in again.
        assert_unauthenticated(
            await api.op("NearbyCommunities", {"near": JINSHAN, "first": 1}, token=token)
        )
        assert_unauthenticated(
            await api.op("Login", {"input": {"phone": PHONE, "password": PASSWORD}}, token=token)
        )
        assert_unauthenticated(await api.op("Logout", token=token))

    async def test_unauthenticated_message_is_translated(
        self, api: Api, signed_up: dict[str, Any]
    ) -> None:
        await api.data("Logout", token=signed_up["accessToken"])

        chinese = await api.op("Viewer", token=signed_up["accessToken"])
        english = await api.op("Viewer", token=signed_up["accessToken"], locale=Locale.EN)

        assert chinese.errors is not None
        assert english.errors is not None
        assert chinese.errors[0].message == "登录凭证无效或已过期"
        assert english.errors[0].message == "The access token is invalid or has expired"

    async def test_refresh_token_is_then_refused(
        self, api: Api, signed_up: dict[str, Any], refresh: Refresh
    ) -> None:
        await api.data("Logout", token=signed_up["accessToken"])

        payload = await refresh(signed_up["refreshToken"])

        assert [e["code"] for e in payload["errors"]] == ["INVALID_CREDENTIALS"]
        assert payload["errors"][0]["field"] == ["input", "refreshToken"]
        assert payload["accessToken"] is None

    async def test_rotated_refresh_token_is_refused_too(
        self, api: Api, signed_up: dict[str, Any], refresh: Refresh
    ) -> None:
        rotated = await refresh(signed_up["refreshToken"])
        await api.data("Logout", token=rotated["accessToken"])

        payload = await refresh(rotated["refreshToken"])

        assert [e["code"] for e in payload["errors"]] == ["INVALID_CREDENTIALS"]

    async def test_other_sessions_stay_signed_in(
        self, api: Api, signed_up: dict[str, Any], login: Login, refresh: Refresh
    ) -> None:
        other_device = await login(PHONE, PASSWORD)

        await api.data("Logout", token=signed_up["accessToken"])

        data = await api.data("Viewer", token=other_device["accessToken"])
        assert data["viewer"]["id"] == signed_up["viewer"]["id"]
        assert (await refresh(other_device["refreshToken"]))["errors"] == []

    async def test_signing_in_again_works(
        self, api: Api, signed_up: dict[str, Any], login: Login
    ) -> None:
        await api.data("Logout", token=signed_up["accessToken"])

        again = await login(PHONE, PASSWORD)

        assert again["errors"] == []
        data = await api.data("Viewer", token=again["accessToken"])
        assert data["viewer"]["id"] == signed_up["viewer"]["id"]

    async def test_without_token_is_unauthenticated(self, api: Api) -> None:
        result = await api.op("Logout")

        assert error_code(result) == "UNAUTHENTICATED"
        assert result.errors is not None
        assert result.errors[0].message == "请先登录"
        assert result.data is None
