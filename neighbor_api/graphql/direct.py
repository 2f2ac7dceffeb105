"""Resolvers called directly: strawberry's per-field machinery skipped where it does nothing.

strawberry wraps every field that has a resolver in the same chain: an `Info`, the conversion
of the field's arguments (`get_arguments`), the field extensions folded over the call,
exception handlers, and for an async resolver one more coroutine (`await_maybe`). For a field
that takes no arguments and has no field extension (the schema has none: the platform's
extensions are per operation) all of it comes down to calling the method with its `self`,
`root` and `info`. A page of 20 reports has some 200 such fields (ids, names, links, flags),
and the chain cost about 12 µs each, a fifth of the page's CPU.

`direct_resolvers(schema)` replaces, once after the schema is built, the resolve function of
each such field by a direct call that passes the same values; every other field (arguments,
extensions, subscriptions, no resolver) keeps strawberry's. A field whose resolver takes its
`self` alone is also marked (`SOURCE_ONLY` in the GraphQL field's extensions, the method) so
that the execution's plain-field path (graphql/plain.py) can call it without an info; one whose
resolver takes its `self` and an `info` is marked too (`WITH_INFO`, the direct call), so that
path can call it with an info built only if the resolver reads more than its context.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from graphql import GraphQLObjectType, GraphQLResolveInfo
from strawberry import Schema
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

# The key, in a GraphQL field's extensions, of the method a directly called field calls with
# its source alone (no info, no argument).
SOURCE_ONLY = "neighbor-source-only"
# The key of the direct call of a field whose resolver takes its `self` and an `info` (no
# argument): `call(source, raw_info)`.
WITH_INFO = "neighbor-with-info"


def _direct(
    field: StrawberryField, info_class: type[Any]
) -> tuple[Callable[..., Any], dict[str, Any]] | None:
    """The direct call of `field`, with what the plain-field path may call instead (the
    GraphQL field's extensions it adds), or None when strawberry's chain must stay."""
    resolver = field.base_resolver
    if resolver is None or field.arguments or field.extensions or field.is_subscription:
        return None
    call = resolver.wrapped_func
    if not callable(call):
        return None
    takes_self = resolver.self_parameter is not None
    sources = [p.name for p in (resolver.root_parameter, resolver.parent_parameter) if p]
    info_name = resolver.info_parameter.name if resolver.info_parameter else None

    if takes_self and not sources and info_name == "info":

        def self_and_info(source: Any, info: GraphQLResolveInfo[Any], **_: Any) -> Any:
            return call(source, info=info_class(_raw_info=info, _field=field))

        return self_and_info, {WITH_INFO: self_and_info}

    source_only = _source_only(field)
    if source_only is not None:

        def self_only(source: Any, info: GraphQLResolveInfo[Any], **_: Any) -> Any:
            return source_only(source)

        return self_only, {SOURCE_ONLY: source_only}

    def general(source: Any, info: GraphQLResolveInfo[Any], **_: Any) -> Any:
        kwargs: dict[str, Any] = dict.fromkeys(sources, source)
        if info_name is not None:
            kwargs[info_name] = info_class(_raw_info=info, _field=field)
        return call(source, **kwargs) if takes_self else call(**kwargs)

    return general, {}


def _source_only(field: StrawberryField) -> Callable[[Any], Any] | None:
    """The method a directly called `field` calls with its source alone, if it is one."""
    resolver = field.base_resolver
    if resolver is None or resolver.self_parameter is None or resolver.info_parameter:
        return None
    if resolver.root_parameter or resolver.parent_parameter:
        return None
    call = resolver.wrapped_func
    return cast(Callable[[Any], Any], call) if callable(call) else None


def direct_resolvers(schema: Schema) -> int:
    """Call the argument-free resolvers of `schema` directly; returns how many."""
    info_class = schema.config.info_class
    replaced = 0
    for graphql_type in schema._schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType):
            continue
        for graphql_field in graphql_type.fields.values():
            field = (graphql_field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
            if not isinstance(field, StrawberryField):
                continue
            direct = _direct(field, info_class)
            if direct is not None:
                graphql_field.resolve, marks = direct
                replaced += 1
                if marks:
                    graphql_field.extensions = {**(graphql_field.extensions or {}), **marks}
    return replaced
