"""The plain-field path (graphql/plain.py) answers exactly what graphql-core's generic path does:
the same data for the contract's read operations on the demo street, and the same errors
(message, path, locations) and nulls for every way a plain field can go wrong."""

from __future__ import annotations

import enum
import json
from datetime import UTC, datetime
from typing import Any

import pytest
import strawberry
from graphql import ExecutionResult
from strawberry import relay

from neighbor_api.core.deps import Deps
from neighbor_api.graphql.execution import SharedEventExecution
from neighbor_api.graphql.plain import PlainFields, PlainTable, plain_fields
from neighbor_api.schema import NeighborSchema
from tests.conftest import Api


def _shape(result: ExecutionResult) -> Any:
    errors = [
        {"message": e.message, "path": e.path, "locations": [tuple(x) for x in e.locations or []]}
        for e in result.errors or []
    ]
    return json.dumps({"data": result.data, "errors": errors}, ensure_ascii=False, default=str)


class TestTheSchema:
    def test_leaves_are_plain(self, schema: NeighborSchema) -> None:
        report = plain_fields(schema._schema)["Report"]
        # Attributes, enums, dates, and a method called with its source alone.
        assert {"title", "status", "category", "createdAt"} <= set(report)
        assert "id" in report  # relay's id, computed as relay's Node._id does
        assert "viewerCanEdit" not in plain_fields(schema._schema).get("Report", {})

    def test_objects_and_arguments_are_not(self, schema: NeighborSchema) -> None:
        table = plain_fields(schema._schema)
        for type_name, fields in table.items():
            graphql_type: Any = schema._schema.type_map[type_name]
            for name in fields:
                assert not graphql_type.fields[name].args, (type_name, name)


@pytest.mark.usefixtures("demo")
class TestDemoStreet:
    """Each read operation of the contract, with and without the plain path: the same JSON."""

    async def cases(self, api: Api, token: str) -> list[tuple[str, dict[str, Any]]]:
        viewer = await api.data("Viewer", token=token)
        community_id = viewer["viewer"]["memberships"][0]["community"]["id"]
        reports = await api.data("Reports", {"communityId": community_id, "first": 20}, token=token)
        report_id = reports["reports"]["edges"][0]["node"]["id"]
        found = await api.execute(
            "query($id: ID!) { community(id: $id) { boards { id } councils { id } } }",
            {"id": community_id},
            token=token,
        )
        community = (found.data or {})["community"]
        proposals = await api.data(
            "Proposals", {"councilId": community["councils"][0]["id"], "first": 5}, token=token
        )
        return [
            ("Viewer", {}),
            ("Reports", {"communityId": community_id, "first": 20}),
            ("ReportDetail", {"id": report_id, "commentsFirst": 20}),
            ("Board", {"id": community["boards"][0]["id"], "tasksFirst": 20}),
            ("Proposals", {"councilId": community["councils"][0]["id"], "first": 5}),
            ("ProposalDetail", {"id": proposals["proposals"]["edges"][0]["node"]["id"]}),
        ]

    async def test_same_json(self, api: Api, deps: Deps, monkeypatch: pytest.MonkeyPatch) -> None:
        token = await api.login("13800000001")
        cases = await self.cases(api, token)
        fast = [_shape(await api.op(name, variables, token=token)) for name, variables in cases]
        for name, variables in cases:
            result = await api.op(name, variables, token=token)
            assert result.errors is None, (name, result.errors)

        def no_plain(self: PlainFields) -> PlainTable:
            return {}

        monkeypatch.setattr(PlainFields, "plain_table", no_plain)
        slow = [_shape(await api.op(name, variables, token=token)) for name, variables in cases]
        assert fast == slow


# A small schema with every way a plain field can go wrong, run through the same context.


@strawberry.enum
class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


class Broken(Exception):
    pass


@strawberry.type
class Spot(relay.Node):
    id: relay.NodeID[str]
    name: str


@strawberry.type
class Where:
    street: str
    lane: str | None


