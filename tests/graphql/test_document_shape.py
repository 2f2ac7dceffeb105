"""The document's shape (fields per selection set, repeats of one field, fields in all) is
checked in one pass before validation: a hostile document is refused without being validated,
and the contract's documents and GraphiQL's introspection query are not in the way."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from graphql import DocumentNode, get_introspection_query, parse

from neighbor_api.app import create_app
from neighbor_api.core.deps import Deps
from neighbor_api.graphql.limits import Limits, shape_refusal
from neighbor_api.schema import build_schema
from neighbor_api.settings import Settings
from tests.conftest import OPERATIONS, OPERATIONS_DIR, Api, make_settings
from tests.graphql.test_limits import assert_ran, assert_too_complex
from tests.platform.conftest import serve

# The shared contract, when this checkout sits beside it (schema/operations/ is its copy).
SHARED_CONTRACT = OPERATIONS_DIR.parent.parent.parent / "shared" / "contract"
CONTRACT_FILES = sorted(OPERATIONS_DIR.glob("*.graphql")) + sorted(
    SHARED_CONTRACT.glob("*.graphql")
)


def hostile(copies: int = 740) -> str:
    """The issue's document: `memberships { id }` repeated, under the token limit, with a
    random trailing comment so that no cache has seen its text."""
    fields = " ".join(["memberships { id }"] * copies)
    return f"{{ viewer {{ {fields} }} }} # {secrets.token_hex(16)}"


def root_spreads(count: int) -> str:
    """`count` fragment spreads in the root selection set (fields would need aliases, which
    have their own limit), each fragment reading `__typename`."""
    spreads = " ".join(f"...F{i}" for i in range(count))
    fragments = "\n".join(f"fragment F{i} on Query {{ __typename }}" for i in range(count))
    return f"{{ {spreads} }}\n{fragments}"


@pytest.fixture
def fresh_api(settings: Settings, deps: Deps) -> Api:
    """An API whose validation cache is empty."""
    return Api(build_schema(settings), deps)


@pytest.fixture
async def http(settings: Settings, deps: Deps) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        serve(create_app(settings, deps=deps)) as server,
        httpx.AsyncClient(base_url=server.url, timeout=10) as client,
    ):
        yield client


class TestHostileDocument:
    def test_it_fits_the_token_limit(self, settings: Settings) -> None:
        document = hostile()
        assert len(document.encode()) > 13_000
        parse(document, max_tokens=settings.max_tokens)  # not refused by the token count

    async def test_refused_without_being_validated(
        self, fresh_api: Api, settings: Settings, validations: list[DocumentNode]
    ) -> None:
        result = await fresh_api.execute(hostile())

        assert_too_complex(result, f"repeats of memberships 6 > {settings.max_field_repeats}")
        assert validations == []

    async def test_refused_over_http_without_being_validated(
        self, http: httpx.AsyncClient, validations: list[DocumentNode]
    ) -> None:
        for language, words in (("zh-CN", "查询过于复杂"), ("en", "too complex")):
            response = await http.post(
                "/graphql", json={"query": hostile()}, headers={"Accept-Language": language}
            )

            assert response.status_code == 200
            (error,) = response.json()["errors"]
            assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
            assert words in error["message"]
        assert validations == []


class TestShapeLimits:
    async def test_one_selection_over_is_refused_unvalidated(
        self, fresh_api: Api, settings: Settings, validations: list[DocumentNode]
    ) -> None:
        limit = settings.max_selections

        result = await fresh_api.execute(root_spreads(limit + 1))

        assert_too_complex(result, f"selections {limit + 1} > {limit}")
        assert validations == []

    async def test_exactly_at_the_selection_limit_runs(
        self, fresh_api: Api, settings: Settings
    ) -> None:
        result = await fresh_api.execute(root_spreads(settings.max_selections))

        assert_ran(result)

    async def test_inline_fragments_count_in_the_selection_they_merge_into(
        self, fresh_api: Api, settings: Settings
    ) -> None:
        # 740 nested inline fragments of one `memberships` each: one merged selection set.
        nested = "memberships { id }"
        for _ in range(20):
            nested = f"... on User {{ memberships {{ id }} {nested} }}"

        result = await fresh_api.execute(f"{{ viewer {{ {nested} }} }}")

        assert_too_complex(result, f"repeats of memberships 6 > {settings.max_field_repeats}")

    async def test_repeats_at_the_limit_run(self, fresh_api: Api, settings: Settings) -> None:
        fields = " ".join(["__typename"] * settings.max_field_repeats)

        result = await fresh_api.execute(f"{{ {fields} }}")

        assert_ran(result)

    async def test_too_many_fields_in_all_is_refused(self, deps: Deps) -> None:
        small = Api(build_schema(make_settings(max_fields=50)), deps)
        # 10 selection sets of 6 fields each (5 aliases and one nesting field): 60 in all.
        inner = " ".join(f"a{i}: __typename" for i in range(5))
        document = "{ " + " ".join(f"q{i}: __schema {{ {inner} }}" for i in range(10)) + " }"

        result = await small.execute(document)

        assert_too_complex(result, "fields 51 > 50")


class TestWhatMustPass:
    @pytest.mark.parametrize("path", CONTRACT_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
    def test_contract_documents_pass(self, path: Path, settings: Settings) -> None:
        document = parse(path.read_text(encoding="utf-8"), max_tokens=settings.max_tokens)

        assert shape_refusal(document, limits_of(settings)) is None

    def test_the_repository_holds_the_contract(self) -> None:
        assert OPERATIONS, OPERATIONS_DIR

    async def test_graphiql_introspection_runs_over_http(self, http: httpx.AsyncClient) -> None:
        query = get_introspection_query(
            descriptions=True,
            specified_by_url=True,
            directive_is_repeatable=True,
            schema_description=True,
            input_value_deprecation=True,
        )

        response = await http.post("/graphql", json={"query": query})

        assert response.status_code == 200
        body = response.json()
        assert "errors" not in body, body["errors"]
        assert body["data"]["__schema"]["queryType"]["name"] == "Query"


def limits_of(settings: Settings) -> Limits:
    return Limits(
        max_depth=settings.max_query_depth,
        max_aliases=settings.max_aliases,
        max_cost=settings.max_query_cost,
        max_selections=settings.max_selections,
        max_repeats=settings.max_field_repeats,
        max_fields=settings.max_fields,
    )
