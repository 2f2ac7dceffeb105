"""Domain events: one `events` collection, the audit trail and the source of live updates.

A service records the event in the same transaction as the change it describes, so an event
exists exactly when its change does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, IndexModel

from neighbor_api.core.deps import Deps
from neighbor_api.core.mongo import Session, register_indexes

COLLECTION = "events"

register_indexes(
    COLLECTION,
    [
        IndexModel([("place_path", ASCENDING), ("at", DESCENDING)], name="place_path_at"),
        IndexModel([("subject_id", ASCENDING), ("at", DESCENDING)], name="subject_at"),
    ],
)


async def record(
    deps: Deps,
    *,
    kind: str,
    subject_id: ObjectId,
    actor_id: ObjectId | None,
    place_path: Sequence[ObjectId] = (),
    data: Mapping[str, Any] | None = None,
    session: Session | None = None,
) -> ObjectId:
    """Append one event, e.g. kind="membership.decided", to the log."""
    event_id = ObjectId()
    await deps.db[COLLECTION].insert_one(
        {
            "_id": event_id,
            "kind": kind,
            "subject_id": subject_id,
            "actor_id": actor_id,
            "place_path": list(place_path),
            "data": dict(data or {}),
            "at": deps.clock.now(),
        },
        session=session,
    )
    return event_id
