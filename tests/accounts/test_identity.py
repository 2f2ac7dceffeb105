"""Verified phones, recovery, profile and consent (issue 12, part A), through the contract's
identity documents over real HTTP against the app, with the webhook SMS sender pointed at the
test SMS gateway (tests/sms.py) that captures the codes."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from neighbor_api.app import create_app
from neighbor_api.core.clock import ManualClock
from neighbor_api.core.deps import Deps
from neighbor_api.core.sms import CodeMessage, DevelopmentSender
from neighbor_api.graphql.relay import to_global_id
from neighbor_api.settings import Environment
from tests import sms
from tests.conftest import OPERATIONS, make_settings
from tests.platform.conftest import LiveServer, serve
from tests.platform.test_websocket import receive, send, transport_ws

PHONE = "13959203001"
E164 = "+8613959203001"
OTHER = "13959203002"
PASSWORD = "jinshan-identity-1"
NAME = "苏晓梅"


class Http:
    """The contract's documents over HTTP, as the apps send them."""

    def __init__(self, http: httpx.AsyncClient, deps: Deps, server: LiveServer) -> None:
        self.http = http
        self.deps = deps
        self.server = server

    @property
    def clock(self) -> ManualClock:
        clock = self.deps.clock
        assert isinstance(clock, ManualClock)
        return clock

    async def raw(
        self,
        document: str,
        variables: dict[str, Any] | None = None,
        *,
        name: str | None = None,
        token: str | None = None,
        lang: str | None = None,
    ) -> dict[str, Any]:
        headers = {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if lang:
            headers["Accept-Language"] = lang
        body: dict[str, Any] = {"query": document, "variables": variables or {}}
        if name:
            body["operationName"] = name
        response = await self.http.post("/graphql", json=body, headers=headers)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    async def op(self, name: str, variables: dict[str, Any] | None = None, **kw: Any) -> Any:
        """A contract operation that must not error as a whole: its one root field."""
        result = await self.raw(OPERATIONS[name], variables, name=name, **kw)
        assert "errors" not in result, result
        return next(iter(result["data"].values()))

    async def mutate(self, name: str, token: str | None = None, **values: Any) -> Any:
        return await self.op(name, {"input": values}, token=token)

    async def request_code(self, phone: str, purpose: str, **kw: Any) -> Any:
        return await self.op(
            "RequestVerificationCode", {"input": {"phone": phone, "purpose": purpose}}, **kw
        )

    async def code(self, phone: str, purpose: str) -> str:
        payload = await self.request_code(phone, purpose)
        assert payload["errors"] == [], payload
        return sms.shared().code(phone, purpose)

    async def register(self, phone: str = PHONE, **values: Any) -> Any:
        code = values.pop("verificationCode", None) or await self.code(phone, "REGISTER")
        return await self.mutate(
            "Register",
            phone=phone,
            password=values.pop("password", PASSWORD),
            displayName=values.pop("displayName", NAME),
            verificationCode=code,
            acceptedPolicyVersion=values.pop(
                "acceptedPolicyVersion", self.deps.settings.privacy_policy_version
            ),
            **values,
        )

    async def login(self, phone: str = PHONE, password: str = PASSWORD) -> Any:
        return await self.mutate("Login", phone=phone, password=password)

    async def viewer(self, token: str) -> Any:
        return await self.op("Viewer", token=token)

    async def privacy(self, token: str) -> Any:
        """The consent fields of the viewer (MyPrivacy without `devices`, which is not built
        yet)."""
        result = await self.raw(
            "query { viewer { mustAcceptPolicy consents { policyVersion acceptedAt } } }",
            token=token,
        )
        assert "errors" not in result, result
        return result["data"]["viewer"]

    async def users(self) -> int:
        return await self.deps.db["users"].count_documents({})


@asynccontextmanager
async def running(deps: Deps) -> AsyncIterator[Http]:
    async with (
        serve(create_app(deps.settings, deps=deps)) as server,
        httpx.AsyncClient(base_url=server.url, timeout=15) as http,
    ):
        yield Http(http, deps, server)


@pytest.fixture
async def client(deps: Deps) -> AsyncIterator[Http]:
    async with running(deps) as http:
        yield http


async def until_closed(ws: Any) -> None:
    """Read messages (the operation's error) until the server closes the socket."""
    for _ in range(3):
        await receive(ws)


def with_settings(deps: Deps, **overrides: Any) -> Deps:
    return dataclasses.replace(deps, settings=make_settings(**overrides))


def codes(payload: dict[str, Any]) -> list[str]:
    return [e["code"] for e in payload["errors"]]


def fields(payload: dict[str, Any]) -> list[list[str] | None]:
    return [e["field"] for e in payload["errors"]]


# --- requestVerificationCode ----------------------------------------------------------------


class TestRequestCode:
    async def test_sends_six_digits_to_the_webhook_and_stores_only_a_hash(
        self, client: Http
    ) -> None:
        before = len(sms.shared().messages)

        payload = await client.request_code(PHONE, "REGISTER")

        assert payload["errors"] == []
        assert payload["resendAfterSeconds"] == 60
        expected = client.clock.now() + timedelta(minutes=5)
        assert payload["expiresAt"] == expected.isoformat()
        (message,) = sms.shared().messages[before:]
        assert message["phone"] == E164
        assert message["purpose"] == "REGISTER"
        assert len(message["code"]) == 6
        assert message["code"].isdigit()
        stored = await client.deps.db["verification_codes"].find().to_list()
        assert len(stored) == 1
        assert message["code"] not in str(stored)
        assert stored[0]["code_hash"] != message["code"]

    async def test_same_answer_with_or_without_an_account(self, client: Http) -> None:
        await client.register(PHONE)
        client.clock.advance(timedelta(seconds=61))

        known = await client.request_code(PHONE, "LOGIN")
        unknown = await client.request_code(OTHER, "LOGIN")

        assert known == unknown
        assert known["errors"] == []

    async def test_resend_waits_sixty_seconds(self, client: Http) -> None:
        await client.request_code(PHONE, "REGISTER")
        client.clock.advance(timedelta(seconds=20))

        again = await client.request_code(PHONE, "LOGIN")
        english = await client.request_code(PHONE, "REGISTER", lang="en")
        client.clock.advance(timedelta(seconds=40))
        later = await client.request_code(PHONE, "REGISTER")

        assert codes(again) == ["RATE_LIMITED"]
        assert again["errors"][0]["message"] == "获取验证码过于频繁，请 40 秒后再试"
        assert english["errors"][0]["message"] == (
            "Too many verification codes requested; try again in 40 seconds"
        )
        assert again["expiresAt"] is None
        assert later["errors"] == []

    async def test_at_most_ten_a_day_per_phone(self, client: Http) -> None:
        for _ in range(10):
            assert (await client.request_code(PHONE, "LOGIN"))["errors"] == []
            client.clock.advance(timedelta(seconds=61))

        eleventh = await client.request_code(PHONE, "LOGIN")
        other_phone = await client.request_code(OTHER, "LOGIN")
        client.clock.advance(timedelta(days=1))
        tomorrow = await client.request_code(PHONE, "LOGIN")

        assert codes(eleventh) == ["RATE_LIMITED"]
        assert other_phone["errors"] == []
        assert tomorrow["errors"] == []

    async def test_per_address_limit_per_hour(self, deps: Deps) -> None:
        async with running(with_settings(deps, code_limit_per_address=3)) as client:
            phones = [f"1395920310{i}" for i in range(4)]
            answers = [await client.request_code(p, "REGISTER") for p in phones]
            client.clock.advance(timedelta(hours=1))
            next_hour = await client.request_code(phones[3], "REGISTER")

        assert [codes(a) for a in answers] == [[], [], [], ["RATE_LIMITED"]]
        assert next_hour["errors"] == []

    @pytest.mark.parametrize("phone", ["12345", "+14155552671", "0592-5551234", ""])
    async def test_bad_phone_is_invalid_input_and_sends_nothing(
        self, client: Http, phone: str
    ) -> None:
        before = len(sms.shared().messages)

        payload = await client.request_code(phone, "REGISTER")

        assert payload["errors"] == [
            {
                "code": "INVALID_INPUT",
                "message": "请输入有效的中国大陆手机号",
                "field": ["input", "phone"],
            }
        ]
        assert len(sms.shared().messages) == before
        assert await client.deps.db["verification_codes"].count_documents({}) == 0

    async def test_unknown_purpose_is_bad_user_input(self, client: Http) -> None:
        result = await client.raw(
            OPERATIONS["RequestVerificationCode"],
            {"input": {"phone": PHONE, "purpose": "WHATEVER"}},
            name="RequestVerificationCode",
        )

        assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"

    async def test_concurrent_requests_for_one_phone_send_one_code(self, client: Http) -> None:
        before = len(sms.shared().sent_to(PHONE))

        payloads = await asyncio.gather(*(client.request_code(PHONE, "REGISTER") for _ in range(8)))

        assert sorted(codes(p) for p in payloads) == [[]] + [["RATE_LIMITED"]] * 7
        assert len(sms.shared().sent_to(PHONE)) == before + 1

    async def test_concurrent_requests_from_one_address_hold_its_limit(self, deps: Deps) -> None:
        async with running(with_settings(deps, code_limit_per_address=4)) as client:
            phones = [f"139592032{i:02d}" for i in range(10)]
            payloads = await asyncio.gather(*(client.request_code(p, "LOGIN") for p in phones))

        assert sorted(codes(p) for p in payloads) == [[]] * 4 + [["RATE_LIMITED"]] * 6

    async def test_gateway_failure_leaves_no_usable_code(self, deps: Deps) -> None:
        gateway = sms.SmsCapture()
        gateway.status = 503
        try:
            async with running(with_settings(deps, sms_webhook_url=gateway.url)) as client:
                failed = await client.request_code(PHONE, "LOGIN")
                stored = await client.deps.db["verification_codes"].count_documents({})
                gateway.status = 200
                retried = await client.request_code(PHONE, "LOGIN")  # not held up 60 s
        finally:
            gateway.close()

        assert failed["errors"] == [
            {"code": "CODE_NOT_SENT", "message": "短信发送失败，请稍后重试", "field": None}
        ]
        assert stored == 0
        assert retried["errors"] == []
        assert len(gateway.sent_to(PHONE, "LOGIN")) == 1

    async def test_gateway_timeout_is_code_not_sent(self, deps: Deps) -> None:
        gateway = sms.SmsCapture()
        gateway.delay_seconds = 1.5
        try:
            settings = {"sms_webhook_url": gateway.url, "sms_webhook_timeout_seconds": 0.3}
            async with running(with_settings(deps, **settings)) as client:
                payload = await client.request_code(PHONE, "LOGIN")
                stored = await client.deps.db["verification_codes"].count_documents({})
        finally:
            gateway.close()

        assert codes(payload) == ["CODE_NOT_SENT"]
        assert stored == 0


class TestSenders:
    def test_production_refuses_the_development_sender(self) -> None:
        settings = make_settings(environment=Environment.PRODUCTION, sms_webhook_url=None)

        with pytest.raises(RuntimeError, match="development SMS sender"):
            create_app(settings)

    def test_production_starts_with_the_webhook_sender(self) -> None:
        create_app(make_settings(environment=Environment.PRODUCTION))

    async def test_development_sender_logs_the_code_but_not_the_phone(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        with caplog.at_level(logging.WARNING, logger="neighbor_api.core.sms"):
            await DevelopmentSender().send(CodeMessage(E164, "482913", "LOGIN"))

        assert "482913" in caplog.text
        assert "3959203001" not in caplog.text
        assert "3001" in caplog.text

    async def test_webhook_sender_logs_neither_code_nor_phone(
        self, client: Http, caplog: pytest.LogCaptureFixture
    ) -> None:
        with caplog.at_level(logging.INFO):
            await client.request_code(PHONE, "LOGIN")

        code = sms.shared().code(PHONE, "LOGIN")
        assert code not in caplog.text
        assert "3959203001" not in caplog.text


# --- register -------------------------------------------------------------------------------


class TestRegister:
    async def test_with_code_and_policy_version(self, client: Http) -> None:
        payload = await client.register()

        assert payload["errors"] == []
        assert payload["viewer"]["phone"] == E164
        privacy = await client.privacy(payload["accessToken"])
        assert privacy == {
            "mustAcceptPolicy": False,
            "consents": [
                {
                    "policyVersion": client.deps.settings.privacy_policy_version,
                    "acceptedAt": "2026-11-27T09:00:00+00:00",
                }
            ],
        }

    async def test_code_is_required(self, client: Http) -> None:
        payload = await client.mutate(
            "Register",
            phone=PHONE,
            password=PASSWORD,
            displayName=NAME,
            acceptedPolicyVersion=client.deps.settings.privacy_policy_version,
        )

        assert codes(payload) == ["INVALID_INPUT"]
        assert fields(payload) == [["input", "verificationCode"]]
        assert await client.users() == 0

    async def test_wrong_code_is_invalid_code(self, client: Http) -> None:
        right = await client.code(PHONE, "REGISTER")
        wrong = "000000" if right != "000000" else "111111"

        payload = await client.register(verificationCode=wrong)

        assert payload["errors"] == [
            {
                "code": "INVALID_CODE",
                "message": "验证码错误或已失效，请重新获取",
                "field": ["input", "verificationCode"],
            }
        ]
        assert await client.users() == 0
        # The right code still works (one wrong try of five spent).
        assert (await client.register(verificationCode=right))["errors"] == []

    @pytest.mark.parametrize("code", ["12345", "1234567", "abcdef", " "])
    async def test_malformed_code(self, client: Http, code: str) -> None:
        await client.code(PHONE, "REGISTER")

        payload = await client.register(verificationCode=code)

        assert codes(payload) in (["INVALID_CODE"], ["INVALID_INPUT"])
        assert await client.users() == 0

    async def test_policy_version_must_be_the_current_one(self, client: Http) -> None:
        code = await client.code(PHONE, "REGISTER")

        stale = await client.register(verificationCode=code, acceptedPolicyVersion="2020-01-01")
        english = await client.op(
            "Register",
            {
                "input": {
                    "phone": PHONE,
                    "password": PASSWORD,
                    "displayName": NAME,
                    "verificationCode": code,
                }
            },
            lang="en",
        )
        fine = await client.register(verificationCode=code)

        version = client.deps.settings.privacy_policy_version
        assert stale["errors"] == [
            {
                "code": "INVALID_INPUT",
                "message": f"请同意当前版本（{version}）的隐私政策",
                "field": ["input", "acceptedPolicyVersion"],
            }
        ]
        assert english["errors"][0]["message"] == (
            f"Accept the current privacy policy (version {version})"
        )
        # Input refused before the code was used: it still signs up.
        assert fine["errors"] == []

    async def test_a_code_for_another_purpose_does_not_register(self, client: Http) -> None:
        login_code = await client.code(PHONE, "LOGIN")

        payload = await client.register(verificationCode=login_code)

        assert codes(payload) == ["INVALID_CODE"]
        assert await client.users() == 0

    async def test_a_code_for_another_phone_does_not_register(self, client: Http) -> None:
        code = await client.code(OTHER, "REGISTER")

        payload = await client.register(PHONE, verificationCode=code)

        assert codes(payload) == ["INVALID_CODE"]

    async def test_phone_in_another_format_than_requested(self, client: Http) -> None:
        code = await client.code("+86 139 5920 3001", "REGISTER")

        payload = await client.register("13959203001", verificationCode=code)

        assert payload["errors"] == []
        assert payload["viewer"]["phone"] == E164

    async def test_expired_code(self, client: Http) -> None:
        code = await client.code(PHONE, "REGISTER")
        client.clock.advance(timedelta(minutes=5, seconds=1))

        payload = await client.register(verificationCode=code)

        assert codes(payload) == ["INVALID_CODE"]

    async def test_code_works_until_it_expires(self, client: Http) -> None:
        code = await client.code(PHONE, "REGISTER")
        client.clock.advance(timedelta(minutes=4, seconds=59))

        assert (await client.register(verificationCode=code))["errors"] == []

    async def test_a_newer_code_replaces_the_older(self, client: Http) -> None:
        first = await client.code(PHONE, "REGISTER")
        client.clock.advance(timedelta(seconds=61))
        second = await client.code(PHONE, "REGISTER")

        if first != second:
            assert codes(await client.register(verificationCode=first)) == ["INVALID_CODE"]
        assert (await client.register(verificationCode=second))["errors"] == []

    async def test_taken_phone_after_a_valid_code(self, client: Http) -> None:
        await client.register()
        client.clock.advance(timedelta(seconds=61))

        again = await client.register(displayName="另一个人")

        assert codes(again) == ["PHONE_TAKEN"]
        assert await client.users() == 1


class TestCodeAbuse:
    async def test_reused_code(self, client: Http) -> None:
        await client.register()
        client.clock.advance(timedelta(seconds=61))
        code = await client.code(PHONE, "LOGIN")

        first = await client.mutate("LoginWithCode", phone=PHONE, code=code)
        second = await client.mutate("LoginWithCode", phone=PHONE, code=code)

        assert first["errors"] == []
        assert codes(second) == ["INVALID_CODE"]

    async def test_five_wrong_tries_burn_the_code(self, client: Http) -> None:
        await client.register()
        client.clock.advance(timedelta(seconds=61))
        code = await client.code(PHONE, "LOGIN")
        wrong = [f"{(int(code) + i) % 1_000_000:06d}" for i in range(1, 6)]

        tries = [await client.mutate("LoginWithCode", phone=PHONE, code=w) for w in wrong]
        right = await client.op(
            "LoginWithCode", {"input": {"phone": PHONE, "code": code}}, lang="en"
        )

        assert [codes(t) for t in tries] == [["INVALID_CODE"]] * 5
        assert tries[-1]["errors"][0]["message"] == "验证码错误次数过多，请重新获取"
        assert codes(right) == ["INVALID_CODE"]
        assert right["accessToken"] is None

    async def test_concurrent_guesses_compare_at_most_five(self, client: Http) -> None:
        await client.register()
        client.clock.advance(timedelta(seconds=61))
        code = await client.code(PHONE, "LOGIN")
        guesses = [f"{(int(code) + i) % 1_000_000:06d}" for i in range(1, 30)]

        await asyncio.gather(
            *(client.mutate("LoginWithCode", phone=PHONE, code=g) for g in guesses)
        )
        right = await client.mutate("LoginWithCode", phone=PHONE, code=code)

        assert codes(right) == ["INVALID_CODE"]
        stored = await client.deps.db["verification_codes"].find_one({})
        assert stored is not None
        assert stored["attempts"] == 5

    async def test_concurrent_uses_of_one_code_sign_in_once(self, client: Http) -> None:
        await client.register()
        client.clock.advance(timedelta(seconds=61))
        code = await client.code(PHONE, "LOGIN")

        payloads = await asyncio.gather(
            *(client.mutate("LoginWithCode", phone=PHONE, code=code) for _ in range(6))
        )

        assert sorted(codes(p) for p in payloads) == [[]] + [["INVALID_CODE"]] * 5
        assert await client.deps.db["verification_codes"].count_documents({}) == 0


# --- loginWithCode, resetPassword, changePassword -------------------------------------------


class TestLoginWithCode:
    async def test_signs_in(self, client: Http) -> None:
        registered = await client.register()
        client.clock.advance(timedelta(seconds=61))
        code = await client.code("+8613959203001", "LOGIN")

        payload = await client.mutate("LoginWithCode", phone="139 5920 3001", code=code)

        assert payload["errors"] == []
        assert payload["viewer"] == {"id": registered["viewer"]["id"], "displayName": NAME}
        assert (await client.viewer(payload["accessToken"]))["id"] == registered["viewer"]["id"]

    async def test_no_account_for_the_phone(self, client: Http) -> None:
        code = await client.code(PHONE, "LOGIN")

        payload = await client.mutate("LoginWithCode", phone=PHONE, code=code)

        assert codes(payload) == ["INVALID_CREDENTIALS"]
        assert payload["accessToken"] is None


class TestResetPassword:
    async def test_sets_the_password_and_ends_every_session(self, client: Http) -> None:
        registered = await client.register()
        other = await client.login()
        client.clock.advance(timedelta(seconds=61))
        code = await client.code(PHONE, "RESET_PASSWORD")
        token = other["accessToken"]

        async with transport_ws(client.server, {"authorization": f"Bearer {token}"}) as ws:
            payload = await client.mutate(
                "ResetPassword", phone=PHONE, code=code, newPassword="a-new-password-2"
            )
            await send(
                ws, {"id": "1", "type": "subscribe", "payload": {"query": "{ viewer { id } }"}}
            )
            with pytest.raises(ConnectionClosed) as closed:
                await until_closed(ws)

        assert payload["errors"] == []
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 4403
        for ended in (registered["accessToken"], other["accessToken"]):
            result = await client.raw(OPERATIONS["Viewer"], name="Viewer", token=ended)
            assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        refreshed = await client.mutate("RefreshSession", refreshToken=other["refreshToken"])
        assert codes(refreshed) == ["INVALID_CREDENTIALS"]
        assert codes(await client.login()) == ["INVALID_CREDENTIALS"]
        assert (await client.login(password="a-new-password-2"))["errors"] == []

    async def test_short_password_refused_before_the_code_is_used(self, client: Http) -> None:
        await client.register()
        client.clock.advance(timedelta(seconds=61))
        code = await client.code(PHONE, "RESET_PASSWORD")

        short = await client.mutate("ResetPassword", phone=PHONE, code=code, newPassword="short")
        fine = await client.mutate(
            "ResetPassword", phone=PHONE, code=code, newPassword="long-enough-now"
        )

        assert short["errors"] == [
            {"code": "INVALID_INPUT", "message": "密码至少 8 位", "field": ["input", "newPassword"]}
        ]
        assert fine["errors"] == []

    async def test_a_login_code_does_not_reset(self, client: Http) -> None:
        await client.register()
        client.clock.advance(timedelta(seconds=61))
        code = await client.code(PHONE, "LOGIN")

        payload = await client.mutate(
            "ResetPassword", phone=PHONE, code=code, newPassword="a-new-password-2"
        )

        assert codes(payload) == ["INVALID_CODE"]
        assert (await client.login())["errors"] == []


class TestChangePassword:
    async def test_ends_every_other_session_and_returns_a_new_pair(self, client: Http) -> None:
        registered = await client.register()
        other = await client.login()

        payload = await client.mutate(
            "ChangePassword",
            registered["accessToken"],
            currentPassword=PASSWORD,
            newPassword="changed-password-3",
        )

        assert payload["errors"] == []
        assert (await client.viewer(payload["accessToken"]))["id"] == registered["viewer"]["id"]
        for ended in (other["accessToken"], registered["accessToken"]):
            result = await client.raw(OPERATIONS["Viewer"], name="Viewer", token=ended)
            assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        rotated = await client.mutate("RefreshSession", refreshToken=payload["refreshToken"])
        assert rotated["errors"] == []
        assert codes(await client.login()) == ["INVALID_CREDENTIALS"]
        assert (await client.login(password="changed-password-3"))["errors"] == []

    async def test_wrong_current_password(self, client: Http) -> None:
        registered = await client.register()

        payload = await client.mutate(
            "ChangePassword",
            registered["accessToken"],
            currentPassword="not-the-password",
            newPassword="changed-password-3",
        )

        assert payload["errors"] == [
            {
                "code": "INVALID_CREDENTIALS",
                "message": "当前密码不正确",
                "field": ["input", "currentPassword"],
            }
        ]
        assert (await client.viewer(registered["accessToken"]))["id"]
        assert (await client.login())["errors"] == []

    async def test_needs_a_token(self, client: Http) -> None:
        result = await client.raw(
            OPERATIONS["ChangePassword"],
            {"input": {"currentPassword": PASSWORD, "newPassword": "changed-password-3"}},
            name="ChangePassword",
        )

        assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


# --- changePhone, updateProfile -------------------------------------------------------------


class TestChangePhone:
    async def test_moves_the_account_and_frees_the_old_number(self, client: Http) -> None:
        registered = await client.register()
        token = registered["accessToken"]
        code = await client.code("+86 139 5920 3002", "CHANGE_PHONE")

        payload = await client.mutate("ChangePhone", token, newPhone=OTHER, code=code)

        assert payload["errors"] == []
        assert payload["viewer"] == {"id": registered["viewer"]["id"], "phone": "+8613959203002"}
        assert codes(await client.login(PHONE)) == ["INVALID_CREDENTIALS"]
        assert (await client.login(OTHER))["errors"] == []
        client.clock.advance(timedelta(seconds=61))
        assert (await client.register(PHONE, displayName="新住户"))["errors"] == []

    async def test_the_code_must_be_for_the_new_number(self, client: Http) -> None:
        registered = await client.register()
        client.clock.advance(timedelta(seconds=61))
        code_to_old = await client.code(PHONE, "CHANGE_PHONE")

        payload = await client.mutate(
            "ChangePhone", registered["accessToken"], newPhone=OTHER, code=code_to_old
        )

        assert codes(payload) == ["INVALID_CODE"]
        assert (await client.login(PHONE))["errors"] == []

    async def test_a_number_with_an_account_is_taken(self, client: Http) -> None:
        mine = await client.register()
        await client.register(OTHER, displayName="邻居")
        client.clock.advance(timedelta(seconds=61))
        code = await client.code(OTHER, "CHANGE_PHONE")

        payload = await client.mutate("ChangePhone", mine["accessToken"], newPhone=OTHER, code=code)

        assert payload["errors"] == [
            {"code": "PHONE_TAKEN", "message": "该手机号已注册", "field": ["input", "newPhone"]}
        ]

    async def test_the_same_number_or_a_bad_one(self, client: Http) -> None:
        mine = await client.register()
        token = mine["accessToken"]

        same = await client.mutate("ChangePhone", token, newPhone="+8613959203001", code="123456")
        bad = await client.mutate("ChangePhone", token, newPhone="0592-5551234", code="123456")

        assert fields(same) == [["input", "newPhone"]]
        assert codes(same) == ["INVALID_INPUT"]
        assert fields(bad) == [["input", "newPhone"]]
        assert codes(bad) == ["INVALID_INPUT"]


class TestUpdateProfile:
    async def test_changes_name_language_and_leaderboard(self, client: Http) -> None:
        token = (await client.register())["accessToken"]

        payload = await client.mutate(
            "UpdateProfile", token, displayName="  苏小梅 ", locale="en", showOnLeaderboard=False
        )

        assert payload["errors"] == []
        assert payload["viewer"]["displayName"] == "苏小梅"
        assert payload["viewer"]["locale"] == "en"
        assert payload["viewer"]["showOnLeaderboard"] is False
        viewer = await client.viewer(token)
        assert viewer["displayName"] == "苏小梅"
        assert viewer["locale"] == "en"

    async def test_absent_fields_stay(self, client: Http) -> None:
        token = (await client.register())["accessToken"]

        payload = await client.mutate("UpdateProfile", token, showOnLeaderboard=False)

        assert payload["viewer"]["displayName"] == NAME
        assert payload["viewer"]["locale"] == "zh-CN"

    async def test_bad_input_changes_nothing(self, client: Http) -> None:
        token = (await client.register())["accessToken"]

        payload = await client.mutate(
            "UpdateProfile", token, displayName=" ", locale="fr", showOnLeaderboard=False
        )

        assert sorted(map(tuple, fields(payload))) == [  # type: ignore[arg-type]
            ("input", "displayName"),
            ("input", "locale"),
        ]
        stored = await client.deps.db["users"].find_one({})
        assert stored is not None
        assert stored["display_name"] == NAME
        assert stored.get("show_on_leaderboard", True)

    async def test_opted_out_user_is_an_anonymous_leaderboard_entry(
        self, client: Http, demo: Deps
    ) -> None:
        resident = await client.login("13800000004", "neighbor-demo")
        neighbour = await client.login("13800000006", "neighbor-demo")
        community = await demo.db["places"].find_one({"name": "金安社区"})
        assert community is not None
        await demo.db["points_ledger"].insert_one(
            {
                "user_id": await _user_id(demo, "+8613800000004"),
                "community_id": community["_id"],
                "place_path": community.get("path", []),
                "points": 30,
                "task_id": community["_id"],
                "reason": "test",
                "at": client.clock.now(),
            }
        )
        variables = {"communityId": to_global_id("Place", community["_id"])}
        before = await client.op("Leaderboard", variables, token=neighbour["accessToken"])

        await client.mutate("UpdateProfile", resident["accessToken"], showOnLeaderboard=False)
        seen_by_other = await client.op("Leaderboard", variables, token=neighbour["accessToken"])
        seen_by_self = await client.op("Leaderboard", variables, token=resident["accessToken"])

        (named,) = [e for e in before if e["user"] and e["user"]["displayName"] == "王丽娟"]
        (anonymous,) = [e for e in seen_by_other if e["user"] is None]
        assert (anonymous["rank"], anonymous["points"]) == (named["rank"], named["points"])
        assert "王丽娟" not in str(seen_by_other)
        assert len(seen_by_other) == len(before)
        assert "王丽娟" in str(seen_by_self)


async def _user_id(deps: Deps, phone: str) -> Any:
    user = await deps.db["users"].find_one({"phone": phone})
    assert user is not None
    return user["_id"]


# --- consent --------------------------------------------------------------------------------


class TestConsent:
    async def test_privacy_policy_is_public(self, client: Http) -> None:
        result = await client.raw("{ privacyPolicy { version url } }")

        settings = client.deps.settings
        assert result == {
            "data": {
                "privacyPolicy": {
                    "version": settings.privacy_policy_version,
                    "url": settings.privacy_policy_url,
                }
            }
        }

    async def test_a_new_version_holds_mutations_until_accepted(self, deps: Deps) -> None:
        async with running(deps) as client:
            registered = await client.register()
        token = registered["accessToken"]
        changed = with_settings(deps, privacy_policy_version="2027-01-01")
        async with running(changed) as client:
            before = await client.privacy(token)
            held = await client.mutate("UpdateProfile", token, displayName="新名字")
            held_en = await client.op(
                "UpdateProfile", {"input": {"displayName": "新名字"}}, token=token, lang="en"
            )
            code = await client.request_code(OTHER, "LOGIN")  # still allowed
            stale = await client.mutate("AcceptPolicy", token, version="2026-12-01")
            client.clock.advance(timedelta(minutes=10))
            accepted = await client.mutate("AcceptPolicy", token, version="2027-01-01")
            after = await client.mutate("UpdateProfile", token, displayName="新名字")
            logout = await client.op("Logout", token=token)

        assert before["mustAcceptPolicy"] is True
        assert held["errors"] == [
            {
                "code": "POLICY_NOT_ACCEPTED",
                "message": "隐私政策已更新，请先阅读并同意新版本",
                "field": None,
            }
        ]
        assert held_en["errors"][0]["message"] == (
            "The privacy policy has changed; accept the new version first"
        )
        assert code["errors"] == []
        assert fields(stale) == [["input", "version"]]
        assert accepted["errors"] == []
        assert accepted["viewer"]["consents"] == [
            {"policyVersion": "2026-12-01", "acceptedAt": "2026-11-27T09:00:00+00:00"},
            {"policyVersion": "2027-01-01", "acceptedAt": "2026-11-27T09:10:00+00:00"},
        ]
        assert after["errors"] == []
        assert logout["errors"] == []

    async def test_logout_is_allowed_before_accepting(self, deps: Deps) -> None:
        async with running(deps) as client:
            token = (await client.register())["accessToken"]
        async with running(with_settings(deps, privacy_policy_version="2027-01-01")) as client:
            logout = await client.op("Logout", token=token)

        assert logout["errors"] == []

    async def test_accepting_twice_records_once(self, client: Http) -> None:
        token = (await client.register())["accessToken"]

        again = await client.mutate(
            "AcceptPolicy", token, version=client.deps.settings.privacy_policy_version
        )

        assert again["errors"] == []
        assert len(again["viewer"]["consents"]) == 1


# --- refresh grace --------------------------------------------------------------------------


class TestRefreshGrace:
    async def test_a_retry_within_the_grace_gets_the_same_pair(self, client: Http) -> None:
        registered = await client.register()
        old = registered["refreshToken"]

        first = await client.mutate("RefreshSession", refreshToken=old)
        client.clock.advance(timedelta(seconds=29))
        retry = await client.mutate("RefreshSession", refreshToken=old)

        assert first["errors"] == []
        assert retry["errors"] == []
        assert retry["refreshToken"] == first["refreshToken"]
        assert retry["accessToken"] == first["accessToken"]
        assert (await client.viewer(retry["accessToken"]))["id"] == registered["viewer"]["id"]
        assert (await client.mutate("RefreshSession", refreshToken=retry["refreshToken"]))[
            "errors"
        ] == []

    async def test_after_the_grace_reuse_ends_the_session(self, client: Http) -> None:
        registered = await client.register()
        old = registered["refreshToken"]
        first = await client.mutate("RefreshSession", refreshToken=old)
        client.clock.advance(timedelta(seconds=31))

        late = await client.mutate("RefreshSession", refreshToken=old)

        assert codes(late) == ["INVALID_CREDENTIALS"]
        result = await client.raw(OPERATIONS["Viewer"], name="Viewer", token=first["accessToken"])
        assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

    async def test_once_the_new_pair_is_used_a_retry_ends_the_session(self, client: Http) -> None:
        registered = await client.register()
        old = registered["refreshToken"]
        first = await client.mutate("RefreshSession", refreshToken=old)
        second = await client.mutate("RefreshSession", refreshToken=first["refreshToken"])

        replay = await client.mutate("RefreshSession", refreshToken=old)

        assert codes(replay) == ["INVALID_CREDENTIALS"]
        result = await client.raw(OPERATIONS["Viewer"], name="Viewer", token=second["accessToken"])
        assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
