"""The import rules of the README's architecture section, checked on every module with `ast`.

A new import that breaks a rule fails here: either it goes through the allowed door (another
feature's service, not its repository), or the table below grows, deliberately, with a reason.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "neighbor_api"

FEATURES = frozenset(
    {
        "accounts", "attachments", "boards", "councils", "live", "memberships",
        "notifications", "open311", "patrols", "places", "points", "privacy", "reports",
        "rewards", "stats", "surveys",
    }
)  # fmt: skip
# What is not a feature: the shared platform and the app's assembly ("" is the package).
NOT_FEATURES = frozenset(
    {
        "", "core", "graphql", "graphiql", "console", "migrations", "app", "cli", "context", "demo",
        "jobs", "middleware", "schema", "settings",
    }
)  # fmt: skip
# A feature's GraphQL side; the rest of it (models, repository, service, policy, hub, routes,
# ...) is its domain side.
GRAPHQL_MODULES = frozenset({"types", "inputs", "resolvers", "loaders"})
# What the GraphQL side of the app is besides the features' GraphQL modules.
GRAPHQL_PLATFORM = frozenset({"graphql", "context", "schema"})

# The table (also in the README): the features each feature may import, from its domain side
# and, besides those, from its GraphQL side only. Of such a feature, a domain module may import
# `models` and `service`; a GraphQL module also `types` and `loaders`. Never another feature's
# `repository` or `resolvers` (EXCEPTIONS aside). The domain column has no cycle.
TABLE: dict[str, tuple[str, str]] = {
    #                 domain side                                      GraphQL side also
    "places":        ("",                                              "accounts boards councils"),
    "points":        ("",                                              "boards rewards"),
    "attachments":   ("",                                              ""),
    "memberships":   ("places",                                        "accounts"),
    "accounts":      ("memberships",       "points notifications privacy surveys boards"),
    "reports":       ("places memberships attachments accounts",       "accounts boards"),
    "councils":      ("places memberships attachments",                "accounts boards"),
    "boards":        ("places councils reports attachments points",    "accounts"),
    "rewards":       ("places points",                                 "accounts"),
    "notifications": ("accounts places memberships reports councils boards surveys rewards", ""),
    "patrols":       ("places memberships reports attachments",        "accounts"),
    "stats":         ("places reports councils boards points patrols", "accounts"),
    "open311":       ("accounts places reports",                       ""),
    "live":          ("notifications",                     "places reports councils boards"),
    "privacy":       ("accounts places memberships notifications points patrols rewards", ""),
    "surveys":       ("places memberships",                            ""),
}  # fmt: skip
DOMAIN_USES = {feature: frozenset(domain.split()) for feature, (domain, _) in TABLE.items()}
GRAPHQL_USES = {
    feature: DOMAIN_USES[feature] | frozenset(graphql.split())
    for feature, (_, graphql) in TABLE.items()
}
DOMAIN_MAY_USE = frozenset({"models", "service"})
GRAPHQL_MAY_USE = DOMAIN_MAY_USE | {"types", "loaders"}

# Features whose repository is their interface: they have no rules, so no service.
OPEN_REPOSITORIES = {
    "points": "an append-only ledger (award, balances, leaderboard) with no rules of its own",
}

# Imports the rules refuse, allowed one by one: (importer, imported) -> why.
EXCEPTIONS: dict[tuple[str, str], str] = {
    ("accounts.sessions", "memberships.repository"): (
        "authentication's one aggregate joins the memberships collection, and the session "
        "cache's watcher follows it: both name it"
    ),
    ("notifications.resolvers", "live.resolvers"): (
        "notificationReceived rides the live hub: its delivery loop stands with the other "
        "subscriptions' in live/resolvers.py"
    ),
    ("councils.loaders", "boards.repository"): (
        "the resulting-tasks loader batches boards' read by proposal ids"
    ),
    **{
        (f"notifications.{module}", f"{feature}.repository"): (
            "the notifier reads each event's subject and recipients by id as the system: "
            "no viewer, so none of the services' permission checks"
        )
        for module, features in (
            ("service", ("councils", "reports")),
            (
                "rules",
                (
                    "boards",
                    "councils",
                    "memberships",
                    "places",
                    "reports",
                    "surveys",
                    "rewards",
                ),
            ),
        )
        for feature in features
    },
    ("notifications.repository", "councils.repository"): (
        "a proposal's electors are read by collection name"
    ),
    **{
        ("stats.repository", f"{feature}.repository"): (
            "statistics aggregate read-only over the owners' collections, named by constant"
        )
        for feature in ("boards", "councils", "patrols", "reports")
    },
    ("demo", "accounts.repository"): "is the database empty (no account yet)?",
    **{
        ("privacy.repository", f"{feature}.repository"): (
            "the personal-data export reads, read-only, every owner's collection that names "
            "the person, by constant"
        )
        for feature in (
            "accounts",
            "attachments",
            "boards",
            "councils",
            "memberships",
            "notifications",
            "patrols",
            "reports",
            "surveys",
            "rewards",
        )
    },
}

# Where MongoDB is talked to: the repositories and these.
DATABASE_MODULES = frozenset(
    {
        "core.mongo", "core.embedded", "core.backup", "core.metrics", "core.idempotency",
        "core.migrations", "core.events", "core.rate_limit", "core.streams", "core.together",
        "live.hub", "cli",
    }
)  # fmt: skip
# The migration steps (`migrations.m0001_...`) are database code too.
DATABASE_PACKAGES = frozenset({"migrations"})
DRIVER = frozenset({"pymongo", "gridfs", "motor"})
# What a service may take from the driver: its errors (a unique index refusing a duplicate).
SERVICE_MAY_USE = frozenset({"pymongo.errors"})
DRIVER_EXCEPTIONS = {
    "reports.service": "the report lists' orders (sort keys) are built beside their filters",
}


@dataclass(frozen=True)
class Import:
    importer: str  # "boards.service"
    imported: str  # "councils.models", or a third-party module: "pymongo.errors"
    line: int


@cache
def modules() -> dict[str, Path]:
    """Every module of the package by its name under `neighbor_api` ("" is the package)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _ours(name: str) -> str:
    """The module an `import neighbor_api.x.y.Name` names: the longest existing prefix."""
    parts = name.removeprefix("neighbor_api.").split(".")
    for end in range(len(parts), 0, -1):
        if ".".join(parts[:end]) in modules():
            return ".".join(parts[:end])
    raise AssertionError(f"no module for {name}")


