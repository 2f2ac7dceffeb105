from __future__ import annotations

from typing import Any

from neighbor_api.core.clock import ManualClock
from neighbor_api.core.deps import Deps
from neighbor_api.core.i18n import Locale
from neighbor_api.settings import Settings
from tests.accounts.conftest import NAME, PASSWORD, PHONE, PHONE_E164, Login, codes
from tests.conftest import DEMO_PASSWORD, Api

# Two neighbours on the same Wi-Fi of 金安里 5 栋 (one client address), and one elsewhere.
HOME = "192.0.2.15"
ELSEWHERE = "198.51.100.7"


async def fail(login: Login, phone: str, times: int, address: str = HOME) -> None:
    """`times` logins with a wrong password, each refused as INVALID_CREDENTIALS."""
    for _ in range(times):
        payload = await login(phone, "wrong-password", client_address=address)
        assert codes(payload) == ["INVALID_CREDENTIALS"], payload


class TestLogin:
    async def test_demo_resident_signs_in(self, api: Api, demo: Deps, login: Login) -> None:
        payload = await login("13800000004", DEMO_PASSWORD)

        assert payload["errors"] == []
        assert payload["viewer"]["displayName"] == "王丽娟"
        assert payload["refreshToken"]
        data = await api.data("Viewer", token=payload["accessToken"])
        assert data["viewer"]["id"] == payload["viewer"]["id"]
        assert data["viewer"]["phone"] == "+8613800000004"

    async def test_e164_and_national_number_both_sign_in(
        self, signed_up: dict[str, Any], login: Login
    ) -> None:
        national = await login(PHONE, PASSWORD)
        e164 = await login(PHONE_E164, PASSWORD)

        assert national["errors"] == []
        assert e164["errors"] == []
        assert national["viewer"]["id"] == e164["viewer"]["id"] == signed_up["viewer"]["id"]
        assert national["viewer"]["displayName"] == NAME

    async def test_each_login_is_a_new_session(
        self, api: Api, signed_up: dict[str, Any], login: Login
    ) -> None:
        first = await login(PHONE, PASSWORD)
        second = await login(PHONE, PASSWORD)

        assert first["accessToken"] != second["accessToken"]
        assert first["refreshToken"] != second["refreshToken"]
        for payload in (first, second):
            data = await api.data("Viewer", token=payload["accessToken"])
            assert data["viewer"]["id"] == signed_up["viewer"]["id"]

    async def test_wrong_password_is_invalid_credentials(
        self, signed_up: dict[str, Any], login: Login
    ) -> None:
        payload = await login(PHONE, "xiamen-jinshan-2025")

        assert payload["errors"] == [
            {"code": "INVALID_CREDENTIALS", "message": "手机号或密码不正确", "field": None}
        ]
        assert payload["accessToken"] is None
        assert payload["refreshToken"] is None
        assert payload["viewer"] is None

    async def test_unknown_phone_is_invalid_credentials(
        self, signed_up: dict[str, Any], login: Login
    ) -> None:
        wrong_password = await login(PHONE, "xiamen-jinshan-2025")
        unknown_phone = await login("13912340000", PASSWORD)

        # The same answer: nobody learns which phone numbers have an account.
        assert unknown_phone["errors"] == wrong_password["errors"]
        assert codes(unknown_phone) == ["INVALID_CREDENTIALS"]
        assert unknown_phone["accessToken"] is None

    async def test_malformed_phone_is_invalid_credentials(self, login: Login) -> None:
        payload = await login("厦门市湖里区", PASSWORD)

        assert codes(payload) == ["INVALID_CREDENTIALS"]

    async def test_message_is_english_on_request(
        self, signed_up: dict[str, Any], login: Login
    ) -> None:
        payload = await login(PHONE, "xiamen-jinshan-2025", locale=Locale.EN)

        assert payload["errors"][0]["message"] == "Wrong phone number or password"

    async def test_waits_after_failures_for_one_phone(
        self, signed_up: dict[str, Any], login: Login, settings: Settings
    ) -> None:
        await fail(login, PHONE, settings.login_free_failures + 1)

        payload = await login(PHONE, PASSWORD, client_address=HOME)

        assert codes(payload) == ["RATE_LIMITED"]
        assert payload["accessToken"] is None
        assert payload["errors"][0]["message"] == "尝试过于频繁，请 1 秒后再试"

    async def test_free_failures_still_let_the_right_password_in(
        self, signed_up: dict[str, Any], login: Login, settings: Settings
    ) -> None:
        await fail(login, PHONE, settings.login_free_failures)

        payload = await login(PHONE, PASSWORD, client_address=HOME)

        assert payload["errors"] == []

    async def test_phone_wait_holds_from_any_address(
        self, signed_up: dict[str, Any], login: Login, settings: Settings
    ) -> None:
        await fail(login, PHONE, settings.login_free_failures + 1, address=HOME)

        payload = await login(PHONE, PASSWORD, client_address=ELSEWHERE)

        assert codes(payload) == ["RATE_LIMITED"]

    async def test_phone_wait_counts_both_spellings_of_the_number(
        self, signed_up: dict[str, Any], login: Login, settings: Settings
    ) -> None:
        await fail(login, PHONE_E164, settings.login_free_failures + 1, address=HOME)

        payload = await login(PHONE, PASSWORD, client_address=ELSEWHERE)

        assert codes(payload) == ["RATE_LIMITED"]

    async def test_another_phone_from_the_same_address_is_not_delayed(
        self, demo: Deps, signed_up: dict[str, Any], login: Login, settings: Settings
    ) -> None:
        await fail(login, PHONE, settings.login_free_failures + 1, address=HOME)

        neighbour = await login("13800000005", DEMO_PASSWORD, client_address=HOME)

        assert neighbour["errors"] == []
        assert neighbour["viewer"]["displayName"] == "张伟"

    async def test_address_is_limited_after_its_attempts(
        self, demo: Deps, login: Login, settings: Settings
    ) -> None:
        # Spread over many phones, so that no phone waits.
        for n in range(settings.login_attempts_per_address):
            await fail(login, f"139000000{n:02d}", 1, address=HOME)

        from_home = await login("13800000004", DEMO_PASSWORD, client_address=HOME)
        from_elsewhere = await login("13800000004", DEMO_PASSWORD, client_address=ELSEWHERE)

        assert codes(from_home) == ["RATE_LIMITED"]
        assert from_elsewhere["errors"] == []

    async def test_address_works_again_once_the_window_has_passed(
        self, demo: Deps, login: Login, settings: Settings, clock: ManualClock
    ) -> None:
        for n in range(settings.login_attempts_per_address):
            await fail(login, f"139000000{n:02d}", 1, address=HOME)
        limited = await login("13800000004", DEMO_PASSWORD, client_address=HOME)
        assert codes(limited) == ["RATE_LIMITED"]

        clock.advance(settings.login_window)

        assert (await login("13800000004", DEMO_PASSWORD, client_address=HOME))["errors"] == []

    async def test_successful_logins_do_not_count_as_failures(
        self, signed_up: dict[str, Any], login: Login, settings: Settings
    ) -> None:
        await fail(login, PHONE, settings.login_free_failures)

        payloads = [
            await login(PHONE, PASSWORD, client_address=HOME)
            for _ in range(settings.login_free_failures + 2)
        ]

        assert [p["errors"] for p in payloads] == [[]] * len(payloads)
        assert all(p["accessToken"] for p in payloads)
