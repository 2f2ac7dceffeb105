"""Bulk writes in batches, with a sample of every kind of document checked against its model."""

from __future__ import annotations

import asyncio
from copy import deepcopy
from typing import Any

import bson
from pydantic import BaseModel

from neighbor_api.accounts.models import User
from neighbor_api.boards.models import Board, Task
from neighbor_api.core.models import StoredModel
from neighbor_api.core.mongo import Database, Document
from neighbor_api.councils.models import Council, Elector, Participation, Proposal
from neighbor_api.memberships.models import Membership
from neighbor_api.places.models import Place
from neighbor_api.reports.models import Comment, Endorsement, Report

# The model each collection's documents must match exactly (the others have none: counters,
# tally shards and ledger entries are written by repositories as plain documents).
MODELS: dict[str, type[BaseModel]] = {
    "places": Place,
    "users": User,
    "memberships": Membership,
    "reports": Report,
    "report_endorsements": Endorsement,
    "report_comments": Comment,
    "councils": Council,
    "proposals": Proposal,
    "electors": Elector,
    "participations": Participation,
    "boards": Board,
    "tasks": Task,
}
# Every this many documents of a collection, one is checked (and the first of each).
SAMPLE_EVERY = 997
# Batches written at once: the next batch is built while the server stores the last one.
IN_FLIGHT = 2


def _plain(document: Document) -> dict[str, Any]:
    """As the database would return it (tuples become lists; key order does not matter)."""
    decoded: dict[str, Any] = bson.decode(bson.encode(document))
    return decoded


def defaults(collection: str) -> dict[str, Any]:
    """The model's fields that have a default (what the generators need not spell out: the
    features' optional fields, added as they come; never a computed field such as a report's
    audience or map cell, which the generators set)."""
    model = MODELS.get(collection)
    if model is None:
        return {}
    return {
        field.alias or name: field.get_default(call_default_factory=True)
        for name, field in model.model_fields.items()
        if not field.is_required() and name != "id"
    }


def check(collection: str, document: Document) -> None:
    """The document is exactly what the model would store: no field missing, none extra."""
    model = MODELS.get(collection)
    if model is None:
        return
    parsed = model.model_validate(document)
    if isinstance(parsed, StoredModel):  # as the repositories write it (`to_document`)
        stored = parsed.to_document()
    else:
        stored = parsed.model_dump(by_alias=True, mode="python")
    if _plain(stored) != _plain(document):
        missing = set(stored) - set(document)
        extra = set(document) - set(stored)
        differ = sorted(
            k
            for k in set(stored) & set(document)
            if _plain({k: stored[k]}) != _plain({k: document[k]})
        )
        raise ValueError(
            f"{collection}: not the model's shape (missing {missing}, extra {extra}, "
            f"different {differ})"
        )


class Sink:
    """Buffers documents per collection and writes each batch with one `insert_many`, up to
    `IN_FLIGHT` batches at a time."""

    def __init__(self, db: Database, *, batch: int = 5_000) -> None:
        self.db = db
        self.batch = batch
        self.buffers: dict[str, list[Document]] = {}
        self.counts: dict[str, int] = {}
        # Per collection, the defaulted fields its first document left out.
        self.missing: dict[str, dict[str, Any]] = {}
        self.pending: list[asyncio.Task[None]] = []

    async def add(self, collection: str, document: Document) -> None:
        """Store `document`, given every field its model's default where the generator left
        it out (`defaults`), and check one in SAMPLE_EVERY against the model (`check`)."""
        if missing := self.missing.get(collection):
            document.update(
                (key, deepcopy(value)) for key, value in missing.items() if key not in document
            )
        elif collection not in self.missing:
            self.missing[collection] = {
                key: value for key, value in defaults(collection).items() if key not in document
            }
            return await self.add(collection, document)
        seen = self.counts.get(collection, 0)
        if seen % SAMPLE_EVERY == 0:
            check(collection, document)
        self.counts[collection] = seen + 1
        buffer = self.buffers.setdefault(collection, [])
        buffer.append(document)
        if len(buffer) >= self.batch:
            await self._flush(collection)

    async def _flush(self, collection: str) -> None:
        buffer = self.buffers.pop(collection, [])
        if buffer:
            while len(self.pending) >= IN_FLIGHT:
                await self.pending.pop(0)
            self.pending.append(asyncio.create_task(self._insert(collection, buffer)))

    async def _insert(self, collection: str, documents: list[Document]) -> None:
        await self.db[collection].insert_many(documents, ordered=False)

    async def close(self) -> None:
        for collection in list(self.buffers):
            await self._flush(collection)
        while self.pending:
            await self.pending.pop(0)
