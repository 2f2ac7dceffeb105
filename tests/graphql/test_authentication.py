"""A token that is present but not valid is UNAUTHENTICATED whatever was asked (so the app knows
to refresh); no token is simply anonymous."""

from __future__ import annotations

from datetime import timedelta

from graphql import ExecutionResult
from pydantic import SecretStr

from neighbor_api.accounts.security import issue_access_token, read_access_token
from neighbor_api.core.clock import ManualClock
from neighbor_api.core.deps import Deps
from neighbor_api.core.i18n import Locale
from tests.conftest import Api, make_settings
from tests.graphql.conftest import Commands

GARBAGE = "not-a-token"


def assert_unauthenticated(result: ExecutionResult) -> None:
    assert result.data is None
    assert result.errors is not None
    (error,) = result.errors
    assert error.extensions == {"code": "UNAUTHENTICATED"}


class TestInvalidToken:
    async def test_typename_alone(self, api: Api) -> None:
        assert_unauthenticated(await api.execute("{ __typename }", token=GARBAGE))

    async def test_public_query(self, api: Api, commands: Commands) -> None:
        before = commands.count

        result = await api.op(
            "NearbyCommunities", {"near": {"lat": 24.5, "lng": 118.1}}, token=GARBAGE
        )

        assert_unauthenticated(result)
        assert commands.count == before

    async def test_mutation_does_not_run(self, api: Api, demo: Deps, commands: Commands) -> None:
        before = commands.count

        result = await api.op(
            "Login", {"input": {"phone": "13800000004", "password": "neighbor-demo"}}, token=GARBAGE
        )

        assert_unauthenticated(result)
        assert commands.count == before

    async def test_message_in_the_requests_language(self, api: Api) -> None:
        chinese = await api.execute("{ __typename }", token=GARBAGE)
        english = await api.execute("{ __typename }", token=GARBAGE, locale=Locale.EN)

        assert [e.message for e in chinese.errors or []] == ["登录凭证无效或已过期"]
        assert [e.message for e in english.errors or []] == [
            "The access token is invalid or has expired"
        ]


class TestTokensThatStoppedWorking:
    async def test_expired(self, api: Api, demo: Deps, clock: ManualClock) -> None:
        token = await api.login("13800000004")
        assert (await api.execute("{ __typename }", token=token)).errors is None

        clock.advance(demo.settings.access_token_ttl + timedelta(seconds=1))

        assert_unauthenticated(await api.execute("{ __typename }", token=token))

    async def test_after_logout(self, api: Api, demo: Deps) -> None:
        token = await api.login("13800000004")
        await api.data("Logout", token=token)

        assert_unauthenticated(await api.execute("{ __typename }", token=token))

    async def test_signed_with_another_key(self, api: Api, demo: Deps, clock: ManualClock) -> None:
        token = await api.login("13800000004")
        claims = read_access_token(demo.settings, token, now=clock.now())
        assert claims is not None
        other = make_settings(secret_key=SecretStr("another-secret-key-that-is-long-enough-too"))

        forged = issue_access_token(
            other, user_id=claims.user_id, session_id=claims.session_id, now=clock.now()
        )

        assert_unauthenticated(await api.op("Viewer", token=forged))


class TestNoToken:
    async def test_viewer_is_null(self, api: Api) -> None:
        result = await api.op("Viewer")

        assert result.errors is None
        assert result.data == {"viewer": None}

    async def test_field_that_needs_a_viewer_is_unauthenticated(self, api: Api) -> None:
        result = await api.op("Logout")

        assert result.errors is not None
        assert [(e.extensions or {}).get("code") for e in result.errors] == ["UNAUTHENTICATED"]
