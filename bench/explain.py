"""Every read of the mobile mix on an index, at the city's scale.

Each operation of the mix runs in-process (the same schema and services as the server, on the
city's database) as the load generator sends it, for two viewers; the `Reports` lists also
fetch their second page. Every `find` and `aggregate` an operation sends is taken off the wire
and explained on the city's database; the table names each read's plan: the indexes it rides,
or COLLSCAN. `tests/platform/test_contract_explain.py` does the same for every contract
operation on the demo street (breadth); this is the depth: 1M reports.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from pymongo import monitoring

from bench.load import Case
from neighbor_api.context import Context
from neighbor_api.core.clock import Clock, SystemClock
from neighbor_api.core.deps import Deps
from neighbor_api.core.i18n import Locale
from neighbor_api.core.mongo import Database, Document, connect
from neighbor_api.schema import build_schema
from neighbor_api.settings import Settings

# (collection, the filter's top-level keys) of the reads whose plan SecantusDB 0.7.0b3's explain
# reports as COLLSCAN, and why. Its explain plans an index only for equalities plus at most one
# range/$in over an index's leading fields (and `_id` alone); its execution goes further and
# looks the first indexable clause up alone ("one clause can ride an index"), which explain
# does not show. MongoDB plans each of these on the index named.
_PER_CLAUSE = "SecantusDB executes it on an index of its first clause; its explain says COLLSCAN"
KNOWN_SCANS: dict[tuple[str, frozenset[str]], str] = {
    ("sessions", frozenset({"_id", "user_id", "revoked_at"})): "the session check of every "
    "request (an aggregate led by `_id` with two more equalities): " + _PER_CLAUSE + " (the "
    "`_id` lookup); MongoDB's IDHACK/_id index. Read once per session and process, then "
    "from the session cache (accounts/sessions.py).",
    ("memberships", frozenset({"grid_id", "roles", "status"})): "a grid's workers: "
    + _PER_CLAUSE
    + " (grid_roles); MongoDB uses grid_roles.",
    ("electors", frozenset({"proposal_id", "user_ids"})): "the viewer's electors of a page of "
    "proposals (`proposal_id` $in, `user_ids` equal): " + _PER_CLAUSE + " (member).",
    ("reports", frozenset({"place_path", "ratings"})): "the dashboard's ratings (`$elemMatch` "
    "on ratings is not a range): " + _PER_CLAUSE + " (stats_created, place_path).",
    ("places", frozenset()): "NearbyCommunities' `$geoNear` pipeline: SecantusDB's explain "
    "lifts only a leading `$match` (500 communities; reports no longer use `$geoNear`).",
}


async def plan_of(db: Database, command: Document) -> list[Document]:
    """The stages of a find's or aggregate's winning plan, outermost first."""
    keys = (
        ("find", "filter", "sort", "limit")
        if "find" in command
        else ("aggregate", "pipeline", "cursor")
    )
    inner = {k: command[k] for k in keys if k in command}
    explained = await db.command("explain", inner, verbosity="queryPlanner")
    planner = explained.get("queryPlanner") or explained["stages"][0]["$cursor"]["queryPlanner"]
    stage = planner["winningPlan"]
    stages = []
    while stage:
        stages.append(stage)
        stage = stage.get("inputStage") or next(iter(stage.get("inputStages", [])), None)
    return stages


def read_filter(command: Document) -> Document:
    """A find's filter, or an aggregate's leading `$match`."""
    if "find" in command:
        found: Document = command.get("filter") or {}
        return found
    head = (command.get("pipeline") or [{}])[0]
    matched: Document = head.get("$match", {})
    return matched


class _Reads(monitoring.CommandListener):
    def __init__(self, database: str) -> None:
        self.database = database
        self.sent: list[Document] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.database_name == self.database and event.command_name in ("find", "aggregate"):
            collection = event.command.get(event.command_name)
            if isinstance(collection, str):
                self.sent.append(dict(event.command))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@dataclass
class Explained:
    operation: str
    reads: int = 0
    indexes: set[str] = field(default_factory=set)
    scans: list[str] = field(default_factory=list)  # "collection [filter keys]"
    # Reads SecantusDB's explain calls COLLSCAN but executes on an index (KNOWN_SCANS).
    known: list[str] = field(default_factory=list)


async def explain_mix(
    settings: Settings, uri: str, database: str, cases: list[Case], clock: Clock | None = None
) -> list[Explained]:
    """Run each case's first two requests in-process (`settings` as the server's: the same
    secret key) and explain every read they send."""
    listener = _Reads(database)
    client = connect(uri, listeners=[listener])
    deps = Deps(client=client, db=client[database], settings=settings, clock=clock or SystemClock())
    schema = build_schema(settings)
    found: list[Explained] = []
    try:
        for case in cases:
            row = Explained(case.name)
            for i in range(2):
                request = case.request(i)
                body: dict[str, Any] = dict(request.body)
                for _page in range(2 if case.name.startswith("Reports") else 1):
                    deps.kept.clear()  # every read the database would get: none kept
                    listener.sent.clear()
                    result = await schema.execute(
                        body["query"],
                        variable_values=body.get("variables"),
                        operation_name=body.get("operationName"),
                        context_value=Context(deps=deps, locale=Locale.ZH_CN, request_id="explain",
                                              token=request.token, client_address="127.0.0.1"),
                    )  # fmt: skip
                    for command in list(listener.sent):
                        row.reads += 1
                        stages = await plan_of(deps.db, command)
                        names = {s["indexName"] for s in stages if "indexName" in s}
                        row.indexes |= names
                        if any(s["stage"] == "COLLSCAN" for s in stages):
                            collection = command.get("find") or command.get("aggregate")
                            keys = read_filter(command)
                            known = (collection, frozenset(keys)) in KNOWN_SCANS
                            (row.known if known else row.scans).append(
                                f"{collection} {sorted(keys)}"
                            )
                    cursor = _end_cursor(result.data)
                    if cursor is None:
                        break
                    body["variables"] = {**(body.get("variables") or {}), "after": cursor}
            found.append(row)
    finally:
        await client.close()
    return found


def _end_cursor(data: Any) -> str | None:
    reports = (data or {}).get("reports") or {}
    info = reports.get("pageInfo") or {}
    cursor = info.get("endCursor") if info.get("hasNextPage") else None
    return cursor if isinstance(cursor, str) else None


def table(rows: list[Explained]) -> list[str]:
    lines = [
        "| operation | reads explained | indexes | collection scans | known to SecantusDB's "
        "explain only (KNOWN_SCANS) |",
        "| --- | ---: | --- | --- | --- |",
    ]
    for row in rows:
        indexes = ", ".join(sorted(row.indexes)) or "—"
        lines.append(f"| {row.operation} | {row.reads} | {indexes} | {_counted(row.scans)} "
                     f"| {_counted(row.known)} |")  # fmt: skip
    return lines


def _counted(reads: list[str]) -> str:
    counts: defaultdict[str, int] = defaultdict(int)
    for read in reads:
        counts[read] += 1
    return "; ".join(f"`{read}` ×{n}" for read, n in counts.items()) or "none"
