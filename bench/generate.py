"""The city-scale data set: Xiamen's six districts and their streets, 500 communities, 100,000
residents and staff, 10k or 1M reports, councils with votes, task boards with cards.

Written straight into the database with bulk inserts (not through the API), in the shapes the
services write (a sample of each kind is checked against its pydantic model), after
`ensure_indexes` and the migrations (on the empty database). Every generated account's
password is `PASSWORD`.

Run alone: `.venv/bin/python -m bench.generate --uri mongodb://… --database bench --scale 10k`
(the benchmark, `scripts/bench`, runs it itself).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from bench import civic, people, reports
from bench.people import Community
from bench.sink import Sink
from neighbor_api.accounts.security import hash_password
from neighbor_api.core.clock import SystemClock
from neighbor_api.core.migrations import migrate
from neighbor_api.core.mongo import Database, connect, ensure_indexes
from neighbor_api.migrations import STEPS, m0010_points_economy
from neighbor_api.schema import build_schema
from neighbor_api.settings import Settings

PASSWORD = "neighbor-bench"


@dataclass(frozen=True)
class Scale:
    communities: int
    users: int
    reports: int


SCALES = {
    # A trial run of the whole benchmark in a minute or two (not a measurement).
    "tiny": Scale(communities=20, users=4_000, reports=1_000),
    "10k": Scale(communities=500, users=100_000, reports=10_000),
    "1m": Scale(communities=500, users=100_000, reports=1_000_000),
}


@dataclass(frozen=True)
class City:
    communities: list[Community]
    counts: dict[str, int]
    seconds: float
    # Seconds per phase (places and people, councils, boards, reports).
    phases: dict[str, float]


async def generate(
    db: Database,
    scale: Scale,
    *,
    password_hash: str,
    seed: int = 2026,
    now: datetime | None = None,
    batch: int = 5_000,
) -> City:
    """Fill `db` (expected empty) with a city of this scale."""
    started = time.perf_counter()
    now = now or datetime.now(UTC)
    rng = random.Random(seed)
    await ensure_indexes(db)
    # The data is written in today's shapes: the migrations are applied to the empty database
    # (at once), so the API does not run them over a million reports at start-up.
    await migrate(db, STEPS, clock=SystemClock())
    sink = Sink(db, batch=batch)
    phases: dict[str, float] = {}
    mark = time.perf_counter()

    def lap(phase: str) -> None:
        nonlocal mark
        phases[phase], mark = time.perf_counter() - mark, time.perf_counter()

    communities = await people.places(sink, rng, scale.communities)
    await people.people(
        sink, rng, communities, users=scale.users, password_hash=password_hash, now=now
    )
    lap("people")
    await civic.councils(sink, rng, communities, now=now)
    lap("councils")
    await civic.boards(sink, rng, communities, now=now)
    lap("boards")
    await reports.reports(sink, rng, communities, total=scale.reports, now=now)
    await sink.close()
    lap("reports")
    # The ledger's running balances and the users' accounts, as step 10 computes them from
    # the entries (the server moves both with each entry).
    await m0010_points_economy.apply(db)
    return City(communities, sink.counts, time.perf_counter() - started, phases)


async def load_city(db: Database) -> list[Community]:
    """The communities of a city generated earlier into `db` (for `scripts/bench --reuse`):
    accounts were generated in phone order, community by community."""
    communities: dict[object, Community] = {}
    async for place in db["places"].find({"level": "COMMUNITY"}, sort=[("code", 1)]):
        lng, lat = place["location"]["coordinates"]
        grids = [g["_id"] async for g in db["places"].find({"parent_id": place["_id"]},
                                                           sort=[("code", 1)])]  # fmt: skip
        communities[place["_id"]] = Community(place["_id"], place["name"], place["code"],
                                              place["path"], lat, lng, grids)  # fmt: skip
    member_of = {m["user_id"]: m["community_id"]
                 async for m in db["memberships"].find({}, projection={"community_id": 1,
                                                                       "user_id": 1})}  # fmt: skip
    async for user in db["users"].find({}, projection={"phone": 1}, sort=[("phone", 1)]):
        community = communities[member_of[user["_id"]]]
        community.users.append(user["_id"])
        community.phones.append(user["phone"].removeprefix("+86"))
    return list(communities.values())


def password_hash_for(settings: Settings) -> str:
    """`PASSWORD` hashed once with the server's argon2 settings (every account shares it)."""
    return hash_password(settings, PASSWORD)


async def _main(uri: str, database: str, scale: Scale) -> None:
    build_schema(Settings())  # imports every feature, so every index is registered
    client = connect(uri)
    try:
        city = await generate(client[database], scale, password_hash=password_hash_for(Settings()))
    finally:
        await client.close()
    total = sum(city.counts.values())
    print(f"{total:,} documents in {city.seconds:.1f} s {city.phases}: {city.counts}")  # noqa: T201


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--uri", required=True)
    parser.add_argument("--database", default="neighbor")
    parser.add_argument("--scale", choices=sorted(SCALES), default="10k")
    arguments = parser.parse_args()
    asyncio.run(_main(arguments.uri, arguments.database, SCALES[arguments.scale]))