@cache
def imports() -> tuple[Import, ...]:
    found = []
    for module, path in modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                assert node.level == 0, f"{module}: relative import"
                base = node.module or ""
                names = [f"{base}.{alias.name}" for alias in node.names]
                if not base.startswith("neighbor_api"):
                    names = [base]
            else:
                continue
            for name in names:
                imported = _ours(name) if name.startswith("neighbor_api.") else name
                found.append(Import(module, imported, node.lineno))
    return tuple(found)


def top(module: str) -> str:
    return module.split(".")[0]


def feature_of(module: str) -> str | None:
    return top(module) if top(module) in FEATURES else None


def is_graphql(module: str) -> bool:
    if top(module) in GRAPHQL_PLATFORM:
        return True
    return feature_of(module) is not None and module.split(".")[-1] in GRAPHQL_MODULES


BATCHING = {"strawberry.dataloader"}


def is_domain(module: str) -> bool:
    """Models, repositories, services, core and what runs them outside GraphQL."""
    return not is_graphql(module) and top(module) not in {"app", "cli", "middleware", "graphiql"}


def where(i: Import) -> str:
    return f"{i.importer}:{i.line} imports {i.imported}"


def _third_party(i: Import) -> str:
    return top(i.imported) if i.imported not in modules() else ""


def violations(check: Iterator[tuple[Import, bool]]) -> list[str]:
    return [where(i) for i, broken in check if broken]


