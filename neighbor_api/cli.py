"""neighbor-api serve | seed | migrate | backup | restore | open311 | export-schema."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import uvicorn
from pydantic import ValidationError
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from neighbor_api.core.deps import Deps
from neighbor_api.core.logging import configure_logging
from neighbor_api.settings import Settings

SCHEMA_PATH = Path("schema/schema.graphql")
OPERATIONS_DIR = Path("schema/operations")


class _Inbox:
    """What uvicorn's WebSocket protocol queues for the app (`websocket.receive`, ...): a list
    and a future made only while the app waits, in place of an asyncio.Queue (its three deques
    and an Event's: ~3 KiB of each idle socket). One reader: the app's `receive`."""

    __slots__ = ("_items", "_waiter")

    def __init__(self) -> None:
        self._items: list[Any] = []
        self._waiter: asyncio.Future[None] | None = None

    def put_nowait(self, item: Any) -> None:
        self._items.append(item)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def get(self) -> Any:
        while not self._items:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._items.pop(0)

    def empty(self) -> bool:
        return not self._items


class _Gate:
    """uvicorn's `writable` (an asyncio.Event: ~0.8 KiB of each idle socket): open unless the
    transport's buffer is full; `wait` returns at once when open."""

    __slots__ = ("_open", "_waiters")

    def __init__(self) -> None:
        self._open = True
        self._waiters: list[asyncio.Future[None]] | None = None

    def set(self) -> None:
        self._open = True
        waiters, self._waiters = self._waiters, None
        for waiter in waiters or ():
            if not waiter.done():
                waiter.set_result(None)

    def clear(self) -> None:
        self._open = False

    def is_set(self) -> bool:
        return self._open

    async def wait(self) -> None:
        if self._open:
            return
        waiter = asyncio.get_running_loop().create_future()
        if self._waiters is None:
            self._waiters = []
        self._waiters.append(waiter)
        await waiter


class LeanWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's `websockets-sansio` WebSocket implementation (its default with websockets
    installed; wsproto is not a dependency), lighter per idle socket
    (`python -m bench.socket_memory` lists what a socket holds):
    - the handshake's request and response (their headers: ~4 KiB) are let go once the
      handshake is sent; the ASGI scope keeps its own copy of the request's headers. The
      request is also held by websockets' parser (a local of its generator, for the
      connection's life): its headers are emptied in place.
    - the app's inbox and the `writable` flag are `_Inbox` and `_Gate`, not an asyncio.Queue
      and Event."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue = _Inbox()  # type: ignore[assignment]
        self.writable = _Gate()  # type: ignore[assignment]

    async def send(self, message: Any) -> None:
        await super().send(message)
        if self.handshake_complete and self.request is not None:
            # Only the handshake reads them (uvicorn's websockets_sansio_impl).
            self.request.headers.clear()
            self.request = None  # type: ignore[assignment]
            self.response = None  # type: ignore[assignment]


# uvicorn's handling of proxy headers off: the app decides whom to believe. WebSockets through
# LeanWebSocketProtocol: `neighbor-api serve` and the tests (tests/platform) run the same one.
# uvicorn's own WebSocket ping (a protocol-level ping every 20 s, beside the app's) is off: the
# app's graphql-transport-ws ping (graphql/view.py, every NEIGHBOR_WS_PING_SECONDS) covers dead
# peers, closing a socket that answered nothing since the ping before, and it also re-authorises
# idle sockets and keeps proxies from timing them out. Two pings cost each socket two timers and
# twice the wake-ups for the same guarantee.
UVICORN_OPTIONS: dict[str, Any] = {
    "proxy_headers": False,
    "server_header": False,
    "ws": LeanWebSocketProtocol,
    "ws_ping_interval": None,
}


def export_schema(settings: Settings) -> str:
    from neighbor_api.schema import build_schema

    return build_schema(settings).as_str() + "\n"


def export_trusted_documents(operations_dir: Path = OPERATIONS_DIR) -> Path:
    """Write the trusted documents manifest of `operations_dir` into the package."""
    from neighbor_api.graphql import persisted

    sources = [p.read_text(encoding="utf-8") for p in sorted(operations_dir.glob("*.graphql"))]
    target = Path(persisted.__file__).with_name(persisted.MANIFEST_NAME)
    target.write_text(persisted.encode_manifest(persisted.build_manifest(sources)), "utf-8")
    return target


