"""Depth, alias, token and cost limits: refused before anything runs, exactly at the limit
allowed, and never in the way of the contract's documents or GraphiQL."""

from __future__ import annotations

import time
from typing import Any, ClassVar

import pytest
from bson import ObjectId
from graphql import (
    ExecutionResult,
    OperationDefinitionNode,
    get_introspection_query,
    get_nullable_type,
    is_list_type,
    parse,
)

from neighbor_api.boards.service import MAX_COLUMNS
from neighbor_api.core.deps import Deps
from neighbor_api.core.pagination import MAX_PAGE_SIZE
from neighbor_api.graphql.limits import measure
from neighbor_api.graphql.relay import to_global_id
from neighbor_api.places.models import PlaceLevel
from neighbor_api.schema import LIST_BOUNDS, NeighborSchema
from neighbor_api.settings import Settings
from tests.conftest import OPERATIONS, Api
from tests.graphql.conftest import Commands, place_named


def cost_of(schema: NeighborSchema, document: str, variables: dict[str, Any] | None = None) -> int:
    return measure(schema._schema, parse(document), None, variables).cost


def assert_too_complex(result: ExecutionResult, detail: str) -> None:
    assert result.data is None
    assert result.errors is not None
    (error,) = result.errors
    assert error.extensions == {"code": "QUERY_TOO_COMPLEX", "detail": detail}


def assert_ran(result: ExecutionResult) -> None:
    assert result.errors is None, result.errors
    assert result.data


def parent_chain(parents: int) -> str:
    """`place` then `parent` `parents` times, then `id`: depth `parents + 2`."""
    selection = "id"
    for _ in range(parents):
        selection = f"parent {{ {selection} }}"
    return f"query($id: ID!) {{ place(id: $id) {{ {selection} }} }}"


def aliased(count: int) -> str:
    """`count` aliases, each of which reads the database."""
    fields = " ".join(f"a{i}: communities(first: 1) {{ totalCount }}" for i in range(count))
    return f"{{ {fields} }}"


# 13 tokens: query Run { communities ( first : 1 ) { totalCount } }
RUN = "query Run {{ communities(first: 1) {{ totalCount{extra} }} }}"


def document_of_tokens(tokens: int) -> str:
    """A document of exactly `tokens` tokens: the operation Run, padded with 5-token ones."""
    fillers, extra = divmod(tokens - 13, 5)
    run = RUN.format(extra=" __typename" * extra)
    return "\n".join([run, *(f"query F{i} {{ __typename }}" for i in range(fillers))])


# Pieces whose cost grows with `first`: 1 + first * (the cost of one edge).
HEAVY = (
    "p{i}: communities(first: {n}) "
    "{{ edges {{ node {{ grids {{ workers {{ displayName }} }} }} }} }}"
)
LIGHT = "p{i}: communities(first: {n}) {{ edges {{ cursor }} }}"
UNIT = "p{i}: viewer {{ __typename }}"


