"""Every MongoDB query about surveys, who answered them (the roll) and their tallies."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bson import ObjectId
from pymongo import ASCENDING, IndexModel, ReturnDocument

from neighbor_api.core.mongo import Database, Document, Session, register_indexes
from neighbor_api.surveys.models import Survey

SURVEYS = "surveys"
RESPONDENTS = "survey_respondents"
TALLIES = "survey_tallies"

# Answers add to one of this many tally documents of their community, picked at random, so
# concurrent answers rarely touch the same document.
TALLY_SHARDS = 4

register_indexes(
    SURVEYS,
    [
        IndexModel([("place_id", ASCENDING), ("closes_at", ASCENDING)], name="place_closing"),
        IndexModel([("announced", ASCENDING), ("opens_at", ASCENDING)], name="to_announce"),
    ],
)
# The roll's `_id` is "<survey>:<user>": one answer per person, decided by the database, and
# no ObjectId (whose first bytes are a time) to line up with anything. `person`: the
# personal-data export (which surveys someone answered, never how).
register_indexes(RESPONDENTS, [IndexModel([("user_id", ASCENDING)], name="person")])
register_indexes(TALLIES, [IndexModel([("survey_id", ASCENDING)], name="survey")])


def respondent_key(survey_id: ObjectId, user_id: ObjectId) -> str:
    return f"{survey_id}:{user_id}"


def option_key(index: int) -> str:
    """An option's field in a tally: its position (labels may hold `.` or `$`)."""
    return f"o{index}"


@dataclass(frozen=True)
class CommunityTally:
    """One community's sums: respondents, and per question (its id) per option index."""

    community_id: ObjectId
    respondents: int
    counts: dict[str, dict[int, int]]


async def insert_survey(db: Database, survey: Survey, *, session: Session) -> None:
    """The survey and its empty tally shards, `TALLY_SHARDS` per community it covers."""
    await db[SURVEYS].insert_one(survey.to_document(), session=session)
    shards = [
        {
            "_id": f"{survey.id}:{community}:{shard}",
            "survey_id": survey.id,
            "community_id": community,
            "respondents": 0,
            "counts": {},
        }
        for community in survey.community_ids
        for shard in range(TALLY_SHARDS)
    ]
    if shards:
        await db[TALLIES].insert_many(shards, session=session)


async def surveys_by_ids(db: Database, ids: Sequence[ObjectId]) -> list[Survey]:
    cursor = db[SURVEYS].find({"_id": {"$in": list(ids)}})
    return [Survey.from_document(d) async for d in cursor]


async def not_closed_of_places(
    db: Database, place_ids: Sequence[ObjectId], now: datetime
) -> list[Survey]:
    """Surveys asked on these places that have not closed yet, closing soonest first.

    The `$in` alone reads `place_closing` (a `$in` and a range make the embedded server scan
    every survey); the closed ones, a few a year per place, are dropped here."""
    cursor = db[SURVEYS].find({"place_id": {"$in": list(place_ids)}})
    found = [Survey.from_document(d) async for d in cursor]
    return sorted((s for s in found if s.closes_at > now), key=lambda s: (s.closes_at, s.id))


async def insert_respondent(
    db: Database, survey_id: ObjectId, user_id: ObjectId, *, session: Session
) -> None:
    """Raises DuplicateKeyError when this person has answered already."""
    await db[RESPONDENTS].insert_one(
        {"_id": respondent_key(survey_id, user_id), "survey_id": survey_id, "user_id": user_id},
        session=session,
    )


async def answered(
    db: Database, user_id: ObjectId, survey_ids: Sequence[ObjectId]
) -> set[ObjectId]:
    """Which of these surveys the person has answered (exact `_id`s: no index needed)."""
    keys = [respondent_key(s, user_id) for s in survey_ids]
    cursor = db[RESPONDENTS].find({"_id": {"$in": keys}}, projection={"survey_id": 1})
    return {d["survey_id"] async for d in cursor}


async def add_to_tally(
    db: Database,
    survey_id: ObjectId,
    community_id: ObjectId,
    shard: int,
    increments: Document,
    *,
    session: Session,
) -> bool:
    """Add one answer's sums to a shard of its community; False if there is no such shard."""
    result = await db[TALLIES].update_one(
        {"_id": f"{survey_id}:{community_id}:{shard}"}, {"$inc": increments}, session=session
    )
    return result.matched_count == 1


async def tallies(
    db: Database, survey_ids: Sequence[ObjectId]
) -> dict[ObjectId, list[CommunityTally]]:
    """Per survey, the sums of each community over its shards."""
    sums: dict[ObjectId, dict[ObjectId, tuple[int, dict[str, dict[int, int]]]]] = {
        s: {} for s in survey_ids
    }
    cursor = db[TALLIES].find({"survey_id": {"$in": list(survey_ids)}})
    async for shard in cursor:
        communities = sums[shard["survey_id"]]
        respondents, counts = communities.get(shard["community_id"], (0, {}))
        for question, options in (shard.get("counts") or {}).items():
            into = counts.setdefault(question, {})
            for option, value in options.items():
                index = int(option[1:])
                into[index] = into.get(index, 0) + int(value)
        communities[shard["community_id"]] = (respondents + int(shard["respondents"]), counts)
    return {
        s: [CommunityTally(c, n, counts) for c, (n, counts) in communities.items()]
        for s, communities in sums.items()
    }


async def to_announce(db: Database, now: datetime, *, limit: int) -> list[ObjectId]:
    cursor = db[SURVEYS].find(
        {"announced": False, "opens_at": {"$lte": now}}, projection={"_id": 1}, limit=limit
    )
    return [d["_id"] async for d in cursor]


async def mark_announced(db: Database, survey_id: ObjectId, *, session: Session) -> Survey | None:
    """Mark a survey's opening announced, once (None if it was already)."""
    document = await db[SURVEYS].find_one_and_update(
        {"_id": survey_id, "announced": False},
        {"$set": {"announced": True}},
        return_document=ReturnDocument.AFTER,
        session=session,
    )
    return Survey.from_document(document) if document else None
