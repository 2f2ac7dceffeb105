"""Request authentication without a database round trip per request, and its revocation bound.

Every request checks the access token itself (signature and expiry: no database). What the
token's session stands for — the session is live, the user, their memberships — comes from
the instance's session cache (`Deps.sessions`, `core/session_cache.py`) for at most
`NEIGHBOR_AUTH_CACHE_SECONDS` (30 s), read from the database in one aggregate when missing.

Revocation bound:
- on the instance that made the write, at once: every write that ends a session or changes
  what a viewer may do drops the entry in the same call (logout, a reused refresh token
  revoking its family, a membership requested, decided or appointed);
- on the other instances, within the change-stream delay (well under a second): a watcher
  started by the app's lifespan (`watching`) follows ONE change stream on the `sessions`,
  `users` and `memberships` collections and drops the sessions each change touches. It sees
  every write, whoever made it (an admin command, a migration, a restore), without the writers
  having to record an event;
- when the stream is down, within `NEIGHBOR_AUTH_CACHE_SECONDS` (entries age out); when it
  reopens the whole cache is dropped, since changes may have been missed meanwhile.

The users the requests' DataLoaders and the notifier read (names, phones to mask) are kept the
same way (`users`, through `Deps.kept_by_id`), within the same bounds: `forget_user` and the
watcher drop a user whose document changed, and an entry ages out after
`NEIGHBOR_AUTH_CACHE_SECONDS`. So are other documents kept by id (the councils): the app
names their collections to `watching`, whose changes drop them (`forget_document`).

A WebSocket authorises each operation and each subscription event through `authenticate`
too (the token's expiry included), so a socket sees a revocation within the same bound.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from bson import ObjectId

from neighbor_api.accounts import repository, security
from neighbor_api.accounts.models import User
from neighbor_api.core.deps import Deps
from neighbor_api.core.errors import Unauthenticated
from neighbor_api.core.policy import Actor
from neighbor_api.core.session_cache import SessionCache
from neighbor_api.core.streams import ChangeFollower
from neighbor_api.memberships import repository as memberships_repository
from neighbor_api.memberships.models import Membership

log = logging.getLogger(__name__)

# The watcher's retry delays after the change stream failed.


@dataclass(frozen=True)
class Authenticated:
    """The viewer of a request: the user, the session and the roles they hold."""

    user: User
    session_id: ObjectId
    memberships: tuple[Membership, ...]

    @cached_property
    def actor(self) -> Actor:
        grants = tuple(g for m in self.memberships if (g := m.grant()) is not None)
        return Actor(user_id=self.user.id, grants=grants)


def _cache(deps: Deps) -> SessionCache[Authenticated]:
    return deps.sessions


async def authenticate(deps: Deps, access_token: str) -> Authenticated:
    """The viewer behind an access token (no database round trip while the session is
    cached), or Unauthenticated for a malformed, forged or expired token or an ended session."""
    claims = security.read_access_token(deps.settings, access_token, now=deps.clock.now())
    if claims is None:
        raise Unauthenticated("token.invalid")
    return await _viewer(deps, session_id=claims.session_id, user_id=claims.user_id)


def authenticate_now(deps: Deps, access_token: str) -> Authenticated | None:
    """`authenticate`'s answer when it needs no wait: the viewer when the token is valid and
    its session is in the cache; None when only `authenticate` can tell (a miss, or a token
    it refuses). A WebSocket's each subscription event (1,000 sockets on one board)."""
    claims = security.read_access_token(deps.settings, access_token, now=deps.clock.now())
    if claims is None:
        return None
    return _cached(deps, session_id=claims.session_id, user_id=claims.user_id)


async def session_actor(deps: Deps, session_id: ObjectId, user_id: ObjectId) -> Actor | None:
    """What a session's user may do now (through the cache), or None once it ended: how a
    photo link made for that session is checked when served (attachments/download.py)."""
    try:
        return (await _viewer(deps, session_id=session_id, user_id=user_id)).actor
    except Unauthenticated:
        return None


def _cached(deps: Deps, *, session_id: ObjectId, user_id: ObjectId) -> Authenticated | None:
    max_age = deps.settings.auth_cache_seconds
    viewer = _cache(deps).get(session_id, max_age=max_age) if max_age > 0 else None
    return viewer if viewer is not None and viewer.user.id == user_id else None


