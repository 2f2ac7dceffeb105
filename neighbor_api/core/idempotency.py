"""Idempotency keys of creating mutations: a retry with the same key by the same user returns
the first result and creates nothing new — also when the retry races the first request, since
a unique index on (user, key) decides."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable

from bson import ObjectId
from pydantic import BaseModel, ConfigDict
from pymongo import ASCENDING, IndexModel
from pymongo.errors import DuplicateKeyError

from neighbor_api.core.deps import Deps
from neighbor_api.core.mongo import Document, Session, in_transaction
from neighbor_api.core.validation import Checks

MAX_KEY_LENGTH = 100


class Idempotency(BaseModel):
    """Stored on a created document as `idempotency`: who sent it under which key."""

    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    user_id: ObjectId
    key: str


def unique_index() -> IndexModel:
    """The index a collection of idempotently created documents needs."""
    return IndexModel(
        [("idempotency.user_id", ASCENDING), ("idempotency.key", ASCENDING)],
        name="idempotency_unique",
        unique=True,
        partialFilterExpression={"idempotency.key": {"$exists": True}},
    )


def parse(user_id: ObjectId, key: str | None, checks: Checks) -> Idempotency | None:
    """The key of a request (None without one); a blank or over-long key is INVALID_INPUT."""
    if key is None:
        return None
    if not key.strip() or len(key) > MAX_KEY_LENGTH:
        checks.fail("idempotencyKey", "text.too_long", max=MAX_KEY_LENGTH)
        return None
    return Idempotency(user_id=user_id, key=key)


async def earlier(deps: Deps, collection: str, idempotency: Idempotency | None) -> Document | None:
    """The document created before under this key, if any."""
    if idempotency is None:
        return None
    document: Document | None = await deps.db[collection].find_one(
        {"idempotency.user_id": idempotency.user_id, "idempotency.key": idempotency.key}
    )
    return document


async def create_once(
    deps: Deps,
    collection: str,
    idempotency: Idempotency | None,
    write: Callable[[Session], Awaitable[None]],
    *,
    serial: Hashable | None = None,
) -> Document | None:
    """Run `write` (which inserts the new document into `collection`) in one transaction
    (`serial`: see `in_transaction`). If a racing request with the same key won, return its
    document instead (else None)."""
    try:
        await in_transaction(deps.client, write, serial=serial)
    except DuplicateKeyError:
        found = await earlier(deps, collection, idempotency)
        if found is None:  # a duplicate of something else: not ours to swallow
            raise
        return found
    return None