def document_of_cost(schema: NeighborSchema, cost: int) -> str:
    """A query costing exactly `cost` (up to a few tens of thousands), built from the pieces."""
    pieces: list[str] = []
    remaining = cost
    for piece in (HEAVY, LIGHT):
        per_edge = cost_of(schema, f"{{ {piece.format(i=0, n=2)} }}") - cost_of(
            schema, f"{{ {piece.format(i=0, n=1)} }}"
        )
        while remaining >= 1 + per_edge:
            n = min(100, (remaining - 1) // per_edge)
            pieces.append(piece.format(i=len(pieces), n=n))
            remaining -= 1 + n * per_edge
    if remaining:
        pieces.append(UNIT.format(i=len(pieces)))
    document = "{ " + " ".join(pieces) + " }"
    assert cost_of(schema, document) == cost
    return document


class TestDepthLimit:
    async def test_one_over_is_refused_before_running(
        self, api: Api, settings: Settings, commands: Commands
    ) -> None:
        before = commands.count

        result = await api.execute(
            parent_chain(settings.max_query_depth - 1), {"id": to_global_id("Place", ObjectId())}
        )

        depth = settings.max_query_depth + 1
        assert_too_complex(result, f"depth {depth} > {settings.max_query_depth}")
        assert commands.count == before

    async def test_exactly_at_the_limit_runs(
        self, api: Api, demo: Deps, settings: Settings, commands: Commands
    ) -> None:
        grid = await place_named(demo, PlaceLevel.GRID, "金安社区第一网格")

        result = await api.execute(
            parent_chain(settings.max_query_depth - 2), {"id": to_global_id("Place", grid.id)}
        )

        assert_ran(result)
        levels, node = 0, (result.data or {})["place"]
        while node is not None:
            levels, node = levels + 1, node.get("parent")
        assert levels == 5  # the grid, its community, street, district and city


class TestAliasLimit:
    async def test_one_over_is_refused_before_running(
        self, api: Api, settings: Settings, commands: Commands
    ) -> None:
        before = commands.count

        result = await api.execute(aliased(settings.max_aliases + 1))

        assert_too_complex(result, f"aliases {settings.max_aliases + 1} > {settings.max_aliases}")
        assert commands.count == before

    async def test_exactly_at_the_limit_runs(
        self, api: Api, settings: Settings, commands: Commands
    ) -> None:
        before = commands.count

        result = await api.execute(aliased(settings.max_aliases))

        assert_ran(result)
        assert len(result.data or {}) == settings.max_aliases
        assert commands.count > before

    async def test_aliases_inside_introspection_count(self, api: Api, settings: Settings) -> None:
        types = " ".join(f"t{i}: types {{ name }}" for i in range(settings.max_aliases + 1))

        result = await api.execute(f"{{ __schema {{ {types} }} }}")

        assert_too_complex(result, f"aliases {settings.max_aliases + 1} > {settings.max_aliases}")


class TestTokenLimit:
    def test_documents_have_the_tokens_counted(self, settings: Settings) -> None:
        limit = settings.max_tokens
        parse(document_of_tokens(limit), max_tokens=limit)
        with pytest.raises(Exception, match="tokens"):
            parse(document_of_tokens(limit + 1), max_tokens=limit)

    async def test_one_over_is_refused_before_running(
        self, api: Api, settings: Settings, commands: Commands
    ) -> None:
        before = commands.count

        result = await api.execute(
            document_of_tokens(settings.max_tokens + 1), operation_name="Run"
        )

        assert result.data is None
        assert result.errors is not None
        (error,) = result.errors
        assert (error.extensions or {})["code"] == "QUERY_TOO_COMPLEX"
        assert str(settings.max_tokens) in error.message
        assert commands.count == before

    async def test_exactly_at_the_limit_runs(
        self, api: Api, settings: Settings, commands: Commands
    ) -> None:
        before = commands.count

        result = await api.execute(document_of_tokens(settings.max_tokens), operation_name="Run")

        assert_ran(result)
        assert commands.count > before


class TestCostLimit:
    # One community's edge costs 2,112: the edge, the community, its grids (10 assumed) with
    # their workers (10 each) with their memberships (10 each), each with its community.
    NESTED = """query($first: Int) {
      communities(first: $first) { edges { node { name grids { name workers {
        displayName memberships { community { name } }
      } } } } }
    }"""

    async def test_one_over_is_refused_before_running(
        self, api: Api, schema: NeighborSchema, settings: Settings, commands: Commands
    ) -> None:
        document = document_of_cost(schema, settings.max_query_cost + 1)
        before = commands.count

        result = await api.execute(document)

        over = settings.max_query_cost + 1
        assert_too_complex(result, f"cost {over} > {settings.max_query_cost}")
        assert commands.count == before

    async def test_exactly_at_the_limit_runs(
        self, api: Api, schema: NeighborSchema, settings: Settings, commands: Commands
    ) -> None:
        document = document_of_cost(schema, settings.max_query_cost)
        before = commands.count

        result = await api.execute(document)

        assert_ran(result)
        assert commands.count > before

    async def test_a_small_page_of_a_nested_selection_runs(self, api: Api, demo: Deps) -> None:
        result = await api.execute(self.NESTED, {"first": 5})

        assert_ran(result)
        assert len((result.data or {})["communities"]["edges"]) == 2

    async def test_a_full_page_of_the_same_selection_is_refused(
        self, api: Api, settings: Settings, commands: Commands
    ) -> None:
        before = commands.count

        result = await api.execute(self.NESTED, {"first": 100})

        assert_too_complex(result, f"cost {1 + 100 * 2112} > {settings.max_query_cost}")
        assert commands.count == before

    def test_first_above_the_cap_costs_as_the_cap(self, schema: NeighborSchema) -> None:
        assert cost_of(schema, self.NESTED, {"first": 1000}) == 1 + 100 * 2112

    def test_first_left_out_costs_the_default_page(self, schema: NeighborSchema) -> None:
        assert cost_of(schema, self.NESTED) == 1 + 20 * 2112

    def test_a_variables_declared_default_counts(self, schema: NeighborSchema) -> None:
        document = self.NESTED.replace("$first: Int", "$first: Int = 100")

        assert cost_of(schema, document) == 1 + 100 * 2112

    def test_a_whole_number_sent_as_a_float_counts(self, schema: NeighborSchema) -> None:
        # JSON clients may send 100.0 (or 1e2); GraphQL's Int takes it as 100.
        assert cost_of(schema, self.NESTED, {"first": 100.0}) == 1 + 100 * 2112

    def test_edges_are_the_page_not_another_list(self, schema: NeighborSchema) -> None:
        # communities 1 + 5 x (edge 1 + node 1); leaves are free
        assert cost_of(schema, "{ communities(first: 5) { edges { node { name } } } }") == 11

    def test_other_lists_count_ten_times(self, schema: NeighborSchema) -> None:
        # place 1 + children 10 x 1
        assert cost_of(schema, '{ place(id: "x") { children { name } } }') == 11


class TestFragments:
    @staticmethod
    def doubling(levels: int) -> str:
        """Each fragment spreads the one below twice: 2^levels spreads if expanded."""
        fragments = ["fragment F0 on Place { name }"]
        fragments += [
            f"fragment F{i} on Place {{ parent {{ ...F{i - 1} }} children {{ ...F{i - 1} }} }}"
            for i in range(1, levels + 1)
        ]
        return f'{{ place(id: "x") {{ ...F{levels} }} }}\n' + "\n".join(fragments)

    def test_measuring_spreads_each_fragment_once(self, schema: NeighborSchema) -> None:
        started = time.perf_counter()

        found = measure(schema._schema, parse(self.doubling(40)), None, None)

        assert time.perf_counter() - started < 2
        assert found.depth == 42
        assert found.cost > 10**40

    async def test_such_a_document_is_refused_quickly(self, api: Api, settings: Settings) -> None:
        started = time.perf_counter()

        result = await api.execute(self.doubling(40))

        assert_too_complex(result, f"depth 42 > {settings.max_query_depth}")
        assert time.perf_counter() - started < 2

    async def test_harmless_repeated_spreads_still_run(self, api: Api) -> None:
        fragments = ["fragment F0 on Query { __typename }"]
        fragments += [f"fragment F{i} on Query {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, 61)]

        result = await api.execute("{ ...F60 }\n" + "\n".join(fragments))

        assert result.errors is None
        assert result.data == {"__typename": "Query"}


def full_pages(document: str, name: str) -> dict[str, int]:
    """Every page-size variable of the operation (`first`, `tasksFirst`, ...) at the maximum."""
    (operation,) = [
        d
        for d in parse(document).definitions
        if isinstance(d, OperationDefinitionNode) and d.name and d.name.value == name
    ]
    names = [v.variable.name.value for v in operation.variable_definitions or ()]
    return {n: MAX_PAGE_SIZE for n in names if n == "first" or n.endswith("First")}


class TestContractDocuments:
    @pytest.mark.parametrize("name", sorted(OPERATIONS))
    def test_under_the_limits_with_full_pages(
        self, name: str, schema: NeighborSchema, settings: Settings
    ) -> None:
        document = parse(OPERATIONS[name], max_tokens=settings.max_tokens)
        pages = full_pages(OPERATIONS[name], name)

        found = measure(schema._schema, document, name, pages, LIST_BOUNDS)

        assert found.depth <= settings.max_query_depth
        assert found.aliases <= settings.max_aliases
        assert found.cost <= settings.max_query_cost

    def test_the_page_variables_are_found(self) -> None:
        assert full_pages(OPERATIONS["Board"], "Board") == {"tasksFirst": 100}
        assert full_pages(OPERATIONS["ReportDetail"], "ReportDetail") == {"commentsFirst": 100}

    async def test_a_whole_board_at_full_pages_runs(self, api: Api, demo: Deps) -> None:
        token = await api.login("13800000001")
        viewer = await api.data("Viewer", token=token)
        community_id = viewer["viewer"]["memberships"][0]["community"]["id"]
        boards = await api.data("CommunityBoards", {"communityId": community_id}, token=token)
        board_id = boards["community"]["boards"][0]["id"]

        result = await api.op("Board", {"id": board_id, "tasksFirst": 100}, token=token)

        assert_ran(result)
        assert (result.data or {})["board"]["columns"]


class TestListBounds:
    def test_a_bounded_list_counts_its_bound(self, schema: NeighborSchema) -> None:
        document = parse('{ board(id: "x") { columns { id } } }')

        # board 1 + MAX_COLUMNS x column 1
        assert measure(schema._schema, document, None, None, LIST_BOUNDS).cost == 1 + MAX_COLUMNS
        assert measure(schema._schema, document, None, None).cost == 1 + 10

    def test_a_plain_list_taking_first_counts_the_page(self, schema: NeighborSchema) -> None:
        document = '{ pointsLeaderboard(communityId: "x", first: 50) { points } }'

        assert cost_of(schema, document) == 50

    def test_the_connections_own_fields_count_once(self, schema: NeighborSchema) -> None:
        document = "{ communities(first: 50) { totalCount pageInfo { hasNextPage } } }"

        assert cost_of(schema, document) == 2

    def test_every_bound_names_a_list_of_the_schema(self, schema: NeighborSchema) -> None:
        for key in LIST_BOUNDS:
            type_name, field_name = key.split(".")
            parent = schema._schema.get_type(type_name)
            fields = getattr(parent, "fields", None) or {}
            assert field_name in fields, key
            assert is_list_type(get_nullable_type(fields[field_name].type)), key

    # Nested pages at 100 each: refused before anything runs.
    ABUSIVE: ClassVar[dict[str, str]] = {
        "comments of every report": """query($id: ID!) { reports(communityId: $id, first: 100) {
            edges { node { comments(first: 100) { edges { node { id } } } } } } }""",
        "voters of every proposal": """query($id: ID!) { proposals(councilId: $id, first: 100) {
            edges { node { voters(first: 100) { edges { node { castAt } } } } } } }""",
        "every board's tasks": """{ communities(first: 100) { edges { node {
            boards { columns { tasks(first: 100) { edges { node { id } } } } } } } } }""",
        "a board's tasks, aliased": """query($id: ID!) { board(id: $id) { columns {
            a: tasks(first: 100) { edges { node { assignees { id } } } }
            b: tasks(first: 100) { edges { node { assignees { id } } } } } } }""",
    }

    @pytest.mark.parametrize("name", sorted(ABUSIVE))
    async def test_nested_full_pages_are_refused(
        self, name: str, api: Api, settings: Settings, commands: Commands
    ) -> None:
        global_id = to_global_id("Place", ObjectId())
        before = commands.count

        result = await api.execute(self.ABUSIVE[name], {"id": global_id})

        assert result.data is None
        assert result.errors is not None
        (error,) = result.errors
        assert (error.extensions or {})["code"] == "QUERY_TOO_COMPLEX"
        assert str((error.extensions or {})["detail"]).startswith("cost ")
        assert commands.count == before


class TestIntrospection:
    GRAPHIQL = get_introspection_query(
        descriptions=True,
        specified_by_url=True,
        directive_is_repeatable=True,
        schema_description=True,
        input_value_deprecation=True,
    )

    @pytest.mark.parametrize(
        "document", [get_introspection_query(), GRAPHIQL], ids=["default", "graphiql"]
    )
    async def test_graphiql_introspection_runs(self, api: Api, document: str) -> None:
        result = await api.execute(document)

        assert result.errors is None
        schema = (result.data or {})["__schema"]
        assert schema["queryType"]["name"] == "Query"
        assert any(t["name"] == "Place" for t in schema["types"])

    async def test_runaway_nesting_is_refused(self, api: Api) -> None:
        nested = "interfaces { possibleTypes { " * 4 + "name" + " } }" * 4

        result = await api.execute(f"{{ __schema {{ types {{ {nested} }} }} }}")

        assert result.data is None
        assert result.errors is not None
        assert [(e.extensions or {}).get("code") for e in result.errors] in (
            ["GRAPHQL_VALIDATION_FAILED"],
            ["QUERY_TOO_COMPLEX"],
        )
