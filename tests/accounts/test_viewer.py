from __future__ import annotations

from datetime import timedelta
from typing import Any

import jwt
import pytest

from neighbor_api.accounts import security
from neighbor_api.core.clock import ManualClock
from neighbor_api.core.deps import Deps
from neighbor_api.settings import Settings
from tests.accounts.conftest import PHONE_E164, assert_unauthenticated, claims
from tests.conftest import Api


def signed(payload: dict[str, Any], secret: str, algorithm: str = "HS256") -> str:
    return jwt.encode(payload, secret, algorithm=algorithm)


class TestViewer:
    async def test_null_without_token(self, api: Api, demo: Deps) -> None:
        result = await api.op("Viewer")

        assert result.errors is None
        assert result.data == {"viewer": None}

    async def test_demo_resident(self, api: Api, demo: Deps) -> None:
        token = await api.login("13800000004")

        data = await api.data("Viewer", token=token)

        viewer = data["viewer"]
        assert viewer["displayName"] == "王丽娟"
        assert viewer["phone"] == "+8613800000004"
        assert viewer["locale"] == "zh-CN"
        # The demo board approved one task of 20 points she worked on.
        assert viewer["points"] == 20
        assert len(viewer["memberships"]) == 1
        membership = viewer["memberships"][0]
        assert membership["status"] == "ACTIVE"
        assert membership["roles"] == ["RESIDENT"]
        assert membership["address"] == "金山路 128 号金安里 5 栋 302 室"
        community = membership["community"]
        assert community["name"] == "金安社区"
        assert community["street"]["name"] == "金山街道"
        assert community["district"]["name"] == "湖里区"
        assert all(community[k]["id"] for k in ("street", "district"))

    async def test_demo_community_worker(self, api: Api, demo: Deps) -> None:
        token = await api.login("13800000001")

        data = await api.data("Viewer", token=token)

        memberships = data["viewer"]["memberships"]
        assert [(m["community"]["name"], m["roles"]) for m in memberships] == [
            ("金安社区", ["COMMUNITY_WORKER"])
        ]

    async def test_new_account_has_no_memberships(
        self, api: Api, signed_up: dict[str, Any]
    ) -> None:
        data = await api.data("Viewer", token=signed_up["accessToken"])

        assert data["viewer"]["phone"] == PHONE_E164
        assert data["viewer"]["points"] == 0
        assert data["viewer"]["memberships"] == []

    async def test_access_token_works_until_it_expires(
        self, api: Api, signed_up: dict[str, Any], clock: ManualClock
    ) -> None:
        clock.advance(timedelta(minutes=14, seconds=59))

        data = await api.data("Viewer", token=signed_up["accessToken"])

        assert data["viewer"]["id"] == signed_up["viewer"]["id"]

    async def test_expired_access_token_is_unauthenticated(
        self, api: Api, signed_up: dict[str, Any], clock: ManualClock
    ) -> None:
        clock.advance(timedelta(minutes=16))

        result = await api.op("Viewer", token=signed_up["accessToken"])

        assert result.errors is not None
        assert result.errors[0].extensions is not None
        assert result.errors[0].extensions["code"] == "UNAUTHENTICATED"
        assert_unauthenticated(result)

    async def test_token_from_a_clock_ahead_of_the_system_clock_works(
        self, api: Api, signed_up: dict[str, Any], clock: ManualClock
    ) -> None:
        # Time is the injected clock's alone: a token issued "in the future" of the machine's
        # clock (a demo's clock, or another server's clock a little ahead) is valid.
        clock.advance(timedelta(days=3650))
        token = await api.login("13912345678", "xiamen-jinshan-2026")

        data = await api.data("Viewer", token=token)

        assert data["viewer"]["id"] == signed_up["viewer"]["id"]

    @pytest.mark.parametrize(
        "token",
        [
            pytest.param("garbage", id="garbage"),
            pytest.param("", id="empty"),
            pytest.param("Bearer abc.def.ghi", id="not-a-jwt"),
            pytest.param("eyJhbGciOiJIUzI1NiJ9.e30.AAAA", id="bad-signature"),
        ],
    )
    async def test_garbage_token_is_unauthenticated(self, api: Api, token: str) -> None:
        assert_unauthenticated(await api.op("Viewer", token=token))

    async def test_token_with_a_swapped_body_is_unauthenticated(
        self, api: Api, demo: Deps, signed_up: dict[str, Any]
    ) -> None:
        # The claims of 王丽娟's token under the signature of 陈思远's.
        header, _, signature = signed_up["accessToken"].split(".")
        _, body, _ = (await api.login("13800000004")).split(".")

        assert_unauthenticated(await api.op("Viewer", token=f"{header}.{body}.{signature}"))

    async def test_token_signed_with_another_secret_is_unauthenticated(
        self, api: Api, signed_up: dict[str, Any]
    ) -> None:
        forged = signed(
            claims(signed_up["accessToken"]), "another-secret-of-the-same-length-0123456"
        )

        assert_unauthenticated(await api.op("Viewer", token=forged))

    async def test_unsigned_token_is_unauthenticated(
        self, api: Api, signed_up: dict[str, Any]
    ) -> None:
        forged = jwt.encode(claims(signed_up["accessToken"]), key=None, algorithm="none")

        assert_unauthenticated(await api.op("Viewer", token=forged))

    async def test_token_for_another_audience_is_unauthenticated(
        self, api: Api, signed_up: dict[str, Any], settings: Settings
    ) -> None:
        payload = {**claims(signed_up["accessToken"]), "aud": "another-service"}

        forged = signed(payload, settings.secret_key.get_secret_value())

        assert_unauthenticated(await api.op("Viewer", token=forged))

    async def test_token_of_an_unknown_session_is_unauthenticated(
        self, api: Api, signed_up: dict[str, Any], settings: Settings
    ) -> None:
        payload = {**claims(signed_up["accessToken"]), "sid": "65a000000000000000000000"}

        forged = signed(payload, settings.secret_key.get_secret_value())

        assert_unauthenticated(await api.op("Viewer", token=forged))

    async def test_session_of_another_user_is_unauthenticated(
        self, api: Api, demo: Deps, signed_up: dict[str, Any], settings: Settings
    ) -> None:
        other = claims(await api.login("13800000004"))
        payload = {**claims(signed_up["accessToken"]), "sid": other["sid"]}

        forged = signed(payload, settings.secret_key.get_secret_value())

        assert_unauthenticated(await api.op("Viewer", token=forged))

    async def test_token_without_expiry_is_unauthenticated(
        self, api: Api, signed_up: dict[str, Any], settings: Settings
    ) -> None:
        payload = {k: v for k, v in claims(signed_up["accessToken"]).items() if k != "exp"}

        forged = signed(payload, settings.secret_key.get_secret_value())

        assert_unauthenticated(await api.op("Viewer", token=forged))

    async def test_token_with_malformed_ids_is_unauthenticated(
        self, api: Api, signed_up: dict[str, Any], settings: Settings
    ) -> None:
        payload = {**claims(signed_up["accessToken"]), "sub": "金安社区"}

        forged = signed(payload, settings.secret_key.get_secret_value())

        assert_unauthenticated(await api.op("Viewer", token=forged))

    async def test_issued_token_uses_hs256_for_this_api(self, signed_up: dict[str, Any]) -> None:
        header = jwt.get_unverified_header(signed_up["accessToken"])

        assert header["alg"] == security.ALGORITHM == "HS256"
        assert claims(signed_up["accessToken"])["aud"] == security.AUDIENCE
