"""Reads kept by the instance under a version their writers change (`Deps.kept`).

A value is kept with the version it was read under, and a lookup gives it back only for that
same version: a reader reads the version first (a document it reads anyway), then the data,
and keeps the data under that version; every writer changes the data first, then increments
the version. So a reader that finds the version a value was kept under finds a value read
after every write counted in it, on this instance or any other, with no change stream: what it
answers is what a read of the database at that moment could have answered (a write between
the version's read and the data's read may show early, never late).

Two bounds guard what the rule cannot: `max_age` seconds (a writer that dies between its two
writes, or an instance of an older release that does not count its writes), and `max_size`
entries of the value's shelf, the least recently used going first. `Deps.keep` reads through
it with the settings' bounds: the community lists' pages under the community's totals'
`version` (`reports/`), a board's column pages and counts under its `tasks_version`
(`boards/`); and, on a shelf of their own (so that many viewers never push the shared pages
out), what one viewer was shown under the same versions (`Deps.keep(..., per_viewer=True)`:
which reports of a list page they have endorsed, their elector and vote on a proposal under
its roll's version).

Readers that miss the same key for the same version at the same time share one load (the
residents opening one list as a notification reaches them): each read that version first, so
the one load answers each by the same rule. Should the reader loading it fail or be
cancelled, the others load for themselves. A load that ends after another reader kept a value
for the key (read while it ran) does not replace that value.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

V = TypeVar("V")


class Kept:
    """Values by key, each with the version it was read under; bounded and aged."""

    def __init__(self, *, timer: Callable[[], float] = time.monotonic) -> None:
        self._timer = timer
        # Each shelf's values by key, least recently used first.
        self._shelves: dict[str, OrderedDict[Hashable, tuple[Hashable, Any, float]]] = {}
        # The loads running, by key: their version, and what they will give.
        self._loading: dict[Hashable, tuple[Hashable, asyncio.Future[Any]]] = {}
        # Counters, for tests: lookups answered, lookups that read, lookups given another's read.
        self.hits = 0
        self.misses = 0
        self.shared = 0

    def __len__(self) -> int:
        return sum(len(entries) for entries in self._shelves.values())

    async def read(
        self,
        key: Hashable,
        version: Hashable,
        load: Callable[[], Awaitable[V]],
        *,
        max_age: float,
        max_size: int,
        shelf: str = "",
    ) -> V:
        """The value kept under `key` for `version`, or the value of a load of it running, or
        `load()`'s, then kept on `shelf` (at most `max_size` there; 0: never kept, nor
        shared)."""
        entries = self._shelves.setdefault(shelf, OrderedDict())
        entry = entries.get(key)
        if entry is not None:
            kept_version, value, stored_at = entry
            if kept_version == version and self._timer() - stored_at < max_age:
                entries.move_to_end(key)
                self.hits += 1
                return value  # type: ignore[no-any-return]
            del entries[key]
        if max_size <= 0:
            self.misses += 1
            return await load()
        running = self._loading.get(key)
        if running is not None and running[0] == version:
            try:
                shared: V = await asyncio.shield(running[1])
            except _LoadFailed:
                pass  # load it here
            else:
                self.shared += 1
                return shared
        return await self._load(key, version, load, max_size, entries)

    async def _load(
        self,
        key: Hashable,
        version: Hashable,
        load: Callable[[], Awaitable[V]],
        max_size: int,
        entries: OrderedDict[Hashable, tuple[Hashable, Any, float]],
    ) -> V:
        self.misses += 1
        started = self._timer()
        future: asyncio.Future[V] = asyncio.get_running_loop().create_future()
        self._loading[key] = (version, future)
        try:
            loaded = await load()
        except BaseException:
            future.set_exception(_LoadFailed())
            future.exception()  # retrieved: no one may be waiting
            raise
        finally:
            if self._loading.get(key, (None, None))[1] is future:
                del self._loading[key]
        future.set_result(loaded)
        newer = entries.get(key)
        if newer is None or newer[2] < started:
            entries.pop(key, None)
            entries[key] = (version, loaded, self._timer())
            while len(entries) > max_size:
                entries.popitem(last=False)
        return loaded

    def clear(self) -> None:
        self._shelves.clear()


class _LoadFailed(Exception):
    """The reader loading a value for others failed or was cancelled before it had it."""
