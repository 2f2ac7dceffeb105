"""The trusted documents manifest shipped in the package: current with schema/operations/, one
document per operation with the fragments it uses."""

from __future__ import annotations

import hashlib

from neighbor_api.graphql.persisted import build_manifest, packaged_manifest
from tests.conftest import OPERATIONS, OPERATIONS_DIR


class TestManifest:
    def test_matches_schema_operations(self) -> None:
        sources = [p.read_text(encoding="utf-8") for p in sorted(OPERATIONS_DIR.glob("*.graphql"))]

        assert packaged_manifest() == build_manifest(sources), (
            "neighbor_api/graphql/trusted_documents.json is stale: "
            "run `.venv/bin/neighbor-api export-schema`"
        )

    def test_one_document_per_operation_keyed_by_its_sha256(self) -> None:
        manifest = packaged_manifest()

        assert len(manifest) == len(OPERATIONS)
        for digest, document in manifest.items():
            assert hashlib.sha256(document.encode()).hexdigest() == digest

    def test_an_operation_carries_the_fragments_it_uses_and_no_others(self) -> None:
        source = """
            query A { viewer { ...User } }
            query B { viewer { id } }
            fragment User on Viewer { id ...Name }
            fragment Name on Viewer { displayName }
            fragment Unused on Viewer { id }
        """

        documents = sorted(build_manifest([source]).values())

        assert documents == [
            "query A {\n  viewer {\n    ...User\n  }\n}\n\n"
            "fragment Name on Viewer {\n  displayName\n}\n\n"
            "fragment User on Viewer {\n  id\n  ...Name\n}",
            "query B {\n  viewer {\n    id\n  }\n}",
        ]
