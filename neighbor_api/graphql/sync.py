"""Resolvers that answer at once when what they need is already at hand.

graphql-core runs every field whose resolver returns an awaitable as a coroutine of its own
(a task, once gathered): on a page of 20 reports, four async fields each cost 80 tasks, most of
the request's CPU. Yet what those fields await is usually known already: the viewer was
authenticated before execution (graphql/auth.py), and a list's users, photos and flags were
loaded by one DataLoader call for the whole page (a node type's `prefetch`, run by
`Connection.edges`). So such a field is a plain function returning `MaybeAwaitable[T]`: the
value when everything is at hand, else an awaitable of it (the first request of a WebSocket, a
field reached outside a prefetched list), which graphql-core awaits as before. The answer and
the round trips are the same either way; only the tasks are saved.

Declare such a field with its GraphQL type, since the annotation is not one:
`@strawberry.field(graphql_type=UserType | None)`.

Whether a value is at hand is graphql-core's `is_awaitable` (a coroutine, or an `__await__`):
`inspect.isawaitable` also asks `abc.Awaitable`, whose instance check was the most called
function of a page of reports (some 120 values a page).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from typing import TypeAlias, TypeVar, cast

from graphql.pyutils import is_awaitable
from strawberry.dataloader import DataLoader

T = TypeVar("T")
R = TypeVar("R")
K = TypeVar("K", bound=Hashable)

MaybeAwaitable: TypeAlias = T | Awaitable[T]


async def _then(value: Awaitable[T], shape: Callable[[T], MaybeAwaitable[R]]) -> R:
    shaped = shape(await value)
    if is_awaitable(shaped):
        return await cast(Awaitable[R], shaped)
    return cast(R, shaped)


def then(value: MaybeAwaitable[T], shape: Callable[[T], MaybeAwaitable[R]]) -> MaybeAwaitable[R]:
    """`shape(value)`, at once when `value` is at hand, else once it is."""
    if is_awaitable(value):
        return _then(cast(Awaitable[T], value), shape)
    return shape(cast(T, value))


def loaded(loader: DataLoader[K, T], key: K) -> MaybeAwaitable[T]:
    """What `loader.load(key)` gives, at once when the loader already holds it."""
    if loader.cache:
        future = loader.cache_map.get(key)
        if (
            future is not None
            and future.done()
            and not future.cancelled()
            and future.exception() is None
        ):
            return future.result()
    return loader.load(key)


def loaded_many(loader: DataLoader[K, T], keys: list[K]) -> MaybeAwaitable[list[T]]:
    """What `loader.load_many(keys)` gives, at once when the loader already holds them all."""
    found: list[T] = []
    for key in keys:
        value = loaded(loader, key)
        if is_awaitable(value):
            return _gathered(loader, keys)
        found.append(cast(T, value))
    return found


async def _gathered(loader: DataLoader[K, T], keys: list[K]) -> list[T]:
    return await loader.load_many(keys)