@strawberry.type
class Thing:
    name: str
    nickname: str | None
    color: Color
    maybe_color: Color | None
    count: int
    when: datetime
    spot: Spot | None = None
    where: Where | None = None
    tags: list[str] = strawberry.field(default_factory=lambda: ["老街", "骑楼"])
    maybe_tags: list[str | None] | None = None
    somewhere: Spot | Where | None = None
    here: Where = strawberry.field(default_factory=lambda: Where(street="思明南路", lane="1"))
    # Lists of leaves: coerced as plain fields are, or by graphql-core when one item is odd.
    colors: list[Color] = strawberry.field(default_factory=lambda: [Color.RED, Color.GREEN])
    bad_colors: list[Color] = strawberry.field(default_factory=lambda: [Color.RED, "blue"])  # type: ignore[list-item]
    raw_colors: list[Color] = strawberry.field(default_factory=lambda: ["red"])  # type: ignore[list-item]
    counts: list[int] = strawberry.field(default_factory=lambda: [1, "many"])  # type: ignore[list-item]
    ids: tuple[strawberry.ID, ...] = (strawberry.ID("a"), strawberry.ID("b"))
    times: list[datetime] = strawberry.field(
        default_factory=lambda: [datetime(2026, 12, 4, 8, 0, tzinfo=UTC)]
    )

    @strawberry.field
    def shout(self) -> str:
        return self.name.upper()

    @strawberry.field
    def fails(self) -> str | None:
        raise Broken("boom")

    @strawberry.field
    def fails_hard(self) -> str:
        raise Broken("hard boom")

    @strawberry.field
    async def later(self) -> str:
        return "later"

    # Resolvers given an info (graphql/plain.py's LazyInfo): its context, and what only
    # graphql-core's info has.
    @strawberry.field
    def context_kind(self, info: strawberry.Info) -> str:
        return type(info.context).__name__

    @strawberry.field
    def where_am_i(self, info: strawberry.Info) -> str:
        return f"{info.field_name} {info.path.as_list()} {info.python_name}"

    @strawberry.field
    def asked(self, info: strawberry.Info) -> Where | None:
        names = [s.name for f in info.selected_fields for s in f.selections]
        return Where(street=",".join(names), lane=info.path.key)  # type: ignore[arg-type]

    @strawberry.field
    def fails_with_info(self, info: strawberry.Info) -> str | None:
        raise Broken(f"boom at {info.path.key}")

    @strawberry.field
    def null_with_info(self, info: strawberry.Info) -> str:
        return None  # type: ignore[return-value]

    @strawberry.field
    async def later_with_info(self, info: strawberry.Info) -> str:
        return f"later {info.field_name}"

    @strawberry.field
    def neighbours(self, info: strawberry.Info) -> list[Where]:
        return [Where(street=self.name, lane=None), None]  # type: ignore[list-item]


@strawberry.type
class Renamed(relay.Node):
    code: relay.NodeID[str]

    @classmethod
    def resolve_id(cls, root: Renamed, *, info: strawberry.Info) -> str:
        return f"x-{root.code}"


def _thing(**overrides: Any) -> Thing:
    values: dict[str, Any] = {
        "name": "鼓浪屿",
        "nickname": None,
        "color": Color.GREEN,
        "maybe_color": None,
        "count": 3,
        "when": datetime(2026, 12, 1, 8, 30, tzinfo=UTC),
    }
    values.update(overrides)
    return Thing(**values)


@strawberry.type
class Query:
    @strawberry.field
    def thing(self) -> Thing:
        return _thing()

    @strawberry.field
    def things(self) -> list[Thing | None]:
        return [
            _thing(),
            _thing(name=None),  # a null for a non-null leaf
            _thing(count="many"),  # a value the leaf type cannot coerce
            _thing(color="blue"),  # not a member: strawberry's enum refuses it
            _thing(color="red"),  # a member's value: graphql-core's lookup accepts it
            _thing(nickname=ValueError("returned, not raised")),
            _thing(spot=Spot(id="5f1d7e0e8f1b2c3d4e5f6a7b", name="沙坡尾")),
            _thing(spot=Where(street="not a spot", lane=None)),  # is_type_of refuses it
            _thing(where=Where(street=None, lane="2")),  # type: ignore[arg-type]
            _thing(here=None),  # a null for a non-null object
            _thing(tags=["中山路", None]),  # a null item of a list of non-null strings
            _thing(tags=None, maybe_tags=["a", None, 3]),  # a null for a non-null list
            _thing(maybe_tags="not a list"),
            _thing(somewhere=Where(street="华侨新村", lane="3")),  # a union's member
            _thing(somewhere="neither"),  # the union cannot resolve its type
        ]

    @strawberry.field
    def good_things(self) -> list[Thing]:
        return [_thing(), _thing(name="沙坡尾", count=7)]

    @strawberry.field
    def good_spots(self) -> tuple[Spot, ...]:  # a tuple of accepted objects
        return (Spot(id="5f1d7e0e8f1b2c3d4e5f6a7b", name="中山路"), Spot(id="7", name="曾厝垵"))

    @strawberry.field
    def mixed_spots(self) -> list[Spot]:  # is_type_of refuses the second
        return [Spot(id="1", name="中山路"), Where(street="not a spot", lane=None)]  # type: ignore[list-item]

    @strawberry.field
    def broken_items(self) -> list[Where]:  # an exception among the items
        return [Where(street="a", lane=None), Broken("an item")]  # type: ignore[list-item]

    @strawberry.field
    async def later_wheres(self) -> list[Where]:  # awaited, then completed as a list
        return [Where(street="鼓浪屿", lane="1"), Where(street="厦港", lane=None)]

    @strawberry.field
    def spots(self) -> list[Spot | None]:
        return [Spot(id="5f1d7e0e8f1b2c3d4e5f6a7b", name="中山路"), Spot(id=None, name="曾厝垵")]  # type: ignore[arg-type]

    @strawberry.field
    def renamed(self) -> Renamed:
        return Renamed(code="7")


