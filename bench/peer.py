# ruff: noqa
# fmt: off
# A verbatim copy of ../shared/bench/peer.py (beside the checkout in CI, not in every clone),
# so that `scripts/bench` runs from a fresh clone. Keep it identical: it is the yardstick.
# The peer for side-by-side benchmarks: the app a developer would write from the strawberry docs
# (parser and validation caches on, data in memory). Run: uvicorn peer:app --port 8012
# POST /graphql/ {"query": "{ hello }"} or {"query": "{ items(n: 20) { id title status votes createdAt } }"};
# GET /plain?n=20 is the same data as plain JSON.
from typing import List
import strawberry
from strawberry.asgi import GraphQL
from strawberry.extensions import ParserCache, ValidationCache
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route, Mount

ROWS = [dict(id=str(i), title=f"Pothole on street {i}", status="OPEN", votes=i % 50, created_at="2026-01-01T00:00:00Z") for i in range(1000)]

@strawberry.type
class Item:
    id: strawberry.ID
    title: str
    status: str
    votes: int
    created_at: str

ITEMS = [Item(**r) for r in ROWS]

@strawberry.type
class Query:
    @strawberry.field
    def hello(self) -> str:
        return "world"
    @strawberry.field
    async def items(self, n: int) -> List[Item]:
        return ITEMS[:n]

schema = strawberry.Schema(query=Query, extensions=[ParserCache, ValidationCache])
gql = GraphQL(schema, graphql_ide=None)

async def plain(request):
    n = int(request.query_params.get("n", "0"))
    if n == 0:
        return JSONResponse({"data": {"hello": "world"}})
    return JSONResponse({"data": {"items": [{"id": r["id"], "title": r["title"], "status": r["status"], "votes": r["votes"], "createdAt": r["created_at"]} for r in ROWS[:n]]}})

app = Starlette(routes=[Route("/plain", plain), Mount("/graphql", gql)])

import asyncio
from typing import AsyncGenerator

@strawberry.type
class Subscription:
    @strawberry.subscription
    async def ticks(self, n: int = 10, interval_ms: int = 0) -> AsyncGenerator[int, None]:
        for i in range(n):
            if interval_ms:
                await asyncio.sleep(interval_ms / 1000)
            yield i

schema_ws = strawberry.Schema(query=Query, subscription=Subscription, extensions=[ParserCache, ValidationCache])
app.routes.append(Mount("/ws", GraphQL(schema_ws, graphql_ide=None)))
