"""Protection against expensive operations: depth, aliases and cost, checked before execution.

Cost: the number of objects the operation can return at most (a field with a selection set is
an object; scalar and enum leaves are free: how many a type has is fixed by the schema, and the
alias limit bounds their repeats). A list of objects counts its length times over: a
connection's `edges` the page `first` asks for (20 when absent, at most 100; the connection's
own fields, `totalCount` and `pageInfo`, once), a list whose length the domain bounds (a board's
columns, a report's photos: `Limits.list_bounds`, from the services' own maximums) its bound,
any other list LIST_FACTOR. Introspection fields (`__schema`, `__type`) count for neither depth
nor cost (validation's MaxIntrospectionDepthRule bounds their nesting, the token limit their
size), but the aliases inside them count, as each repeats a whole answer. Named fragments are
measured once each (per page size), so a fragment spread many times cannot make the measuring
itself expensive. Tokens are limited at parse time (the parser's `max_tokens`, graphql/platform.py).

The shape (`shape_refusal`) is checked first, in one linear pass over the parsed document and
before validation (whose overlapping-fields rule compares the fields of a selection pairwise):
the fields and fragment spreads of one selection set (inline fragments merged into it, as
validation merges them), the repeats of one response key there, and the fields of the whole
document. A hostile document (740 copies of `memberships { id }` with a random trailing comment
to miss the validation cache) is refused in a fraction of a millisecond instead of seconds.

Everything is checked in the validation step (`check_limits`), which strawberry runs
for queries, mutations and subscriptions alike before anything executes: an over-limit
subscription is refused like a query (a result set in `on_execute` is ignored on strawberry's
subscription path).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from math import isfinite
from typing import Any, TypeVar

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_list_type,
    value_from_ast_untyped,
)
from strawberry.types import ExecutionContext

from neighbor_api.core.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from neighbor_api.graphql.errors import limit_error

LIST_FACTOR = 10


@dataclass(frozen=True)
class Measure:
    depth: int
    aliases: int
    cost: int


@dataclass(frozen=True)
class Limits:
    max_depth: int
    max_aliases: int
    max_cost: int
    # "Type.field" -> the most items that list can hold (see `schema.LIST_BOUNDS`).
    list_bounds: Mapping[str, int] = field(default_factory=dict)
    # The document's shape (`shape_refusal`): fields and spreads in one selection set, repeats
    # of one response key in it, fields in the whole document.
    max_selections: int = 100
    max_repeats: int = 5
    max_fields: int = 1000
    # Document text -> its shape_refusal (check_limits), at most SHAPES_KEPT texts.
    shapes: dict[str, str | None] = field(default_factory=dict, compare=False, hash=False)
    # (text, operation, numeric variables) -> its Measure (check_limits), at most SHAPES_KEPT.
    measures: dict[MeasureKey, Measure] = field(default_factory=dict, compare=False, hash=False)


# What a measure depends on besides the schema: the document's text, the operation's name and
# the variables given, by value when a number (the only values it reads: a page size
# `first: $n`; any other given value counts as the default page, whatever it is; one left out
# takes its declared default).
MeasureKey = tuple[str, str | None, tuple[tuple[str, int | float | None], ...]]


SHAPES_KEPT = 512
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def shape_refusal(document: DocumentNode, limits: Limits) -> str | None:
    """Why the document's shape is over a limit (None if it is not), in one pass over its nodes
    that stops at the first excess. A selection set counts its fields and fragment spreads with
    those of its inline fragments (validation merges them into one set); named fragments are
    counted where they are defined."""
    total = 0
    stack: list[SelectionSetNode] = [
        d.selection_set
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode | FragmentDefinitionNode)
    ]
    while stack:
        entries = 0
        repeats: dict[str, int] = {}
        merged = [stack.pop()]
        while merged:
            for selection in merged.pop().selections:
                if isinstance(selection, InlineFragmentNode):
                    merged.append(selection.selection_set)
                    continue
                entries += 1
                if entries > limits.max_selections:
                    return f"selections {entries} > {limits.max_selections}"
                if not isinstance(selection, FieldNode):
                    continue
                total += 1
                if total > limits.max_fields:
                    return f"fields {total} > {limits.max_fields}"
                key = (selection.alias or selection.name).value
                count = repeats[key] = repeats.get(key, 0) + 1
                if count > limits.max_repeats:
                    return f"repeats of {key} {count} > {limits.max_repeats}"
                if selection.selection_set is not None:
                    stack.append(selection.selection_set)
    return None


class _Measurer:
    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        variables: Mapping[str, Any],
        list_bounds: Mapping[str, int],
    ) -> None:
        self.schema = schema
        self.variables = variables
        self.list_bounds = list_bounds
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.fragment_measures: dict[tuple[str, int | None], Measure] = {}
        self.in_progress: set[str] = set()

    def selection_set(
        self, selection_set: SelectionSetNode, parent: Any, page: int | None = None
    ) -> Measure:
        """`page`: the page size asked for, when `parent` is a connection."""
        depth = aliases = cost = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                part = self.field(selection, parent, page)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                part = self.selection_set(selection.selection_set, target or parent, page)
            elif isinstance(selection, FragmentSpreadNode):
                part = self.fragment(selection.name.value, page)
            else:  # pragma: no cover - no other selection kinds exist
                continue
            depth, aliases, cost = max(depth, part.depth), aliases + part.aliases, cost + part.cost
        return Measure(depth, aliases, cost)

    def fragment(self, name: str, page: int | None) -> Measure:
        key = (name, page)
        if key in self.fragment_measures:
            return self.fragment_measures[key]
        definition = self.fragments.get(name)
        if definition is None or name in self.in_progress:  # unknown or cyclic: validation says
            return Measure(0, 0, 0)
        self.in_progress.add(name)
        target = self.schema.get_type(definition.type_condition.name.value)
        measure = self.selection_set(definition.selection_set, target, page)
        self.in_progress.discard(name)
        self.fragment_measures[key] = measure
        return measure

    def field(self, node: FieldNode, parent: Any, page: int | None) -> Measure:
        aliases = 1 if node.alias else 0
        name = node.name.value
        fields = getattr(parent, "fields", None)
        definition: GraphQLField | None = fields.get(name) if fields else None
        if name.startswith("__") or definition is None:
            inner_aliases = (
                self.selection_set(node.selection_set, None).aliases if node.selection_set else 0
            )
            return Measure(1, aliases + inner_aliases, 0)
        if node.selection_set is None:
            return Measure(1, aliases, 0)
        child_type = get_named_type(definition.type)
        child_page = self.page_size(node) if "first" in definition.args else None
        inner = self.selection_set(node.selection_set, child_type, child_page)
        count = self.length(name, definition, parent, page, child_page)
        return Measure(1 + inner.depth, aliases + inner.aliases, count * (1 + inner.cost))

    def page_size(self, node: FieldNode) -> int:
        value: Any = DEFAULT_PAGE_SIZE
        for argument in node.arguments or ():
            if argument.name.value == "first":
                if isinstance(argument.value, IntValueNode):
                    value = int(argument.value.value)
                elif isinstance(argument.value, VariableNode):
                    value = self.variables.get(argument.value.name.value, DEFAULT_PAGE_SIZE)
        # GraphQL's Int takes 100.0 from a JSON variable as 100.
        is_number = isinstance(value, int | float) and not isinstance(value, bool)
        size = int(value) if is_number and isfinite(value) else DEFAULT_PAGE_SIZE
        return max(1, min(size, MAX_PAGE_SIZE))

    def length(
        self,
        name: str,
        definition: GraphQLField,
        parent: Any,
        page: int | None,
        own_page: int | None,
    ) -> int:
        """How many objects the field can return: 1 unless it is a list (`page`: the page asked
        of the connection `parent`; `own_page`: the page asked of this field)."""
        if not is_list_type(get_nullable_type(definition.type)):
            return 1
        if own_page is not None:  # a plain list taking `first` (pointsLeaderboard)
            return own_page
        if name == "edges" and _is_connection(parent):
            return page if page is not None else DEFAULT_PAGE_SIZE
        return self.list_bounds.get(f"{getattr(parent, 'name', '')}.{name}", LIST_FACTOR)


def _is_connection(parent: Any) -> bool:
    fields = getattr(parent, "fields", None) or {}
    return "edges" in fields and "pageInfo" in fields


def measure(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
    list_bounds: Mapping[str, int] | None = None,
) -> Measure:
    """The depth, alias count and cost of the operation that would run."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [
        o
        for o in operations
        if operation_name is None or (o.name and o.name.value == operation_name)
    ]
    if not chosen:
        return Measure(0, 0, 0)
    operation = chosen[0]
    root: GraphQLObjectType | GraphQLInterfaceType | None = schema.get_root_type(
        operation.operation
    )
    # A variable left out takes its declared default, as it will when the operation runs.
    defaults = {
        definition.variable.name.value: value_from_ast_untyped(definition.default_value)
        for definition in operation.variable_definitions or ()
        if definition.default_value is not None
    }
    measurer = _Measurer(schema, document, {**defaults, **(variables or {})}, list_bounds or {})
    return measurer.selection_set(operation.selection_set, root)


