"""Round-trip budgets: every query and mutation of the contract (schema/operations/) sends at
most its budget of database commands per request, authentication included.

The budgets are one table, BUDGETS; an operation of the contract without a budget fails
`test_every_operation_has_a_budget`. Each budget is what the code achieves today: lower one when
a change saves a round trip, never raise one without a reason in the commit. Subscriptions are
counted per event by the live hub, not per request, and have no budget here.

Counts are taken as in a running server: the demo street's places were read before (places
never change, so each process keeps them: `places/service.py`).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import count
from typing import Any

import pytest

from neighbor_api.accounts import service as accounts
from neighbor_api.core.mongo import Client
from neighbor_api.places.models import PlaceLevel
from neighbor_api.schema import NeighborSchema
from neighbor_api.settings import Settings
from tests.attachments.support import jpeg, upload_file
from tests.boards.support import Boards
from tests.conftest import DEMO_PASSWORD, OPERATIONS, CommandCounter, request_code
from tests.councils.support import (
    CLOSES,
    COUNCIL,
    DEMO_PROPOSAL,
    OWNERS_COMMITTEE,
    PROPOSAL,
    iso,
)
from tests.patrols.support import place_id, walk
from tests.points.support import give
from tests.reports.dispatching import CHENGGUAN, OUTSIDER, STREET_ADMIN, Dispatching
from tests.reports.support import (
    HULI_ADMIN,
    INPUT,
    JINAN_CHAIR,
    JINAN_GRID_WORKER,
    JINAN_HOUSEMATE,
    JINAN_NEIGHBOUR,
    JINAN_RESIDENT,
    JINAN_WORKER,
    REPORT,
    Street,
    shared_street,
)
from tests.surveys.support import SAFETY_SURVEY

# Operation -> the most database commands one request of it may send.
BUDGETS: dict[str, int] = {
    # accounts and memberships
    # A code costs three: its try, its use (a unique insert) and its removal.
    # Register: + the registrations-per-address counter and the code's try and use. Login: the
    # address counter (an increment, and an insert when it opens the window) and the phone's
    # turn (core/rate_limit.py, taken before the password is checked), the user, the turn's
    # release, the session and its refresh token.
    "Register": 11,
    "Login": 7,
    "RequestVerificationCode": 6,
    "LoginWithCode": 6,
    "ResetPassword": 6,
    "ChangePassword": 6,
    "UpdateProfile": 2,
    "ChangePhone": 6,
    "AcceptPolicy": 3,
    "ExportMyData": 1,
    "MyPrivacy": 2,  # the viewer's devices (consents come with the user)
    "LeaveCommunity": 4,
    "UpdateMembership": 3,
    "DeleteAccount": 7,
    "RefreshSession": 4,
    "Logout": 2,
    "Viewer": 2,
    "JoinCommunity": 3,
    "PendingMemberships": 5,
    "DecideMembership": 4,
    # the console's own: the session, two pages of memberships (a role each), their users
    "AssignableStaff": 4,
    # console
    "CommunityStats": 7,
    "Notifications": 3,
    "MarkNotificationsRead": 3,
    # the console's own documents (console-places.graphql): the map is the page, its count, the
    # grids (one batch) and the authentication; the community is a place (kept per process)
    "ReportsMap": 4,
    "StaffPlaces": 1,
    "ReportDispatch": 2,  # the report (its permission from places kept), the units
    "NotificationPreferences": 2,
    "UpdateNotificationPreferences": 3,
    "RegisterPushDevice": 2,
    "UnregisterPushDevice": 1,
    # councils
    "Councils": 3,
    "Proposals": 8,
    "CreateProposal": 4,
    "OpenVoting": 9,
    "CastVote": 8,
    "CloseVoting": 8,
    # The comments' total is the proposal's `comment_count` (no count of them is read); the
    # resulting tasks are read only for a passed proposal (the demo's is voting).
    "ProposalDetail": 6,
    "CommentOnProposal": 6,
    # votes (votes.graphql)
    "ProposalDecision": 2,  # the proposal, its council (the decision is kept with it)
    # The proposal, its council; the transaction (the ballot box closed, the turnout kept, the
    # status, the event).
    "CancelVoting": 6,
    # The checks (proposal, council, elector, the proxy's membership, the roll, the proxies
    # given and held), the insert and its event, the payload's users.
    "AuthorizeProxy": 10,
    # The proposal, its council, the elector, the authorisation; the transaction (roll entry,
    # tally, event, the authorisation used); the payload's turnout (the tallies, the roll's
    # version it is kept under, then the turnout itself).
    "CastProxyVote": 10,
    # The proposal, its council, the elector; the transaction (roll entry, tally, event, the
    # photo read and attached); the payload's turnout (the tallies, then the turnout).
    "RecordPaperBallot": 10,
    # The council, the residents (for the threshold); the transaction (proposal, the author's
    # signature and the count, event).
    "SuggestProposal": 6,
    "CoSignProposal": 5,  # the proposal, its council; the transaction (signature, count, event)
    "AcceptSuggestion": 4,  # the proposal, its council; the transaction (status, event)
    # The district's streets and their communities (places.under: a query a level), the
    # residents counted; the transaction (survey, its tally, the created and opened events).
    "CreateSurvey": 7,
    "MySurveys": 2,  # the open surveys of the viewer's places, which the viewer answered
    "AnswerSurvey": 3,  # the survey; the transaction (the respondent, the tally)
    "SurveyResults": 2,  # the survey, its tally
    # places
    "NearbyCommunities": 1,
    "Community": 4,
    "Place": 2,
    "NodeById": 2,
    # reports
    # Every write of a report counts in its community's version (reports/repository.py
    # `touch`, for the lists' kept pages): a follow, an endorsement, a comment, a duplicate's
    # link, a move that keeps the status (dispatch, return) each write the totals once more; a
    # submission and a move that changes the status count it in the totals' own update.
    # + the day's upload counters (files, before reading; bytes, once the size is known), the
    # first of a window an increment and an insert.
    "UploadAttachment": 7,
    # The reporter follows their report (one insert); its grid is found among the community's
    # grids (one read, places/service.py `grid_at`); its possible duplicates are the nearest
    # open reports in the circle's cells (its `live_cell`s), ranked by the server in one read.
    "SubmitReport": 7,
    "Reports": 5,
    "EscalationQueue": 3,
    # Ring by ring (reports/repository.py `near`): the page's nearest in the fine cells of a
    # block of rings around the point, then in wider ones, the third read taking the rest of
    # the radius (MAX_FINE_READS): 3 at worst, whatever the page size (a busy neighbourhood's
    # page is known after one or two reads, one where an earlier page found the block it
    # needed; this case, a 2 km radius holding fewer reports than the page, is the worst).
    "ReportsNearby": 3,
    "ReportDetail": 5,  # the comments' total is the report's `comment_count` (no count read)
    "EndorseReport": 9,  # endorsing follows (an upsert and its count; the version twice)
    "CommentOnReport": 5,
    "FollowReport": 5,
    "UnfollowReport": 5,
    "AcceptReport": 5,
    "AssignReport": 6,
    "StartReport": 4,
    "ResolveReport": 4,
    "RejectReport": 4,
    "EscalateReport": 4,
    "RateReport": 4,
    "CloseReport": 4,
    # field work (fieldwork.graphql)
    # The catalogue is code, the community a place (read once per process, then kept).
    "ReportCategories": 1,
    # The open reports in the circle's cells (`live_cell`), those by id, which the viewer follows.
    "SimilarReports": 3,
    # The report, its duplicates the viewer sees, the reporter (a batch of users) and their
    # memberships (whether staff see the number), the audit of the number shown to staff.
    "ReportRouting": 5,
    "WithdrawReport": 4,  # the conditional move, the day's rollup, the event, the commit
    # The duplicate and the original, the duplicate's followers; in one transaction the
    # original's link, the followers' follows (one bulk upsert, whatever their number) and
    # their count, both reports' endorsers (one read), the move, the day's rollup, the event,
    # the commit; the original (duplicateOf); the version, for the link and for the follows.
    # Each endorsement carried over is one insert more (and the version once more).
    "MarkReportDuplicate": 13,
    "MyGridQueue": 2,  # the page and its count
    "Units": 2,
    "CreateUnit": 2,
    "AddUnitMember": 6,
    "DispatchReport": 6,
    "ReturnReport": 5,
    "UnitQueue": 3,
    "PlaceReports": 2,
    "ReportsInArea": 2,
    # The worker's memberships (their grid), the findings; in one transaction the patrol, its
    # track, the event, the commit (tests/patrols/test_log_patrol.py).
    "LogPatrol": 6,
    "Patrols": 3,  # the page, its count, the workers (one batch)
    # No N+1: one aggregate per figure, whatever the number of children, only the figures the
    # document asks for (stats/types.py FIELD_PARTS), and aggregates with the same $match
    # shared as one $facet (stats/repository.py together): the days' rollups of the place
    # and of its children (1), overdue, the place's and the children's (1), patrols, the
    # same (1), the children's ratings (1) and places (1), byWorker (the resolutions, the
    # users: 2), then series (the days' rollups, the edge days' reports created and
    # resolved: 3); authentication and the place (2).
    "DistrictDashboard": 12,
    # task boards
    # Every write of a task counts in its board's `tasks_version` (boards/repository.py
    # `touch_tasks`, for the columns' kept pages): one command more per write.
    "CommunityBoards": 2,
    "Board": 10,
    "TaskDetail": 4,
    "CreateTask": 5,
    "MoveTask": 7,
    "ClaimTask": 8,
    "ReleaseTask": 7,
    "SubmitTask": 7,
    "ApproveTask": 6,
    "Leaderboard": 3,
    # points economy
    "OpenTasks": 5,  # the page, its count, and the viewer's own claimable tasks (left out)
    "UpdateTask": 4,
    "CancelTask": 5,  # + joinable set false (openTasks' flag)
    "ReturnTask": 6,
    "CommentOnTask": 3,
    "TaskRecord": 3,
    "PointsHistory": 4,  # the page, its count and the balance (the account)
    "Rewards": 1,
    "CreateReward": 2,
    "RedeemReward": 6,  # the reward, then one transaction: stock, account, redemption, entry, event
    "FulfilRedemption": 3,
    "PeriodLeaderboard": 3,  # the leaderboard's aggregation and the viewer's rank
}

NEAR = {"lat": 24.5083, "lng": 118.1846}
SUGGESTION = {
    "title": "金安里 3 栋屋顶防水维修",
    "body": "3 栋顶楼每逢台风季漏水，建议动用维修资金统一做屋顶防水。",
}
AROUND_JINSHAN = {
    "southWest": {"lat": 24.49, "lng": 118.17},
    "northEast": {"lat": 24.52, "lng": 118.20},
}
_phones = count(13700000000)


def _queries_and_mutations() -> set[str]:
    return {
        name
        for name, document in OPERATIONS.items()
        if re.search(rf"^(?:query|mutation)\s+{name}\b", document, re.MULTILINE)
    }


@dataclass
class Case:
    """One request of an operation, set up so that it succeeds."""

    variables: dict[str, Any] = field(default_factory=dict)
    token: str | None = None


class Contract:
    """The demo street with ids found once, and a Case for every operation."""

    def __init__(self, street: Street) -> None:
        self.street = street
        self.api = street.api
        self.boards = Boards(street)
        self._found: dict[str, str] = {}
        self._dispatching: Dispatching | None = None

    @property
    def community(self) -> str:
        return self.street.places["金安社区"]

    async def token(self, phone: str) -> str:
        return await self.street.token(phone)

    async def case(self, phone: str | None, **variables: Any) -> Case:
        return Case(variables, await self.token(phone) if phone else None)

    async def mutation(self, phone: str, **values: Any) -> Case:
        return await self.case(phone, input=values)

    async def once(self, key: str, find: Callable[[], Awaitable[str]]) -> str:
        if key not in self._found:
            self._found[key] = await find()
        return self._found[key]

    async def council(self, name: str = COUNCIL) -> str:
        async def find() -> str:
            data = await self.api.data(
                "Councils", {"communityId": self.community}, token=await self.token(JINAN_CHAIR)
            )
            (council,) = [c for c in data["community"]["councils"] if c["name"] == name]
            return str(council["id"])

        return await self.once(f"council {name}", find)

    async def demo_proposal(self) -> str:
        async def find() -> str:
            data = await self.api.data(
                "Proposals",
                {"councilId": await self.council()},
                token=await self.token(JINAN_CHAIR),
            )
            edges = data["proposals"]["edges"]
            (proposal,) = [e["node"] for e in edges if e["node"]["title"] == DEMO_PROPOSAL]
            return str(proposal["id"])

        return await self.once("proposal", find)

    async def dispatching(self) -> Dispatching:
        """The street with its units and their people (made once: tests/reports/dispatching.py)."""
        if self._dispatching is None:
            self._dispatching = await Dispatching.open(self.street)
        return self._dispatching

    async def grid(self) -> str:
        return await self.once(
            "grid", lambda: place_id(self.street.deps, PlaceLevel.GRID, "金安社区第一网格")
        )

    async def demo_board(self) -> dict[str, Any]:
        data = await self.api.data(
            "CommunityBoards", {"communityId": self.community}, token=await self.token(JINAN_WORKER)
        )
        board: dict[str, Any] = data["community"]["boards"][0]
        return board

    async def demo_task(self) -> str:
        async def find() -> str:
            board = await self.demo_board()
            data = await self.api.data(
                "Board", {"id": board["id"], "tasksFirst": 20}, token=await self.token(JINAN_WORKER)
            )
            edges = [e for c in data["board"]["columns"] for e in c["tasks"]["edges"]]
            return str(edges[0]["node"]["id"])

        return await self.once("task", find)

    async def proposal(self, *, voting: bool = False, **fields: Any) -> str:
        """A new proposal of the council (its chair's), in deliberation or open for votes."""
        payload = await self.boards.mutate(
            "CreateProposal", JINAN_CHAIR, councilId=await self.council(), **{**PROPOSAL, **fields}
        )
        assert payload["errors"] == [], payload
        proposal_id: str = payload["proposal"]["id"]
        if voting:
            opened = await self.boards.mutate(
                "OpenVoting", JINAN_CHAIR, proposalId=proposal_id, votingClosesAt=iso(CLOSES)
            )
            assert opened["errors"] == [], opened
        return proposal_id

    async def owners_vote(self) -> tuple[str, dict[str, str]]:
        """A new secret owners' vote of 金安里业主委员会, open: its id, and its options' ids by
        label."""
        payload = await self.boards.mutate(
            "CreateProposal",
            JINAN_NEIGHBOUR,  # 李秀英 chairs the owners' committee
            councilId=await self.council(OWNERS_COMMITTEE),
            **{**PROPOSAL, "electorate": "OWNERS", "ballot": "SECRET"},
        )
        assert payload["errors"] == [], payload
        proposal = payload["proposal"]
        opened = await self.boards.mutate(
            "OpenVoting", JINAN_NEIGHBOUR, proposalId=proposal["id"], votingClosesAt=iso(CLOSES)
        )
        assert opened["errors"] == [], opened
        return proposal["id"], {o["label"]: o["id"] for o in proposal["options"]}

    async def suggestion(self, *co_signers: str) -> str:
        """A resident's suggestion to the residents' council (张伟's), co-signed by `co_signers`."""
        payload = await self.boards.mutate(
            "SuggestProposal", JINAN_HOUSEMATE, councilId=await self.council(), **SUGGESTION
        )
        assert payload["errors"] == [], payload
        proposal_id: str = payload["proposal"]["id"]
        for phone in co_signers:
            signed = await self.boards.mutate("CoSignProposal", phone, proposalId=proposal_id)
            assert signed["errors"] == [], signed
        return proposal_id

    async def survey(self) -> str:
        """A new district survey of 湖里区 (by its admin), open for a week."""
        payload = await self.boards.mutate("CreateSurvey", HULI_ADMIN, **self.survey_input())
        assert payload["errors"] == [], payload
        survey_id: str = payload["survey"]["id"]
        return survey_id

    def survey_input(self) -> dict[str, Any]:
        closes = self.street.now + timedelta(days=7)
        return {
            "placeId": self.street.places["湖里区"],
            **SAFETY_SURVEY,
            "closesAt": iso(closes),
        }

    async def report_move(self, verb: str, status: str, phone: str) -> Case:
        """A workflow move of a new report taken to `status`."""
        report_id = await self.street.reach(status)
        values = {"reportId": report_id, **INPUT[verb]}
        if verb == "assign":
            values["assigneeId"] = await self.street.user_id(JINAN_GRID_WORKER)
        return await self.mutation(phone, **values)

    async def claimed_task(self, phone: str = JINAN_RESIDENT) -> str:
        board = await self.boards.board()
        task = await self.boards.task(board, capacity=2)
        await self.boards.ok("ClaimTask", phone, taskId=task["id"])
        task_id: str = task["id"]
        return task_id

    async def newcomer(self) -> tuple[str, str]:
        """A new account: its phone and access token."""
        phone = str(next(_phones))
        signed_in = await accounts.register(
            self.street.deps, phone=phone, password="newcomer-2026", display_name="新居民"
        )
        return phone, signed_in.access_token


async def _register(c: Contract) -> Case:
    phone = str(next(_phones))
    code = await request_code(c.api.send(), phone, "REGISTER")
    return await c.case(
        None,
        input={
            "phone": phone,
            "password": "budget-2026",
            "displayName": "新用户",
            "verificationCode": code,
            "acceptedPolicyVersion": c.api.deps.settings.privacy_policy_version,
        },
    )


async def _login_with_code(c: Contract) -> Case:
    phone, _ = await c.newcomer()
    code = await request_code(c.api.send(), phone, "LOGIN")
    return await c.case(None, input={"phone": phone, "code": code})


async def _reset_password(c: Contract) -> Case:
    phone, _ = await c.newcomer()
    code = await request_code(c.api.send(), phone, "RESET_PASSWORD")
    return await c.case(None, input={"phone": phone, "code": code, "newPassword": "reset-2026"})


async def _change_password(c: Contract) -> Case:
    _, token = await c.newcomer()
    values = {"currentPassword": "newcomer-2026", "newPassword": "changed-2026"}
    return Case({"input": values}, token)


async def _change_phone(c: Contract) -> Case:
    _, token = await c.newcomer()
    new_phone = str(next(_phones))
    code = await request_code(c.api.send(), new_phone, "CHANGE_PHONE")
    return Case({"input": {"newPhone": new_phone, "code": code}}, token)


async def _newcomer_with(c: Contract, **values: Any) -> Case:
    _, token = await c.newcomer()
    return Case({"input": values}, token)


async def _pending(c: Contract) -> tuple[str, str]:
    """A newcomer's pending membership of 金安社区: its id, and the newcomer's token."""
    _, token = await c.newcomer()
    joined = await c.api.data(
        "JoinCommunity",
        {"input": {"communityId": c.community, "address": "金山路 3 号"}},
        token=token,
    )
    return joined["joinCommunity"]["membership"]["id"], token


async def _leave(c: Contract) -> Case:
    membership_id, token = await _pending(c)
    return Case({"input": {"membershipId": membership_id}}, token)


async def _update_membership(c: Contract) -> Case:
    membership_id, _ = await _pending(c)
    decided = await c.api.data(
        "DecideMembership",
        {"input": {"membershipId": membership_id, "approve": True}},
        token=await c.token(JINAN_WORKER),
    )
    assert decided["decideMembership"]["errors"] == []
    return await c.mutation(
        JINAN_WORKER, membershipId=membership_id, address="金山路 5 号", householdCode="JA-1-101"
    )


async def _delete_account(c: Contract) -> Case:
    phone, token = await c.newcomer()
    code = await request_code(c.api.send(token=token), phone, "DELETE_ACCOUNT")
    return Case({"input": {"code": code}}, token)


async def _login(c: Contract) -> Case:
    return await c.case(None, input={"phone": JINAN_RESIDENT, "password": DEMO_PASSWORD})


async def _refresh(c: Contract) -> Case:
    data = await c.api.data(
        "Login", {"input": {"phone": JINAN_RESIDENT, "password": DEMO_PASSWORD}}
    )
    return await c.case(None, input={"refreshToken": data["login"]["refreshToken"]})


async def _logout(c: Contract) -> Case:
    return Case({}, await c.api.login(JINAN_NEIGHBOUR))


async def _join(c: Contract) -> Case:
    _, token = await c.newcomer()
    return Case({"input": {"communityId": c.community, "address": "金山路 1 号"}}, token)


async def _decide(c: Contract) -> Case:
    _, token = await c.newcomer()
    joined = await c.api.data(
        "JoinCommunity",
        {"input": {"communityId": c.community, "address": "金山路 2 号"}},
        token=token,
    )
    membership_id = joined["joinCommunity"]["membership"]["id"]
    return await c.mutation(JINAN_WORKER, membershipId=membership_id, approve=True)


async def _cast_vote(c: Contract) -> Case:
    proposal_id = await c.proposal(voting=True)
    data = await c.api.data(
        "ProposalDetail", {"id": proposal_id}, token=await c.token(JINAN_RESIDENT)
    )
    option = data["proposal"]["options"][0]["id"]
    return await c.mutation(JINAN_RESIDENT, proposalId=proposal_id, optionIds=[option])


async def _voted(c: Contract, **fields: Any) -> str:
    """A new proposal open for votes, with 王丽娟's vote cast."""
    proposal_id = await c.proposal(voting=True, **fields)
    data = await c.api.data(
        "ProposalDetail", {"id": proposal_id}, token=await c.token(JINAN_RESIDENT)
    )
    option = data["proposal"]["options"][0]["id"]
    voted = await c.boards.mutate(
        "CastVote", JINAN_RESIDENT, proposalId=proposal_id, optionIds=[option]
    )
    assert voted["errors"] == [], voted
    return proposal_id


async def _decided(c: Contract) -> Case:
    proposal_id = await _voted(c)
    closed = await c.boards.mutate(
        "CloseVoting", JINAN_CHAIR, proposalId=proposal_id, reason="议事会现场表决已完成"
    )
    assert closed["errors"] == [], closed
    return await c.case(JINAN_RESIDENT, id=proposal_id)


async def _authorize_proxy(c: Contract) -> Case:
    proposal_id, _ = await c.owners_vote()
    proxy = await c.street.user_id(JINAN_HOUSEMATE)
    return await c.mutation(JINAN_CHAIR, proposalId=proposal_id, proxyId=proxy)


async def _cast_proxy_vote(c: Contract) -> Case:
    """张伟 casts the vote 黄国栋 gave him."""
    proposal_id, options = await c.owners_vote()
    elector = await c.street.user_id(JINAN_CHAIR)
    proxy = await c.street.user_id(JINAN_HOUSEMATE)
    given = await c.boards.mutate(
        "AuthorizeProxy", JINAN_CHAIR, proposalId=proposal_id, proxyId=proxy
    )
    assert given["errors"] == [], given
    return await c.mutation(
        JINAN_HOUSEMATE, proposalId=proposal_id, optionIds=[options["赞成"]], onBehalfOfId=elector
    )


async def _record_paper_ballot(c: Contract) -> Case:
    """林美华 enters 王丽娟's paper ballot, with its photo."""
    proposal_id, options = await c.owners_vote()
    uploaded = await c.api.data(
        "UploadAttachment", {"file": upload_file(jpeg())}, token=await c.token(JINAN_WORKER)
    )
    return await c.mutation(
        JINAN_WORKER,
        proposalId=proposal_id,
        electorId=await c.street.user_id(JINAN_RESIDENT),
        optionIds=[options["反对"]],
        ballotPhotoId=uploaded["uploadAttachment"]["attachment"]["id"],
    )


async def _answer_survey(c: Contract) -> Case:
    survey_id = await c.survey()
    data = await c.api.data("SurveyResults", {"id": survey_id}, token=await c.token(HULI_ADMIN))
    questions = data["survey"]["questions"]
    answers = [
        {"questionId": q["id"], "value": value}
        for q, value in zip(questions, ("5", "NO", "夜间巡逻"), strict=True)
    ]
    return await c.mutation(JINAN_RESIDENT, surveyId=survey_id, answers=answers)


async def _approve(c: Contract) -> Case:
    board = await c.boards.board()
    task = await c.boards.to_review(board, JINAN_RESIDENT)
    return await c.mutation(JINAN_WORKER, taskId=task["id"])


async def _move(c: Contract) -> Case:
    board = await c.boards.board()
    first, second = await c.boards.tasks(board, 2)
    return await c.mutation(JINAN_WORKER, taskId=first, expectedVersion=1, afterTaskId=second)


async def _submit_report(c: Contract) -> Case:
    return await c.mutation(JINAN_RESIDENT, communityId=c.community, **REPORT)


async def _demo_report(c: Contract) -> str:
    data = await c.api.data(
        "Reports", {"communityId": c.community, "first": 1}, token=await c.token(JINAN_WORKER)
    )
    report_id: str = data["reports"]["edges"][0]["node"]["id"]
    return report_id


async def _similar(c: Contract) -> Case:
    await c.street.submit(JINAN_RESIDENT)
    return await c.case(
        JINAN_NEIGHBOUR, communityId=c.community, location=REPORT["location"],
        category=REPORT["category"], radiusMeters=200,
    )  # fmt: skip


async def _mark_duplicate(c: Contract) -> Case:
    original = await c.street.submit(JINAN_NEIGHBOUR)
    duplicate = await c.street.submit(JINAN_RESIDENT)
    return await c.mutation(JINAN_WORKER, reportId=duplicate, duplicateOfId=original)


async def _routing(c: Contract) -> Case:
    """The original of a duplicate, as the community's worker routes it."""
    original = await c.street.submit(JINAN_NEIGHBOUR)
    duplicate = await c.street.submit(JINAN_RESIDENT)
    await c.street.ok("mark_duplicate", duplicate, JINAN_WORKER, duplicateOfId=original)
    return await c.case(JINAN_WORKER, id=original)


async def _unit_case(c: Contract, phone: str, unit: str, **variables: Any) -> Case:
    units = await c.dispatching()
    return await c.case(phone, unitId=units.units[unit], **variables)


async def _add_unit_member(c: Contract) -> Case:
    units = await c.dispatching()
    user = await c.street.user_id(OUTSIDER)
    return await c.mutation(STREET_ADMIN, unitId=units.units["金山街道市政所"], userId=user)


async def _dispatch(c: Contract) -> Case:
    units = await c.dispatching()
    report_id = await units.escalated("金山路占道施工未围挡")
    return await c.mutation(
        STREET_ADMIN, reportId=report_id, unitId=units.units["金山街道城管中队"], note="请核查"
    )


async def _report_dispatch(c: Contract) -> Case:
    units = await c.dispatching()
    report_id = await units.escalated("金山路占道施工未围挡")
    return await c.case(STREET_ADMIN, id=report_id, placeId=c.street.places["金山街道"])


async def _return(c: Contract) -> Case:
    units = await c.dispatching()
    report_id = await units.escalated("金山路人行道违停")
    await units.dispatch(report_id, "金山街道城管中队")
    return await c.mutation(CHENGGUAN, reportId=report_id, reason="不属于城管职责")


async def _log_patrol(c: Contract) -> Case:
    """A round of the grid's worker with a finding (a report of theirs)."""
    finding = await c.street.submit(JINAN_GRID_WORKER)
    now = c.street.deps.clock.now()
    return await c.mutation(
        JINAN_GRID_WORKER, gridId=await c.grid(), startedAt=iso(now - timedelta(hours=2)),
        endedAt=iso(now - timedelta(hours=1)), track=walk(20), findingReportIds=[finding],
        note="金安里 5 栋北侧路灯不亮，已随手拍上报", idempotencyKey=f"budget-{next(_phones)}",
    )  # fmt: skip


async def _patrols(c: Contract) -> Case:
    return await c.case(JINAN_WORKER, gridId=await c.grid(), first=20)


async def _endorse(c: Contract) -> Case:
    report_id = await c.street.submit(JINAN_RESIDENT)
    return await c.mutation(JINAN_NEIGHBOUR, reportId=report_id)


async def _unregister(c: Contract) -> Case:
    token = await c.token(JINAN_RESIDENT)
    data = await c.api.data(
        "RegisterPushDevice",
        {"input": {"token": f"budget-{next(_phones)}", "platform": "ANDROID"}},
        token=token,
    )
    return Case({"input": {"deviceId": data["registerPushDevice"]["device"]["id"]}}, token)


SETUP: dict[str, Callable[[Contract], Awaitable[Case]]] = {
    "Register": _register,
    "RequestVerificationCode": lambda c: c.case(
        None, input={"phone": str(next(_phones)), "purpose": "REGISTER"}
    ),
    "LoginWithCode": _login_with_code,
    "ResetPassword": _reset_password,
    "ChangePassword": _change_password,
    "UpdateProfile": lambda c: _newcomer_with(
        c, displayName="新名字", locale="en", showOnLeaderboard=False
    ),
    "ChangePhone": _change_phone,
    "AcceptPolicy": lambda c: _newcomer_with(c, version=c.api.deps.settings.privacy_policy_version),
    "ExportMyData": lambda c: c.case(JINAN_RESIDENT),
    "MyPrivacy": lambda c: c.case(JINAN_RESIDENT),
    "LeaveCommunity": _leave,
    "UpdateMembership": _update_membership,
    "DeleteAccount": _delete_account,
    "Login": _login,
    "RefreshSession": _refresh,
    "Logout": _logout,
    "Viewer": lambda c: c.case(JINAN_RESIDENT),
    "JoinCommunity": _join,
    "PendingMemberships": lambda c: c.case(JINAN_WORKER, communityId=c.community, first=20),
    "DecideMembership": _decide,
    "AssignableStaff": lambda c: c.case(JINAN_WORKER, communityId=c.community),
    "CommunityStats": lambda c: c.case(JINAN_WORKER, placeId=c.community),
    "Notifications": lambda c: c.case(JINAN_RESIDENT, first=20),
    "MarkNotificationsRead": lambda c: c.mutation(JINAN_RESIDENT, all=True),
    "ReportsMap": lambda c: c.case(JINAN_WORKER, communityId=c.community, first=100),
    "StaffPlaces": lambda c: c.case(HULI_ADMIN),
    "ReportDispatch": _report_dispatch,
    "NotificationPreferences": lambda c: c.case(JINAN_RESIDENT),
    "UpdateNotificationPreferences": lambda c: c.mutation(
        JINAN_RESIDENT,
        mutedKinds=["TASK_CLAIMED"],
        quietHoursStart="22:00",
        quietHoursEnd="07:00",
    ),
    "RegisterPushDevice": lambda c: c.mutation(
        JINAN_RESIDENT, token=f"budget-{next(_phones)}", platform="HARMONY"
    ),
    "UnregisterPushDevice": _unregister,
    "Councils": lambda c: c.case(JINAN_RESIDENT, communityId=c.community),
    "Proposals": lambda c: _with(c, JINAN_CHAIR, councilId=c.council(), first=20),
    "CreateProposal": lambda c: _input(c, JINAN_CHAIR, councilId=c.council(), **PROPOSAL),
    "OpenVoting": lambda c: _input(
        c, JINAN_CHAIR, proposalId=c.proposal(), votingClosesAt=iso(CLOSES)
    ),
    "CastVote": _cast_vote,
    "CloseVoting": lambda c: _input(
        c, JINAN_CHAIR, proposalId=c.proposal(voting=True), reason="议事会现场表决已完成"
    ),
    "ProposalDetail": lambda c: _with(c, JINAN_RESIDENT, id=c.demo_proposal()),
    "CommentOnProposal": lambda c: _input(
        c, JINAN_RESIDENT, proposalId=c.demo_proposal(), body="支持，建议多种些树。"
    ),
    "ProposalDecision": _decided,
    "CancelVoting": lambda c: _input(
        c,
        JINAN_CHAIR,
        proposalId=_voted(c, ballot="SECRET"),
        reason="议题所涉电梯补助政策已调整，重新拟定方案后再表决",
    ),
    "AuthorizeProxy": _authorize_proxy,
    "CastProxyVote": _cast_proxy_vote,
    "RecordPaperBallot": _record_paper_ballot,
    "SuggestProposal": lambda c: _input(c, JINAN_HOUSEMATE, councilId=c.council(), **SUGGESTION),
    "CoSignProposal": lambda c: _input(c, JINAN_RESIDENT, proposalId=c.suggestion()),
    "AcceptSuggestion": lambda c: _input(
        c, JINAN_CHAIR, proposalId=c.suggestion(JINAN_RESIDENT, JINAN_NEIGHBOUR), accept=True
    ),
    "CreateSurvey": lambda c: _survey_input(c),
    "MySurveys": lambda c: c.case(JINAN_RESIDENT),
    "AnswerSurvey": _answer_survey,
    "SurveyResults": lambda c: _with(c, HULI_ADMIN, id=c.survey()),
    "NearbyCommunities": lambda c: c.case(None, near=NEAR, first=20),
    "Community": lambda c: c.case(JINAN_RESIDENT, id=c.community),
    "Place": lambda c: c.case(JINAN_RESIDENT, id=c.street.places["金山街道"]),
    "NodeById": lambda c: _with(c, JINAN_WORKER, id=_demo_report(c)),
    "UploadAttachment": lambda c: c.case(JINAN_RESIDENT, file=upload_file(jpeg())),
    "SubmitReport": _submit_report,
    "Reports": lambda c: c.case(JINAN_WORKER, communityId=c.community, first=20),
    "EscalationQueue": lambda c: c.case(HULI_ADMIN, placeId=c.street.places["湖里区"], first=20),
    "ReportsNearby": lambda c: c.case(JINAN_RESIDENT, near=NEAR, radiusMeters=2000, first=20),
    "ReportDetail": lambda c: _with(c, JINAN_WORKER, id=_demo_report(c), commentsFirst=20),
    "EndorseReport": _endorse,
    "CommentOnReport": lambda c: _input(
        c, JINAN_RESIDENT, reportId=c.street.submit(JINAN_RESIDENT), body="补充：4 楼也不亮。"
    ),
    "FollowReport": lambda c: _input(c, JINAN_NEIGHBOUR, reportId=_demo_report(c)),
    "UnfollowReport": lambda c: _input(c, JINAN_RESIDENT, reportId=c.street.submit()),
    "AcceptReport": lambda c: c.report_move("accept", "SUBMITTED", JINAN_WORKER),
    "AssignReport": lambda c: c.report_move("assign", "ACCEPTED", JINAN_WORKER),
    "StartReport": lambda c: c.report_move("start", "ASSIGNED", JINAN_GRID_WORKER),
    "ResolveReport": lambda c: c.report_move("resolve", "IN_PROGRESS", JINAN_GRID_WORKER),
    "RejectReport": lambda c: c.report_move("reject", "SUBMITTED", JINAN_WORKER),
    "EscalateReport": lambda c: c.report_move("escalate", "ACCEPTED", JINAN_WORKER),
    "RateReport": lambda c: c.report_move("rate", "RESOLVED", JINAN_RESIDENT),
    "CloseReport": lambda c: c.report_move("close", "RESOLVED", JINAN_WORKER),
    # field work (fieldwork.graphql)
    "ReportCategories": lambda c: c.case(JINAN_RESIDENT, communityId=c.community),
    "SimilarReports": _similar,
    "ReportRouting": _routing,
    "WithdrawReport": lambda c: c.report_move("withdraw", "SUBMITTED", JINAN_RESIDENT),
    "MarkReportDuplicate": _mark_duplicate,
    "MyGridQueue": lambda c: c.case(JINAN_GRID_WORKER, communityId=c.community, first=20),
    "Units": lambda c: c.case(STREET_ADMIN, placeId=c.street.places["金山街道"]),
    "CreateUnit": lambda c: c.mutation(
        HULI_ADMIN, placeId=c.street.places["湖里区"], name="湖里区城管执法局"
    ),
    "AddUnitMember": _add_unit_member,
    "DispatchReport": _dispatch,
    "ReturnReport": _return,
    "UnitQueue": lambda c: _unit_case(c, CHENGGUAN, "金山街道城管中队", first=20),
    "PlaceReports": lambda c: c.case(HULI_ADMIN, placeId=c.street.places["湖里区"], first=20),
    "ReportsInArea": lambda c: c.case(HULI_ADMIN, first=50, box=AROUND_JINSHAN),
    "LogPatrol": _log_patrol,
    "Patrols": _patrols,
    "DistrictDashboard": lambda c: c.case(HULI_ADMIN, placeId=c.street.places["湖里区"]),
    "CommunityBoards": lambda c: c.case(JINAN_RESIDENT, communityId=c.community),
    "Board": lambda c: _board(c),
    "TaskDetail": lambda c: _with(c, JINAN_RESIDENT, id=c.demo_task()),
    "CreateTask": lambda c: _create_task(c),
    "MoveTask": _move,
    "ClaimTask": lambda c: _claim(c),
    "ReleaseTask": lambda c: _input(c, JINAN_RESIDENT, taskId=c.claimed_task()),
    "SubmitTask": lambda c: _input(c, JINAN_RESIDENT, taskId=c.claimed_task(), note="已完成。"),
    "ApproveTask": _approve,
    "Leaderboard": lambda c: c.case(JINAN_RESIDENT, communityId=c.community, first=20),
    "OpenTasks": lambda c: c.case(JINAN_NEIGHBOUR, communityId=c.community, first=20),
    "UpdateTask": lambda c: _input(
        c, JINAN_WORKER, taskId=c.claimed_task(), expectedVersion=2, meetingPlace="5 号楼大堂"
    ),
    "CancelTask": lambda c: _input(
        c, JINAN_WORKER, taskId=c.claimed_task(), expectedVersion=2, reason="台风预警"
    ),
    "ReturnTask": lambda c: _input(c, JINAN_WORKER, taskId=_in_review(c), reason="请补拍照片"),
    "CommentOnTask": lambda c: _input(
        c, JINAN_RESIDENT, taskId=c.demo_task(), body="需要自带工具吗？"
    ),
    "TaskRecord": lambda c: _with(c, JINAN_RESIDENT, id=_in_review(c)),
    "PointsHistory": lambda c: c.case(JINAN_CHAIR, first=20),
    "Rewards": lambda c: c.case(JINAN_RESIDENT, communityId=c.community),
    "CreateReward": lambda c: c.mutation(
        JINAN_WORKER, communityId=c.community, name="洗衣液一瓶", cost=20, stock=10
    ),
    "RedeemReward": lambda c: _redeem(c),
    "FulfilRedemption": lambda c: _fulfil(c),
    "PeriodLeaderboard": lambda c: c.case(
        JINAN_RESIDENT, communityId=c.community, period="MONTH", first=20
    ),
}


async def _in_review(c: Contract) -> str:
    board = await c.boards.board()
    task = await c.boards.to_review(board, JINAN_RESIDENT)
    task_id: str = task["id"]
    return task_id


async def _reward_id(c: Contract) -> str:
    payload = await c.boards.mutate(
        "CreateReward", JINAN_WORKER, communityId=c.community, name="抽纸一提", cost=1, stock=100
    )
    reward_id: str = payload["reward"]["id"]
    return reward_id


async def _redeem(c: Contract) -> Case:
    await give(c.boards, JINAN_NEIGHBOUR, 5)
    return await c.mutation(JINAN_NEIGHBOUR, rewardId=await _reward_id(c))


async def _fulfil(c: Contract) -> Case:
    await give(c.boards, JINAN_NEIGHBOUR, 5)
    data = await c.api.data(
        "RedeemReward", {"input": {"rewardId": await _reward_id(c)}},
        token=await c.token(JINAN_NEIGHBOUR),
    )  # fmt: skip
    return await c.mutation(JINAN_WORKER, redemptionId=data["redeemReward"]["redemption"]["id"])


async def _resolved(values: dict[str, Any]) -> dict[str, Any]:
    """`values` with each awaitable (an id being looked up) awaited."""
    return {k: await v if isinstance(v, Awaitable) else v for k, v in values.items()}


async def _with(c: Contract, phone: str, **variables: Any) -> Case:
    return await c.case(phone, **await _resolved(variables))


async def _input(c: Contract, phone: str, **values: Any) -> Case:
    return await c.mutation(phone, **await _resolved(values))


async def _survey_input(c: Contract) -> Case:
    return await c.mutation(HULI_ADMIN, **c.survey_input())


async def _board(c: Contract) -> Case:
    board = await c.demo_board()
    return await c.case(JINAN_WORKER, id=board["id"], tasksFirst=20)


async def _create_task(c: Contract) -> Case:
    board = await c.demo_board()
    return await c.mutation(JINAN_WORKER, boardId=board["id"], title="修剪 6 栋旁绿化带")


async def _claim(c: Contract) -> Case:
    board = await c.boards.board()
    task = await c.boards.task(board)
    return await c.mutation(JINAN_RESIDENT, taskId=task["id"])


@pytest.fixture(scope="module")
async def contract(
    mongo_client: Client, schema: NeighborSchema, settings: Settings
) -> AsyncIterator[Contract]:
    async with shared_street(mongo_client, schema, settings) as street:
        yield Contract(street)


async def commands_of(
    contract: Contract, counter: CommandCounter, name: str, case: Case
) -> tuple[int, Any]:
    """How many commands one request of `name` sends, and its data."""
    database = contract.street.deps.db.name
    before = counter.counts.get(database, 0)
    result = await contract.api.op(name, case.variables, token=case.token)
    sent = counter.counts.get(database, 0) - before
    assert result.errors is None, result.errors
    return sent, result.data


def test_every_operation_has_a_budget() -> None:
    assert sorted(_queries_and_mutations() - BUDGETS.keys()) == []
    assert sorted(BUDGETS.keys() - _queries_and_mutations()) == []
    assert BUDGETS.keys() == SETUP.keys()


@pytest.mark.parametrize("name", sorted(BUDGETS))
async def test_within_budget(
    name: str, contract: Contract, command_counter: CommandCounter
) -> None:
    case = await SETUP[name](contract)
    sent, data = await commands_of(contract, command_counter, name, case)

    payload = next(iter(data.values()))
    assert payload is not None, data
    assert not isinstance(payload, dict) or payload.get("errors", []) == [], payload
    assert sent <= BUDGETS[name], sent


class TestPageSize:
    """A list costs the same whatever its page size: DataLoaders batch each nested field."""

    async def test_reports(self, contract: Contract, command_counter: CommandCounter) -> None:
        for _ in range(20 - 12):
            await contract.street.submit(JINAN_NEIGHBOUR)
        sizes = {}
        for first in (5, 20):
            case = await contract.case(JINAN_WORKER, communityId=contract.community, first=first)
            sent, data = await commands_of(contract, command_counter, "Reports", case)
            assert len(data["reports"]["edges"]) == first
            sizes[first] = sent
        assert sizes[5] == sizes[20] <= BUDGETS["Reports"]

    async def test_reports_as_a_resident(
        self, contract: Contract, command_counter: CommandCounter
    ) -> None:
        """A member's list reads their own reports (a default page at least) and the
        community's, and counts what they see from the community's totals and those own
        reports: no read more for the total (a resident with a few reports of their own)."""
        for _ in range(20 - 12):
            await contract.street.submit(JINAN_NEIGHBOUR)
        await contract.street.submit(JINAN_CHAIR)
        for first in (5, 20, 100):
            case = await contract.case(JINAN_CHAIR, communityId=contract.community, first=first)
            sent, data = await commands_of(contract, command_counter, "Reports", case)
            assert data["reports"]["totalCount"] >= len(data["reports"]["edges"]) >= 5
            assert sent <= BUDGETS["Reports"], (first, sent)

    async def test_reports_nearby(
        self, contract: Contract, command_counter: CommandCounter
    ) -> None:
        """Ring by ring: the reads of cells depend on how far the page reaches (one for a page
        the first block holds), never more than the budget's worst case."""
        for first in (1, 5, 20, 100):
            for radius in (100, 500, 5000):
                case = await contract.case(
                    JINAN_RESIDENT, near=NEAR, radiusMeters=radius, first=first
                )
                sent, data = await commands_of(contract, command_counter, "ReportsNearby", case)
                assert data["reportsNearby"]["edges"] or radius == 100
                assert sent <= BUDGETS["ReportsNearby"], (first, radius, sent)

    async def test_reports_fields_run_no_task_each(self, contract: Contract) -> None:
        """A page's reporters, assignees, photos and the viewer's endorsements are loaded once
        for the page (`ReportType.prefetch`), so those fields answer at once (graphql/sync.py):
        a request runs as many tasks for 4 reports as for 12."""
        loop = asyncio.get_running_loop()
        original = loop.get_task_factory()
        created = 0

        def counting(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> Any:
            nonlocal created
            created += 1
            if original is not None:
                return original(loop, coro, **kwargs)
            return asyncio.Task(coro, loop=loop, **kwargs)

        tasks = {}
        for first in (4, 12):
            case = await contract.case(JINAN_WORKER, communityId=contract.community, first=first)
            # Warm: the session cache and the process's places (their first reads are tasks).
            await contract.api.op("Reports", case.variables, token=case.token)
            loop.set_task_factory(counting)
            created = 0
            try:
                result = await contract.api.op("Reports", case.variables, token=case.token)
            finally:
                loop.set_task_factory(original)
            assert result.errors is None, result.errors
            assert result.data is not None
            assert len(result.data["reports"]["edges"]) == first
            tasks[first] = created
        assert tasks[4] == tasks[12], tasks
