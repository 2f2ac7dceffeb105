"""The platform's one schema extension (graphql/platform.py): every rule still applies, each
operation passes no per-extension context manager of strawberry's, and what does not change
between requests (a document's measure, a body's JSON) is done once or fast."""

from __future__ import annotations

import json
from typing import Any

import pytest
from strawberry.extensions.context import ExtensionContextManagerBase

from neighbor_api.core.deps import Deps
from neighbor_api.graphql import limits
from neighbor_api.graphql.platform import Platform, PlatformRunner
from neighbor_api.graphql.view import _loads
from neighbor_api.schema import build_schema
from neighbor_api.settings import Settings
from tests.conftest import Api


@pytest.fixture
def fresh_api(settings: Settings, deps: Deps) -> Api:
    """An API whose caches (parse, validation, measures) are its own."""
    return Api(build_schema(settings), deps)


def test_the_schema_has_one_extension_and_the_platforms_runner(fresh_api: Api) -> None:
    extensions = fresh_api.schema.get_extensions()
    assert [type(extension) for extension in extensions] == [Platform]
    runner = fresh_api.schema.create_extensions_runner(None, extensions)  # type: ignore[arg-type]
    assert isinstance(runner, PlatformRunner)


async def test_an_operation_enters_no_context_manager_of_strawberrys(
    fresh_api: Api, demo: Deps, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = await fresh_api.login("13800000001")

    def refuse(self: Any, *args: Any) -> None:
        raise AssertionError("strawberry's extension context manager was built")

    monkeypatch.setattr(ExtensionContextManagerBase, "__init__", refuse)
    result = await fresh_api.execute("{ viewer { id } }", token=token)

    assert result.errors is None
    assert result.data is not None
    assert result.data["viewer"]["id"]


async def test_the_rules_still_apply_in_their_order(fresh_api: Api, demo: Deps) -> None:
    # A bad token: UNAUTHENTICATED (authentication before execution), coded and translated.
    result = await fresh_api.execute("{ viewer { id } }", token="not-a-token")
    assert result.errors is not None
    assert [(e.extensions or {}).get("code") for e in result.errors] == ["UNAUTHENTICATED"]
    # A document over the depth limit: refused before validation, coded, translated.
    deep = "query($id: ID!) { place(id: $id) { " + "parent { " * 20 + "id" + " }" * 21 + " }"
    result = await fresh_api.execute(deep, {"id": "UGxhY2U6MDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAw"})
    assert result.errors is not None
    assert [(e.extensions or {}).get("code") for e in result.errors] == ["QUERY_TOO_COMPLEX"]
    # A validation error: coded.
    result = await fresh_api.execute("{ viewer { nope } }")
    assert result.errors is not None
    assert [(e.extensions or {}).get("code") for e in result.errors] == [
        "GRAPHQL_VALIDATION_FAILED"
    ]


async def test_a_document_is_measured_once_per_page_size(
    settings: Settings, deps: Deps, demo: Deps, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = Api(build_schema(settings.model_copy(update={"max_query_cost": 150})), deps)
    measured: list[object] = []
    measure = limits.measure

    def counting(*args: Any) -> limits.Measure:
        measured.append(args[2])
        return measure(*args)

    monkeypatch.setattr(limits, "measure", counting)
    document = "query($n: Int = 100) { communities(first: $n) { edges { node { id } } } }"
    for _ in range(3):
        result = await api.execute(document, {"n": 5})
        assert result.errors is None
    assert len(measured) == 1

    # Another page size is measured on its own, and the limit still refuses it.
    result = await api.execute(document, {"n": 100})
    assert len(measured) == 2
    assert result.errors is not None
    assert [(e.extensions or {}).get("code") for e in result.errors] == ["QUERY_TOO_COMPLEX"]
    # A variable left out takes its default (100): not the cached measure of another value.
    result = await api.execute(document, {})
    assert result.errors is not None
    assert [(e.extensions or {}).get("code") for e in result.errors] == ["QUERY_TOO_COMPLEX"]


def test_a_body_reads_as_json_reads_it() -> None:
    assert _loads(b'{"query": "{ viewer { id } }", "variables": {"n": 5}}') == {
        "query": "{ viewer { id } }",
        "variables": {"n": 5},
    }
    # Over 64 bits, an integer stays exact (orjson would read a float).
    assert _loads(b'{"n": 123456789012345678901234567890}') == {"n": 123456789012345678901234567890}
    # Wherever it is (nested in the variables), and at the edges of 64 bits.
    deep = b'{"variables": {"input": {"ids": ["a", 18446744073709551616]}}}'
    assert _loads(deep) == {"variables": {"input": {"ids": ["a", 18446744073709551616]}}}
    assert _loads(b"[-9223372036854775809]") == [-9223372036854775809]
    assert _loads(b"[18446744073709551615, 1e19, 24.4798]") == [18446744073709551615, 1e19, 24.4798]
    # Digits in a string (the document) are text: orjson's reading stands.
    assert _loads(b'{"query": "{ a(n: 123456789012345678901234) }"}') == {
        "query": "{ a(n: 123456789012345678901234) }"
    }
    assert _loads('{"地点": "厦门市思明区"}') == {"地点": "厦门市思明区"}
    with pytest.raises(json.JSONDecodeError):
        _loads(b"{nope")
    with pytest.raises(UnicodeDecodeError):
        _loads(b'{"a": "\xff"}')
