"""What every service needs: the database, the settings, the clock; the instance's session
cache (invalidated by the writes that end a session or change a viewer's roles) and its kept
reads (valid while their version holds)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from bson import ObjectId

from neighbor_api.core.clock import Clock
from neighbor_api.core.kept import Kept
from neighbor_api.core.mongo import Client, Database
from neighbor_api.core.rate_limit import Limiter
from neighbor_api.core.session_cache import SessionCache
from neighbor_api.settings import Settings

T = TypeVar("T")


@dataclass(frozen=True)
class Deps:
    client: Client
    db: Database
    settings: Settings
    clock: Clock
    # session id -> the viewer (accounts/sessions.py); one per instance, never shared.
    sessions: SessionCache[Any] = field(default_factory=SessionCache, compare=False)
    # Reads kept under the version their writers change (core/kept.py): a community's report
    # list pages (reports/service.py), a board's column pages (boards/). One per instance.
    kept: Kept = field(default_factory=Kept, compare=False)

    def keep(
        self,
        key: Hashable,
        version: Hashable,
        load: Callable[[], Awaitable[T]],
        *,
        per_viewer: bool = False,
    ) -> Awaitable[T]:
        """`load()`'s value for `key`, kept by the instance while `version` holds (core/kept.py;
        `Settings.list_cache_*`). `key` names everything the value depends on but what
        `version` counts the writes of. A value `per_viewer` (its key names the viewer) is
        kept on a shelf of its own, as many as the sessions kept (`auth_cache_size`)."""
        settings = self.settings
        seconds = settings.list_cache_seconds
        size = settings.auth_cache_size if per_viewer else settings.list_cache_size
        return self.kept.read(
            key, version, load, max_age=seconds, max_size=size if seconds else 0,
            shelf="viewers" if per_viewer else "",
        )  # fmt: skip

    @property
    def sessions_size(self) -> int:
        """How many sessions, and documents kept by id, the instance keeps (0: none, when they
        may not be kept for any time)."""
        settings = self.settings
        return settings.auth_cache_size if settings.auth_cache_seconds > 0 else 0

    async def kept_by_id(
        self,
        ids: Sequence[ObjectId],
        read: Callable[[list[ObjectId]], Awaitable[Iterable[T]]],
        id_of: Callable[[T], ObjectId],
    ) -> dict[ObjectId, T]:
        """The documents of `ids` that exist, by id: those the instance keeps (`sessions`) at
        once, the others in one `read` (and kept), for at most `NEIGHBOR_AUTH_CACHE_SECONDS`.
        Only for a collection the session watcher follows (`accounts.sessions.watching`), whose
        writers call `sessions.forget_document` (or `forget_user`): the revocation bound of
        the sessions holds for them."""
        cache, max_age = self.sessions, self.settings.auth_cache_seconds
        found: dict[ObjectId, T] = {}
        missing: list[ObjectId] = []
        for key in dict.fromkeys(ids):
            kept = cache.document(key, max_age=max_age)
            if kept is None:
                missing.append(key)
            else:
                found[key] = kept
        if missing:
            epoch, size = cache.epoch, self.sessions_size
            for document in await read(missing):
                key = id_of(document)
                found[key] = document
                cache.put_document(key, document, epoch=epoch, max_size=size)
        return found

    @property
    def limiter(self) -> Limiter:
        """The rate limiter (core/rate_limit.py): `await deps.limiter.hit(key, limit, window)`."""
        return Limiter(self.db, self.clock)
