"""Persisted documents: Apollo's automatic persisted queries (APQ) and trusted documents.

A request names a document by hash in `extensions.persistedQuery = {"version": 1,
"sha256Hash": H}`, H being the SHA-256 (lowercase hex) of the exact UTF-8 text of `query`:

- APQ (the default): a hash alone runs the document registered under it, or is refused with
  PERSISTED_QUERY_NOT_FOUND, upon which the client sends the hash with the query text; that
  text is checked against the hash, registered (a bounded LRU per instance) and run.
- Trusted documents (`NEIGHBOR_TRUSTED_DOCUMENTS=true`): only the operations of
  `schema/operations/`, shipped as `trusted_documents.json` (hash -> document) in this package,
  run: by hash alone, or as a text whose hash is in the manifest. Anything else is refused
  with OPERATION_NOT_TRUSTED; nothing is registered.

The manifest holds each operation alone, followed by the fragments it uses (sorted by name),
printed like graphql-js `print` (graphql-core's `print_ast`): the text a client must send
when it sends the text, and whose hash it sends alone.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from importlib import resources

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    Node,
    OperationDefinitionNode,
    Visitor,
    parse,
    print_ast,
    visit,
)

from neighbor_api.graphql.errors import (
    BAD_USER_INPUT,
    OPERATION_NOT_TRUSTED,
    PERSISTED_QUERY_HASH_MISMATCH,
    PERSISTED_QUERY_NOT_FOUND,
    PERSISTED_QUERY_NOT_SUPPORTED,
    RequestRefused,
)

MANIFEST_NAME = "trusted_documents.json"
APQ_VERSION = 1
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def sha256_hex(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


def _refused(code: str, message: str, status: int = 400) -> RequestRefused:
    # Not cacheable: a CDN must not keep answering "not found" once the document is registered.
    return RequestRefused(code, message, status=status, headers={"Cache-Control": "no-store"})


class DocumentCache:
    """The APQ documents registered on this instance; the least recently used goes first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._documents: OrderedDict[str, str] = OrderedDict()

    def get(self, digest: str) -> str | None:
        document = self._documents.get(digest)
        if document is not None:
            self._documents.move_to_end(digest)
        return document

    def put(self, digest: str, document: str) -> None:
        self._documents[digest] = document
        self._documents.move_to_end(digest)
        while len(self._documents) > self.size:
            self._documents.popitem(last=False)

    def __len__(self) -> int:
        return len(self._documents)


class PersistedDocuments:
    """Turns a request's `query` and `extensions` into the document to run."""

    def __init__(
        self,
        *,
        cache_size: int,
        max_document_bytes: int,
        trusted: Mapping[str, str] | None = None,
    ) -> None:
        self.cache = DocumentCache(cache_size)
        self.max_document_bytes = max_document_bytes
        self.trusted = trusted

    def resolve(self, query: str | None, extensions: Mapping[str, object] | None) -> str | None:
        """The document to run (`query` itself when no hash is named); RequestRefused when the
        hash is unknown, does not match, or the document is not trusted."""
        persisted = (extensions or {}).get("persistedQuery")
        if persisted is None:
            if self.trusted is not None and query is not None:
                return self._trusted(sha256_hex(query), query)
            return query
        digest = _requested_hash(persisted)
        if query is None:
            if self.trusted is not None:
                return self._trusted(digest, None)
            document = self.cache.get(digest)
            if document is None:
                raise _refused(PERSISTED_QUERY_NOT_FOUND, "persisted.not_found", status=404)
            return document
        if sha256_hex(query) != digest:
            raise _refused(PERSISTED_QUERY_HASH_MISMATCH, "persisted.hash_mismatch")
        if self.trusted is not None:
            return self._trusted(digest, query)
        if len(query.encode()) <= self.max_document_bytes:
            self.cache.put(digest, query)
        return query

    def _trusted(self, digest: str, query: str | None) -> str:
        assert self.trusted is not None
        document = self.trusted.get(digest)
        if document is None:
            raise _refused(OPERATION_NOT_TRUSTED, "persisted.not_trusted")
        return query or document


def _requested_hash(persisted: object) -> str:
    if not isinstance(persisted, dict):
        raise _refused(BAD_USER_INPUT, "persisted.malformed")
    if persisted.get("version") != APQ_VERSION:
        raise _refused(PERSISTED_QUERY_NOT_SUPPORTED, "persisted.not_supported")
    digest = persisted.get("sha256Hash")
    if not isinstance(digest, str) or not _SHA256_HEX.fullmatch(digest.lower()):
        raise _refused(BAD_USER_INPUT, "persisted.malformed")
    return digest.lower()


# The manifest of trusted documents.


def _spreads(node: Node) -> list[str]:
    names: list[str] = []

    class Collect(Visitor):
        def enter_fragment_spread(self, spread: FragmentSpreadNode, *_: object) -> None:
            names.append(spread.name.value)

    visit(node, Collect())
    return names


def build_manifest(sources: Iterable[str]) -> dict[str, str]:
    """sha256 -> document for every operation in `sources` (the texts of .graphql files)."""
    definitions = [definition for source in sources for definition in parse(source).definitions]
    fragments = {d.name.value: d for d in definitions if isinstance(d, FragmentDefinitionNode)}
    manifest: dict[str, str] = {}
    for operation in definitions:
        if not isinstance(operation, OperationDefinitionNode):
            continue
        used: set[str] = set()
        pending = _spreads(operation)
        while pending:
            name = pending.pop()
            if name not in used:
                used.add(name)
                pending.extend(_spreads(fragments[name]))
        document = DocumentNode(
            definitions=(operation, *(fragments[name] for name in sorted(used)))
        )
        text = print_ast(document)
        manifest[sha256_hex(text)] = text
    return dict(sorted(manifest.items()))


def encode_manifest(manifest: Mapping[str, str]) -> str:
    return json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"


def packaged_manifest() -> dict[str, str]:
    """The manifest shipped in this package."""
    text = resources.files("neighbor_api.graphql").joinpath(MANIFEST_NAME).read_text("utf-8")
    manifest: dict[str, str] = json.loads(text)
    return manifest
