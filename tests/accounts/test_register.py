from __future__ import annotations

import asyncio

import pytest

from neighbor_api.accounts import service as accounts
from neighbor_api.core.clock import ManualClock
from neighbor_api.core.deps import Deps
from neighbor_api.core.errors import DomainError, ErrorCode
from neighbor_api.core.i18n import Locale
from tests.accounts.conftest import NAME, PASSWORD, PHONE, PHONE_E164, Register, codes
from tests.conftest import Api, request_code


async def user_count(deps: Deps) -> int:
    return await deps.db["users"].count_documents({})


class TestRegister:
    async def test_success_returns_tokens_and_viewer(self, register: Register, deps: Deps) -> None:
        payload = await register()

        assert payload["errors"] == []
        assert payload["accessToken"]
        assert payload["refreshToken"]
        assert payload["accessToken"] != payload["refreshToken"]
        viewer = payload["viewer"]
        assert viewer["displayName"] == NAME
        assert viewer["phone"] == PHONE_E164
        assert viewer["locale"] == "zh-CN"
        stored = await deps.db["users"].find_one({"phone": PHONE_E164})
        assert stored is not None
        assert PASSWORD not in str(stored)

    async def test_access_token_signs_the_new_account_in(
        self, api: Api, register: Register
    ) -> None:
        payload = await register()

        data = await api.data("Viewer", token=payload["accessToken"])

        assert data["viewer"]["id"] == payload["viewer"]["id"]
        assert data["viewer"]["phone"] == PHONE_E164
        assert data["viewer"]["displayName"] == NAME

    async def test_phone_is_stored_in_e164(self, register: Register) -> None:
        payload = await register(phone=" 139 1234 5678 ")

        assert payload["errors"] == []
        assert payload["viewer"]["phone"] == PHONE_E164

    async def test_e164_and_national_number_are_one_account(
        self, register: Register, deps: Deps
    ) -> None:
        first = await register(phone=PHONE_E164)
        second = await register(phone=PHONE, display_name="陈思远二号")

        assert first["errors"] == []
        assert codes(second) == ["PHONE_TAKEN"]
        assert second["errors"][0]["field"] == ["input", "phone"]
        assert second["accessToken"] is None
        assert second["viewer"] is None
        assert await user_count(deps) == 1

    async def test_taken_phone_is_phone_taken(self, register: Register, deps: Deps) -> None:
        await register()

        again = await register(password="another-password", display_name="李秀英")

        assert codes(again) == ["PHONE_TAKEN"]
        assert again["errors"][0]["field"] == ["input", "phone"]
        assert again["errors"][0]["message"] == "该手机号已注册"
        assert again["accessToken"] is None
        assert again["refreshToken"] is None
        assert await user_count(deps) == 1

    @pytest.mark.parametrize(
        "phone",
        [
            pytest.param("+14155552671", id="united-states"),
            pytest.param("+85291234567", id="hong-kong-mobile"),
            pytest.param("0592-5551234", id="xiamen-landline"),
            pytest.param("05925551234", id="xiamen-landline-digits"),
            pytest.param("1380000000", id="too-short"),
            pytest.param("金山路128号", id="garbage"),
            pytest.param("", id="empty"),
        ],
    )
    async def test_bad_phone_is_invalid_input(
        self, register: Register, deps: Deps, phone: str
    ) -> None:
        payload = await register(phone=phone)

        assert payload["errors"] == [
            {
                "code": "INVALID_INPUT",
                "message": "请输入有效的中国大陆手机号",
                "field": ["input", "phone"],
            }
        ]
        assert payload["accessToken"] is None
        assert await user_count(deps) == 0

    async def test_short_password_is_invalid_input(self, register: Register, deps: Deps) -> None:
        payload = await register(password="1234567")

        assert payload["errors"] == [
            {"code": "INVALID_INPUT", "message": "密码至少 8 位", "field": ["input", "password"]}
        ]
        assert await user_count(deps) == 0

    async def test_eight_character_password_is_enough(self, register: Register) -> None:
        payload = await register(password="12345678")

        assert payload["errors"] == []

    async def test_overlong_password_is_invalid_input(self, register: Register) -> None:
        payload = await register(password="x" * 129)

        assert codes(payload) == ["INVALID_INPUT"]
        assert payload["errors"][0]["field"] == ["input", "password"]

    @pytest.mark.parametrize("display_name", ["", "   "])
    async def test_empty_display_name_is_invalid_input(
        self, register: Register, deps: Deps, display_name: str
    ) -> None:
        payload = await register(display_name=display_name)

        assert payload["errors"] == [
            {"code": "INVALID_INPUT", "message": "此项不能为空", "field": ["input", "displayName"]}
        ]
        assert await user_count(deps) == 0

    async def test_display_name_is_trimmed(self, register: Register) -> None:
        payload = await register(display_name="  陈思远  ")

        assert payload["viewer"]["displayName"] == "陈思远"

    async def test_unknown_locale_is_invalid_input(self, register: Register, deps: Deps) -> None:
        payload = await register(locale="fr")

        assert codes(payload) == ["INVALID_INPUT"]
        assert payload["errors"][0]["field"] == ["input", "locale"]
        assert await user_count(deps) == 0

    async def test_english_locale_is_kept(self, api: Api, register: Register) -> None:
        payload = await register(locale="en")

        assert payload["viewer"]["locale"] == "en"
        data = await api.data("Viewer", token=payload["accessToken"])
        assert data["viewer"]["locale"] == "en"

    async def test_locale_defaults_to_the_request_language(self, register: Register) -> None:
        in_chinese = await register()
        in_english = await register(phone="13912345679", request_locale=Locale.EN)

        assert in_chinese["viewer"]["locale"] == "zh-CN"
        assert in_english["viewer"]["locale"] == "en"

    async def test_several_problems_come_back_together(
        self, register: Register, deps: Deps
    ) -> None:
        payload = await register(
            phone="0592-5551234", password="short", display_name=" ", locale="fr"
        )

        assert {e["code"] for e in payload["errors"]} == {"INVALID_INPUT"}
        fields = sorted(tuple(e["field"]) for e in payload["errors"])
        assert fields == [
            ("input", "displayName"),
            ("input", "locale"),
            ("input", "password"),
            ("input", "phone"),
        ]
        assert all(e["message"] for e in payload["errors"])
        assert await user_count(deps) == 0

    async def test_concurrent_registrations_of_one_phone_make_one_user(self, deps: Deps) -> None:
        # The unique index decides (the service, which needs no code, raced ten times).
        results = await asyncio.gather(
            *(
                accounts.register(deps, phone=PHONE, password=PASSWORD, display_name=f"陈思远{i}")
                for i in range(10)
            ),
            return_exceptions=True,
        )

        refused = [r for r in results if isinstance(r, DomainError)]
        assert len(refused) == 9
        assert {r.problems[0].code for r in refused} == {ErrorCode.PHONE_TAKEN}
        assert all(r.problems[0].field == ("input", "phone") for r in refused)
        assert await user_count(deps) == 1
        assert await deps.db["events"].count_documents({"kind": "user.registered"}) == 1

    async def test_concurrent_registrations_with_one_code_make_one_user(
        self, api: Api, deps: Deps
    ) -> None:
        code = await request_code(api.send(), PHONE, "REGISTER")
        variables = [
            {
                "input": {
                    "phone": PHONE,
                    "password": PASSWORD,
                    "displayName": f"陈思远{i}",
                    "verificationCode": code,
                    "acceptedPolicyVersion": deps.settings.privacy_policy_version,
                }
            }
            for i in range(10)
        ]

        payloads = await asyncio.gather(*(api.data("Register", v) for v in variables))

        results = sorted(codes(p["register"]) for p in payloads)
        assert results == [[]] + [["INVALID_CODE"]] * 9
        assert await user_count(deps) == 1

    async def test_messages_are_chinese_by_default(self, register: Register) -> None:
        await register()

        taken = await register()
        invalid = await register(phone="12345", password="short")

        assert taken["errors"][0]["message"] == "该手机号已注册"
        assert [e["message"] for e in invalid["errors"]] == [
            "请输入有效的中国大陆手机号",
            "密码至少 8 位",
        ]

    async def test_messages_are_english_on_request(self, register: Register) -> None:
        await register()

        taken = await register(request_locale=Locale.EN)
        invalid = await register(phone="12345", password="short", request_locale=Locale.EN)

        assert taken["errors"][0]["message"] == "This phone number is already registered"
        assert [e["message"] for e in invalid["errors"]] == [
            "Enter a valid mainland China mobile number",
            "The password must have at least 8 characters",
        ]

    async def test_writes_a_user_registered_event(
        self, register: Register, deps: Deps, clock: ManualClock
    ) -> None:
        await register()

        user = await deps.db["users"].find_one({"phone": PHONE_E164})
        assert user is not None
        events = await deps.db["events"].find({"kind": "user.registered"}).to_list()
        assert len(events) == 1
        assert events[0]["subject_id"] == user["_id"]
        assert events[0]["actor_id"] == user["_id"]
        assert events[0]["at"] == clock.now()

    async def test_refused_registration_writes_no_event(
        self, register: Register, deps: Deps
    ) -> None:
        await register(password="short")

        assert await deps.db["events"].count_documents({}) == 0