@asynccontextmanager
async def admin_deps(settings: Settings, *, migrate: bool = True) -> AsyncIterator[Deps]:
    """The database for an admin command (seed, and the commands added beside it): the
    configured MongoDB, or the embedded server over `settings.data_dir` — the one a running
    `serve` owns there, else one started for the command — with indexes made and (unless
    `migrate` is off: migrate, backup, restore) the migrations applied, as at start-up."""
    from neighbor_api.core.clock import SystemClock
    from neighbor_api.core.embedded import database_uri
    from neighbor_api.core.migrations import migrate as apply_migrations
    from neighbor_api.core.mongo import connect, ensure_indexes
    from neighbor_api.migrations import STEPS

    async with database_uri(settings.mongodb_uri, settings.data_dir, share_running=True) as uri:
        client = connect(uri)
        try:
            db = client[settings.database]
            await ensure_indexes(db)
            deps = Deps(client=client, db=db, settings=settings, clock=SystemClock())
            if migrate:
                await apply_migrations(db, STEPS, clock=deps.clock)
            yield deps
        finally:
            await client.close()


async def _seed(settings: Settings) -> None:
    from neighbor_api.demo import load_demo_if_empty

    async with admin_deps(settings) as deps:
        loaded = await load_demo_if_empty(deps)
    print("demo data loaded" if loaded else "the database already has data; nothing loaded")  # noqa: T201


async def _migrate(settings: Settings, *, list_only: bool) -> None:
    from neighbor_api.core.migrations import migrate, status
    from neighbor_api.migrations import STEPS

    async with admin_deps(settings, migrate=False) as deps:
        if list_only:
            for entry in await status(deps.db, STEPS):
                when = entry.applied_at.isoformat() if entry.applied_at else "pending"
                print(f"{entry.step.label}  {when}")  # noqa: T201
            return
        applied = await migrate(deps.db, STEPS, clock=deps.clock)
    for step in applied:
        print(f"applied {step.label}")  # noqa: T201
    print(f"{len(applied)} step(s) applied; the database is up to date")  # noqa: T201


async def _backup(settings: Settings, output: Path) -> None:
    from neighbor_api.core.backup import write_backup

    output.parent.mkdir(parents=True, exist_ok=True)
    async with admin_deps(settings, migrate=False) as deps:
        manifest = await write_backup(deps.client, deps.db, output, now=deps.clock.now())
    documents = sum(part.count for part in manifest.collections)
    print(f"wrote {output}: {len(manifest.collections)} collections, {documents} documents")  # noqa: T201


async def _restore(settings: Settings, path: Path, *, force: bool) -> None:
    from neighbor_api.core.backup import restore_backup, verify_backup

    verify_backup(path)  # a damaged file is refused before any database is touched
    async with admin_deps(settings, migrate=False) as deps:
        manifest = await restore_backup(deps.db, path, replace=force)
    documents = sum(part.count for part in manifest.collections)
    print(  # noqa: T201
        f"restored {documents} documents in {len(manifest.collections)} collections "
        f"(backup of {manifest.created_at.isoformat()}, release {manifest.app_version})"
    )


def _run_admin(command: Coroutine[Any, Any, int | None]) -> None:
    """Run an admin command; what it refuses ends it with a message and exit code 1, and
    a command may answer its own exit code."""
    from pymongo.errors import PyMongoError

    from neighbor_api.core.backup import BackupError
    from neighbor_api.core.migrations import MigrationError

    try:
        code = asyncio.run(command)
    except (BackupError, MigrationError) as error:
        sys.exit(f"error: {error}")
    except PyMongoError as error:
        sys.exit(f"error: the database failed: {error}")
    except OSError as error:  # the output cannot be written, …
        sys.exit(f"error: {error}")
    if code:
        sys.exit(code)