async def _viewer(deps: Deps, *, session_id: ObjectId, user_id: ObjectId) -> Authenticated:
    viewer = _cached(deps, session_id=session_id, user_id=user_id)
    if viewer is not None:
        return viewer
    cache = _cache(deps)

    async def load_and_keep() -> Authenticated:
        epoch = cache.epoch
        viewer = await _load(deps, session_id=session_id, user_id=user_id)
        cache.put(
            viewer.session_id,
            viewer.user.id,
            viewer,
            epoch=epoch,
            max_size=deps.sessions_size,
        )
        cache.put_document(viewer.user.id, viewer.user, epoch=epoch, max_size=deps.sessions_size)
        return viewer

    # Callers after an invalidation (a higher epoch) do not join a load begun before it.
    return await cache.load_once((session_id, user_id, cache.epoch), load_and_keep)


async def _load(deps: Deps, *, session_id: ObjectId, user_id: ObjectId) -> Authenticated:
    """The live session, its user and their memberships, in one round trip."""
    document = await repository.session_with_user_and_memberships(
        deps.db,
        session_id=session_id,
        user_id=user_id,
        memberships=memberships_repository.COLLECTION,
    )
    if document is None:
        raise Unauthenticated("token.invalid")
    return Authenticated(
        user=User.from_document(document["user"][0]),
        session_id=session_id,
        memberships=tuple(
            sorted(
                (Membership.from_document(m) for m in document["memberships"]),
                key=lambda m: (m.created_at, m.id),
            )
        ),
    )


async def users(deps: Deps, ids: Sequence[ObjectId]) -> dict[ObjectId, User]:
    """The users of `ids` that exist, by id: those the instance keeps at once, the others in
    one read (and kept)."""

    def read(missing: list[ObjectId]) -> Awaitable[list[User]]:
        return repository.users_by_ids(deps.db, missing)

    return await deps.kept_by_id(ids, read, lambda user: user.id)


# --- Invalidation across instances ----------------------------------------------------------

WATCHED = (repository.SESSIONS, repository.USERS, memberships_repository.COLLECTION)


def forget(cache: SessionCache[Any], change: Mapping[str, Any]) -> None:
    """Drop what one change-stream event makes stale (everything, when unsure)."""
    collection = (change.get("ns") or {}).get("coll")
    key = (change.get("documentKey") or {}).get("_id")
    operation = change.get("operationType")
    if operation not in {"insert", "update", "replace", "delete"} or key is None:
        cache.clear()  # drop, rename, invalidate: start again from the database
    elif collection == repository.SESSIONS:
        if operation != "insert":  # a new session is not cached yet
            cache.forget_session(key)
    elif collection == repository.USERS:
        cache.forget_user(key)
    elif collection == memberships_repository.COLLECTION:
        user_id = (change.get("fullDocument") or {}).get("user_id")
        if isinstance(user_id, ObjectId):
            cache.forget_user(user_id)
        else:  # a deleted membership (no document): whose it was is unknown
            cache.clear()
    elif isinstance(key, ObjectId):  # a document kept by id (`watching`'s `documents`)
        cache.forget_document(key)
    else:
        cache.clear()


class SessionWatcher(ChangeFollower):
    """Follows the change stream on `WATCHED` and the collections of the documents kept by id
    (`Deps.kept_by_id`), and invalidates the instance's cache."""

    def __init__(self, deps: Deps, documents: Sequence[str] = ()) -> None:
        super().__init__("session-watcher")
        self._deps = deps
        self._collections = (*WATCHED, *documents)

    async def _open(self) -> Any:
        stream = await repository.watch_changes(self._deps.db, self._collections)
        # Whatever changed while no stream was open is unknown: start from the database.
        self._deps.sessions.clear()
        return stream

    def _take(self, change: Mapping[str, Any] | None, stream: Any) -> None:
        if change is not None:
            forget(self._deps.sessions, change)


@asynccontextmanager
async def watching(deps: Deps, documents: Sequence[str] = ()) -> AsyncIterator[SessionWatcher]:
    """The app's watcher, for the lifespan of the app; `documents`: the other collections whose
    documents the instance keeps by id (`Deps.kept_by_id`)."""
    watcher = SessionWatcher(deps, documents)
    await watcher.start()
    try:
        yield watcher
    finally:
        await watcher.stop()
