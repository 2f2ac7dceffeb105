"""neighbor-api serve | seed | export-schema."""

from __future__ import annotations

import argparse
import asyncio
import logging
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
    else:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(export_schema(settings), encoding="utf-8")
        print(f"wrote {args.output}")  # noqa: T201


if __name__ == "__main__":
    main()
