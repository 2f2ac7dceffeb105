"""Every MongoDB query about councils, proposals, electorates, the roll and the tallies."""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, IndexModel, InsertOne, ReturnDocument
from pymongo.errors import DuplicateKeyError

from neighbor_api.core import idempotency, together
from neighbor_api.core.mongo import Database, Document, Session, register_indexes
from neighbor_api.core.pagination import Page, Sort, keyset_page
from neighbor_api.councils.models import (
    CoSignature,
    Council,
    Elector,
    Participation,
    Proposal,
    ProposalComment,
    ProposalStatus,
    ProxyAuthorization,
)

COUNCILS = "councils"
PROPOSALS = "proposals"
ELECTORS = "electors"
PARTICIPATIONS = "participations"
TALLIES = "tallies"
COMMENTS = "proposal_comments"
PROXIES = "proxy_authorizations"
CO_SIGNATURES = "co_signatures"

# Votes add to one of this many tally documents, picked at random, so concurrent votes
# rarely touch the same document (and so rarely conflict).
TALLY_SHARDS = 8

register_indexes(
    COUNCILS, [IndexModel([("community_id", ASCENDING), ("name", ASCENDING)], name="community")]
)
register_indexes(
    PROPOSALS,
    [
        IndexModel(
            [("council_id", ASCENDING), ("created_at", DESCENDING), ("_id", DESCENDING)],
            name="council_newest",
        ),
        IndexModel([("status", ASCENDING), ("voting_closes_at", ASCENDING)], name="closing"),
        idempotency.unique_index(),
    ],
)
register_indexes(
    ELECTORS,
    [
        IndexModel(
            [("proposal_id", ASCENDING), ("voter_key", ASCENDING)], name="one_per_key", unique=True
        ),
        IndexModel([("proposal_id", ASCENDING), ("user_ids", ASCENDING)], name="member"),
    ],
)
register_indexes(
    PARTICIPATIONS,
    [
        # One vote per elector (a person, or a household), decided by the database.
        IndexModel(
            [("proposal_id", ASCENDING), ("voter_key", ASCENDING)], name="one_vote", unique=True
        ),
        IndexModel([("proposal_id", ASCENDING), ("user_id", ASCENDING)], name="voter"),
        idempotency.unique_index(),
    ],
)
register_indexes(TALLIES, [IndexModel([("proposal_id", ASCENDING)], name="proposal")])
register_indexes(
    COMMENTS,
    [
        IndexModel([("proposal_id", ASCENDING), ("created_at", ASCENDING)], name="proposal"),
        idempotency.unique_index(),
    ],
)


async def insert_council(db: Database, council: Council) -> None:
    await db[COUNCILS].insert_one(council.to_document())


async def councils_by_ids(db: Database, ids: Sequence[ObjectId]) -> list[Council]:
    cursor = db[COUNCILS].find({"_id": {"$in": list(ids)}})
    return [Council.from_document(d) async for d in cursor]


async def councils_of(db: Database, community_ids: Sequence[ObjectId]) -> list[Council]:
    cursor = db[COUNCILS].find(
        {"community_id": {"$in": list(community_ids)}}, sort=[("name", ASCENDING)]
    )
    return [Council.from_document(d) async for d in cursor]


async def set_members(
    db: Database, council_id: ObjectId, members: list[Document], *, session: Session | None
) -> Council | None:
    document = await db[COUNCILS].find_one_and_update(
        {"_id": council_id},
        {"$set": {"members": members}},
        return_document=ReturnDocument.AFTER,
        session=session,
    )
    return Council.from_document(document) if document else None


async def insert_proposal(db: Database, proposal: Proposal, *, session: Session) -> None:
    await db[PROPOSALS].insert_one(proposal.to_document(), session=session)


async def proposals_by_ids(db: Database, ids: Sequence[ObjectId]) -> list[Proposal]:
    """The proposals of `ids` that exist (read with other requests' asks: `core/together.py`)."""
    return [Proposal.from_document(d) for d in await together.find_in(db, PROPOSALS, ids)]


async def proposals_page(
    db: Database,
    council_id: ObjectId,
    *,
    statuses: Sequence[ProposalStatus] | None,
    first: int | None,
    after: str | None,
) -> Page[Proposal]:
    query: Document = {"council_id": council_id}
    if statuses:
        query["status"] = {"$in": [s.value for s in statuses]}
    sort: Sort = [("created_at", DESCENDING), ("_id", DESCENDING)]
    page = await keyset_page(db[PROPOSALS], query, sort=sort, first=first, after=after)
    return page.map(Proposal.from_document)