class Plainless(SharedEventExecution):
    def plain_table(self) -> PlainTable:
        return {}


DOCUMENTS = [
    "{ thing { name nickname color maybeColor count when shout later fails } }",
    "{ thing { fails_: failsHard name } }",
    "{ things { name nickname color maybeColor count when shout } }",
    "{ things { ...F } } fragment F on Thing { n: name, color c2: color }",
    "{ spots { id name } renamed { id } }",
    "{ things { spot { id name } where { street lane } here { street } } }",
    "{ thing { here { lane } spot { id } } things { here { street } } }",
    "{ things { contextKind whereAmI w: whereAmI asked { street lane } laterWithInfo } }",
    "{ thing { failsWithInfo name } things { nullWithInfo } }",
    "{ things { tags maybeTags neighbours { street } } }",
    "{ things { somewhere { ... on Where { street } ... on Spot { id } } } }",
    # Lists of objects: accepted (list, tuple, awaited), with failing and awaitable fields in
    # their items (a non-null one nulls the whole list), and those graphql-core completes.
    "{ goodThings { name count later fails } goodSpots { id name } laterWheres { street } }",
    "{ goodThings { name failsHard } laterWheres { lane } }",
    "{ goodThings { name laterWithInfo whereAmI neighbours { street } } }",
    "{ mixedSpots { id } brokenItems { street } }",
    "query($yes: Boolean = true) { goodThings @include(if: $yes) { name } }",
    "{ thing { colors rawColors ids times tags } goodThings { colors } }",
    "{ thing { badColors } }",
    "{ goodThings { counts } }",
]


@pytest.mark.parametrize("document", DOCUMENTS)
async def test_errors_as_graphql_core_gives_them(document: str) -> None:
    from neighbor_api.graphql.direct import direct_resolvers

    fast = strawberry.Schema(query=Query, execution_context_class=SharedEventExecution)
    slow = strawberry.Schema(query=Query, execution_context_class=Plainless)
    direct_resolvers(fast)
    direct_resolvers(slow)
    assert "shout" in plain_fields(fast._schema)["Thing"]
    assert "later" in plain_fields(fast._schema)["Thing"]  # awaitable: generic completion
    assert {"whereAmI", "asked", "laterWithInfo"} <= set(plain_fields(fast._schema)["Thing"])
    assert {"tags", "neighbours", "somewhere"} <= set(plain_fields(fast._schema)["Thing"])
    assert "id" in plain_fields(fast._schema)["Spot"]
    assert "Renamed" not in plain_fields(fast._schema)  # its own resolve_id
    assert {"spot", "where", "here"} <= set(plain_fields(fast._schema)["Thing"])
    expected = _shape(await slow.execute(document))
    assert _shape(await fast.execute(document)) == expected


async def test_resolvers_given_an_info_read_graphql_cores() -> None:
    from neighbor_api.graphql.direct import direct_resolvers

    fast = strawberry.Schema(query=Query, execution_context_class=SharedEventExecution)
    direct_resolvers(fast)
    document = "{ thing { contextKind w: whereAmI asked { street lane } laterWithInfo } }"
    result = await fast.execute(document, context_value={"viewer": "鼓浪屿"})
    assert result.errors is None
    assert result.data == {
        "thing": {
            "contextKind": "dict",
            "w": "whereAmI ['thing', 'w'] where_am_i",
            "asked": {"street": "street,lane", "lane": "asked"},
            "laterWithInfo": "later laterWithInfo",
        }
    }
