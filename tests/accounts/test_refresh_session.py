from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from neighbor_api.core.clock import ManualClock
from neighbor_api.core.deps import Deps
from neighbor_api.core.i18n import Locale
from neighbor_api.settings import Settings
from tests.accounts.conftest import (
    PASSWORD,
    PHONE,
    Login,
    Refresh,
    assert_unauthenticated,
    claims,
    codes,
)
from tests.conftest import Api

# Reuse past the grace period for retries (NEIGHBOR_REFRESH_REUSE_GRACE, 30 s), or from
# another address, ends the session.
AFTER_GRACE = timedelta(seconds=31)
THIEF = "203.0.113.66"

REFUSED = [
    {
        "code": "INVALID_CREDENTIALS",
        "message": "登录已失效，请重新登录",
        "field": ["input", "refreshToken"],
    }
]


class TestRefreshSession:
    async def test_rotation_gives_a_new_pair(
        self, api: Api, signed_up: dict[str, Any], refresh: Refresh, clock: ManualClock
    ) -> None:
        clock.advance(timedelta(minutes=10))

        payload = await refresh(signed_up["refreshToken"])

        assert payload["errors"] == []
        assert payload["refreshToken"] not in (None, signed_up["refreshToken"])
        assert payload["accessToken"] not in (None, signed_up["accessToken"])
        data = await api.data("Viewer", token=payload["accessToken"])
        assert data["viewer"]["id"] == signed_up["viewer"]["id"]

    async def test_new_access_token_belongs_to_the_same_session(
        self, signed_up: dict[str, Any], refresh: Refresh, clock: ManualClock
    ) -> None:
        clock.advance(timedelta(minutes=10))

        payload = await refresh(signed_up["refreshToken"])

        old, new = claims(signed_up["accessToken"]), claims(payload["accessToken"])
        assert new["sid"] == old["sid"]
        assert new["sub"] == old["sub"]
        assert new["exp"] == old["exp"] + 10 * 60

    async def test_new_access_token_outlives_the_old_one(
        self,
        api: Api,
        signed_up: dict[str, Any],
        refresh: Refresh,
        clock: ManualClock,
        settings: Settings,
    ) -> None:
        clock.advance(settings.access_token_ttl - timedelta(minutes=1))
        payload = await refresh(signed_up["refreshToken"])
        clock.advance(timedelta(minutes=2))

        assert_unauthenticated(await api.op("Viewer", token=signed_up["accessToken"]))
        data = await api.data("Viewer", token=payload["accessToken"])
        assert data["viewer"]["id"] == signed_up["viewer"]["id"]

    async def test_chain_of_rotations_keeps_working(
        self, api: Api, signed_up: dict[str, Any], refresh: Refresh, clock: ManualClock
    ) -> None:
        token = signed_up["refreshToken"]
        for _ in range(5):
            clock.advance(timedelta(days=1))
            payload = await refresh(token)
            assert payload["errors"] == []
            token = payload["refreshToken"]

        data = await api.data("Viewer", token=payload["accessToken"])
        assert data["viewer"]["id"] == signed_up["viewer"]["id"]

    async def test_old_refresh_token_is_refused_after_rotation(
        self, signed_up: dict[str, Any], refresh: Refresh, clock: ManualClock
    ) -> None:
        await refresh(signed_up["refreshToken"])
        clock.advance(AFTER_GRACE)

        again = await refresh(signed_up["refreshToken"])

        assert again["errors"] == REFUSED
        assert again["accessToken"] is None
        assert again["refreshToken"] is None

    async def test_reuse_revokes_the_whole_family(
        self, api: Api, signed_up: dict[str, Any], refresh: Refresh
    ) -> None:
        rotated = await refresh(signed_up["refreshToken"])
        assert rotated["errors"] == []

        # Someone elsewhere replays the stolen, already rotated token.
        replayed = await refresh(signed_up["refreshToken"], client_address=THIEF)
        newest = await refresh(rotated["refreshToken"])

        assert replayed["errors"] == REFUSED
        assert newest["errors"] == REFUSED
        assert_unauthenticated(await api.op("Viewer", token=rotated["accessToken"]))
        assert_unauthenticated(await api.op("Viewer", token=signed_up["accessToken"]))

    async def test_reuse_records_an_event(
        self, signed_up: dict[str, Any], refresh: Refresh, deps: Deps, clock: ManualClock
    ) -> None:
        await refresh(signed_up["refreshToken"])
        clock.advance(AFTER_GRACE)

        await refresh(signed_up["refreshToken"])

        events = await deps.db["events"].find({"kind": "session.reuse_detected"}).to_list()
        assert len(events) == 1
        user = await deps.db["users"].find_one({})
        assert user is not None
        assert events[0]["actor_id"] == user["_id"]

    async def test_reuse_leaves_other_sessions_alone(
        self,
        api: Api,
        signed_up: dict[str, Any],
        refresh: Refresh,
        login: Login,
        clock: ManualClock,
    ) -> None:
        other_device = await login(PHONE, PASSWORD)
        await refresh(signed_up["refreshToken"])
        clock.advance(AFTER_GRACE)

        await refresh(signed_up["refreshToken"])

        data = await api.data("Viewer", token=other_device["accessToken"])
        assert data["viewer"]["id"] == signed_up["viewer"]["id"]
        assert (await refresh(other_device["refreshToken"]))["errors"] == []

    async def test_concurrent_uses_of_one_token_let_exactly_one_through(
        self, signed_up: dict[str, Any], refresh: Refresh
    ) -> None:
        # From two places (the same client's retry is answered the same pair: test_identity).
        payloads = await asyncio.gather(
            refresh(signed_up["refreshToken"]),
            refresh(signed_up["refreshToken"], client_address=THIEF),
        )

        succeeded = [p for p in payloads if p["errors"] == []]
        refused = [p for p in payloads if p["errors"] != []]
        assert len(succeeded) == 1
        assert [p["errors"] for p in refused] == [REFUSED]
        assert succeeded[0]["accessToken"]

    async def test_refresh_token_expires(
        self,
        api: Api,
        signed_up: dict[str, Any],
        refresh: Refresh,
        clock: ManualClock,
        settings: Settings,
    ) -> None:
        clock.advance(settings.refresh_token_ttl + timedelta(seconds=1))

        payload = await refresh(signed_up["refreshToken"])

        assert payload["errors"] == REFUSED
        assert payload["accessToken"] is None

    async def test_refresh_token_works_until_just_before_it_expires(
        self, signed_up: dict[str, Any], refresh: Refresh, clock: ManualClock, settings: Settings
    ) -> None:
        clock.advance(settings.refresh_token_ttl - timedelta(seconds=1))

        payload = await refresh(signed_up["refreshToken"])

        assert payload["errors"] == []

    async def test_rotated_token_lives_its_own_thirty_days(
        self, signed_up: dict[str, Any], refresh: Refresh, clock: ManualClock, settings: Settings
    ) -> None:
        clock.advance(timedelta(days=20))
        rotated = await refresh(signed_up["refreshToken"])
        clock.advance(timedelta(days=20))

        payload = await refresh(rotated["refreshToken"])

        assert payload["errors"] == []

    @pytest.mark.parametrize(
        "token",
        [
            pytest.param("not-a-refresh-token", id="garbage"),
            pytest.param("", id="empty"),
            pytest.param("金山街道" * 50, id="long-unicode"),
        ],
    )
    async def test_garbage_token_is_refused(
        self, signed_up: dict[str, Any], refresh: Refresh, token: str
    ) -> None:
        payload = await refresh(token)

        assert payload["errors"] == REFUSED

    async def test_garbage_token_ends_no_session(
        self, api: Api, signed_up: dict[str, Any], refresh: Refresh
    ) -> None:
        await refresh(signed_up["refreshToken"][:-2] + "xx")

        assert (await refresh(signed_up["refreshToken"]))["errors"] == []

    async def test_access_token_is_not_a_refresh_token(
        self, signed_up: dict[str, Any], refresh: Refresh
    ) -> None:
        payload = await refresh(signed_up["accessToken"])

        assert codes(payload) == ["INVALID_CREDENTIALS"]

    async def test_refusal_message_in_english(
        self, signed_up: dict[str, Any], refresh: Refresh
    ) -> None:
        payload = await refresh("not-a-refresh-token", locale=Locale.EN)

        assert payload["errors"][0]["message"] == "Your session has ended; log in again"
