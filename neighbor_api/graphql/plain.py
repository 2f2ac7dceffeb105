"""Plain fields: values read from their object, completed without the per-field machinery.

A page of 20 reports executed some 280 fields; most read an attribute of the object (`title`,
`status`, `createdAt`, an edge's `node`, a connection's `pageInfo`). For each, graphql-core
builds a `GraphQLResolveInfo` (strawberry's subclass, 16 values), asks the middleware manager
for the resolver, calls strawberry's `_get_basic_result` (then `field.get_result`, then
`getattr`), asks twice whether the value is awaitable, and dispatches `complete_value` through
the non-null, list, leaf, abstract and object tests before the leaf type's
`coerce_output_value` — about half of the request's execution CPU for one attribute read.

A field is **plain** when, on its parent object type:
- strawberry resolves it without a resolver of its own (`getattr(source, python_name)`: the
  config's default resolver, no exception handler, i.e. graphql's resolve is strawberry's
  `_get_basic_result`), or with a method graphql/direct.py calls with its source alone
  (`SOURCE_ONLY`) or with its source and an info (`WITH_INFO`: it gets a `LazyInfo`, whose
  context is at hand and whose other values are graphql-core's info, built the first time
  one is read), or it is relay's `id` of a node type that keeps relay's `resolve_id` and
  `resolve_typename` (`GlobalID(<the parent type's name>, <its NodeID attribute>)`, what
  `Node._id` computes for an instance of exactly that class; another class or an id that is
  not a str returns `NOT_PLAIN` and takes graphql-core's whole path);
- it takes no argument and has no field extension (permissions are one), no schema directive,
  and is not a subscription;
- its type is not an object type whose `is_type_of` is neither None nor strawberry's own
  (which tests the value's casts and classes, never the info).

`plain_fields(schema)` finds them once per schema (a table by type name and field name, kept
while the schema lives: 561 of the 691 fields of the schema's 137 object types), and
`PlainFields.execute_fields` — graphql-core's `execute_fields`, the same loop and the same
gathering of awaitables — answers such a field itself. It reads the value; a leaf whose value
is neither None (nor Undefined), an exception, nor awaitable, and which the type's own
`coerce_output_value` turns into a value, answers that; an object value that is none of those
and that is_type_of accepts is completed by `collect_and_execute_subfields`, as
`complete_object_value` does. That is exactly graphql-core's computation: the info is only
passed to the resolver (which does not take it) and to is_type_of (which does not read it);
the middleware manager of an operation without middleware returns the resolver unchanged
(with middleware — a strawberry extension with a `resolve` hook — every field takes the
generic path); `complete_value` of a (non-null) leaf is `complete_leaf_value`, i.e.
`coerce_output_value` plus the check that it gave a value, and of a (non-null) object is
is_type_of then the sub-selection. Everything else — a null (nullable: None at once;
non-null: the error), an exception, an awaitable, a value the type cannot coerce or does not
accept, a list, an interface or a union — goes to graphql-core's own completion with the value
already read (`complete_generic`: the same code as the end of `execute_field`, given a
`LazyInfo`, which that code reads only for an error's message or an abstract type's
`resolve_type`), and errors raised while
completing an object take `execute_field`'s handling (`handle_field_error` with the field's
path), so errors, their messages, paths and locations are graphql-core's; a resolver is never
called twice. Fields that are not plain run `execute_field` unchanged.
An object's sub-selection (a plain field's, or a list item's) goes straight to
`execute_fields` when nothing in it is deferred (`execute_subfields`: what graphql-core's
`collect_and_execute_subfields` comes to then). A list of objects — any field's, plain or not,
e.g. a connection's `edges` once their prefetch is awaited — is completed item by item through
`execute_subfields` (`complete_iterable_value`) when every item is an object its type accepts
and the field has no directive (no `@stream`); else, before any item is completed, by
graphql-core's; a list of leaves of `SETTLED` classes is coerced as plain fields of its item
type are. The A/B on the 10k city (2026-12-04, in-process, eight alternating rounds):
`Reports` 3.04 → 2.77 ms for a resident, 2.98 → 2.75 ms for staff, `ProposalDetail` 4.29 →
4.16 ms.

tests/graphql/test_plain_fields.py compares both paths (JSON and errors).

Leaves of the classes in `SETTLED` (str, int, float, bool, datetime, date, GlobalID, the
schema's enums) are coerced without the awaitable and exception tests, which they cannot
fail. Enums: strawberry's enum type searches its values for a member on every call; each enum
type gets a table member → name built from the same values (a member it does not hold, or an
unhashable value, takes the type's own `coerce_output_value`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import Enum
from typing import Any, TypeVar, cast
from weakref import WeakKeyDictionary

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
    Undefined,
    get_nullable_type,
)
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet
from graphql.execution.executor import to_nodes
from graphql.pyutils import AwaitableOrValue, Path, gather_with_cancel
from strawberry.relay import GlobalID, Node
from strawberry.schema.schema_converter import CustomGraphQLEnumType, GraphQLCoreConverter
from strawberry.types.field import StrawberryField

from neighbor_api.graphql.direct import SOURCE_ONLY, WITH_INFO


@dataclass(frozen=True, slots=True)
class Plain:
    """How to answer one plain field: read `attribute` (or call `call` with the source, and
    a `LazyInfo` when `with_info`), coerce with `coerce`."""

    return_type: GraphQLOutputType
    attribute: str  # "" when `call` reads the value
    call: Callable[..., Any] | None
    coerce: Callable[[Any], Any]
    non_null: bool
    # A scalar or an enum (else an object, a list, an interface or a union).
    leaf: bool = False
    # For an object field: its type, and strawberry's own is_type_of of it (None: no test).
    object_type: GraphQLObjectType | None = None
    is_type_of: Callable[[Any, Any], Any] | None = None
    with_info: bool = False


# Type name → field name → plain field, for each schema while it lives.
PlainTable = dict[str, dict[str, Plain]]
_TABLES: WeakKeyDictionary[GraphQLSchema, PlainTable] = WeakKeyDictionary()
# Leaf type name → the coercion plain fields of that type use, for each schema while it lives
# (lists of leaves are coerced with it).
_LEAVES: WeakKeyDictionary[GraphQLSchema, dict[str, Callable[[Any], Any]]] = WeakKeyDictionary()


def _enum_coercer(enum: GraphQLEnumType) -> Callable[[Any], Any]:
    coerce = enum.coerce_output_value
    if not isinstance(enum, CustomGraphQLEnumType):
        return coerce
    # strawberry's: a member of the enum class answers the first name whose value equals the
    # member's value; anything else takes graphql-core's lookup.
    names: dict[Any, str] = {}
    wrapped = cast(type[Enum], enum.wrapped_cls)
    for member in wrapped:
        for name, value in enum.values.items():
            if member.value == value.value:
                names[member] = name
                break

    def coerce_member(value: Any) -> Any:
        if isinstance(value, wrapped):
            name = names.get(value)
            if name is not None:
                return name
        return coerce(value)

    return coerce_member


def _plain(
    parent: GraphQLObjectType,
    graphql_field: GraphQLField,
    coercers: dict[str, Callable[[Any], Any]],
) -> Plain | None:
    extensions = graphql_field.extensions or {}
    field = extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if not isinstance(field, StrawberryField) or graphql_field.args:
        return None
    if field.arguments or field.extensions or field.directives or field.is_subscription:
        return None
    return_type = graphql_field.type
    non_null = isinstance(return_type, GraphQLNonNull)
    named = get_nullable_type(return_type)
    object_type: GraphQLObjectType | None = None
    is_type_of: Callable[[Any, Any], Any] | None = None
    coerce: Callable[[Any], Any] = _no_coercion
    leaf = False
    if isinstance(named, GraphQLObjectType):
        object_type, is_type_of = named, named.is_type_of
        if is_type_of is not None and not _strawberrys(is_type_of):
            return None
    elif isinstance(named, GraphQLScalarType | GraphQLEnumType):
        leaf = True
        found = coercers.get(named.name)
        if found is None:
            wrapped = getattr(named, "wrapped_cls", None)
            if isinstance(named, CustomGraphQLEnumType) and not hasattr(wrapped, "__await__"):
                SETTLED.add(named.wrapped_cls)
            found = (
                _enum_coercer(named)
                if isinstance(named, GraphQLEnumType)
                else named.coerce_output_value
            )
            coercers[named.name] = found
        coerce = found
    read = Plain(return_type, "", None, coerce, non_null, leaf, object_type, is_type_of)
    if field.base_resolver is None:
        basic = getattr(graphql_field.resolve, "_is_default", False)
        if not basic or field.default_resolver is not getattr:
            return None
        return replace(read, attribute=field.python_name)
    call = extensions.get(SOURCE_ONLY) or _node_id(field, parent)
    if callable(call):
        return replace(read, call=call)
    call = extensions.get(WITH_INFO)
    if not callable(call):
        return None
    return replace(read, call=call, with_info=True)


class LazyInfo:
    """What a plain field's resolver gets as graphql-core's info: the context at hand (what
    resolvers read), and every other value from graphql-core's own info for the field, built
    the first time one is read (`info.path`, `info.field_name`, `info.selected_fields`...)."""

    __slots__ = ("_built", "_executor", "_fields", "_parent_type", "_path", "context")

    def __init__(
        self, executor: Any, parent_type: GraphQLObjectType, fields: FieldDetailsList, path: Path
    ) -> None:
        self.context = executor.context_value
        self._executor = executor
        self._parent_type = parent_type
        self._fields = fields
        self._path = path
        self._built: Any = None

    def __getattr__(self, name: str) -> Any:
        built = self._built
        if built is None:
            executor, parent_type = self._executor, self._parent_type
            field_def = executor.schema.get_field(parent_type, self._fields[0].node.name.value)
            built = executor.build_resolve_info(
                field_def, to_nodes(self._fields), parent_type, self._path
            )
            self._built = built
        return getattr(built, name)


def _accepts(plain: Plain, value: Any) -> bool:
    """Whether the object type accepts `value` (False also when is_type_of raises: the
    generic path then calls it again and reports its error as graphql-core does)."""
    return _type_accepts(plain.is_type_of, value)


def _type_accepts(is_type_of: Callable[[Any, Any], Any] | None, value: Any) -> bool:
    if is_type_of is None:
        return True
    try:
        return is_type_of(value, None) is True
    except Exception:
        return False


def _leaves(
    item_type: GraphQLOutputType, items: Any, coercers: dict[str, Callable[[Any], Any]]
) -> list[Any] | None:
    """A list of leaves, each coerced as a plain field of its type is, when every item is of a
    `SETTLED` class and coerces to a value; else None (graphql-core completes the list: a leaf
    has no sub-selection to run, so nothing was done twice)."""
    named = get_nullable_type(item_type)
    coerce = coercers.get(named.name) if isinstance(named, GraphQLNamedType) else None
    if coerce is None or items.__class__ not in (list, tuple):
        return None
    coerced: list[Any] = []
    for item in items:
        if item.__class__ not in SETTLED:
            return None
        try:
            value = coerce(item)
        except Exception:
            return None
        if value is None or value is Undefined:
            return None
        coerced.append(value)
    return coerced


def _objects(
    item_type: GraphQLOutputType, items: Any, is_awaitable: Callable[[Any], bool]
) -> GraphQLObjectType | None:
    """The object type of a list's items when every item is an object it accepts without
    graphql-core's completion (not None, an exception or awaitable; is_type_of, if any,
    strawberry's, accepting it), else None."""
    named = get_nullable_type(item_type)
    if not isinstance(named, GraphQLObjectType) or items.__class__ not in (list, tuple):
        return None
    is_type_of = named.is_type_of
    if is_type_of is not None and not _strawberrys(is_type_of):
        return None
    for item in items:
        if item is None or item is Undefined or isinstance(item, Exception):
            return None
        if is_awaitable(item) or not _type_accepts(is_type_of, item):
            return None
    return named


