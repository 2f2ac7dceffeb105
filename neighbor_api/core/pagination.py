"""Cursor pagination over MongoDB (keyset, so a page costs the same however deep it is).

A cursor is the sort key of the last item seen, as canonical extended JSON in url-safe base64.
Cursors come back from clients, so a decoded cursor is checked to hold only plain values of the
expected count before it goes into a filter: a forged cursor can never smuggle in an operator,
nor a value the database cannot take (an integer past 64 bits, a date past year 9999): anything
that does not decode to such values is INVALID_INPUT on `after`, never an internal error.
"""

from __future__ import annotations

import asyncio
import base64
import heapq
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from bson import ObjectId, json_util

from neighbor_api.core.errors import DomainError, ErrorCode, invalid
from neighbor_api.core.mongo import Document

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100

_SCALARS = (ObjectId, datetime, str, int, float, bool, type(None))
# BSON's integers are signed 64-bit; a larger one fails to encode in the query.
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
# A distance cursor's position: far past any list a client can page through.
MAX_OFFSET = 10**9


def _plain(value: Any) -> bool:
    if isinstance(value, int) and not isinstance(value, bool):
        # Compared, not `in range(...)`: that walks the range for an int subclass (bson's Int64).
        return _INT64_MIN <= value <= _INT64_MAX
    return isinstance(value, _SCALARS)


Sort = Sequence[tuple[str, int]]


def page_size(first: int | None) -> int:
    """`first` as asked, defaulting to 20 and capped at 100; negative is refused."""
    if first is None:
        return DEFAULT_PAGE_SIZE
    if first < 0:
        raise DomainError([invalid(("first",), "INVALID_INPUT")])
    return min(first, MAX_PAGE_SIZE)


def encode_cursor(values: Sequence[Any]) -> str:
    raw = json_util.dumps(list(values), json_options=json_util.CANONICAL_JSON_OPTIONS)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, length: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json_util.loads(base64.urlsafe_b64decode(padded.encode()).decode())
    except Exception:  # whatever the decoders refuse: base64, UTF-8, JSON, a bad `$date`,
        # `$numberLong` or `$oid` (ValueError, OverflowError, bson's InvalidId, ...)
        values = None
    if not isinstance(values, list) or len(values) != length or not all(map(_plain, values)):
        raise DomainError.of(ErrorCode.INVALID_INPUT, field=("after",))
    return values


def _sort_value(document: Document, path: str) -> Any:
    value: Any = document
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def after_filter(sort: Sort, values: Sequence[Any]) -> Document:
    """The keyset condition 'strictly after `values` in `sort` order'."""
    branches: list[Document] = []
    for index, (field, direction) in enumerate(sort):
        branch: Document = {f: {"$eq": v} for (f, _), v in zip(sort[:index], values, strict=False)}
        branch[field] = {"$gt" if direction > 0 else "$lt": values[index]}
        branches.append(branch)
    return {"$or": branches}


@dataclass
class Page(Generic[T]):
    """One page of a connection; the total is counted only if a client asks for it."""

    edges: list[tuple[str, T]]
    has_next_page: bool
    count: Callable[[], Awaitable[int]]

    def map(self, convert: Callable[[T], Any]) -> Page[Any]:
        return Page([(c, convert(n)) for c, n in self.edges], self.has_next_page, self.count)


def flat_after_filters(query: Document, sort: Sort, values: Sequence[Any]) -> list[Document]:
    """'Strictly after `values`' for a two-key sort (a field, then the unique `_id`) as two
    flat filters, without the top-level `$and`/`$or` that the embedded server cannot plan on an
    index: the rest of the cursor's tie (same value, later `_id`), then the values after it."""
    (field, direction), (_, id_direction) = sort
    after, id_after = ("$gt" if direction > 0 else "$lt"), ("$gt" if id_direction > 0 else "$lt")
    return [
        {**query, field: values[0], "_id": {id_after: values[1]}},
        {**query, field: {after: values[0]}},
    ]