async def update_proposal(
    db: Database,
    proposal_id: ObjectId,
    *,
    from_statuses: Sequence[ProposalStatus],
    changes: Document,
    session: Session | None = None,
) -> Proposal | None:
    """Change a proposal still in one of `from_statuses` (None if it no longer is)."""
    document = await db[PROPOSALS].find_one_and_update(
        {"_id": proposal_id, "status": {"$in": [s.value for s in from_statuses]}},
        {"$set": changes},
        return_document=ReturnDocument.AFTER,
        session=session,
    )
    return Proposal.from_document(document) if document else None


async def due_to_close(db: Database, now: object, *, limit: int) -> list[ObjectId]:
    cursor = db[PROPOSALS].find(
        {"status": ProposalStatus.VOTING.value, "voting_closes_at": {"$lte": now}},
        projection={"_id": 1},
        limit=limit,
    )
    return [d["_id"] async for d in cursor]


async def closing_between(
    db: Database, start: object, end: object, *, limit: int
) -> list[Proposal]:
    """Proposals in VOTING whose vote closes in (start, end] (the `closing` index)."""
    cursor = db[PROPOSALS].find(
        {"status": ProposalStatus.VOTING.value, "voting_closes_at": {"$gt": start, "$lte": end}},
        sort=[("voting_closes_at", ASCENDING)],
        limit=limit,
    )
    return [Proposal.from_document(d) async for d in cursor]


async def open_ballot_box(
    db: Database, proposal_id: ObjectId, electors: Sequence[Elector], *, session: Session
) -> None:
    """Fix the electorate and set up the empty tally shards."""
    if electors:
        await db[ELECTORS].bulk_write(
            [InsertOne(e.to_document()) for e in electors], session=session
        )
    await db[TALLIES].insert_many(
        [
            {
                "_id": f"{proposal_id}:{shard}",
                "proposal_id": proposal_id,
                "open": True,
                "counts": {},
                "areas": {},
                "voters": 0,
            }
            for shard in range(TALLY_SHARDS)
        ],
        session=session,
    )


async def elector_of(db: Database, proposal_id: ObjectId, user_id: ObjectId) -> Elector | None:
    document = await db[ELECTORS].find_one({"proposal_id": proposal_id, "user_ids": user_id})
    return Elector.from_document(document) if document else None


async def electors_of_user(
    db: Database, user_id: ObjectId, proposal_ids: Sequence[ObjectId]
) -> list[Elector]:
    cursor = db[ELECTORS].find({"proposal_id": {"$in": list(proposal_ids)}, "user_ids": user_id})
    return [Elector.from_document(d) async for d in cursor]


async def participations_of_keys(
    db: Database, keys: Sequence[tuple[ObjectId, str]]
) -> list[Participation]:
    """The roll entries of these (proposal, elector) pairs, narrowed to the exact pairs here.

    Flat filters only: a top-level `$or` of the pairs, or a second `$in`, makes the embedded
    server scan the whole roll. One proposal (a detail page, a vote's payload) reads exactly
    its electors through `one_vote`; several (a list page, where the viewer has one or two
    elector keys) read those proposals' roll through the index's prefix."""
    if not keys:
        return []
    wanted = set(keys)
    proposals = sorted({proposal for proposal, _ in wanted})
    if len(proposals) == 1:
        voters = sorted({voter for _, voter in wanted})
        query: Document = {"proposal_id": proposals[0], "voter_key": {"$in": voters}}
    else:
        query = {"proposal_id": {"$in": proposals}}
    found = [Participation.from_document(d) async for d in db[PARTICIPATIONS].find(query)]
    return [p for p in found if (p.proposal_id, p.voter_key) in wanted]


async def insert_participation(
    db: Database, participation: Participation, *, session: Session
) -> None:
    """Raises DuplicateKeyError when this elector has voted already."""
    await db[PARTICIPATIONS].insert_one(participation.to_document(), session=session)


async def participation(
    db: Database, proposal_id: ObjectId, voter_key: str
) -> Participation | None:
    document = await db[PARTICIPATIONS].find_one(
        {"proposal_id": proposal_id, "voter_key": voter_key}
    )
    return Participation.from_document(document) if document else None


async def participations_of(
    db: Database, user_id: ObjectId, proposal_ids: Sequence[ObjectId]
) -> list[Participation]:
    cursor = db[PARTICIPATIONS].find(
        {"user_id": user_id, "proposal_id": {"$in": list(proposal_ids)}}
    )
    return [Participation.from_document(d) async for d in cursor]


