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
import functools
import heapq
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
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

    def with_total(self, total: int) -> Page[T]:
        """This page, its total known already (a count its writers keep): no count read."""

        async def known() -> int:
            return total

        return Page(self.edges, self.has_next_page, known)


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
    projection: Document | None = None,
) -> Page[Document]:
    """A page of `collection` matching `query` in `sort` order (which must end in a unique key),
    its documents as `projection` shapes them (whole when None).

    `flat`: a later page of a two-key sort sends the two flat filters of `flat_after_filters`
    at once (two commands, one wait) rather than one `$and`/`$or` filter, so that every page
    stays on an index on SecantusDB too."""
    limit = page_size(first)
    if after and flat and _splits(query, sort):
        filters = flat_after_filters(query, sort, decode_cursor(after, len(sort)))
        parts = await asyncio.gather(*(
            collection.find(f, projection, sort=list(sort), limit=limit + 1).to_list()
            for f in filters
        ))  # fmt: skip
        documents = [d for part in parts for d in part][: limit + 1]
    else:
        condition = query
        if after:
            condition = {"$and": [query, after_filter(sort, decode_cursor(after, len(sort)))]}
        documents = await collection.find(
            condition, projection, sort=list(sort), limit=limit + 1
        ).to_list()
    edges = [(encode_cursor([_sort_value(d, f) for f, _ in sort]), d) for d in documents[:limit]]

    async def count() -> int:
        total: int = await collection.count_documents(query)
        return total

    return Page(edges, len(documents) > limit, count)


def merge_pages(
    pages: Sequence[Page[T]],
    *,
    key: Callable[[T], tuple[Any, ...]],
    identity: Callable[[T], Any],
    reverse: bool,
    first: int | None,
) -> Page[T]:
    """One page of the items of several pages read in one order (`key`, descending when
    `reverse`, unique per item), each item once (`identity`: one may be on several pages):
    what MongoDB does for a `$in` on an index's leading field (SORT_MERGE), done in the API
    for a server that reads every match of a `$in` (SecantusDB). Every page must have been
    read with the same cursor and this `first` or more (each then holds its part of the
    merged page). The count is the caller's."""
    limit = page_size(first)
    edges: list[tuple[str, T]] = []
    seen: set[Any] = set()
    for edge in heapq.merge(*(p.edges for p in pages), key=lambda e: key(e[1]), reverse=reverse):
        if identity(edge[1]) not in seen:
            seen.add(identity(edge[1]))
            edges.append(edge)
    # More after this page: past its `limit`, or one of the pages had more of its own.
    more = len(edges) > limit or any(p.has_next_page for p in pages)

    async def no_count() -> int:
        raise NotImplementedError("merge_pages counts nothing: the caller gives the count")

    return Page(edges[:limit], more, no_count)


# The times a window's arithmetic can start from (a cursor past them is not one this API gave).
_EARLIEST, _LATEST = datetime(1000, 1, 1, tzinfo=UTC), datetime(9000, 1, 1, tzinfo=UTC)


def cursor_time(value: Any) -> datetime:
    """A cursor's time, with its zone (it decodes without one: stored times are UTC); a value
    that is not a time, or one far outside any report's (year 1000 to 9000), is INVALID_INPUT
    on `after` rather than an overflow in a window's arithmetic."""
    if not isinstance(value, datetime):
        raise DomainError.of(ErrorCode.INVALID_INPUT, field=("after",))
    time = value if value.tzinfo else value.replace(tzinfo=UTC)
    if not _EARLIEST <= time <= _LATEST:
        raise DomainError.of(ErrorCode.INVALID_INPUT, field=("after",))
    return time


# A window's span never starts below this (an hour) and grows by this factor when a window
# held too few.
_MIN_SPAN = timedelta(hours=1)
_GROWTH = 4


