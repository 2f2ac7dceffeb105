"""Relay: opaque global ids, `node(id:)` and cursor connections with `totalCount`."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar, cast

import strawberry
from bson import ObjectId
from strawberry import relay
from strawberry.types.nodes import SelectedField

from neighbor_api.core.errors import DomainError, ErrorCode
from neighbor_api.core.ids import parse_object_id
from neighbor_api.core.pagination import Page
from neighbor_api.graphql.sync import MaybeAwaitable

if TYPE_CHECKING:
    from neighbor_api.context import Info
    from neighbor_api.core.policy import Actor

T = TypeVar("T")
M = TypeVar("M")


@strawberry.type(description="An item of a list, with its cursor.")
class Edge(Generic[T]):
    cursor: str = strawberry.field(description="Where the item is: pass it as `after`.")
    node: T = strawberry.field(description="The item.")


class Prefetching(Protocol):
    """A node type that loads what a page of its nodes will ask for in one DataLoader call per
    field (the users, the photos, the viewer's flags), so the fields answer without a task each
    (graphql/sync.py). `selected`: the GraphQL names of the node's fields the document asks
    for. Returns None when there is nothing to load."""

    @classmethod
    def prefetch(
        cls, info: Any, nodes: list[Any], selected: frozenset[str]
    ) -> Awaitable[Any] | None: ...


def _names(selections: Sequence[Any], into: set[str]) -> None:
    for selection in selections:
        if isinstance(selection, SelectedField):
            into.add(selection.name)
        else:  # a fragment: its fields are asked for too
            _names(selection.selections, into)


def _node_selection(info: Any) -> frozenset[str]:
    """The names of the fields asked of `edges { node { ... } }` (through fragments too)."""
    edges: set[str] = set()
    nodes: set[str] = set()
    for field in info.selected_fields:
        for selection in field.selections:
            if isinstance(selection, SelectedField) and selection.name == "node":
                _names(selection.selections, nodes)
            elif not isinstance(selection, SelectedField):
                _names(selection.selections, edges)
    return frozenset(nodes)


async def _prefetched(loads: list[Awaitable[Any]], edges: list[Edge[T]]) -> list[Edge[T]]:
    # A failed load is left to its field, which reports it at its own path as before.
    await asyncio.gather(*loads, return_exceptions=True)
    return edges


def _edges(root: Any, info: strawberry.Info) -> MaybeAwaitable[list[Edge[Any]]]:
    """A page's edges, after its node type's `prefetch` (if it has one) loaded what the
    document asks of its nodes."""
    edges: list[Edge[Any]] = root._edges
    by_type: dict[type[Any], list[Any]] = {}
    for edge in edges:
        by_type.setdefault(type(edge.node), []).append(edge.node)
    loads: list[Awaitable[Any]] = []
    selected: frozenset[str] | None = None
    for node_type, nodes in by_type.items():
        if not hasattr(node_type, "prefetch"):
            continue
        if selected is None:
            selected = _node_selection(info)
        load = cast(type[Prefetching], node_type).prefetch(info, nodes, selected)
        if load is not None:
            loads.append(load)
    return _prefetched(loads, edges) if loads else edges


@strawberry.type(description="One page of a list, Relay style.")
class Connection(Generic[T]):
    # Annotated (strawberry keeps a field's place by its annotation): the schema lists edges
    # first, as before the resolver.
    edges: list[Edge[T]] = strawberry.field(  # type: ignore[assignment]
        description="The items of this page.", resolver=_edges, graphql_type=list[Edge[T]]
    )
    page_info: relay.PageInfo = strawberry.field(description="Where this page is in the list.")
    _edges: strawberry.Private[list[Edge[T]]]
    _count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="How many items the whole list has.")
    async def total_count(self) -> int:
        return await self._count()

    @classmethod
    def of(cls, page: Page[T]) -> Connection[T]:
        edges = [Edge(cursor=cursor, node=node) for cursor, node in page.edges]
        return cls(
            page_info=relay.PageInfo(
                has_next_page=page.has_next_page,
                has_previous_page=False,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            _edges=edges,
            _count=page.count,
        )


def to_global_id(type_name: str, object_id: ObjectId) -> str:
    return str(relay.GlobalID(type_name, str(object_id)))


def from_global_id(value: str | relay.GlobalID, type_name: str | None) -> ObjectId | None:
    """The ObjectId inside a global id of `type_name` (any type if None), or None."""
    try:
        global_id = value if isinstance(value, relay.GlobalID) else relay.GlobalID.from_id(value)
    except (relay.GlobalIDValueError, ValueError, TypeError):
        return None
    if type_name is not None and global_id.type_name != type_name:
        return None
    return parse_object_id(global_id.node_id)


def input_id(value: str | relay.GlobalID, type_name: str, *field: str) -> ObjectId:
    """Decode an id given in a mutation's input: the one rule for every mutation. An id that
    is not a global id of `type_name` (malformed, or another type's) is INVALID_INPUT on its
    field; a well-formed id of nothing the viewer may see is the service's NOT_FOUND."""
    object_id = from_global_id(value, type_name)
    if object_id is None:
        raise DomainError.of(ErrorCode.INVALID_INPUT, "id.invalid", field=("input", *field))
    return object_id


def optional_input_id(
    value: str | relay.GlobalID | None, type_name: str, *field: str
) -> ObjectId | None:
    """`input_id` of an optional field (None when absent)."""
    return None if value is None else input_id(value, type_name, *field)


def input_ids(
    values: Sequence[str | relay.GlobalID] | None, type_name: str, *field: str
) -> list[ObjectId]:
    """`input_id` of each id of a list field; a bad one is refused at its index."""
    return [input_id(value, type_name, *field, str(i)) for i, value in enumerate(values or [])]


async def page_under(
    info: Info,
    global_id: str | relay.GlobalID,
    type_name: str,
    fetch: Callable[[Actor, ObjectId], Awaitable[Page[M] | None]],
    convert: Callable[[M], T],
) -> Connection[T] | None:
    """The one rule of a list under an object named by id (a community's memberships, a grid's
    patrols, …): the viewer must be signed in (else UNAUTHENTICATED); a malformed id, or one
    of another type, answers null, and so does a list the viewer may not see (`fetch` answers
    None); else the page, each item `convert`ed."""
    actor = await info.context.require_actor()
    object_id = from_global_id(global_id, type_name)
    if object_id is None:
        return None
    page = await fetch(actor, object_id)
    return None if page is None else Connection.of(page.map(convert))


class Loadable(Protocol):
    """A node type that can load one object by id, as the viewer may see it."""

    @classmethod
    async def load(cls, info: Any, object_id: ObjectId) -> Any: ...


NODE_TYPES: dict[str, type[Loadable]] = {}


def node_type(cls: type[Any]) -> type[Any]:
    """Register a Node type for `node(id:)` under its GraphQL name."""
    definition = cls.__strawberry_definition__
    NODE_TYPES[definition.name] = cls
    return cls


async def resolve_node(info: Any, id: str) -> relay.Node | None:
    """Any object the viewer may see, by global id; null for anything else."""
    try:
        global_id = relay.GlobalID.from_id(id)
    except (relay.GlobalIDValueError, ValueError, TypeError):
        return None
    cls = NODE_TYPES.get(global_id.type_name)
    object_id = parse_object_id(global_id.node_id)
    if cls is None or object_id is None:
        return None
    node: relay.Node | None = await cls.load(info, object_id)
    return node