async def roll_page(
    db: Database,
    proposal_id: ObjectId,
    *,
    first: int | None,
    after: str | None,
    by_key: bool = False,
) -> Page[Participation]:
    """The roll in voting order, or (`by_key`, secret ballots) in the electors' key order,
    which says nothing of when anyone voted (index `one_vote`)."""
    page = await keyset_page(
        db[PARTICIPATIONS],
        {"proposal_id": proposal_id},
        sort=[("voter_key" if by_key else "_id", ASCENDING)],
        first=first,
        after=after,
    )
    return page.map(Participation.from_document)


def pick_shard() -> int:
    """The tally shard one vote adds to, at random."""
    return secrets.randbelow(TALLY_SHARDS)


def shard_serial(proposal_id: ObjectId, shard: int) -> tuple[str, ObjectId, int]:
    """The `serial` key (core/mongo `in_transaction`) of the votes adding to one shard: run
    together, all but one would conflict on it and run again."""
    return (TALLIES, proposal_id, shard)


async def add_to_tally(
    db: Database,
    proposal_id: ObjectId,
    shard: int,
    increments: Document,
    *,
    session: Session,
) -> bool:
    """Add one vote's sums to a shard still open; False once voting has closed."""
    result = await db[TALLIES].update_one(
        {"_id": f"{proposal_id}:{shard}", "open": True}, {"$inc": increments}, session=session
    )
    return result.modified_count == 1


async def close_ballot_box(db: Database, proposal_id: ObjectId, *, session: Session) -> None:
    """No vote can be added after this (a vote racing it conflicts and is retried, then
    refused)."""
    await db[TALLIES].update_many(
        {"proposal_id": proposal_id, "open": True}, {"$set": {"open": False}}, session=session
    )


async def live_counts(
    db: Database, proposal_ids: Sequence[ObjectId], *, session: Session | None = None
) -> dict[ObjectId, Document]:
    """Per proposal: the sums over its shards, {"counts": {option: n}, "areas": {...},
    "voters": n}. `voters` counts the votes added since shards counted them (every vote of
    this release, in its transaction): the roll's version (`service.roll_version`), not a
    figure to show (the turnout is `turnout`'s)."""
    totals: dict[ObjectId, Document] = {
        i: {"counts": {}, "areas": {}, "voters": 0} for i in proposal_ids
    }
    if session is None:  # outside a transaction: with other requests' asks (core/together.py)
        shards = await together.find_in(db, TALLIES, proposal_ids, field="proposal_id")
    else:
        shards = await db[TALLIES].find({"proposal_id": {"$in": list(proposal_ids)}},
                                        session=session).to_list()  # fmt: skip
    for shard in shards:
        total = totals[shard["proposal_id"]]
        total["voters"] += int(shard.get("voters", 0))
        for field in ("counts", "areas"):
            for option, value in shard.get(field, {}).items():
                total[field][option] = total[field].get(option, 0) + value
    return totals


async def turnout(
    db: Database, proposal_ids: Sequence[ObjectId], *, session: Session | None = None
) -> dict[ObjectId, tuple[int, int]]:
    """Per proposal: how many electors voted and the floor area (×100) they hold."""
    pipeline: list[Document] = [
        {"$match": {"proposal_id": {"$in": list(proposal_ids)}}},
        {"$group": {"_id": "$proposal_id", "n": {"$sum": 1}, "area": {"$sum": "$area_centi"}}},
    ]
    rows = await (await db[PARTICIPATIONS].aggregate(pipeline, session=session)).to_list()
    found = {row["_id"]: (int(row["n"]), int(row["area"])) for row in rows}
    return {i: found.get(i, (0, 0)) for i in proposal_ids}


async def insert_comment(db: Database, comment: ProposalComment, *, session: Session) -> None:
    await db[COMMENTS].insert_one(comment.to_document(), session=session)
    await db[PROPOSALS].update_one(
        {"_id": comment.proposal_id}, {"$inc": {"comment_count": 1}}, session=session
    )


async def comments_page(
    db: Database, proposal: Proposal, *, first: int | None, after: str | None
) -> Page[ProposalComment]:
    """A page of the proposal's comments; their total is its `comment_count`, which
    `insert_comment` keeps in the comment's transaction (comments are never deleted)."""
    page = await keyset_page(
        db[COMMENTS],
        {"proposal_id": proposal.id},
        sort=[("created_at", ASCENDING), ("_id", ASCENDING)],
        first=first,
        after=after,
    )
    return page.map(ProposalComment.from_document).with_total(proposal.comment_count)


# --- Proxies (委托投票) ------------------------------------------------------------------------

