"""Every MongoDB query about patrols and their tracks."""

from __future__ import annotations

from collections.abc import Sequence

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, IndexModel

from neighbor_api.core import idempotency
from neighbor_api.core.mongo import Database, Session, register_indexes
from neighbor_api.core.pagination import Page, Sort, keyset_page
from neighbor_api.patrols.models import Patrol, PatrolTrack

PATROLS = "patrols"
TRACKS = "patrol_tracks"
# A grid's patrols, the latest round first.
NEWEST_FIRST: Sort = (("started_at", DESCENDING), ("_id", DESCENDING))

register_indexes(
    PATROLS,
    [
        IndexModel(
            [("grid_id", ASCENDING), ("started_at", DESCENDING), ("_id", DESCENDING)],
            name="grid_newest",
        ),
        idempotency.unique_index(),
    ],
)


async def insert(
    db: Database, patrol: Patrol, track: PatrolTrack, *, session: Session | None = None
) -> None:
    """Store a patrol and its track (pass the session of the transaction)."""
    await db[PATROLS].insert_one(patrol.to_document(), session=session)
    await db[TRACKS].insert_one(track.to_document(), session=session)


async def by_ids(db: Database, ids: Sequence[ObjectId]) -> list[Patrol]:
    return [Patrol.from_document(d) async for d in db[PATROLS].find({"_id": {"$in": list(ids)}})]


async def page_of_grid(
    db: Database, grid_id: ObjectId, *, first: int | None, after: str | None
) -> Page[Patrol]:
    page = await keyset_page(
        db[PATROLS], {"grid_id": grid_id}, sort=NEWEST_FIRST, first=first, after=after, flat=True
    )
    return page.map(Patrol.from_document)


async def track(db: Database, patrol_id: ObjectId) -> PatrolTrack | None:
    document = await db[TRACKS].find_one({"_id": patrol_id})
    return PatrolTrack.from_document(document) if document else None
