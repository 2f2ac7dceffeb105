"""Helpers for the accounts tests: sign-ups through the contract's Register document, and
a look at the errors a client sees."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import jwt
import pytest
from graphql import ExecutionResult

from neighbor_api.accounts.phones import normalize_phone
from neighbor_api.core.i18n import Locale
from tests.conftest import Api

# A resident of 金安社区 who signs up through the app (not part of the demo street).
PHONE = "13912345678"
PHONE_E164 = "+8613912345678"
PASSWORD = "xiamen-jinshan-2026"
NAME = "陈思远"


Register = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture
def register(api: Api) -> Register:
    """Sign up through the contract (RequestVerificationCode, the code read at the test SMS
    gateway, Register); its `register` payload (the operation itself must not error)."""

    async def run(
        phone: str = PHONE,
        password: str = PASSWORD,
        display_name: str = NAME,
        locale: str | None = None,
        request_locale: Locale = Locale.ZH_CN,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """`locale` is the account's (the input field), `request_locale` the request's. A
        phone that is no mainland mobile number gets no code: Register is sent with a made-up
        one (the input is checked before the code)."""
        if normalize_phone(phone) is not None:
            return await api.register(
                phone, password, display_name, locale, locale=request_locale, **kwargs
            )
        variables: dict[str, Any] = {
            "input": {
                "phone": phone,
                "password": password,
                "displayName": display_name,
                "verificationCode": "000000",
                "acceptedPolicyVersion": api.deps.settings.privacy_policy_version,
            }
        }
        if locale is not None:
            variables["input"]["locale"] = locale
        data = await api.data("Register", variables, locale=request_locale, **kwargs)
        payload: dict[str, Any] = data["register"]
        return payload

    return run


@pytest.fixture
async def signed_up(register: Register) -> dict[str, Any]:
    """A fresh account 陈思远 (13912345678), signed in: the Register payload."""
    payload = await register()
    assert payload["errors"] == [], payload
    return payload


Login = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture
def login(api: Api) -> Login:
    """Send Login; its `login` payload."""

    async def run(phone: str, password: str, **kwargs: Any) -> dict[str, Any]:
        data = await api.data("Login", {"input": {"phone": phone, "password": password}}, **kwargs)
        payload: dict[str, Any] = data["login"]
        return payload

    return run


Refresh = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture
def refresh(api: Api) -> Refresh:
    """Send RefreshSession; its `refreshSession` payload."""

    async def run(refresh_token: str, **kwargs: Any) -> dict[str, Any]:
        data = await api.data(
            "RefreshSession", {"input": {"refreshToken": refresh_token}}, **kwargs
        )
        payload: dict[str, Any] = data["refreshSession"]
        return payload

    return run


def codes(payload: dict[str, Any]) -> list[str]:
    return [e["code"] for e in payload["errors"]]


def error_code(result: ExecutionResult) -> str | None:
    """The `extensions.code` of the first GraphQL error (None without errors)."""
    if not result.errors:
        return None
    extensions = result.errors[0].extensions or {}
    code: str | None = extensions.get("code")
    return code


def assert_unauthenticated(result: ExecutionResult) -> None:
    """The whole request refused as UNAUTHENTICATED, nothing resolved."""
    assert result.errors, result
    assert [error_code(result)] == ["UNAUTHENTICATED"], result.errors
    assert len(result.errors) == 1, result.errors
    assert result.data is None


def claims(token: str) -> dict[str, Any]:
    """An access token's claims, read without checking the signature."""
    decoded: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return decoded
