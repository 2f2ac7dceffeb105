"""Validation is cached by the document's text: once per text, and without hashing the parsed
document (graphql-core's nodes hash their whole tree on every call)."""

from __future__ import annotations

import pytest
from graphql import DocumentNode

from neighbor_api.core.deps import Deps
from neighbor_api.schema import build_schema
from neighbor_api.settings import Settings
from tests.conftest import Api


@pytest.fixture
def fresh_api(settings: Settings, deps: Deps) -> Api:
    """An API whose validation cache is empty."""
    return Api(build_schema(settings), deps)


async def test_a_text_is_validated_once(fresh_api: Api, validations: list[DocumentNode]) -> None:
    for _ in range(3):
        result = await fresh_api.execute("{ communities(first: 1) { totalCount } }")
        assert result.errors is None

    assert len(validations) == 1


async def test_another_text_is_validated_on_its_own(
    fresh_api: Api, validations: list[DocumentNode]
) -> None:
    await fresh_api.execute("{ communities(first: 1) { totalCount } }")
    await fresh_api.execute("{ communities(first: 2) { totalCount } }")

    assert len(validations) == 2


async def test_an_invalid_document_is_refused_every_time(
    fresh_api: Api, validations: list[DocumentNode]
) -> None:
    for _ in range(2):
        result = await fresh_api.execute("{ communities(first: 1) { nope } }")
        assert result.data is None
        assert result.errors is not None
        assert [(e.extensions or {}).get("code") for e in result.errors] == [
            "GRAPHQL_VALIDATION_FAILED"
        ]

    assert len(validations) == 1


async def test_the_parsed_document_is_never_hashed(
    api: Api, demo: Deps, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = await api.login("13800000001")

    def refuse(self: DocumentNode) -> int:
        raise AssertionError("the document was hashed")

    monkeypatch.setattr(DocumentNode, "__hash__", refuse)
    for _ in range(2):
        result = await api.op("Viewer", token=token)
        assert result.errors is None, result.errors