async def windowed_page(
    collection: Any,
    query: Document,
    *,
    sort: Sort,
    first: int | None,
    after: str | None,
    floor: datetime,
    now: datetime,
    span: timedelta,
    keep: Callable[[Document], bool] | None = None,
    projection: Document | None = None,
) -> Page[Document]:
    """`keyset_page` for a query of equalities sorted by a time field then `_id`, read in
    time windows: the newest (or oldest) `span` first, then windows `_GROWTH` times longer
    further back, until the page is full or the window passes `floor` (no document is older:
    the last window is then open on that side) or `now` (the same, forward).

    SecantusDB reads every document an index range bounds before sorting and limiting them,
    so a page of an index prefix holding years of documents reads them all; a window bounds
    the range by time (an equality prefix plus one range, which it plans on the index), so a
    page reads about a window's documents, not the history. Choose `span` to hold about a page
    (the rate of documents over time); MongoDB walks the index in order either way.

    `keep`: a condition the reads cannot carry (a field outside the index: SecantusDB plans
    no index for a filter naming one), checked here on each window's documents, read whole.
    `projection`: as `keyset_page`'s (it must keep the fields `keep` reads)."""
    (field, direction), (id_field, id_direction) = sort
    if id_field != "_id" or any(isinstance(v, dict) for v in query.values()):
        raise ValueError("windowed_page reads equalities sorted by a time field then _id")
    limit = page_size(first)
    need = limit + 1
    newest_first = direction < 0
    documents: list[Document] = []
    # The open side of the next window: its bound and operator (None: open).
    bound: Any = None
    bound_op = "$lt" if newest_first else "$gt"
    if after:
        values = decode_cursor(after, 2)
        bound = cursor_time(values[0])
        # The rest of the cursor's tie: the documents of that very time (a few), the later
        # ids kept here (an `_id` range beside equalities on fields of another index is not
        # planned on an index by SecantusDB).
        tied = await collection.find(
            {**query, field: values[0]}, projection, sort=list(sort)
        ).to_list()
        documents = [
            d
            for d in tied
            if (d["_id"] < values[1] if id_direction < 0 else d["_id"] > values[1])
            and (keep is None or keep(d))
        ][:need]
    span = max(span, _MIN_SPAN)
    floor = min(max(floor, _EARLIEST), _LATEST)
    now = min(max(now, _EARLIEST), _LATEST)
    while len(documents) < need:
        condition: Document = {} if bound is None else {bound_op: bound}
        # Never past the times a window can reach (`_EARLIEST`, `_LATEST`): the window that
        # gets there is the last, open on that side.
        if newest_first:
            ref = bound if bound is not None else now
            start = ref - min(span, ref - _EARLIEST)
            last = start <= floor or start <= _EARLIEST
            if not last:
                condition["$gte"] = start
            bound, bound_op = start, "$lt"
        else:
            ref = bound if bound is not None else floor
            end = ref + min(span, _LATEST - ref)
            last = end > now or end >= _LATEST
            if not last:
                condition["$lt"] = end
            bound, bound_op = end, "$gte"
        window = {**query, field: condition} if condition else dict(query)
        found = await collection.find(
            window, projection, sort=list(sort), limit=0 if keep else need - len(documents)
        ).to_list()
        documents += found if keep is None else [d for d in found if keep(d)]
        if last:
            break
        span *= _GROWTH
    edges = [(encode_cursor([_sort_value(d, f) for f, _ in sort]), d) for d in documents[:limit]]

    async def count() -> int:
        total: int = await collection.count_documents(query)
        return total

    return Page(edges, len(documents) > limit, count)


def offset_of(after: str | None) -> int:
    """For orders with no stable key (distance): the cursor is the position."""
    if not after:
        return 0
    (offset,) = decode_cursor(after, 1)
    if not isinstance(offset, int) or isinstance(offset, bool) or not 0 <= offset < MAX_OFFSET:
        raise DomainError.of(ErrorCode.INVALID_INPUT, field=("after",))
    return offset + 1


def offset_edges(documents: Sequence[T], start: int) -> list[tuple[str, T]]:
    return [(_offset_cursor(start + i), d) for i, d in enumerate(documents)]


@functools.lru_cache(maxsize=4096)
def _offset_cursor(offset: int) -> str:
    """The cursor of a position: the same string each time (the first pages' ones are kept,
    about 20 µs of extended JSON each)."""
    return encode_cursor([offset])