async def _open311(settings: Settings, action: str, name: str | None) -> int:
    """`open311 issue-key NAME` prints the new key alone on its last line (shown only once)."""
    from neighbor_api.core.errors import DomainError
    from neighbor_api.core.i18n import Locale, translate
    from neighbor_api.open311 import service

    async with admin_deps(settings) as deps:
        try:
            if action == "issue-key":
                issued = await service.issue_key(deps, name=name or "")
                print(f"issued an Open311 key for {issued.key.name}; it is shown only once:")  # noqa: T201
                print(issued.secret)  # noqa: T201
            elif action == "revoke-key":
                revoked = await service.revoke_key(deps, name=name or "")
                print(f"revoked the key of {name}" if revoked else f"no live key named {name}")  # noqa: T201
                return 0 if revoked else 1
            else:
                for key in await service.list_keys(deps):
                    state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "live"
                    print(f"{key.name}\t{key.created_at:%Y-%m-%d %H:%M}\t{state}")  # noqa: T201
        except DomainError as error:
            for problem in error.problems:
                print(translate(problem.message, Locale.EN, problem.params), file=sys.stderr)  # noqa: T201
            return 1
    return 0


def load_settings() -> Settings:
    """The settings, or exit with status 1 and what is wrong with them (a weak secret key in
    production, an unparsable value), never a traceback."""
    try:
        return Settings()
    except ValidationError as error:
        for problem in error.errors():
            where = ".".join(str(part) for part in problem["loc"])
            message = str(problem["msg"]).removeprefix("Value error, ")
            print(  # noqa: T201
                f"neighbor-api: refusing to start: {where + ': ' if where else ''}{message}",
                file=sys.stderr,
            )
        raise SystemExit(1) from None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="neighbor-api", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the API server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--demo", action="store_true", help="load the demo street if the database is empty"
    )
    seed = commands.add_parser("seed", help="load data into the database")
    seed.add_argument("--demo", action="store_true", required=True, help="the demo street")
    migrate = commands.add_parser("migrate", help="apply the pending migration steps")
    migrate.add_argument("--list", action="store_true", help="list the steps and their status")
    backup = commands.add_parser("backup", help="write a backup of the database to a file")
    backup.add_argument("--output", type=Path, required=True)
    restore = commands.add_parser("restore", help="restore a backup into an empty database")
    restore.add_argument("file", type=Path)
    restore.add_argument(
        "--force", action="store_true", help="replace a database that already has data"
    )
    open311 = commands.add_parser("open311", help="Open311 partner API keys")
    keys = open311.add_subparsers(dest="action", required=True)
    for action, help_text in (("issue-key", "issue a key"), ("revoke-key", "revoke a key")):
        keys.add_parser(action, help=f"{help_text} of a partner system").add_argument("name")
    keys.add_parser("list-keys", help="list the partner keys (never the keys themselves)")
    export = commands.add_parser(
        "export-schema",
        help="write schema/schema.graphql and the trusted documents of schema/operations/",
    )
    export.add_argument("--output", type=Path, default=SCHEMA_PATH)
    args = parser.parse_args(argv)

    settings = load_settings()
    configure_logging(settings)
    if args.command == "serve":
        from neighbor_api.app import create_app

        app = create_app(settings, demo=args.demo, owns_process=True)
        # uvicorn's own logging config and access log off: configure_logging routes its
        # loggers, and the request middleware logs each request without its query string.
        uvicorn.run(
            app,
            host=args.host,
            port=args.port,
            # Never trust X-Forwarded-For in uvicorn (its default believes 127.0.0.1): the app
            # reads it from NEIGHBOR_TRUSTED_PROXIES only (core/client_address.py).
            **UVICORN_OPTIONS,
            log_config=None,
            access_log=False,
            ws_per_message_deflate=settings.ws_compression,
        )
    elif args.command == "seed":
        _run_admin(_seed(settings))
    elif args.command == "migrate":
        _run_admin(_migrate(settings, list_only=args.list))
    elif args.command == "backup":
        _run_admin(_backup(settings, args.output))
    elif args.command == "restore":
        _run_admin(_restore(settings, args.file, force=args.force))
    elif args.command == "open311":
        _run_admin(_open311(settings, args.action, getattr(args, "name", None)))
    else:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(export_schema(settings), encoding="utf-8")
        print(f"wrote {args.output}")  # noqa: T201
        if OPERATIONS_DIR.is_dir():
            print(f"wrote {export_trusted_documents()}")  # noqa: T201


if __name__ == "__main__":
    main()
