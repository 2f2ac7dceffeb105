"""Proxies (委托投票): an elector lets a member of the community cast their one vote."""

from __future__ import annotations

import asyncio

from neighbor_api.core.deps import Deps
from neighbor_api.core.i18n import Locale
from neighbor_api.notifications import service as notifications
from tests.conftest import Api
from tests.councils.ballots_support import (
    authorize,
    codes,
    contract,
    custom,
    oid,
    proxy_vote,
    roll,
    user_gid,
)
from tests.councils.support import (
    CHAIR,
    HOUSEMATE,
    JINAN_WORKER,
    JINSHAN_CHAIR,
    OWNERS_CHAIR,
    OWNERS_COMMITTEE,
    SECRETARY,
    Hall,
)


async def owners_vote(hall: Hall, ballot: str = "SECRET") -> str:
    return await hall.voting(OWNERS_CHAIR, OWNERS_COMMITTEE, electorate="OWNERS", ballot=ballot)


class TestProxyVote:
    async def test_the_proxy_casts_the_electors_one_vote_with_their_weight(
        self, api: Api, deps: Deps
    ) -> None:
        hall = await Hall.open(api, deps)
        proposal_id = await owners_vote(hall)
        given = await authorize(hall, proposal_id, OWNERS_CHAIR, HOUSEMATE)  # 李秀英 → 张伟
        assert given["errors"] == []
        assert given["proxy"]["elector"]["displayName"] == "李秀英"
        assert given["proxy"]["proxy"]["displayName"] == "张伟"
        assert given["proxy"]["id"]
        assert given["proxy"]["createdAt"]

        # The proxy must act: they are told (notifications/rules.py).
        await notifications.notify(deps)
        (told,) = await deps.db["notifications"].find({"kind": "PROXY_AUTHORIZED"}).to_list()
        assert told["user_id"] == oid(await hall.user_id(HOUSEMATE))
        assert told["body"].startswith("李秀英委托您在金安里业主委员会的「")

        cast = await proxy_vote(hall, proposal_id, HOUSEMATE, OWNERS_CHAIR, "赞成")
        assert cast["errors"] == []
        assert cast["proposal"]["turnout"] == {"voted": 1, "eligible": 3}
        # A secret ballot's m² are the community staff's to see (service.may_see_figures).
        detail = await custom(hall, "Roll", {"id": proposal_id}, JINAN_WORKER)
        assert detail["proposal"]["turnout"]["votedArea"] == 120.0  # 李秀英's area, not 张伟's
        (entry,) = await roll(hall, proposal_id, SECRETARY)
        assert entry == {
            "channel": "PROXY",
            "choiceIds": None,
            "user": {"displayName": "李秀英"},
            "castBy": {"displayName": "张伟"},
        }
        # The elector's one vote is in: neither they nor the proxy can cast it again.
        assert codes(await hall.vote_payload(OWNERS_CHAIR, proposal_id, "反对")) == [
            "ALREADY_VOTED"
        ]
        again = await proxy_vote(hall, proposal_id, HOUSEMATE, OWNERS_CHAIR, "反对")
        assert codes(again) == ["ALREADY_VOTED"]
        assert await deps.db["participations"].count_documents({}) == 1
        # The audit trail: who authorised whom, who cast whose vote.
        (authorized,) = await hall.events(proposal_id, "proposal.proxy_authorized")
        assert authorized["actor_id"] == oid(await hall.user_id(OWNERS_CHAIR))
        (voted,) = await hall.events(proposal_id, "proposal.vote_cast")
        assert voted["actor_id"] == oid(await hall.user_id(HOUSEMATE))
        assert voted["data"] == {
            "channel": "PROXY",
            "elector_id": oid(await hall.user_id(OWNERS_CHAIR)),
        }
        closed = await hall.close(proposal_id, OWNERS_CHAIR)
        assert closed["status"] == "CLOSED"
        assert await hall.counts(proposal_id, OWNERS_CHAIR) == {"赞成": 1, "反对": 0, "弃权": 0}

    async def test_the_elector_voting_first_leaves_the_proxy_nothing(
        self, api: Api, deps: Deps
    ) -> None:
        hall = await Hall.open(api, deps)
        proposal_id = await hall.voting()  # the council's members: 黄国栋, 王丽娟, 李秀英
        assert (await authorize(hall, proposal_id, SECRETARY, CHAIR))["errors"] == []
        await hall.vote(SECRETARY, proposal_id, "反对")
        late = await proxy_vote(hall, proposal_id, CHAIR, SECRETARY, "赞成")
        assert codes(late) == ["ALREADY_VOTED"]
        assert await hall.counts(proposal_id) == {"赞成": 0, "反对": 1, "弃权": 0}
        # The chair's own vote is theirs still.
        await hall.vote(CHAIR, proposal_id, "赞成")
        assert await hall.counts(proposal_id) == {"赞成": 1, "反对": 1, "弃权": 0}

    async def test_revocable_until_the_proxy_votes(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        proposal_id = await hall.voting()
        given = await authorize(hall, proposal_id, SECRETARY, CHAIR)
        revoke = {"input": {"proxyAuthorizationId": given["proxy"]["id"]}}
        # Only the elector revokes.
        assert codes((await custom(hall, "RevokeProxy", revoke, CHAIR))["revokeProxy"]) == [
            "NOT_FOUND"
        ]
        revoked = (await custom(hall, "RevokeProxy", revoke, SECRETARY))["revokeProxy"]
        assert revoked["errors"] == []
        assert await deps.db["proxy_authorizations"].count_documents({}) == 0
        refused = await proxy_vote(hall, proposal_id, CHAIR, SECRETARY, "赞成")
        assert codes(refused) == ["FORBIDDEN"]
        assert refused["errors"][0]["field"] == ["input", "onBehalfOfId"]
        assert await deps.db["participations"].count_documents({}) == 0
        assert len(await hall.events(proposal_id, "proposal.proxy_revoked")) == 1

        given = await authorize(hall, proposal_id, SECRETARY, OWNERS_CHAIR)
        assert given["errors"] == []
        assert (await proxy_vote(hall, proposal_id, OWNERS_CHAIR, SECRETARY, "赞成"))[
            "errors"
        ] == []
        revoke = {"input": {"proxyAuthorizationId": given["proxy"]["id"]}}
        used = (await custom(hall, "RevokeProxy", revoke, SECRETARY))["revokeProxy"]
        assert codes(used) == ["INVALID_TRANSITION"]
        assert "已代为投票" in used["errors"][0]["message"]


class TestBadProxies:
    async def test_refusals_say_why_and_change_nothing(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        proposal_id = await hall.voting(electorate="HOUSEHOLDS")

        async def refused(elector: str, proxy: str, code: str, words: str) -> None:
            payload = await authorize(hall, proposal_id, elector, proxy)
            assert codes(payload) == [code], payload
            assert words in payload["errors"][0]["message"], payload
            assert payload["proxy"] is None

        await refused(CHAIR, CHAIR, "INVALID_INPUT", "不能委托自己")
        # 王丽娟 and 张伟 share household JA-5-302's one vote.
        await refused(SECRETARY, HOUSEMATE, "INVALID_INPUT", "同户")
        await refused(CHAIR, JINSHAN_CHAIR, "INVALID_INPUT", "在册成员")  # 金山社区
        # A chain: 黄国栋 gives his vote to 李秀英; 李秀英 then cannot give hers, and nobody
        # can give theirs to 黄国栋.
        assert (await authorize(hall, proposal_id, CHAIR, OWNERS_CHAIR))["errors"] == []
        await refused(OWNERS_CHAIR, SECRETARY, "INVALID_INPUT", "不允许转委托")
        await refused(SECRETARY, CHAIR, "INVALID_INPUT", "不允许转委托")
        await refused(CHAIR, SECRETARY, "INVALID_INPUT", "已为本议题委托")
        assert await deps.db["proxy_authorizations"].count_documents({}) == 1
        assert len(await hall.events(proposal_id, "proposal.proxy_authorized")) == 1

        # A proxy nobody authorised, and an authorised one voting for someone else.
        stranger = await proxy_vote(hall, proposal_id, SECRETARY, CHAIR, "赞成")
        assert codes(stranger) == ["FORBIDDEN"]
        other = await proxy_vote(hall, proposal_id, OWNERS_CHAIR, SECRETARY, "赞成")
        assert codes(other) == ["FORBIDDEN"]
        assert await deps.db["participations"].count_documents({}) == 0

        english = await contract(
            hall, "AuthorizeProxy",
            {"proposalId": proposal_id, "proxyId": await user_gid(hall, CHAIR)}, CHAIR,
            locale=Locale.EN,
        )  # fmt: skip
        assert "cannot authorise yourself" in english["errors"][0]["message"]

    async def test_a_proxy_holds_at_most_the_configured_number(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        residents = await hall.newcomers(5)
        proposal_id = await hall.voting(electorate="RESIDENTS")
        await hall.user_id(SECRETARY)  # signed in once, before the concurrent requests
        payloads = await asyncio.gather(
            *(authorize(hall, proposal_id, r, SECRETARY) for r in residents)
        )
        assert sorted(tuple(codes(p)) for p in payloads) == [()] * 3 + [("INVALID_INPUT",)] * 2
        messages = [p["errors"][0]["message"] for p in payloads if p["errors"]]
        assert all("最多接受 3 份委托" in m for m in messages)
        secretary = oid(await hall.user_id(SECRETARY))
        assert await deps.db["proxy_authorizations"].count_documents({"proxy_id": secretary}) == 3

    async def test_not_before_voting_opens(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        proposal_id = await hall.create()
        assert codes(await authorize(hall, proposal_id, CHAIR, SECRETARY)) == ["VOTING_NOT_OPEN"]


class TestProxyRace:
    async def test_hundred_proxy_and_app_votes_for_one_elector_leave_one(
        self, api: Api, deps: Deps
    ) -> None:
        hall = await Hall.open(api, deps)
        proposal_id = await owners_vote(hall)
        assert (await authorize(hall, proposal_id, SECRETARY, HOUSEMATE))["errors"] == []
        for phone in (SECRETARY, HOUSEMATE):  # signed in once, before the race
            await hall.user_id(phone)
        casts = [
            proxy_vote(hall, proposal_id, HOUSEMATE, SECRETARY, "赞成")
            if i % 2
            else hall.vote_payload(SECRETARY, proposal_id, "反对")
            for i in range(100)
        ]
        payloads = await asyncio.gather(*casts)
        outcomes = [tuple(codes(p)) for p in payloads]
        assert outcomes.count(()) == 1
        assert outcomes.count(("ALREADY_VOTED",)) == 99
        assert await deps.db["participations"].count_documents({}) == 1
        assert len(await hall.events(proposal_id, "proposal.vote_cast")) == 1
        await hall.close(proposal_id, OWNERS_CHAIR)
        counts = await hall.counts(proposal_id, OWNERS_CHAIR)
        assert sum(c or 0 for c in counts.values()) == 1
        detail = await custom(hall, "Roll", {"id": proposal_id}, JINAN_WORKER)  # staff: m²
        assert detail["proposal"]["turnout"]["votedArea"] == 89.5
