"""Secret ballots: nothing stored or served links a voter to a choice."""

from __future__ import annotations

from typing import Any

from bson import ObjectId

from neighbor_api.core.deps import Deps
from tests.conftest import Api
from tests.councils.support import (
    CHAIR,
    HOUSEMATE,
    JINAN_WORKER,
    OWNERS_CHAIR,
    OWNERS_COMMITTEE,
    SECRETARY,
    Hall,
    object_id,
)


def values(document: Any) -> set[Any]:
    """Every scalar anywhere in a document (ObjectIds and strings, as both)."""
    found: set[Any] = set()
    if isinstance(document, dict):
        for key, value in document.items():
            found.add(str(key))
            found |= values(value)
    elif isinstance(document, list):
        for value in document:
            found |= values(value)
    else:
        found.add(document)
        found.add(str(document))
        if isinstance(document, str):
            found |= set(document.split(":"))
    return found


class TestSecretBallot:
    async def test_stored_documents_never_link_a_voter_to_a_choice(
        self, api: Api, deps: Deps
    ) -> None:
        hall = await Hall.open(api, deps)
        proposal_id = await hall.voting(
            OWNERS_CHAIR, OWNERS_COMMITTEE, electorate="OWNERS", ballot="SECRET"
        )
        await hall.vote(OWNERS_CHAIR, proposal_id, "赞成")
        await hall.vote(SECRETARY, proposal_id, "反对")
        await hall.vote(CHAIR, proposal_id, "赞成")
        voters = {object_id(await hall.user_id(p)) for p in (OWNERS_CHAIR, SECRETARY, CHAIR)}
        options = {object_id(i) for i in hall.options[proposal_id].values()}
        voter_strings = {str(v) for v in voters} | voters
        option_strings = {str(o) for o in options} | options
        db = deps.db

        participations = await db["participations"].find().to_list()
        assert len(participations) == 3
        for document in participations:
            assert document.get("choice_ids") is None
            assert not values(document) & option_strings, document
        tallies = await db["tallies"].find({"proposal_id": object_id(proposal_id)}).to_list()
        assert sum(sum(t["counts"].values()) for t in tallies) == 3
        for document in tallies:
            assert not values(document) & voter_strings, document
            assert set(document) == {"_id", "proposal_id", "open", "counts", "areas", "voters"}
        for name in ("events", "electors", "participations", "tallies"):
            for document in await db[name].find().to_list():
                found = values(document)
                assert not (found & voter_strings and found & option_strings), (name, document)
        for event in await db["events"].find({"subject_id": object_id(proposal_id)}).to_list():
            assert not values(event["data"]) & option_strings, event
        stored = await db["proposals"].find_one({"_id": object_id(proposal_id)})
        assert stored is not None
        without_author = {k: v for k, v in stored.items() if k != "author_id"}
        assert not values(without_author) & voter_strings

        await hall.close(proposal_id, OWNERS_CHAIR)
        stored = await db["proposals"].find_one({"_id": object_id(proposal_id)})
        assert stored is not None
        without_author = {k: v for k, v in stored.items() if k != "author_id"}
        assert not values(without_author) & voter_strings
        assert sorted(r["count"] for r in stored["results"]) == [0, 1, 2]

    async def test_the_api_shows_who_voted_not_how(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        proposal_id = await hall.voting(ballot="SECRET")
        receipt = await hall.vote(SECRETARY, proposal_id, "反对")
        assert receipt["receipt"]["id"]
        assert receipt["receipt"]["proposalId"] == proposal_id
        await hall.vote(CHAIR, proposal_id, "赞成")
        for phone in (SECRETARY, JINAN_WORKER, HOUSEMATE):
            detail = await hall.detail(proposal_id, phone)
            assert [o["voteCount"] for o in detail["options"]] == [None, None, None]
            assert detail["viewerChoiceIds"] is None
            roll = [e["node"] for e in detail["voters"]["edges"]]
            assert sorted(n["user"]["displayName"] for n in roll) == ["王丽娟", "黄国栋"]
            assert all(n["choiceIds"] is None and n["castAt"] is None for n in roll)
            assert detail["turnout"]["voted"] == 2
        assert (await hall.detail(proposal_id, SECRETARY))["viewerHasVoted"] is True
        await hall.close(proposal_id)
        closed = await hall.detail(proposal_id, HOUSEMATE)
        assert [o["voteCount"] for o in closed["options"]] == [1, 1, 0]
        assert all(e["node"]["choiceIds"] is None for e in closed["voters"]["edges"])
        assert (await hall.detail(proposal_id, SECRETARY))["viewerChoiceIds"] is None

    async def test_open_ballot_counts_are_hidden_only_before_voting(
        self, api: Api, deps: Deps
    ) -> None:
        hall = await Hall.open(api, deps)
        proposal_id = await hall.create()
        assert await hall.counts(proposal_id) == {"赞成": None, "反对": None, "弃权": None}
        await hall.open_payload(proposal_id)
        assert await hall.counts(proposal_id) == {"赞成": 0, "反对": 0, "弃权": 0}
        await hall.vote(OWNERS_CHAIR, proposal_id, "弃权")
        assert await hall.counts(proposal_id) == {"赞成": 0, "反对": 0, "弃权": 1}
        stored = await deps.db["participations"].find_one({})
        assert stored is not None
        assert stored["choice_ids"] == [ObjectId(object_id(hall.choice(proposal_id, "弃权")[0]))]
