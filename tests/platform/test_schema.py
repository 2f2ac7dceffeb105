"""The checked-in schema and the client contract (schema/operations/) against the built schema."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from graphql import OperationDefinitionNode, parse, validate

from neighbor_api.cli import export_schema
from neighbor_api.schema import NeighborSchema
from neighbor_api.settings import Settings
from tests.conftest import OPERATIONS_DIR

ROOT = OPERATIONS_DIR.parent.parent
SCHEMA_FILE = ROOT / "schema" / "schema.graphql"
TESTS_DIR = ROOT / "tests"
DOCUMENTS = sorted(OPERATIONS_DIR.glob("*.graphql"))


def operation_names(path: Path) -> list[str]:
    document = parse(path.read_text(encoding="utf-8"))
    return [
        definition.name.value
        for definition in document.definitions
        if isinstance(definition, OperationDefinitionNode) and definition.name is not None
    ]


class TestCheckedInSchema:
    def test_matches_the_code(self, settings: Settings) -> None:
        checked_in = SCHEMA_FILE.read_text(encoding="utf-8")

        assert checked_in == export_schema(settings), (
            "schema/schema.graphql is out of date: run `neighbor-api export-schema` "
            "and commit the result"
        )


class TestContractDocuments:
    def test_there_are_documents(self) -> None:
        assert DOCUMENTS, f"no operation documents in {OPERATIONS_DIR}"

    @pytest.mark.parametrize("path", DOCUMENTS, ids=[p.name for p in DOCUMENTS])
    def test_validates_against_the_schema(self, schema: NeighborSchema, path: Path) -> None:
        document = parse(path.read_text(encoding="utf-8"))

        errors = validate(schema._schema, document)

        assert not errors, "\n".join(f"{path.name}: {error}" for error in errors)

    @pytest.mark.parametrize("path", DOCUMENTS, ids=[p.name for p in DOCUMENTS])
    def test_every_operation_is_named(self, path: Path) -> None:
        document = parse(path.read_text(encoding="utf-8"))
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]

        assert operations
        assert all(d.name is not None for d in operations)

    def test_operation_names_are_unique(self) -> None:
        names = Counter(name for path in DOCUMENTS for name in operation_names(path))

        assert [name for name, count in names.items() if count > 1] == []

    def test_every_operation_is_run_by_a_test(self) -> None:
        sources = "\n".join(
            path.read_text(encoding="utf-8") for path in sorted(TESTS_DIR.rglob("*.py"))
        )
        untested = [
            f"{path.name}: {name}"
            for path in DOCUMENTS
            for name in operation_names(path)
            if not re.search(rf"[\"']{name}[\"']", sources)
        ]

        assert untested == [], "contract operations that no test runs (by name)"
