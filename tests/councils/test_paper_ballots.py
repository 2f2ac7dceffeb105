"""Paper ballots (纸质选票) entered by community staff, and what storage keeps of secret ballots
cast by proxy or on paper."""

from __future__ import annotations

from neighbor_api.core.deps import Deps
from tests.conftest import Api
from tests.councils.ballots_support import (
    authorize,
    codes,
    oid,
    paper,
    photo,
    proxy_vote,
    roll,
)
from tests.councils.support import (
    CHAIR,
    HOUSEMATE,
    JINAN_WORKER,
    JINSHAN_WORKER,
    OWNERS_CHAIR,
    OWNERS_COMMITTEE,
    SECRETARY,
    Hall,
)
from tests.councils.test_secrecy import values


class TestPaperBallots:
    async def test_staff_enter_an_electors_ballot_with_its_photo(
        self, api: Api, deps: Deps
    ) -> None:
        hall = await Hall.open(api, deps)
        proposal_id = await hall.voting()  # open ballot of the council's members
        photo_id = await photo(hall, JINAN_WORKER)
        recorded = await paper(
            hall, proposal_id, JINAN_WORKER, SECRETARY, "赞成", photo_id=photo_id
        )
        assert recorded["errors"] == []
        assert recorded["proposal"]["turnout"] == {"voted": 1, "eligible": 3}
        (entry,) = await roll(hall, proposal_id, CHAIR)
        assert entry["channel"] == "PAPER"
        assert entry["user"] == {"displayName": "王丽娟"}
        assert entry["castBy"] == {"displayName": "林美华"}
        assert entry["choiceIds"] == hall.choice(proposal_id, "赞成")  # an open ballot
        stored = await deps.db["participations"].find_one({})
        assert stored is not None
        assert stored["ballot_photo_id"] == oid(photo_id)
        attachment = await deps.db["attachments.files"].find_one({"_id": oid(photo_id)})
        assert attachment is not None
        assert attachment["metadata"]["subject_id"] == oid(proposal_id)
        (event,) = await hall.events(proposal_id, "proposal.vote_cast")
        assert event["actor_id"] == oid(await hall.user_id(JINAN_WORKER))
        assert event["data"] == {
            "channel": "PAPER",
            "elector_id": oid(await hall.user_id(SECRETARY)),
        }
        # The app vote after the paper ballot, and a second paper ballot: ALREADY_VOTED.
        assert codes(await hall.vote_payload(SECRETARY, proposal_id, "反对")) == ["ALREADY_VOTED"]
        twice = await paper(hall, proposal_id, JINAN_WORKER, SECRETARY, "反对")
        assert codes(twice) == ["ALREADY_VOTED"]
        assert "已投过票" in twice["errors"][0]["message"]
        assert await hall.counts(proposal_id) == {"赞成": 1, "反对": 0, "弃权": 0}

    async def test_a_paper_ballot_after_an_app_vote_is_already_voted(
        self, api: Api, deps: Deps
    ) -> None:
        hall = await Hall.open(api, deps)
        proposal_id = await hall.voting()
        await hall.vote(CHAIR, proposal_id, "反对")
        photo_id = await photo(hall, JINAN_WORKER)
        refused = await paper(hall, proposal_id, JINAN_WORKER, CHAIR, "赞成", photo_id=photo_id)
        assert codes(refused) == ["ALREADY_VOTED"]
        assert await deps.db["participations"].count_documents({}) == 1
        attachment = await deps.db["attachments.files"].find_one({"_id": oid(photo_id)})
        assert attachment is not None
        assert attachment["metadata"].get("subject_id") is None  # nothing changed

    async def test_who_may_and_what_is_refused(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        proposal_id = await hall.voting()
        # The chair is no staff; 金山社区's worker is no staff of 金安社区 (and cannot see it).
        by_chair = await paper(hall, proposal_id, CHAIR, SECRETARY, "赞成")
        assert codes(by_chair) == ["FORBIDDEN"]
        assert "社区工作人员" in by_chair["errors"][0]["message"]
        assert codes(await paper(hall, proposal_id, JINSHAN_WORKER, SECRETARY, "赞成")) == [
            "NOT_FOUND"
        ]
        # 张伟 is not a member of the council: not in this electorate.
        outsider = await paper(hall, proposal_id, JINAN_WORKER, HOUSEMATE, "赞成")
        assert codes(outsider) == ["NOT_ELIGIBLE"]
        # Someone else's upload as the photo.
        theirs = await photo(hall, SECRETARY)
        foreign = await paper(hall, proposal_id, JINAN_WORKER, SECRETARY, "赞成", photo_id=theirs)
        assert codes(foreign) == ["NOT_FOUND"]
        assert foreign["errors"][0]["field"] == ["input", "ballotPhotoId"]
        # Two choices on a yes/no ballot.
        spoilt = await paper(hall, proposal_id, JINAN_WORKER, SECRETARY, "赞成", "反对")
        assert codes(spoilt) == ["INVALID_INPUT"]
        assert await deps.db["participations"].count_documents({}) == 0
        assert await deps.db["events"].count_documents({"kind": "proposal.vote_cast"}) == 0


class TestSecretBallotsByProxyAndOnPaper:
    async def test_storage_holds_no_link_from_a_person_to_a_choice(
        self, api: Api, deps: Deps
    ) -> None:
        hall = await Hall.open(api, deps)
        proposal_id = await hall.voting(
            OWNERS_CHAIR, OWNERS_COMMITTEE, electorate="OWNERS", ballot="SECRET"
        )
        # 黄国栋 gives his vote to 张伟; 王丽娟's paper ballot is entered by 林美华.
        assert (await authorize(hall, proposal_id, CHAIR, HOUSEMATE))["errors"] == []
        assert (await proxy_vote(hall, proposal_id, HOUSEMATE, CHAIR, "赞成"))["errors"] == []
        photo_id = await photo(hall, JINAN_WORKER)
        recorded = await paper(
            hall, proposal_id, JINAN_WORKER, SECRETARY, "反对", photo_id=photo_id
        )
        assert recorded["errors"] == []
        await hall.vote(OWNERS_CHAIR, proposal_id, "赞成")

        people = {oid(await hall.user_id(p)) for p in (CHAIR, HOUSEMATE, SECRETARY, JINAN_WORKER)}
        person_strings = people | {str(p) for p in people}
        options = {oid(i) for i in hall.options[proposal_id].values()}
        option_strings = options | {str(o) for o in options}
        db = deps.db
        for document in await db["participations"].find().to_list():
            assert document.get("choice_ids") is None
            assert document.get("ballot_photo_id") is None  # the ballot's face stays apart
            assert not values(document) & option_strings, document
            assert not values(document) & {photo_id, oid(photo_id)}, document
        for name in ("events", "electors", "participations", "tallies", "proxy_authorizations"):
            for document in await db[name].find().to_list():
                found = values(document)
                assert not (found & person_strings and found & option_strings), (name, document)
        for document in await db["tallies"].find().to_list():
            assert set(document) == {"_id", "proposal_id", "open", "counts", "areas", "voters"}
        # Through the API: who voted and how they took part, never what.
        entries = await roll(hall, proposal_id, OWNERS_CHAIR)
        assert sorted(e["channel"] for e in entries) == ["APP", "PAPER", "PROXY"]
        assert all(e["choiceIds"] is None for e in entries)
        await hall.close(proposal_id, OWNERS_CHAIR)
        assert await hall.counts(proposal_id, OWNERS_CHAIR) == {"赞成": 2, "反对": 1, "弃权": 0}
        assert all(e["choiceIds"] is None for e in await roll(hall, proposal_id, OWNERS_CHAIR))