def check_limits(context: ExecutionContext, limits: Limits) -> None:
    """Refuse (QUERY_TOO_COMPLEX, in `pre_execution_errors`) an operation whose document's
    shape, depth, aliases or cost is over a limit: in the validation step, before the (cached)
    validation itself, for every kind of operation (graphql/platform.py calls it there)."""
    document = context.graphql_document
    if document is not None and context.pre_execution_errors is None:
        detail = _shape_refusal(limits, context.query, document) or _exceeded(
            limits, _measure(limits, context, document)
        )
        if detail:
            context.pre_execution_errors = [limit_error(detail)]


def _measure(limits: Limits, context: ExecutionContext, document: DocumentNode) -> Measure:
    """`measure`, once per document text, operation and numeric variables (`MeasureKey`)."""
    name = context.operation_name

    def measured() -> Measure:
        return measure(
            context.schema._schema, document, name, context.variables, limits.list_bounds
        )

    if context.query is None:
        return measured()
    numbers = tuple(
        (
            variable,
            value if isinstance(value, int | float) and not isinstance(value, bool) else None,
        )
        for variable, value in (context.variables or {}).items()
    )
    key: MeasureKey = (context.query, name, numbers)
    return _kept(limits.measures, key, measured)


def _shape_refusal(limits: Limits, query: str | None, document: DocumentNode) -> str | None:
    """`shape_refusal`, once per document text: the shape depends on nothing else (the
    contract's documents hold many operations, and walking all of them cost more than
    measuring the one asked for)."""
    if query is None:
        return shape_refusal(document, limits)
    return _kept(limits.shapes, query, lambda: shape_refusal(document, limits))


def _kept(cache: dict[K, V], key: K, compute: Callable[[], V]) -> V:
    """`compute()`, once per key while `cache` keeps it (emptied when SHAPES_KEPT are kept)."""
    if key not in cache:
        if len(cache) >= SHAPES_KEPT:
            cache.clear()
        cache[key] = compute()
    return cache[key]


def _exceeded(limits: Limits, found: Measure) -> str | None:
    if found.depth > limits.max_depth:
        return f"depth {found.depth} > {limits.max_depth}"
    if found.aliases > limits.max_aliases:
        return f"aliases {found.aliases} > {limits.max_aliases}"
    if found.cost > limits.max_cost:
        return f"cost {found.cost} > {limits.max_cost}"
    return None