register_indexes(
    PROXIES,
    [
        # One proxy per elector and proposal.
        IndexModel(
            [("proposal_id", ASCENDING), ("voter_key", ASCENDING)],
            name="one_per_elector",
            unique=True,
        ),
        # A proxy's authorisations on one proposal take numbered slots: the cap is the
        # number of slots, and the database refuses a second holder of one slot.
        IndexModel(
            [("proposal_id", ASCENDING), ("proxy_id", ASCENDING), ("slot", ASCENDING)],
            name="proxy_slots",
            unique=True,
        ),
        IndexModel([("proposal_id", ASCENDING), ("elector_id", ASCENDING)], name="elector"),
    ],
)


async def insert_proxy(db: Database, proxy: ProxyAuthorization) -> bool:
    """False when the elector has a proxy or the slot is taken (a unique index refused it)."""
    try:
        await db[PROXIES].insert_one(proxy.to_document())
    except DuplicateKeyError:
        return False
    return True


async def proxies_held(
    db: Database, proposal_id: ObjectId, proxy_ids: Sequence[ObjectId]
) -> list[ProxyAuthorization]:
    """The authorisations these people hold on the proposal (`proxy_slots`' prefix)."""
    cursor = db[PROXIES].find({"proposal_id": proposal_id, "proxy_id": {"$in": list(proxy_ids)}})
    return [ProxyAuthorization.from_document(d) async for d in cursor]


async def proxies_given(
    db: Database, proposal_id: ObjectId, elector_id: ObjectId
) -> list[ProxyAuthorization]:
    cursor = db[PROXIES].find({"proposal_id": proposal_id, "elector_id": elector_id})
    return [ProxyAuthorization.from_document(d) async for d in cursor]


async def proxy_of_elector(
    db: Database, proposal_id: ObjectId, voter_key: str
) -> ProxyAuthorization | None:
    document = await db[PROXIES].find_one({"proposal_id": proposal_id, "voter_key": voter_key})
    return ProxyAuthorization.from_document(document) if document else None


async def proxies_by_ids(db: Database, ids: Sequence[ObjectId]) -> list[ProxyAuthorization]:
    cursor = db[PROXIES].find({"_id": {"$in": list(ids)}})
    return [ProxyAuthorization.from_document(d) async for d in cursor]


async def delete_unused_proxy(
    db: Database, proxy_id: ObjectId, *, session: Session | None = None
) -> ProxyAuthorization | None:
    """Revoke: only an authorisation not used yet (None once the proxy has voted)."""
    document = await db[PROXIES].find_one_and_delete(
        {"_id": proxy_id, "used": False}, session=session
    )
    return ProxyAuthorization.from_document(document) if document else None


async def use_proxy(
    db: Database, proposal_id: ObjectId, voter_key: str, proxy_id: ObjectId, *, session: Session
) -> bool:
    """Mark the authorisation used, in the transaction of the proxy's vote (False when it
    was revoked meanwhile or is someone else's)."""
    result = await db[PROXIES].update_one(
        {"proposal_id": proposal_id, "voter_key": voter_key, "proxy_id": proxy_id, "used": False},
        {"$set": {"used": True}},
        session=session,
    )
    return result.modified_count == 1


# --- Residents' suggestions (议题征集) -------------------------------------------------------

register_indexes(
    CO_SIGNATURES,
    [
        # One co-signature per person and suggestion (the author's is the first).
        IndexModel([("proposal_id", ASCENDING), ("user_id", ASCENDING)], name="once", unique=True),
    ],
)


async def insert_co_signature(
    db: Database, signature: CoSignature, *, session: Session
) -> Proposal | None:
    """Sign and count, in the caller's transaction: DuplicateKeyError when this person has
    signed; None when the proposal is no longer SUGGESTED."""
    await db[CO_SIGNATURES].insert_one(signature.to_document(), session=session)
    document = await db[PROPOSALS].find_one_and_update(
        {"_id": signature.proposal_id, "status": ProposalStatus.SUGGESTED.value},
        {"$inc": {"co_signature_count": 1}},
        return_document=ReturnDocument.AFTER,
        session=session,
    )
    return Proposal.from_document(document) if document else None


async def co_signers(db: Database, proposal_id: ObjectId) -> list[ObjectId]:
    cursor = db[CO_SIGNATURES].find({"proposal_id": proposal_id}, projection={"user_id": 1})
    return [d["user_id"] async for d in cursor]


async def co_signed_by(
    db: Database, user_id: ObjectId, proposal_ids: Sequence[ObjectId]
) -> set[ObjectId]:
    """Which of these proposals `user_id` has co-signed (the `once` index per proposal)."""
    ids = list(proposal_ids)
    query: Document = {"user_id": user_id}
    query["proposal_id"] = ids[0] if len(ids) == 1 else {"$in": ids}
    cursor = db[CO_SIGNATURES].find(query, projection={"proposal_id": 1})
    return {d["proposal_id"] async for d in cursor}