def _splits(query: Document, sort: Sort) -> bool:
    return (
        len(sort) == 2
        and sort[1][0] == "_id"
        and not any(key.startswith("$") or key in (sort[0][0], "_id") for key in query)
    )


async def keyset_page(
    collection: Any,
    query: Document,
    *,
    sort: Sort,
    first: int | None,
    after: str | None,
    flat: bool = False,
) -> Page[Document]:
    """A page of `collection` matching `query` in `sort` order (which must end in a unique key).

    `flat`: a later page of a two-key sort sends the two flat filters of `flat_after_filters`
    at once (two commands, one wait) rather than one `$and`/`$or` filter, so that every page
    stays on an index on SecantusDB too."""
    limit = page_size(first)
    if after and flat and _splits(query, sort):
        filters = flat_after_filters(query, sort, decode_cursor(after, len(sort)))
        parts = await asyncio.gather(
            *(collection.find(f, sort=list(sort), limit=limit + 1).to_list() for f in filters)
        )
        documents = [d for part in parts for d in part][: limit + 1]
    else:
        condition = query
        if after:
            condition = {"$and": [query, after_filter(sort, decode_cursor(after, len(sort)))]}
        documents = await collection.find(condition, sort=list(sort), limit=limit + 1).to_list()
    edges = [(encode_cursor([_sort_value(d, f) for f, _ in sort]), d) for d in documents[:limit]]

    async def count() -> int:
        total: int = await collection.count_documents(query)
        return total

    return Page(edges, len(documents) > limit, count)


async def union_page(
    collection: Any,
    queries: Sequence[Document],
    *,
    sort: Sort,
    first: int | None,
    after: str | None,
    flat: bool = False,
) -> Page[Document]:
    """A page of the documents matching ANY of `queries`, in `sort` order (all its keys in one
    direction, ending in `_id`): each query's page read on its own (concurrently), merged in
    sort order and each document kept once (one may match several queries).

    This is what MongoDB does for a `$in` on an index's leading field (SORT_MERGE) and the
    embedded server does not: each query is an equality on the index's fields, so it reads
    about a page whatever the number of its matches. The count is the caller's (none here)."""
    limit = page_size(first)
    pages = await asyncio.gather(
        *(keyset_page(collection, q, sort=sort, first=first, after=after, flat=flat)
          for q in queries)
    )  # fmt: skip
    reverse = sort[0][1] < 0
    if any((direction < 0) != reverse for _, direction in sort):
        raise ValueError("union_page merges sorts in one direction only")
    fields = [field for field, _ in sort]

    def key(edge: tuple[str, Document]) -> tuple[Any, ...]:
        return tuple(_sort_value(edge[1], f) for f in fields)

    edges: list[tuple[str, Document]] = []
    seen: set[Any] = set()
    for edge in heapq.merge(*(p.edges for p in pages), key=key, reverse=reverse):
        if edge[1]["_id"] not in seen:
            seen.add(edge[1]["_id"])
            edges.append(edge)
    # More after the page: beyond its `limit`, or any query's own page had more.
    more = len(edges) > limit or any(p.has_next_page for p in pages)

    async def no_count() -> int:
        raise NotImplementedError("union_page counts nothing: the caller gives the count")

    return Page(edges[:limit], more, no_count)


def offset_of(after: str | None) -> int:
    """For orders with no stable key (distance): the cursor is the position."""
    if not after:
        return 0
    (offset,) = decode_cursor(after, 1)
    if not isinstance(offset, int) or isinstance(offset, bool) or not 0 <= offset < MAX_OFFSET:
        raise DomainError.of(ErrorCode.INVALID_INPUT, field=("after",))
    return offset + 1


def offset_edges(documents: Sequence[T], start: int) -> list[tuple[str, T]]:
    return [(encode_cursor([start + i]), d) for i, d in enumerate(documents)]
