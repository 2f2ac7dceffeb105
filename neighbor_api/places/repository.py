"""Every MongoDB query about places."""

from __future__ import annotations

from collections.abc import Sequence

from bson import ObjectId
from pymongo import ASCENDING, GEOSPHERE, IndexModel

from neighbor_api.core.mongo import Database, Document, Session, register_indexes
from neighbor_api.core.pagination import Page, keyset_page
from neighbor_api.places.models import GeoPoint, Place, PlaceLevel

COLLECTION = "places"

register_indexes(
    COLLECTION,
    [
        IndexModel([("parent_id", ASCENDING), ("name", ASCENDING)], name="parent_name"),
        IndexModel([("path", ASCENDING)], name="path"),
        IndexModel([("level", ASCENDING), ("name", ASCENDING)], name="level_name"),
        IndexModel([("location", GEOSPHERE)], name="location_2dsphere"),
        # Boundaries: the server checks each one written is valid GeoJSON (a report's point is
        # routed to its grid in places/service.py `grid_at`, not by a query).
        IndexModel([("boundary", GEOSPHERE)], name="boundary_2dsphere"),
    ],
)


async def insert(db: Database, place: Place, *, session: Session | None = None) -> None:
    await db[COLLECTION].insert_one(place.to_document(), session=session)


async def by_ids(db: Database, ids: Sequence[ObjectId]) -> list[Place]:
    cursor = db[COLLECTION].find({"_id": {"$in": list(ids)}})
    return [Place.from_document(d) async for d in cursor]


async def children_of(db: Database, parent_ids: Sequence[ObjectId]) -> list[Place]:
    cursor = db[COLLECTION].find(
        {"parent_id": {"$in": list(parent_ids)}}, sort=[("name", ASCENDING), ("_id", ASCENDING)]
    )
    return [Place.from_document(d) async for d in cursor]


async def by_level_and_name(db: Database, level: PlaceLevel, name: str) -> Place | None:
    document = await db[COLLECTION].find_one({"level": level.value, "name": name})
    return Place.from_document(document) if document else None


async def nearest_communities(
    db: Database, near: GeoPoint, *, skip: int, limit: int
) -> list[tuple[Place, float]]:
    """Communities by distance from `near`, in metres."""
    pipeline: list[Document] = [
        {
            "$geoNear": {
                "near": near.model_dump(),
                # Places have two 2dsphere indexes (location, boundary): name the one meant.
                "key": "location",
                "distanceField": "distance_meters",
                "spherical": True,
                "query": {"level": PlaceLevel.COMMUNITY.value},
            }
        },
        {"$skip": skip},
        {"$limit": limit},
    ]
    documents = await (await db[COLLECTION].aggregate(pipeline)).to_list()
    return [(Place.from_document(d), float(d["distance_meters"])) for d in documents]


async def count_level(db: Database, level: PlaceLevel) -> int:
    total: int = await db[COLLECTION].count_documents({"level": level.value})
    return total


async def communities_by_name(db: Database, *, first: int | None, after: str | None) -> Page[Place]:
    page = await keyset_page(
        db[COLLECTION],
        {"level": PlaceLevel.COMMUNITY.value},
        sort=[("name", ASCENDING), ("_id", ASCENDING)],
        first=first,
        after=after,
    )
    return page.map(Place.from_document)
