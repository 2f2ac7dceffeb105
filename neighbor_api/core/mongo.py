"""MongoDB access shared by every feature: the client, transactions and the index registry."""

from __future__ import annotations

import asyncio
import functools
import importlib
import importlib.util
import logging
import pkgutil
from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping
from typing import Any, TypeVar
from weakref import WeakValueDictionary

from pymongo import AsyncMongoClient, IndexModel
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.monitoring import CommandListener
from pymongo.read_concern import ReadConcern
from pymongo.write_concern import WriteConcern

log = logging.getLogger(__name__)

Document = dict[str, Any]
Database = AsyncDatabase[Document]
Client = AsyncMongoClient[Document]
Session = AsyncClientSession


# How long a pooled connection may sit unused before the client closes it rather than use it.
# Servers and the network between close idle connections on their own (SecantusDB after
# 300 s, NATs and load balancers often sooner), and PyMongo's async pool does not notice a
# connection the other end closed while it sat in the pool: the next command on it fails with
# AutoReconnect, and a write (not retried) fails the request. Closing them first avoids that.
MAX_IDLE_SECONDS = 60.0


def connect(
    uri: str,
    *,
    listeners: Iterable[CommandListener] = (),
    max_idle_seconds: float = MAX_IDLE_SECONDS,
) -> Client:
    """One client per process (it belongs to the event loop that uses it first)."""
    return AsyncMongoClient(
        uri,
        tz_aware=True,
        appname="neighbor-api",
        event_listeners=list(listeners),
        maxIdleTimeMS=int(max_idle_seconds * 1000),
    )


T = TypeVar("T")


# The transactions of this process running under each `serial` key (see `in_transaction`),
# and a lock for each key while one runs or waits.
_SERIAL: WeakValueDictionary[Hashable, asyncio.Lock] = WeakValueDictionary()


async def in_transaction(
    client: Client, work: Callable[[Session], Awaitable[T]], *, serial: Hashable | None = None
) -> T:
    """Run `work` in one multi-document transaction: everything it writes with the session
    commits together or not at all.

    Two requests racing on the same documents (one phone registered twice at once, two staff
    deciding one request) conflict inside their transactions; PyMongo's `with_transaction`
    runs the loser again once the winner has committed, where it then meets the duplicate key
    or the changed state and fails the way the rules say, instead of a WriteConflict.

    `serial` names a document every such transaction writes (a community's report rollups):
    this process runs the transactions of one key one after another. Run together, each but
    one would conflict and run again, every one of its commands with it: a burst of 16 submits
    in one community ran each 4.8 times (17 ms of API CPU per submit; run once each, 10 ms).
    Other processes' transactions still conflict and run again as above.
    """
    if serial is None:
        return await _transaction(client, work)
    lock = _SERIAL.get(serial)
    if lock is None:
        lock = _SERIAL[serial] = asyncio.Lock()
    async with lock:
        return await _transaction(client, work)


async def _transaction(client: Client, work: Callable[[Session], Awaitable[T]]) -> T:
    async with client.start_session() as session:
        result: T = await session.with_transaction(
            work, read_concern=ReadConcern("snapshot"), write_concern=WriteConcern("majority")
        )
        return result


# The index registry: each feature's repository declares its indexes here at import time,
# and `ensure_indexes` creates whatever is missing at start-up.
_INDEXES: dict[str, list[IndexModel]] = {}


@functools.cache
def _import_every_repository() -> None:
    """Import each feature's `repository` module, where its indexes are declared (discovered
    the way Django's autodiscover finds admin modules), so that a process which never builds
    the schema (`neighbor-api restore`, `migrate`) still knows every index."""
    import neighbor_api

    for package in pkgutil.iter_modules(neighbor_api.__path__):
        name = f"{neighbor_api.__name__}.{package.name}.repository"
        if package.ispkg and importlib.util.find_spec(name) is not None:
            importlib.import_module(name)


def register_indexes(collection: str, indexes: Iterable[IndexModel]) -> None:
    _INDEXES.setdefault(collection, []).extend(indexes)


def registered_indexes() -> Mapping[str, list[IndexModel]]:
    _import_every_repository()
    return _INDEXES


async def ensure_indexes(db: Database) -> None:
    """Create the registered indexes that do not exist yet (matched by name).

    Creating only the missing ones (rather than re-issuing every createIndexes) keeps start-up
    cheap and works on both servers: SecantusDB answers a repeated identical 2dsphere index
    with IndexKeySpecsConflict, where MongoDB would accept it silently.
    """
    for collection_name, indexes in registered_indexes().items():
        collection = db[collection_name]
        existing = {index["name"] async for index in await collection.list_indexes()}
        missing = [index for index in indexes if index.document["name"] not in existing]
        if missing:
            await collection.create_indexes(missing)
            log.info("created %d index(es) on %s", len(missing), collection_name)