class TestImportRules:
    def test_the_scan_sees_the_package(self) -> None:
        assert {feature_of(m) for m in modules()} >= FEATURES
        assert len(imports()) > 500

    def test_every_module_has_a_place_in_the_rules(self) -> None:
        # A new package is a feature (a row of the table) or part of the platform, decided.
        assert {top(m) for m in modules()} - FEATURES - NOT_FEATURES == set()

    def test_the_domain_never_imports_graphql(self) -> None:
        # But strawberry's DataLoader, a batching utility that knows nothing of GraphQL (the
        # notifier batches the reads of its events with it).
        assert not violations(
            (
                i,
                (_third_party(i) in {"strawberry", "graphql"} and i.imported not in BATCHING)
                or (i.imported in modules() and is_graphql(i.imported)),
            )
            for i in imports()
            if is_domain(i.importer)
        )

    def test_core_imports_no_feature(self) -> None:
        assert not violations(
            (i, i.imported in modules() and top(i.imported) not in {"core", "settings"})
            for i in imports()
            if top(i.importer) == "core"
        )

    def test_the_graphql_platform_imports_no_feature(self) -> None:
        # graphql/ is the platform (errors, limits, relay, the endpoint): core and settings,
        # and the view wires the endpoint to the schema, the context and GraphiQL.
        allowed = {"core", "settings", "graphql", "context", "schema", "middleware", "graphiql"}
        assert not violations(
            (i, i.imported in modules() and top(i.imported) not in allowed)
            for i in imports()
            if top(i.importer) == "graphql"
        )

    def test_features_import_what_the_table_allows(self) -> None:
        broken = []
        for i in imports():
            source, target = feature_of(i.importer), feature_of(i.imported)
            if target is None or source == target or (i.importer, i.imported) in EXCEPTIONS:
                continue
            kind = i.imported.removeprefix(f"{target}.")
            if kind == "repository" and target in OPEN_REPOSITORIES:
                kind = "service"
            if source is None:  # app, cli, context, schema, demo, jobs: anything but a
                if kind == "repository":  # repository
                    broken.append(where(i))
                continue
            graphql = is_graphql(i.importer)
            features = (GRAPHQL_USES if graphql else DOMAIN_USES)[source]
            if target not in features or kind not in (
                GRAPHQL_MAY_USE if graphql else DOMAIN_MAY_USE
            ):
                broken.append(where(i))
        assert broken == []

    def test_the_table_and_the_exceptions_are_all_needed(self) -> None:
        # So the table (and the README's) says what the code does, not what it once did.
        used = {(i.importer, i.imported) for i in imports()}
        assert set(EXCEPTIONS) - used == set()
        assert set(TABLE) == FEATURES
        domain, graphql = set(), set()
        for i in imports():
            source, target = feature_of(i.importer), feature_of(i.imported)
            if source and target and source != target:
                (graphql if is_graphql(i.importer) else domain).add((source, target))
        assert {(f, t) for f, uses in DOMAIN_USES.items() for t in uses} - domain == set()
        assert {
            (f, t) for f, uses in GRAPHQL_USES.items() for t in uses - DOMAIN_USES[f]
        } - graphql == set()

    def test_the_domain_side_has_no_cycle(self) -> None:
        # Feature A's domain uses feature B's domain: B never uses A's (GraphQL types may
        # refer to each other).
        uses: dict[str, set[str]] = {f: set() for f in FEATURES}
        for i in imports():
            source, target = feature_of(i.importer), feature_of(i.imported)
            if source and target and source != target and is_domain(i.importer):
                uses[source].add(target)

        def reaches(start: str, goal: str, seen: frozenset[str] = frozenset()) -> bool:
            return any(
                nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt}))
                for nxt in uses[start]
            )

        assert [f for f in sorted(FEATURES) if reaches(f, f)] == []

    def test_only_repositories_talk_to_mongodb(self) -> None:
        broken = []
        for i in imports():
            if _third_party(i) not in DRIVER:
                continue
            module = i.importer
            if (
                module.endswith(".repository")
                or module in DATABASE_MODULES
                or top(module) in DATABASE_PACKAGES
                or module in DRIVER_EXCEPTIONS
            ):
                continue
            if module.endswith(".service") and i.imported in SERVICE_MAY_USE:
                continue
            broken.append(where(i))
        assert broken == []

    def test_only_repositories_open_a_collection(self) -> None:
        # `db["reports"]` / `deps.db[COLLECTION]`: a collection is reached only where the
        # driver may be used.
        broken = []
        for module, path in modules().items():
            if (
                module.endswith(".repository")
                or module in DATABASE_MODULES
                or top(module) in DATABASE_PACKAGES
            ):
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Subscript) and (
                    (isinstance(node.value, ast.Name) and node.value.id in {"db", "_db"})
                    or (isinstance(node.value, ast.Attribute) and node.value.attr in {"db", "_db"})
                ):
                    broken.append(f"{module}:{node.lineno}")
        assert broken == []

    def test_the_graphql_side_reads_through_repositories(self) -> None:
        # Not the driver, and of core.mongo only the type of a raw document.
        assert not violations(
            (
                i,
                _third_party(i) in DRIVER or (i.imported == "core.mongo" and not _only_document(i)),
            )
            for i in imports()
            if is_graphql(i.importer)
        )


def _only_document(i: Import) -> bool:
    """Whether an import of core.mongo takes only the `Document` type."""
    tree = ast.parse(modules()[i.importer].read_text(encoding="utf-8"))
    return all(
        [alias.name for alias in node.names] == ["Document"]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        and node.module == "neighbor_api.core.mongo"
        and node.lineno == i.line
    )
