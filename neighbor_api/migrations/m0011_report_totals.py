"""Step 11: the report lists' totals, counted from the reports.

`totalCount` of a community's report list reads the community's totals, kept beside its day
rollups in `report_rollups`: `_id` "<community>:totals", with `all` (the count of its reports
in each status now), `members` (the same for its COMMUNITY reports, those its members see) and
`since` (when its first report was created: the lists' time windows start there), `months`
(the reports created in each UTC month, "2026-12": the rate the windows assume), and no
`place_path` or `day` (the dashboards' reads never meet them). Every report write keeps
them in step from this release on (in the submit's and each move's transaction, with the day
rollups); this step counts the reports already stored. Each document is `$set` to what the
reports say (and totals of a community with no report are removed), so running it again
changes nothing.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from typing import Any

from pymongo import UpdateOne

from neighbor_api.core.migrations import Step
from neighbor_api.core.mongo import Database

BATCH = 1000


async def apply(db: Database) -> None:
    every: defaultdict[Any, Counter[str]] = defaultdict(Counter)
    members: defaultdict[Any, Counter[str]] = defaultdict(Counter)
    since: dict[Any, datetime] = {}
    months: defaultdict[Any, Counter[str]] = defaultdict(Counter)
    group = {
        "community_id": "$community_id",
        "visibility": "$visibility",
        "status": "$status",
        "month": {"$dateToString": {"format": "%Y-%m", "date": "$created_at"}},
    }
    pipeline = [{"$group": {"_id": group, "n": {"$sum": 1}, "since": {"$min": "$created_at"}}}]
    async for row in await db["reports"].aggregate(pipeline):
        key = row["_id"]
        every[key["community_id"]][key["status"]] += row["n"]
        months[key["community_id"]][key["month"]] += row["n"]
        first = since.get(key["community_id"])
        since[key["community_id"]] = row["since"] if first is None else min(first, row["since"])
        if key["visibility"] == "COMMUNITY":
            members[key["community_id"]][key["status"]] += row["n"]
    writes = [
        UpdateOne(
            {"_id": f"{community}:totals"},
            {
                "$set": {
                    "all": dict(counts),
                    "members": dict(members[community]),
                    "since": since[community],
                    "months": dict(months[community]),
                }
            },
            upsert=True,
        )
        for community, counts in every.items()
    ]
    for start in range(0, len(writes), BATCH):
        await db["report_rollups"].bulk_write(writes[start : start + BATCH], ordered=False)
    kept = {f"{community}:totals" for community in every}
    stored = db["report_rollups"].find({"_id": {"$regex": ":totals$"}}, {"_id": 1})
    stale = [d["_id"] async for d in stored if d["_id"] not in kept]
    if stale:
        await db["report_rollups"].delete_many({"_id": {"$in": stale}})


STEP = Step(11, "report_totals", apply)
