"""Councils, proposals, deliberation and withdrawal: the contract's operations and their errors."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from neighbor_api.core.deps import Deps
from neighbor_api.councils import service as councils
from tests.conftest import Api
from tests.councils.support import (
    CHAIR,
    CLOSES,
    COUNCIL,
    DEMO_PROPOSAL,
    HOUSEMATE,
    HULI_ADMIN,
    JINAN_WORKER,
    JINSHAN_CHAIR,
    JINSHAN_COUNCIL,
    JINSHAN_WORKER,
    OWNERS_CHAIR,
    OWNERS_COMMITTEE,
    PROPOSAL,
    SECRETARY,
    START,
    Hall,
    codes,
    iso,
    object_id,
)


class TestCouncils:
    async def test_residents_see_their_communitys_councils_with_members(
        self, api: Api, deps: Deps
    ) -> None:
        hall = await Hall.open(api, deps)
        data = await api.data(
            "Councils", {"communityId": hall.jinan}, token=await hall.token(HOUSEMATE)
        )
        councils = {c["name"]: c for c in data["community"]["councils"]}
        assert set(councils) == {COUNCIL, OWNERS_COMMITTEE}
        assert councils[COUNCIL]["kind"] == "COMMUNITY_COUNCIL"
        assert councils[OWNERS_COMMITTEE]["kind"] == "OWNERS_COMMITTEE"
        assert [(m["role"], m["user"]["displayName"]) for m in councils[COUNCIL]["members"]] == [
            ("CHAIR", "黄国栋"),
            ("SECRETARY", "王丽娟"),
            ("MEMBER", "李秀英"),
        ]
        assert [m["user"]["displayName"] for m in councils[OWNERS_COMMITTEE]["members"]] == [
            "李秀英",
            "黄国栋",
        ]

    async def test_jinshan_sees_none_of_jinans_councils(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        for phone in (JINSHAN_CHAIR, JINSHAN_WORKER):
            data = await api.data(
                "Councils", {"communityId": hall.jinan}, token=await hall.token(phone)
            )
            assert data["community"]["councils"] == []

    async def test_district_admin_sees_them(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        data = await api.data(
            "Councils", {"communityId": hall.jinan}, token=await hall.token(HULI_ADMIN)
        )
        assert {c["name"] for c in data["community"]["councils"]} == {COUNCIL, OWNERS_COMMITTEE}


class TestCreateCouncil:
    async def test_community_worker_creates_one(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        payload = await hall.custom(
            "CreateCouncil",
            {"communityId": hall.jinan, "name": "金安社区乡贤理事会", "kind": "ELDERS_COUNCIL"},
            JINAN_WORKER,
        )
        assert payload["errors"] == []
        assert payload["council"]["kind"] == "ELDERS_COUNCIL"
        assert payload["council"]["members"] == []
        created = await deps.db["events"].count_documents({"kind": "council.created"})
        assert created == 4  # the demo's three and this one

    async def test_resident_is_forbidden(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        payload = await hall.custom(
            "CreateCouncil",
            {"communityId": hall.jinan, "name": "金安社区乡贤理事会", "kind": "ELDERS_COUNCIL"},
            CHAIR,
        )
        assert codes(payload) == ["FORBIDDEN"]
        assert payload["council"] is None


class TestSetCouncilMember:
    async def test_new_chair_replaces_the_old_who_stays_member(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        payload = await hall.custom(
            "SetCouncilMember",
            {
                "councilId": hall.councils[COUNCIL],
                "userId": await hall.user_id(HOUSEMATE),
                "role": "CHAIR",
            },
            JINAN_WORKER,
        )
        assert payload["errors"] == []
        members = [(m["role"], m["user"]["displayName"]) for m in payload["council"]["members"]]
        assert members[0] == ("CHAIR", "张伟")
        assert ("MEMBER", "黄国栋") in members
        event = await deps.db["events"].find_one(
            {"kind": "council.member_set", "data.role": "CHAIR"}, sort=[("_id", -1)]
        )
        assert event is not None
        assert event["data"]["user_id"] == object_id(await hall.user_id(HOUSEMATE))
        assert event["actor_id"] == object_id(await hall.user_id(JINAN_WORKER))

    async def test_a_kept_council_shows_its_new_member_at_once(self, api: Api, deps: Deps) -> None:
        """The instance keeps the councils it read (councils.service.councils); a change of
        members drops it here at once (the session watcher does elsewhere)."""
        hall = await Hall.open(api, deps)
        council_id = object_id(hall.councils[COUNCIL])
        housemate = object_id(await hall.user_id(HOUSEMATE))
        before = (await councils.councils(deps, [council_id]))[council_id]  # now kept
        payload = await hall.custom(
            "SetCouncilMember",
            {"councilId": hall.councils[COUNCIL], "userId": str(await hall.user_id(HOUSEMATE)),
             "role": "MEMBER"},
            JINAN_WORKER,
        )  # fmt: skip
        assert payload["errors"] == []
        after = (await councils.councils(deps, [council_id]))[council_id]

        assert housemate not in [m.user_id for m in before.members]
        assert housemate in [m.user_id for m in after.members]

    async def test_removing_a_member(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        payload = await hall.custom(
            "SetCouncilMember",
            {"councilId": hall.councils[COUNCIL], "userId": await hall.user_id(OWNERS_CHAIR)},
            JINAN_WORKER,
        )
        assert payload["errors"] == []
        assert "李秀英" not in [m["user"]["displayName"] for m in payload["council"]["members"]]

    async def test_outsider_cannot_join_and_resident_cannot_appoint(
        self, api: Api, deps: Deps
    ) -> None:
        hall = await Hall.open(api, deps)
        council = hall.councils[COUNCIL]
        outsider = await hall.custom(
            "SetCouncilMember",
            {"councilId": council, "userId": await hall.user_id(JINSHAN_CHAIR), "role": "MEMBER"},
            JINAN_WORKER,
        )
        assert codes(outsider) == ["INVALID_INPUT"]
        by_resident = await hall.custom(
            "SetCouncilMember",
            {"councilId": council, "userId": await hall.user_id(HOUSEMATE), "role": "MEMBER"},
            CHAIR,
        )
        assert codes(by_resident) == ["FORBIDDEN"]
        from_jinshan = await hall.custom(
            "SetCouncilMember",
            {"councilId": council, "userId": await hall.user_id(HOUSEMATE), "role": "MEMBER"},
            JINSHAN_WORKER,
        )
        assert codes(from_jinshan) == ["NOT_FOUND"]


class TestCreateProposal:
    async def test_council_member_proposes_yes_no_abstain(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        payload = await hall.create_payload(SECRETARY)
        assert payload["errors"] == []
        proposal = payload["proposal"]
        assert proposal["status"] == "DELIBERATION"
        assert proposal["title"] == "金安里 8 栋加装电梯意见征集"
        assert [o["label"] for o in proposal["options"]] == ["赞成", "反对", "弃权"]
        events = await hall.events(proposal["id"], "proposal.created")
        assert len(events) == 1

    async def test_options_are_labelled_in_english_on_request(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        proposal_id = await hall.create()
        result = await api.op(
            "ProposalDetail", {"id": proposal_id}, token=await hall.token(CHAIR), locale="en"
        )
        assert result.data is not None
        assert [o["label"] for o in result.data["proposal"]["options"]] == [
            "Yes",
            "No",
            "Abstain",
        ]

    async def test_community_worker_proposes_a_choice(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        payload = await hall.create_payload(
            JINAN_WORKER,
            method="MULTIPLE_CHOICE",
            options=["三角梅", "簕杜鹃", "凤凰木"],
            maxChoices=2,
        )
        assert payload["errors"] == []
        assert [o["label"] for o in payload["proposal"]["options"]] == [
            "三角梅",
            "簕杜鹃",
            "凤凰木",
        ]

    async def test_plain_resident_is_forbidden(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        payload = await hall.create_payload(HOUSEMATE)
        assert codes(payload) == ["FORBIDDEN"]
        assert payload["proposal"] is None

    async def test_jinshan_cannot_find_jinans_council(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        payload = await hall.create_payload(JINSHAN_WORKER)
        assert codes(payload) == ["NOT_FOUND"]

    async def test_bad_option_sets_are_invalid_input(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        cases: list[tuple[dict[str, object], str]] = [
            ({"options": ["同意", "不同意"]}, "options"),
            ({"method": "SINGLE_CHOICE", "options": ["只有一个"]}, "options"),
            ({"method": "SINGLE_CHOICE"}, "options"),
            ({"method": "MULTIPLE_CHOICE", "options": ["三角梅", "三角梅"]}, "options"),
            ({"method": "MULTIPLE_CHOICE", "options": ["甲", "乙"], "maxChoices": 3}, "maxChoices"),
            ({"method": "MULTIPLE_CHOICE", "options": ["甲", "乙"], "maxChoices": 0}, "maxChoices"),
            ({"method": "SINGLE_CHOICE", "options": ["甲", "乙"], "maxChoices": 2}, "maxChoices"),
            ({"electorate": "OWNERS", "quorumPercent": 50}, "quorumPercent"),
            ({"electorate": "OWNERS", "passThresholdPercent": 60}, "passThresholdPercent"),
            (
                {"electorate": "OWNERS", "method": "SINGLE_CHOICE", "options": ["甲", "乙"]},
                "method",
            ),
            ({"quorumPercent": 101}, "quorumPercent"),
            ({"quorumPercent": -1}, "quorumPercent"),
            ({"passThresholdPercent": 100.5}, "passThresholdPercent"),
            ({"votingClosesAt": iso(START - timedelta(hours=1))}, "votingClosesAt"),
            ({"votingClosesAt": iso(START)}, "votingClosesAt"),
            ({"votingClosesAt": "2026-12-01T09:00:00"}, "votingClosesAt"),
        ]
        for fields, field in cases:
            payload = await hall.create_payload(CHAIR, **fields)
            assert codes(payload) == ["INVALID_INPUT"], (fields, payload)
            assert payload["errors"][0]["field"] == ["input", field], (fields, payload)
        assert await deps.db["proposals"].count_documents({}) == 1  # only the demo's

    async def test_edges_of_the_percentages_are_accepted(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        for quorum, threshold in ((0, 100), (100, 0)):
            payload = await hall.create_payload(
                quorumPercent=quorum, passThresholdPercent=threshold
            )
            assert payload["errors"] == [], payload

    async def test_idempotency_key_creates_once(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        first = await hall.create_payload(idempotencyKey="elevator-8")
        again = await hall.create_payload(idempotencyKey="elevator-8")
        assert first["proposal"]["id"] == again["proposal"]["id"]
        assert await deps.db["proposals"].count_documents({}) == 2

    async def test_unauthenticated(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        result = await api.op(
            "CreateProposal", {"input": {"councilId": hall.councils[COUNCIL], **PROPOSAL}}
        )
        assert [e.extensions["code"] for e in result.errors or []] == ["UNAUTHENTICATED"]


class TestProposals:
    async def test_lists_newest_first_with_status_filter(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        second = await hall.create(title="金安里垃圾分类督导员排班")
        voting = await hall.voting(title="金安社区长者食堂试运营")
        data = await api.data(
            "Proposals",
            {"councilId": hall.councils[COUNCIL]},
            token=await hall.token(HOUSEMATE),
        )
        connection = data["proposals"]
        assert connection["totalCount"] == 3
        titles = [e["node"]["title"] for e in connection["edges"]]
        assert titles == ["金安社区长者食堂试运营", "金安里垃圾分类督导员排班", DEMO_PROPOSAL]
        node = connection["edges"][0]["node"]
        assert node["id"] == voting
        assert node["turnout"] == {"eligible": 3, "voted": 0, "percent": 0.0}
        assert node["viewerCanVote"] is False  # 张伟 is not on the council
        assert connection["edges"][1]["node"]["turnout"] is None
        filtered = await api.data(
            "Proposals",
            {"councilId": hall.councils[COUNCIL], "status": ["DELIBERATION"], "first": 1},
            token=await hall.token(CHAIR),
        )
        assert filtered["proposals"]["totalCount"] == 2
        assert [e["node"]["id"] for e in filtered["proposals"]["edges"]] == [second]
        assert filtered["proposals"]["pageInfo"]["hasNextPage"] is True
        rest = await api.data(
            "Proposals",
            {
                "councilId": hall.councils[COUNCIL],
                "status": ["DELIBERATION"],
                "after": filtered["proposals"]["pageInfo"]["endCursor"],
            },
            token=await hall.token(CHAIR),
        )
        assert [e["node"]["title"] for e in rest["proposals"]["edges"]] == [DEMO_PROPOSAL]

    async def test_jinshan_sees_nothing(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        proposal_id = await hall.create()
        for phone in (JINSHAN_CHAIR, JINSHAN_WORKER):
            data = await api.data(
                "Proposals", {"councilId": hall.councils[COUNCIL]}, token=await hall.token(phone)
            )
            assert data["proposals"] is None
            assert await hall.detail(proposal_id, phone) is None
        own = await api.data(
            "Proposals",
            {"councilId": hall.councils[JINSHAN_COUNCIL]},
            token=await hall.token(JINSHAN_CHAIR),
        )
        assert own["proposals"]["totalCount"] == 0

    async def test_unauthenticated(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        result = await api.op("Proposals", {"councilId": hall.councils[COUNCIL]})
        assert [e.extensions["code"] for e in result.errors or []] == ["UNAUTHENTICATED"]
        bad = await api.op("Proposals", {"councilId": hall.councils[COUNCIL]}, token="not-a-token")
        assert [e.extensions["code"] for e in bad.errors or []] == ["UNAUTHENTICATED"]


class TestProposalDetail:
    async def test_everything_before_voting(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        proposal_id = await hall.create(
            SECRETARY, quorumPercent=60, passThresholdPercent=66.5, votingClosesAt=iso(CLOSES)
        )
        detail = await hall.detail(proposal_id, HOUSEMATE)
        assert detail["title"] == "金安里 8 栋加装电梯意见征集"
        assert detail["status"] == "DELIBERATION"
        assert detail["outcome"] is None
        assert detail["quorumReached"] is None
        assert (detail["ballot"], detail["electorate"], detail["method"], detail["matter"]) == (
            "OPEN",
            "COUNCIL_MEMBERS",
            "YES_NO_ABSTAIN",
            "ORDINARY",
        )
        assert (detail["maxChoices"], detail["quorumPercent"]) == (1, 60.0)
        assert detail["passThresholdPercent"] == 66.5
        assert detail["votingOpensAt"] is None
        assert detail["votingClosesAt"] == "2026-11-30T09:00:00+00:00"
        assert detail["council"] == {"id": hall.councils[COUNCIL], "name": COUNCIL}
        assert detail["author"]["displayName"] == "王丽娟"
        assert [o["voteCount"] for o in detail["options"]] == [None, None, None]
        assert detail["turnout"] is None
        assert detail["viewerCanVote"] is False
        assert detail["viewerHasVoted"] is False
        assert detail["viewerChoiceIds"] is None
        assert detail["voters"]["edges"] == []
        assert detail["comments"]["totalCount"] == 0
        assert detail["resultingTasks"] == []

    async def test_resulting_tasks_is_empty_after_passing(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        proposal_id = await hall.voting()
        for phone in (CHAIR, SECRETARY, OWNERS_CHAIR):
            await hall.vote(phone, proposal_id, "赞成")
        assert (await hall.close(proposal_id))["outcome"] == "PASSED"
        assert (await hall.detail(proposal_id))["resultingTasks"] == []

    async def test_invisible_without_token_or_outside(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        proposal_id = await hall.create()
        anonymous = await api.op("ProposalDetail", {"id": proposal_id})
        assert anonymous.data == {"proposal": None} or [
            e.extensions["code"] for e in anonymous.errors or []
        ] == ["UNAUTHENTICATED"]
        assert await hall.detail(proposal_id, JINSHAN_CHAIR) is None
        assert (await hall.detail(proposal_id, HULI_ADMIN))["id"] == proposal_id


class TestCommentOnProposal:
    async def test_residents_deliberate(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        proposal_id = await hall.create()
        for phone, body in (
            (HOUSEMATE, "支持加装，家里老人上下楼太辛苦了。"),
            (OWNERS_CHAIR, "一楼住户的采光和噪音问题也要考虑。"),
        ):
            data = await api.data(
                "CommentOnProposal",
                {"input": {"proposalId": proposal_id, "body": body}},
                token=await hall.token(phone),
            )
            assert data["commentOnProposal"]["errors"] == []
            assert data["commentOnProposal"]["comment"]["body"] == body
            hall.deps.clock.advance(timedelta(minutes=1))  # type: ignore[attr-defined]
        comments = (await hall.detail(proposal_id))["comments"]
        assert comments["totalCount"] == 2
        assert [
            (e["node"]["author"]["displayName"], e["node"]["body"]) for e in comments["edges"]
        ] == [
            ("张伟", "支持加装，家里老人上下楼太辛苦了。"),
            ("李秀英", "一楼住户的采光和噪音问题也要考虑。"),
        ]
        assert len(await hall.events(proposal_id, "proposal.commented")) == 2

    async def test_comments_go_on_while_voting_and_close_with_it(
        self, api: Api, deps: Deps
    ) -> None:
        hall = await Hall.open(api, deps)
        proposal_id = await hall.voting()

        async def comment(body: str) -> Any:
            data = await api.data(
                "CommentOnProposal",
                {"input": {"proposalId": proposal_id, "body": body}},
                token=await hall.token(HOUSEMATE),
            )
            return data["commentOnProposal"]

        assert (await comment("我还有意见：电梯井道会不会影响一楼采光？"))["errors"] == []
        assert (await hall.detail(proposal_id))["comments"]["totalCount"] == 1
        await hall.close(proposal_id)
        assert codes(await comment("表决结束后还能说吗？")) == ["INVALID_TRANSITION"]
        assert (await hall.detail(proposal_id))["comments"]["totalCount"] == 1

    async def test_outsider_and_empty_body(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        proposal_id = await hall.create()
        outsider = await api.data(
            "CommentOnProposal",
            {"input": {"proposalId": proposal_id, "body": "金山这边也想装电梯。"}},
            token=await hall.token(JINSHAN_CHAIR),
        )
        assert codes(outsider["commentOnProposal"]) == ["NOT_FOUND"]
        empty = await api.data(
            "CommentOnProposal",
            {"input": {"proposalId": proposal_id, "body": "   "}},
            token=await hall.token(HOUSEMATE),
        )
        assert codes(empty["commentOnProposal"]) == ["INVALID_INPUT"]


class TestWithdrawProposal:
    async def test_author_withdraws_during_deliberation(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        proposal_id = await hall.create(SECRETARY)
        payload = await hall.custom("WithdrawProposal", {"proposalId": proposal_id}, SECRETARY)
        assert payload["errors"] == []
        assert payload["proposal"]["status"] == "WITHDRAWN"
        assert len(await hall.events(proposal_id, "proposal.withdrawn")) == 1
        opened = await hall.open_payload(proposal_id)
        assert codes(opened) == ["INVALID_TRANSITION"]

    async def test_not_during_voting(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        proposal_id = await hall.voting()
        payload = await hall.custom("WithdrawProposal", {"proposalId": proposal_id}, CHAIR)
        assert codes(payload) == ["INVALID_TRANSITION"]

    async def test_others_are_forbidden(self, api: Api, deps: Deps) -> None:
        hall = await Hall.open(api, deps)
        proposal_id = await hall.create(SECRETARY)
        payload = await hall.custom("WithdrawProposal", {"proposalId": proposal_id}, HOUSEMATE)
        assert codes(payload) == ["FORBIDDEN"]
