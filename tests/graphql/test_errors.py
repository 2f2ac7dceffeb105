"""The error model outside payloads: every GraphQL error has a code, internal failures are
masked, and messages are in the request's language."""

from __future__ import annotations

import json
import logging
from typing import Any, ClassVar

import pytest
from graphql import ExecutionResult

from neighbor_api.core.deps import Deps
from neighbor_api.core.i18n import Locale
from neighbor_api.graphql.relay import to_global_id
from neighbor_api.places import repository as places_repository
from neighbor_api.places import service as places_service
from neighbor_api.places.models import PlaceLevel
from neighbor_api.schema import build_schema
from neighbor_api.settings import Environment
from tests.conftest import Api, make_settings
from tests.graphql.conftest import place_named

SECRET = "connection to 10.0.0.7 refused (password=hunter2)"


def codes(result: ExecutionResult) -> list[str]:
    return [(error.extensions or {}).get("code", "") for error in result.errors or []]


def only_error(result: ExecutionResult) -> dict[str, Any]:
    assert result.errors is not None
    assert len(result.errors) == 1, result.errors
    formatted: dict[str, Any] = dict(result.errors[0].formatted)
    return formatted


class TestErrorCodes:
    async def test_syntax_error_is_parse_failed(self, api: Api) -> None:
        result = await api.execute("{ communities { edges { node { name } }")

        assert codes(result) == ["GRAPHQL_PARSE_FAILED"]
        assert result.data is None

    async def test_unknown_field_is_validation_failed(self, api: Api) -> None:
        result = await api.execute("{ communities { edges { node { nmae } } } }")

        assert codes(result) == ["GRAPHQL_VALIDATION_FAILED"]
        assert result.data is None

    async def test_variable_of_the_wrong_type_is_bad_user_input(self, api: Api) -> None:
        result = await api.op("NearbyCommunities", {"near": {"lat": "north", "lng": 118.1}})

        assert codes(result) == ["BAD_USER_INPUT"]
        assert result.data is None

    async def test_missing_required_variable_is_bad_user_input(self, api: Api) -> None:
        result = await api.op("Community", {})

        assert codes(result) == ["BAD_USER_INPUT"]


class TestInternalErrors:
    @pytest.fixture
    def broken_communities(self, monkeypatch: pytest.MonkeyPatch) -> None:
        async def communities(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError(SECRET)

        monkeypatch.setattr(places_service, "communities", communities)

    @pytest.mark.usefixtures("broken_communities")
    async def test_message_hides_the_exception(self, api: Api) -> None:
        result = await api.op("NearbyCommunities", {"near": {"lat": 24.5, "lng": 118.1}})

        error = only_error(result)
        assert error["message"] == "服务器内部错误（请求编号 test）"
        assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": "test"}
        assert error["path"] == ["communities"]

    @pytest.mark.usefixtures("broken_communities")
    async def test_no_stack_trace_anywhere(self, api: Api) -> None:
        result = await api.op("NearbyCommunities", {"near": {"lat": 24.5, "lng": 118.1}})

        assert result.errors
        shown = json.dumps([error.formatted for error in result.errors], ensure_ascii=False)
        for leak in (SECRET, "hunter2", "RuntimeError", "Traceback", 'File "', ".py"):
            assert leak not in shown
        assert all(error.original_error is None for error in result.errors)

    @pytest.mark.usefixtures("broken_communities")
    async def test_message_in_the_requests_language(self, api: Api) -> None:
        result = await api.op(
            "NearbyCommunities", {"near": {"lat": 24.5, "lng": 118.1}}, locale=Locale.EN
        )

        assert only_error(result)["message"] == "Internal server error (request test)"

    @pytest.mark.usefixtures("broken_communities")
    async def test_original_is_logged_with_the_request_id(
        self, api: Api, caplog: pytest.LogCaptureFixture
    ) -> None:
        with caplog.at_level(logging.ERROR, logger="neighbor_api.errors"):
            await api.op("NearbyCommunities", {"near": {"lat": 24.5, "lng": 118.1}})

        (record,) = [r for r in caplog.records if r.name == "neighbor_api.errors"]
        assert "test" in record.getMessage()
        assert record.exc_info is not None
        assert str(record.exc_info[1]) == SECRET

    async def test_failure_in_a_dataloader_is_masked_too(
        self, api: Api, demo: Deps, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        async def children_of(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError(SECRET)

        monkeypatch.setattr(places_repository, "children_of", children_of)
        community = await place_named(demo, PlaceLevel.COMMUNITY, "金安社区")

        result = await api.op("Community", {"id": to_global_id("Place", community.id)})

        error = only_error(result)
        assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
        assert error["path"] == ["community", "grids"]
        assert SECRET not in error["message"]
        assert result.data == {"community": None}


class TestFieldSuggestions:
    DOCUMENT = "{ viewr { id } }"

    async def test_hidden_outside_development(self, api: Api) -> None:
        result = await api.execute(self.DOCUMENT)

        error = only_error(result)
        assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        assert "Did you mean" not in error["message"]
        assert "viewer" not in error["message"]

    async def test_shown_in_development(self, deps: Deps) -> None:
        schema = build_schema(make_settings(environment=Environment.DEVELOPMENT))

        result = await Api(schema, deps).execute(self.DOCUMENT)

        error = only_error(result)
        assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        assert "Did you mean 'viewer'?" in error["message"]


class TestPayloadErrorLanguage:
    INPUT: ClassVar = {
        "input": {
            "phone": "12345",
            "password": "long-enough-pass",
            "displayName": "王",
            "verificationCode": "123456",
            "acceptedPolicyVersion": make_settings().privacy_policy_version,
        }
    }

    async def test_chinese_by_default(self, api: Api) -> None:
        data = await api.data("Register", self.INPUT)

        assert data["register"]["errors"] == [
            {
                "code": "INVALID_INPUT",
                "message": "请输入有效的中国大陆手机号",
                "field": ["input", "phone"],
            }
        ]

    async def test_english_when_asked(self, api: Api) -> None:
        data = await api.data("Register", self.INPUT, locale=Locale.EN)

        assert data["register"]["errors"] == [
            {
                "code": "INVALID_INPUT",
                "message": "Enter a valid mainland China mobile number",
                "field": ["input", "phone"],
            }
        ]