def _no_coercion(value: Any) -> Any:
    return value


def _strawberrys(is_type_of: Callable[..., Any]) -> bool:
    """Whether `is_type_of` is the one strawberry gives a type with interfaces, which tests
    the value alone (its casts and classes), never the info."""
    return getattr(is_type_of, "__module__", None) == GraphQLCoreConverter.__module__ and (
        getattr(is_type_of, "__qualname__", "").endswith("._get_is_type_of.<locals>.is_type_of")
    )


# Classes whose instances are neither None, Undefined, an exception nor awaitable: a value of
# one is coerced at once (others are tested as graphql-core tests them). Plain enums join them.
SETTLED: set[type] = {str, int, float, bool, datetime, date, GlobalID}

# What a plain field's `call` returns when this value must take graphql-core's whole path
# (`execute_field`, which reads it again: only attribute reads return it).
NOT_PLAIN: Any = object()
_NODE_ID = cast(Any, Node.__dict__["_id"]).__func__
_RESOLVE_ID = cast(Any, Node.resolve_id).__func__
_RESOLVE_TYPENAME = cast(Any, Node.resolve_typename).__func__


def _node_id(field: StrawberryField, parent: GraphQLObjectType) -> Callable[[Any], Any] | None:
    """relay's `id` of a node type that keeps relay's `resolve_id` and `resolve_typename`:
    `GlobalID(<the parent type's name>, str(getattr(node, <its NodeID attribute>)))`, what
    relay's `Node._id` computes for an instance of that class; anything else (another class,
    an id that is not a str) returns NOT_PLAIN."""
    resolver = field.base_resolver
    wrapped = getattr(resolver.wrapped_func if resolver else None, "__func__", None)
    definition = (parent.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    origin = getattr(definition, "origin", None)
    if wrapped is not _NODE_ID or not isinstance(origin, type) or not issubclass(origin, Node):
        return None
    if (
        getattr(origin.resolve_id, "__func__", None) is not _RESOLVE_ID
        or getattr(origin.resolve_typename, "__func__", None) is not _RESOLVE_TYPENAME
    ):
        return None
    attribute = origin.resolve_id_attr()
    type_name = parent.name

    def node_id(source: Any) -> Any:
        if source.__class__ is not origin:
            return NOT_PLAIN
        raw = getattr(source, attribute)
        if raw.__class__ is not str:
            return NOT_PLAIN
        return GlobalID(type_name=type_name, node_id=raw)

    return node_id


def plain_fields(schema: GraphQLSchema) -> PlainTable:
    """The plain fields of `schema` (the module docstring says which), found once."""
    table = _TABLES.get(schema)
    if table is None:
        table = {}
        coercers: dict[str, Callable[[Any], Any]] = {}
        for graphql_type in schema.type_map.values():
            if not isinstance(graphql_type, GraphQLObjectType):
                continue
            fields = {
                name: plain
                for name, graphql_field in graphql_type.fields.items()
                if (plain := _plain(graphql_type, graphql_field, coercers)) is not None
            }
            if fields:
                table[graphql_type.name] = fields
        _TABLES[schema] = table
        _LEAVES[schema] = coercers
    return table


class PlainFields:
    """graphql-core's `execute_fields`, answering plain fields itself (see the module
    docstring). Mixed into the schema's execution context (graphql/execution.py)."""

    # Set by the execution context: the schema's table, or {} when the operation has middleware.
    plain: PlainTable

    def plain_table(self) -> PlainTable:
        manager = getattr(self, "middleware_manager", None)
        if manager is not None and manager.middlewares:
            return {}
        return plain_fields(cast(GraphQLSchema, getattr(self, "schema")))  # noqa: B009

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> AwaitableOrValue[dict[str, Any]]:
        plains = self.plain.get(parent_type.name)
        if plains is None:
            return cast(
                AwaitableOrValue[dict[str, Any]],
                super().execute_fields(  # type: ignore[misc]
                    parent_type, source_value, path, grouped_field_set, position_context
                ),
            )
        executor: Any = self
        results: dict[str, Any] = {}
        is_awaitable = executor.is_awaitable
        execute_field = executor.execute_field
        awaitable_fields: list[str] = []
        append_awaitable = awaitable_fields.append
        try:
            for response_name, field_details_list in grouped_field_set.items():
                plain = plains.get(field_details_list[0].node.name.value)
                field_path: Path | None = None
                info: LazyInfo | None = None
                if plain is not None:
                    try:
                        if plain.call is None:
                            value = getattr(source_value, plain.attribute)
                        elif plain.with_info:
                            field_path = Path(path, response_name, parent_type.name)
                            info = LazyInfo(executor, parent_type, field_details_list, field_path)
                            value = plain.call(source_value, info)
                        else:
                            value = plain.call(source_value)
                    except Exception as raw_error:
                        executor.handle_field_error(
                            raw_error,
                            plain.return_type,
                            field_details_list,
                            field_path or Path(path, response_name, parent_type.name),
                        )
                        results[response_name] = None
                        continue
                    if value is NOT_PLAIN:
                        plain = None
                    elif value is None and not plain.non_null:
                        results[response_name] = None
                        continue
                    elif plain.leaf:
                        coerced: Any = None
                        if value.__class__ in SETTLED or not (
                            value is None
                            or value is Undefined
                            or isinstance(value, Exception)
                            or is_awaitable(value)
                        ):
                            try:
                                coerced = plain.coerce(value)
                            except Exception:
                                coerced = None
                        if coerced is not None and coerced is not Undefined:
                            results[response_name] = coerced
                            continue
                if field_path is None:
                    field_path = Path(path, response_name, parent_type.name)
                if plain is None:
                    result = execute_field(
                        parent_type, source_value, field_details_list, field_path, position_context
                    )
                else:
                    # An object, or anything but a plain answer: completed as graphql-core would.
                    result = self.complete_plain(
                        parent_type, plain, field_details_list, field_path, value,
                        position_context, info,
                    )  # fmt: skip
                if result is not Undefined:
                    results[response_name] = result
                    if is_awaitable(result):
                        append_awaitable(response_name)
        except Exception:
            if awaitable_fields:
                executor.settle_in_background([results[field] for field in awaitable_fields])
            raise

        if not awaitable_fields:  # the usual case, without a call
            return results
        return _settled(results, awaitable_fields)

    def complete_plain(
        self,
        parent_type: GraphQLObjectType,
        plain: Plain,
        field_details_list: FieldDetailsList,
        path: Path,
        value: Any,
        position_context: Any,
        info: LazyInfo | None = None,
    ) -> AwaitableOrValue[Any]:
        """An object value its type accepts: graphql-core's completion (`complete_value`
        through `complete_object_value`, whose info only is_type_of would see) with
        `execute_field`'s error handling. Anything else: `complete_generic`."""
        executor: Any = self
        return_type = plain.return_type
        if (
            plain.object_type is None
            or value is None
            or value is Undefined
            or isinstance(value, Exception)
            or executor.is_awaitable(value)
            or not _accepts(plain, value)
        ):
            return self.complete_generic(
                parent_type, return_type, field_details_list, path, value, position_context, info
            )
        try:
            completed = self.execute_subfields(
                plain.object_type, field_details_list, path, value, position_context
            )
        except Exception as raw_error:
            executor.handle_field_error(raw_error, return_type, field_details_list, path)
            return None
        if executor.is_awaitable(completed):
            awaitable = cast(Awaitable[Any], completed)
            return _awaited(executor, awaitable, return_type, field_details_list, path)
        return completed

    def execute_subfields(
        self,
        object_type: GraphQLObjectType,
        field_details_list: FieldDetailsList,
        path: Path,
        value: Any,
        position_context: Any,
    ) -> AwaitableOrValue[dict[str, Any]]:
        """graphql-core's `collect_and_execute_subfields`: the sub-selection (memoized), then
        `execute_fields` at once where nothing is deferred (what `execute_collected_subfields`
        does then), else graphql-core's incremental path."""
        executor: Any = self
        grouped_field_set, new_defer_usages, _ = executor.collect_subfields(
            object_type, field_details_list
        )
        if new_defer_usages or position_context is not None:
            return cast(
                AwaitableOrValue[dict[str, Any]],
                executor.execute_collected_subfields(
                    object_type, value, path, grouped_field_set, new_defer_usages,
                    position_context,
                ),
            )  # fmt: skip
        return self.execute_fields(object_type, value, path, grouped_field_set, None)

    def complete_iterable_value(
        self,
        item_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        info: Any,
        path: Path,
        items: Any,
        position_context: Any,
    ) -> AwaitableOrValue[list[Any]]:
        """graphql-core's, for a list (or tuple) of objects its item type accepts, in a field
        without directives (no `@stream`): each item completed by its sub-selection, as
        `complete_list_item_value` through `complete_value` and `complete_object_value` does,
        with the same error handling at the item's path and the same gathering. Anything else
        — an item that is null, awaitable, an exception or refused by is_type_of, a list of
        lists, interfaces or unions, an operation with middleware (no plain table) — takes
        graphql-core's whole path, before any item is completed. A list of leaves of `SETTLED`
        classes is coerced as plain fields of its item type are (`_leaves`)."""
        executor: Any = self
        if not self.plain or field_details_list[0].node.directives:
            accepted = None
        else:
            leaves = _leaves(item_type, items, _LEAVES.get(executor.schema, {}))
            if leaves is not None:
                return leaves
            accepted = _objects(item_type, items, executor.is_awaitable)
        if accepted is None:
            return cast(
                AwaitableOrValue[list[Any]],
                super().complete_iterable_value(  # type: ignore[misc]
                    item_type, field_details_list, info, path, items, position_context
                ),
            )
        is_awaitable = executor.is_awaitable
        completed_results: list[Any] = []
        awaitable_indices: list[int] = []
        try:
            for index, item in enumerate(items):
                item_path = path.add_key(index, None)
                try:
                    completed: Any = self.execute_subfields(
                        accepted, field_details_list, item_path, item, position_context
                    )
                except Exception as raw_error:
                    executor.handle_field_error(raw_error, item_type, field_details_list, item_path)
                    completed = None
                else:
                    if is_awaitable(completed):
                        completed = _awaited(
                            executor, cast(Awaitable[Any], completed), item_type,
                            field_details_list, item_path,
                        )  # fmt: skip
                        awaitable_indices.append(index)
                completed_results.append(completed)
        except Exception:
            if awaitable_indices:
                executor.settle_in_background([completed_results[i] for i in awaitable_indices])
            raise
        if not awaitable_indices:
            return completed_results
        return _settled(completed_results, awaitable_indices)

    def complete_generic(
        self,
        parent_type: GraphQLObjectType,
        return_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        path: Path,
        result: Any,
        position_context: Any,
        info: LazyInfo | None = None,
    ) -> AwaitableOrValue[Any]:
        """The end of graphql-core's `execute_field`, for a value its resolver returned (a
        list, a null for a non-null type, an awaitable...), with the field's info as a
        `LazyInfo`: built only if the completion reads it (an error's message, an abstract
        type's resolve_type)."""
        executor: Any = self
        if info is None:
            info = LazyInfo(executor, parent_type, field_details_list, path)
        try:
            if executor.is_awaitable(result):
                return cast(
                    AwaitableOrValue[Any],
                    executor.complete_awaitable_value(
                        return_type, field_details_list, info, path, result, position_context
                    ),
                )
            completed = executor.complete_value(
                return_type, field_details_list, info, path, result, position_context
            )
            if executor.is_awaitable(completed):
                return _awaited(executor, completed, return_type, field_details_list, path)
        except Exception as raw_error:
            executor.handle_field_error(raw_error, return_type, field_details_list, path)
            return None
        return completed


Completed = TypeVar("Completed", dict[str, Any], list[Any])


def _settled(completed: Completed, awaitable: list[Any]) -> Awaitable[Completed]:
    """`completed` (a result's fields, or a list's items) once the values at the keys in
    `awaitable` (one or more; the callers answer at once when there are none) are awaited in
    place, as graphql-core gathers them: one awaited alone, several gathered (cancelling the
    rest when one fails)."""
    values: Any = completed

    async def gathered() -> Completed:
        if len(awaitable) == 1:
            key = awaitable[0]
            values[key] = await values[key]
        else:
            awaited = await gather_with_cancel(*(values[key] for key in awaitable))
            for key, value in zip(awaitable, awaited, strict=True):
                values[key] = value
        return completed

    return gathered()


async def _awaited(
    executor: Any,
    completed: Awaitable[Any],
    return_type: GraphQLOutputType,
    field_details_list: FieldDetailsList,
    path: Path,
) -> Any:
    """A completion that finished later, with `execute_field`'s error handling (null, the error
    recorded at the field's path)."""
    try:
        return await completed
    except Exception as raw_error:
        executor.handle_field_error(raw_error, return_type, field_details_list, path)
        return None
