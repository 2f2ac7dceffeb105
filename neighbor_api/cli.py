"""neighbor-api serve | seed | open311 | export-schema."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import uvicorn

from neighbor_api.core.deps import Deps
from neighbor_api.settings import Settings

SCHEMA_PATH = Path("schema/schema.graphql")


def export_schema(settings: Settings) -> str:
    from neighbor_api.schema import build_schema

    return build_schema(settings).as_str() + "\n"


@asynccontextmanager
async def admin_deps(settings: Settings) -> AsyncIterator[Deps]:
    """The database for an admin command (seed, and the commands added beside it): the
    configured MongoDB, or the embedded server over `settings.data_dir`, with indexes made."""
    from neighbor_api.core.clock import SystemClock
    from neighbor_api.core.embedded import database_uri
    from neighbor_api.core.mongo import connect, ensure_indexes

    async with database_uri(settings.mongodb_uri, settings.data_dir) as uri:
        client = connect(uri)
        try:
            db = client[settings.database]
            await ensure_indexes(db)
            yield Deps(client=client, db=db, settings=settings, clock=SystemClock())
        finally:
            await client.close()


async def _seed(settings: Settings) -> None:
    from neighbor_api.demo import load_demo_if_empty

    async with admin_deps(settings) as deps:
        loaded = await load_demo_if_empty(deps)
    print("demo data loaded" if loaded else "the database already has data; nothing loaded")  # noqa: T201


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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="neighbor-api", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the API server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--demo", action="store_true", help="load fixtures/ if the database is empty"
    )
    seed = commands.add_parser("seed", help="load data into the database")
    seed.add_argument("--demo", action="store_true", required=True, help="the demo street")
    open311 = commands.add_parser("open311", help="Open311 partner API keys")
    keys = open311.add_subparsers(dest="action", required=True)
    for action, help_text in (("issue-key", "issue a key"), ("revoke-key", "revoke a key")):
        keys.add_parser(action, help=f"{help_text} of a partner system").add_argument("name")
    keys.add_parser("list-keys", help="list the partner keys (never the keys themselves)")
    export = commands.add_parser("export-schema", help="write schema/schema.graphql")
    export.add_argument("--output", type=Path, default=SCHEMA_PATH)
    args = parser.parse_args(argv)

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = Settings()
    if args.command == "serve":
        from neighbor_api.app import create_app

        app = create_app(settings, demo=args.demo)
        uvicorn.run(app, host=args.host, port=args.port, proxy_headers=True, log_level="info")
    elif args.command == "seed":
        asyncio.run(_seed(settings))
    elif args.command == "open311":
        sys.exit(asyncio.run(_open311(settings, args.action, getattr(args, "name", None))))
    else:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(export_schema(settings), encoding="utf-8")
        print(f"wrote {args.output}")  # noqa: T201


if __name__ == "__main__":
    main()
