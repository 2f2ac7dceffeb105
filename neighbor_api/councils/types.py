"""GraphQL types of councils, proposals and votes."""

from __future__ import annotations

from collections.abc import Awaitable, Hashable
from datetime import datetime
from typing import Any

import strawberry
from bson import ObjectId
from strawberry import relay

from neighbor_api.accounts.types import UserType
from neighbor_api.attachments.types import AttachmentType
from neighbor_api.boards.types import TaskType
from neighbor_api.context import Info
from neighbor_api.core.i18n import translate
from neighbor_api.councils import decision as decisions
from neighbor_api.councils import service
from neighbor_api.councils.models import (
    Ballot,
    Council,
    CouncilKind,
    CouncilMember,
    CouncilRole,
    Electorate,
    Option,
    Participation,
    Proposal,
    ProposalComment,
    ProposalMatter,
    ProposalOutcome,
    ProposalStatus,
    ProxyAuthorization,
    VoteChannel,
    VotingMethod,
)
from neighbor_api.graphql.enums import graphql_enum
from neighbor_api.graphql.errors import Payload
from neighbor_api.graphql.relay import Connection, from_global_id, node_type, to_global_id
from neighbor_api.graphql.sync import MaybeAwaitable, loaded, then
from neighbor_api.places.types import PlaceType

graphql_enum(
    CouncilKind,
    "What kind of council.",
    {
        CouncilKind.COMMUNITY_COUNCIL: "The residents' council of the community (居民议事会).",
        CouncilKind.ELDERS_COUNCIL: "A council of elders and respected residents.",
        CouncilKind.COMMUNITY_ENTERPRISE_COUNCIL: (
            "A council of the community with local businesses and institutions."
        ),
        CouncilKind.OWNERS_COMMITTEE: "The property owners' committee (业主委员会).",
        CouncilKind.CAMPUS_COUNCIL: "A council of one residential compound or campus.",
    },
)
graphql_enum(
    CouncilRole,
    "A member's role on a council.",
    {
        CouncilRole.CHAIR: "Opens and closes votes (as staff may); one per council.",
        CouncilRole.SECRETARY: "Keeps the council's records; otherwise a member.",
        CouncilRole.MEMBER: "Proposes and deliberates.",
    },
)
graphql_enum(
    ProposalStatus,
    "Where a proposal is: deliberation, voting, ...",
    {
        ProposalStatus.SUGGESTED: (
            "Raised by a resident (议题征集), gathering co-signatures until the chair or staff "
            "accept it (→ DELIBERATION) or decline it."
        ),
        ProposalStatus.DRAFT: "Written, not yet open for deliberation.",
        ProposalStatus.DELIBERATION: "Open for comments (协商); voting not open yet.",
        ProposalStatus.VOTING: "Votes are being cast until voting closes.",
        ProposalStatus.CLOSED: "Voting closed; `outcome` says how it ended.",
        ProposalStatus.WITHDRAWN: "Withdrawn before voting by its author, the chair or staff.",
    },
)
graphql_enum(
    ProposalOutcome,
    "How a closed vote ended.",
    {
        ProposalOutcome.PASSED: "Enough took part and enough approved.",
        ProposalOutcome.REJECTED: "Enough took part, but too few approved.",
        ProposalOutcome.NO_QUORUM: "Too few of the electorate took part.",
        ProposalOutcome.TIED: (
            "Choice methods: options with equal votes share the last winning place, so the "
            "vote names no (or not every) winner."
        ),
        ProposalOutcome.CANCELLED: "Voting was abandoned (cancelVoting) without an outcome.",
    },
)
graphql_enum(
    Ballot,
    "OPEN: choices are public; SECRET: only sums, after closing.",
    {
        Ballot.OPEN: "Who chose what is visible.",
        Ballot.SECRET: "Only the totals, and only after voting closes.",
    },
)
graphql_enum(
    Electorate,
    "Who may vote.",
    {
        Electorate.COUNCIL_MEMBERS: "The council's members.",
        Electorate.RESIDENTS: "Every active member of the community.",
        Electorate.HOUSEHOLDS: "One vote per household; housemates share it.",
        Electorate.OWNERS: "Property owners, weighted by floor area (PRC Civil Code art. 278).",
    },
)
graphql_enum(
    ProposalMatter,
    "For OWNERS votes: ORDINARY or MAJOR (art. 278).",
    {
        ProposalMatter.ORDINARY: (
            "Passes with more than half of the participating area and owners (art. 278)."
        ),
        ProposalMatter.MAJOR: (
            "Passes with at least 3/4 of the participating area and owners (art. 278)."
        ),
    },
)
graphql_enum(
    VoteChannel,
    "How a participation was cast.",
    {
        VoteChannel.APP: "In the app, by the elector.",
        VoteChannel.PROXY: "By the proxy the elector authorised (委托投票).",
        VoteChannel.PAPER: "On paper, recorded by community staff with the ballot's photo.",
    },
)
graphql_enum(
    VotingMethod,
    "How choices are made.",
    {
        VotingMethod.YES_NO_ABSTAIN: "The server's three options, in this order: yes, no, abstain.",
        VotingMethod.SINGLE_CHOICE: "One of the proposal's options.",
        VotingMethod.MULTIPLE_CHOICE: "Up to `maxChoices` of the proposal's options.",
    },
)


async def _user(info: Info, user_id: ObjectId) -> UserType | None:
    user = await info.context.loaders.user.load(user_id)
    return UserType.from_model(user) if user else None


def _user_now(info: Info, user_id: ObjectId) -> MaybeAwaitable[UserType | None]:
    """`_user`, at once when the request's loader holds the user (a prefetched page)."""
    return then(
        loaded(info.context.loaders.user, user_id),
        lambda user: UserType.from_model(user) if user else None,
    )


def _square_meters(centi: int | None) -> float | None:
    return None if centi is None else centi / 100


def _percent(part: int, whole: int) -> float:
    return round(100 * part / whole, 2) if whole else 0.0


@strawberry.type(name="CouncilMember", description="A member of a council.")
class CouncilMemberType:
    role: CouncilRole = strawberry.field(description="CHAIR, SECRETARY or MEMBER.")
    since: datetime = strawberry.field(description="Since when.")
    model: strawberry.Private[CouncilMember]

    @strawberry.field(description="The member.")
    async def user(self, info: Info) -> UserType | None:
        return await _user(info, self.model.user_id)


@node_type
@strawberry.type(name="Council", description="A community council, owners' committee, ...")
class CouncilType(relay.Node):
    id: relay.NodeID[str]
    name: str = strawberry.field(description="e.g. 金安社区居民议事会.")
    kind: CouncilKind = strawberry.field(description="What kind of council.")
    model: strawberry.Private[Council]

    @classmethod
    def from_model(cls, council: Council) -> CouncilType:
        return cls(id=str(council.id), name=council.name, kind=council.kind, model=council)

    @classmethod
    async def load(cls, info: Info, object_id: ObjectId) -> CouncilType | None:
        council = await info.context.loaders.councils.council.load(object_id)
        if council is None or not service.can_see(await info.context.actor(), council):
            return None
        return cls.from_model(council)

    @strawberry.field(description="The members, chair first.")
    def members(self) -> list[CouncilMemberType]:
        order = list(CouncilRole)
        members = sorted(self.model.members, key=lambda m: (order.index(m.role), m.since))
        return [CouncilMemberType(role=m.role, since=m.since, model=m) for m in members]

    @strawberry.field(description="The community it serves.")
    async def community(self, info: Info) -> PlaceType | None:
        return await PlaceType.load(info, self.model.community_id)


@strawberry.type(name="ProposalOption", description="One of a proposal's options.")
class ProposalOptionType:
    id: strawberry.ID = strawberry.field(description="Send in castVote's optionIds.")
    label: str = strawberry.field(description="What it says (赞成/反对/弃权 for yes/no).")
    vote_count: int | None = strawberry.field(
        description="Votes for it: live on open ballots, after closing on secret ones."
    )
    vote_area: float | None = strawberry.field(
        description="OWNERS votes: the floor area (m²) of the owners who chose it."
    )


@strawberry.type(description="How many of the electorate have voted.")
class Turnout:
    eligible: int = strawberry.field(description="The electorate, fixed when voting opened.")
    voted: int = strawberry.field(description="How many have voted (a household counts once).")
    percent: float = strawberry.field(description="voted / eligible, in percent.")
    eligible_area: float | None = strawberry.field(description="OWNERS: floor area in m².")
    voted_area: float | None = strawberry.field(description="OWNERS: area that voted, m².")
    area_percent: float | None = strawberry.field(description="OWNERS: votedArea / eligibleArea.")


@strawberry.type(
    name="Voter", description="An entry of the roll: who voted (and, on open ballots, how)."
)
class VoterType:
    cast_at: datetime | None = strawberry.field(
        description="When: open ballots only (null on secret ones, whose roll is in no "
        "order related to time)."
    )
    choice_ids: list[strawberry.ID] | None = strawberry.field(
        description="The options chosen: open ballots only (always null on secret ones)."
    )
    model: strawberry.Private[Participation]

    @classmethod
    def prefetch(
        cls, info: Info, nodes: list[VoterType], selected: frozenset[str]
    ) -> Awaitable[Any] | None:
        """A page of the roll's electors and proxies in one DataLoader call, so `user` and
        `castBy` answer without a task each (graphql/sync.py)."""
        users = [n.model.user_id for n in nodes] if "user" in selected else []
        if "castBy" in selected:
            users += [n.model.cast_by for n in nodes if n.model.cast_by]
        if not users:
            return None
        return info.context.loaders.user.load_many(list(dict.fromkeys(users)))

    @strawberry.field(
        description="Who voted: the elector whose vote it is.", graphql_type=UserType | None
    )
    def user(self, info: Info) -> MaybeAwaitable[UserType | None]:
        return _user_now(info, self.model.user_id)

    @strawberry.field(description="APP, PROXY or PAPER.")
    def channel(self) -> VoteChannel:
        return self.model.channel

    @strawberry.field(
        description="PROXY: the proxy who cast it; PAPER: the staff member who recorded it.",
        graphql_type=UserType | None,
    )
    def cast_by(self, info: Info) -> MaybeAwaitable[UserType | None]:
        return _user_now(info, self.model.cast_by) if self.model.cast_by else None


@strawberry.type(name="VoteReceipt", description="Proof that the viewer's vote was recorded.")
class VoteReceiptType:
    id: strawberry.ID = strawberry.field(description="The receipt's id.")
    proposal_id: strawberry.ID = strawberry.field(description="The proposal voted on.")
    cast_at: datetime = strawberry.field(description="When the vote was recorded.")

    @classmethod
    def from_model(cls, participation: Participation) -> VoteReceiptType:
        return cls(
            id=strawberry.ID(to_global_id("VoteReceipt", participation.id)),
            proposal_id=strawberry.ID(to_global_id("Proposal", participation.proposal_id)),
            cast_at=participation.cast_at,
        )


@node_type
@strawberry.type(name="ProposalComment", description="A comment in a proposal's deliberation.")
class ProposalCommentType(relay.Node):
    id: relay.NodeID[str]
    body: str = strawberry.field(description="The comment.")
    created_at: datetime = strawberry.field(description="When.")
    model: strawberry.Private[ProposalComment]

    @classmethod
    def from_model(cls, comment: ProposalComment) -> ProposalCommentType:
        return cls(
            id=str(comment.id), body=comment.body, created_at=comment.created_at, model=comment
        )

    @classmethod
    async def load(cls, info: Info, object_id: ObjectId) -> ProposalCommentType | None:
        return None  # reached through its proposal

    @classmethod
    def prefetch(
        cls, info: Info, nodes: list[ProposalCommentType], selected: frozenset[str]
    ) -> Awaitable[Any] | None:
        """A page's authors in one DataLoader call (graphql/sync.py)."""
        if "author" not in selected or not nodes:
            return None
        authors = list(dict.fromkeys(n.model.author_id for n in nodes))
        return info.context.loaders.user.load_many(authors)

    @strawberry.field(description="Who wrote it.", graphql_type=UserType | None)
    def author(self, info: Info) -> MaybeAwaitable[UserType | None]:
        return _user_now(info, self.model.author_id)


def option_global_id(option: Option) -> strawberry.ID:
    return strawberry.ID(to_global_id("ProposalOption", option.id))


def _option_id(option: ProposalOptionType) -> ObjectId | None:
    return from_global_id(option.id, "ProposalOption")


def _label(option: Option, info: Info) -> str:
    return option.label or translate(f"vote.{option.key}", info.context.locale)


@strawberry.type(name="DecisionRule", description="One rule that decided a vote.")
class DecisionRuleType:
    name: str = strawberry.field(description="The rule, e.g. 参与表决的专有部分面积.")
    required: str = strawberry.field(description="What it requires, e.g. ≥ 2/3.")
    achieved: str = strawberry.field(
        description="What the vote achieved: a percentage (one decimal), with the exact "
        "figures in brackets on open ballots."
    )
    met: bool = strawberry.field(description="Whether the rule was met (decided exactly).")


@strawberry.type(
    name="ProposalDecision",
    description="Why a closed vote ended as it did, from the same arithmetic that decided it.",
)
class ProposalDecisionType:
    outcome: ProposalOutcome = strawberry.field(description="The outcome.")
    reason: str = strawberry.field(description="One sentence saying why.")
    rules: list[DecisionRuleType] = strawberry.field(
        description="Every rule checked (all four of art. 278 for OWNERS votes), in order."
    )
    close_reason: str | None = strawberry.field(
        description="Why voting was closed before its time, or cancelled."
    )
    disclosure: str | None = strawberry.field(
        description="Secret ballots: said when the electorate is so small (or the vote so "
        "one-sided) that the published totals tell who chose what."
    )


@node_type
@strawberry.type(name="Proposal", description="A proposal put to a council or community.")
class ProposalType(relay.Node):
    id: relay.NodeID[str]
    title: str = strawberry.field(description="A short title.")
    body: str = strawberry.field(description="The proposal in full.")
    status: ProposalStatus = strawberry.field(description="Where it is.")
    outcome: ProposalOutcome | None = strawberry.field(description="Null until closed.")
    ballot: Ballot = strawberry.field(description="OPEN or SECRET.")
    electorate: Electorate = strawberry.field(description="Who may vote.")
    method: VotingMethod = strawberry.field(description="How choices are made.")
    matter: ProposalMatter = strawberry.field(description="ORDINARY or MAJOR (OWNERS votes).")
    max_choices: int = strawberry.field(description="How many options one vote may choose.")
    quorum_percent: float | None = strawberry.field(
        description="Turnout needed, % of the electorate. Null for OWNERS votes (art. 278 "
        "fixes the rules: see `decision`)."
    )
    pass_threshold_percent: float | None = strawberry.field(
        description="YES_NO_ABSTAIN: yes / (yes + no) must exceed this, in percent. Null for "
        "OWNERS votes (art. 278)."
    )
    close_reason: str | None = strawberry.field(
        description="Why voting was closed before its time, or cancelled."
    )
    voting_opens_at: datetime | None = strawberry.field(description="When voting opened.")
    voting_closes_at: datetime | None = strawberry.field(description="When voting closes.")
    quorum_reached: bool | None = strawberry.field(description="Null until closed.")
    co_signature_count: int = strawberry.field(
        description="A resident's suggestion (议题征集): how many have signed it, the author "
        "first (0 for proposals made by the council)."
    )
    co_signatures_needed: int | None = strawberry.field(
        description="A suggestion: the signatures needed before it can be accepted (the "
        "council's percent of the residents, at least 3), fixed when suggested."
    )
    decline_reason: str | None = strawberry.field(
        description="A declined suggestion: why (told to the author and co-signers)."
    )
    model: strawberry.Private[Proposal]
    # A secret ballot's vote-cast event: the turnout is not shown (it would move with the vote).
    quiet: strawberry.Private[bool] = False

    @classmethod
    def from_model(cls, proposal: Proposal, *, quiet: bool = False) -> ProposalType:
        owners = proposal.electorate is Electorate.OWNERS
        return cls(
            quiet=quiet,
            id=str(proposal.id),
            title=proposal.title,
            body=proposal.body,
            status=proposal.status,
            outcome=proposal.outcome,
            ballot=proposal.ballot,
            electorate=proposal.electorate,
            method=proposal.method,
            matter=proposal.matter,
            max_choices=proposal.max_choices,
            quorum_percent=None if owners else proposal.quorum_percent,
            pass_threshold_percent=None if owners else proposal.pass_threshold_percent,
            close_reason=proposal.close_reason,
            voting_opens_at=proposal.voting_opens_at,
            voting_closes_at=proposal.voting_closes_at,
            quorum_reached=proposal.quorum_reached,
            co_signature_count=proposal.co_signature_count,
            co_signatures_needed=proposal.co_signatures_needed,
            decline_reason=proposal.decline_reason,
            model=proposal,
        )

    @classmethod
    async def load(cls, info: Info, object_id: ObjectId) -> ProposalType | None:
        found = await service.get_proposal(info.context.deps, await info.context.actor(), object_id)
        if found is None:
            return None
        proposal, council = found
        # The service read the council to check the viewer may see it: `council` reuses it.
        info.context.loaders.councils.council.prime(council.id, council)
        return cls.from_model(proposal)

    @strawberry.field(description="Its photos and documents (a PDF quote), as attached.")
    async def attachments(self, info: Info) -> list[AttachmentType]:
        if not self.model.attachment_ids:
            return []
        found = await info.context.loaders.attachment.load_many(self.model.attachment_ids)
        return [AttachmentType.from_model(a) for a in found if a is not None]

    @strawberry.field(description="The council it belongs to.")
    async def council(self, info: Info) -> CouncilType | None:
        return await CouncilType.load(info, self.model.council_id)

    @strawberry.field(description="Who proposed it.")
    async def author(self, info: Info) -> UserType | None:
        return await _user(info, self.model.author_id)

    def _counts_visible(self) -> bool:
        proposal = self.model
        if proposal.status is ProposalStatus.CLOSED:  # a cancelled secret ballot tells nothing
            return proposal.outcome is not ProposalOutcome.CANCELLED or (
                proposal.ballot is Ballot.OPEN
            )
        return proposal.ballot is Ballot.OPEN and proposal.status is ProposalStatus.VOTING

    async def _roll_version(self, info: Info) -> Hashable | None:
        """The roll's version (service.roll_version), from the tallies while voting runs."""
        proposal = self.model
        voters = 0
        if proposal.status is ProposalStatus.VOTING:
            totals = await info.context.loaders.councils.live_counts.load(proposal.id)
            voters = int(totals["voters"])
        return service.roll_version(proposal, voters)

    @strawberry.field(description="The options, in order (yes, no, abstain for yes/no votes).")
    async def options(self, info: Info) -> list[ProposalOptionType]:
        return await self._options(info)

    async def _options(self, info: Info) -> list[ProposalOptionType]:
        proposal = self.model
        visible = self._counts_visible()
        owners = proposal.electorate is Electorate.OWNERS and service.may_see_figures(
            await info.context.actor(), proposal
        )
        if proposal.results is not None:
            counts = {str(r.option_id): r.count for r in proposal.results}
            areas = {str(r.option_id): r.area_centi for r in proposal.results}
        elif visible:
            totals = await info.context.loaders.councils.live_counts.load(proposal.id)
            counts, areas = totals["counts"], totals["areas"]
        else:
            counts, areas = {}, {}
        return [
            ProposalOptionType(
                id=option_global_id(o),
                label=_label(o, info),
                vote_count=int(counts.get(str(o.id), 0)) if visible else None,
                vote_area=_square_meters(int(areas.get(str(o.id), 0)))
                if visible and owners
                else None,
            )
            for o in proposal.options
        ]

    @strawberry.field(description="Turnout (null before voting opens).")
    async def turnout(self, info: Info) -> Turnout | None:
        proposal = self.model
        if proposal.eligible_count is None or self.quiet:
            return None
        if proposal.voted_count is not None:
            voted, area = proposal.voted_count, proposal.voted_area_centi or 0
        else:
            voted, area = await service.turnout(
                info.context.deps, proposal.id, await self._roll_version(info),
                lambda: info.context.loaders.councils.turnout.load(proposal.id),
            )  # fmt: skip
        owners = proposal.electorate is Electorate.OWNERS
        figures = owners and service.may_see_figures(await info.context.actor(), proposal)
        # A secret ballot's area percentage is published once voting has closed (art. 278's
        # participation rule needs it); while voting it would move with each owner's area.
        percent = figures or (owners and proposal.status is ProposalStatus.CLOSED)
        eligible_area = proposal.eligible_area_centi or 0
        return Turnout(
            eligible=proposal.eligible_count,
            voted=voted,
            percent=_percent(voted, proposal.eligible_count),
            eligible_area=_square_meters(eligible_area) if figures else None,
            voted_area=_square_meters(area) if figures else None,
            area_percent=_percent(area, eligible_area) if percent else None,
        )

    @strawberry.field(description="Why the vote ended as it did, rule by rule (null until closed).")
    async def decision(self, info: Info) -> ProposalDecisionType | None:
        proposal = self.model
        if proposal.status is not ProposalStatus.CLOSED or proposal.outcome is None:
            return None
        locale = info.context.locale
        if proposal.outcome is ProposalOutcome.CANCELLED:
            return ProposalDecisionType(
                outcome=proposal.outcome, reason=translate(
                    "decision.reason.CANCELLED", locale, {"reason": proposal.close_reason or ""}
                ),
                rules=[], close_reason=proposal.close_reason, disclosure=None,
            )  # fmt: skip
        record = decisions.record_of(proposal)
        secret = proposal.ballot is Ballot.SECRET
        rules = [decisions.rule_text(c, locale, figures=not secret) for c in record.checks]
        return ProposalDecisionType(
            outcome=proposal.outcome,
            reason=service.decision_reason(proposal, locale),
            rules=[DecisionRuleType(name=r.name, required=r.required, achieved=r.achieved,
                                    met=r.met) for r in rules],
            close_reason=proposal.close_reason,
            disclosure=decisions.disclosure_text(proposal, locale),
        )  # fmt: skip

    @strawberry.field(
        description="Choice methods, once closed: the options that won (the most votes; up "
        "to maxChoices for MULTIPLE_CHOICE). When TIED, only the options above the tie."
    )
    async def winners(self, info: Info) -> list[ProposalOptionType] | None:
        proposal = self.model
        if (
            proposal.method is VotingMethod.YES_NO_ABSTAIN
            or proposal.status is not ProposalStatus.CLOSED
            or proposal.outcome is ProposalOutcome.CANCELLED
        ):
            return None
        won = set(decisions.record_of(proposal).winners)
        return [o for o in await self._options(info) if _option_id(o) in won]

    @strawberry.field(
        description="The buildings an OWNERS or HOUSEHOLDS vote is limited to (empty: all)."
    )
    async def scope(self, info: Info) -> list[PlaceType]:
        found = [await PlaceType.load(info, b) for b in self.model.scope_building_ids]
        return [p for p in found if p is not None]

    @strawberry.field(description="Whether the viewer may vote now.")
    async def viewer_can_vote(self, info: Info) -> bool:
        proposal = self.model
        if not service.voting_open(proposal, info.context.deps.clock.now()):
            return False
        elector, cast = await self._viewer_vote(info)
        return elector is not None and cast is None

    @strawberry.field(
        description="Whether the viewer's vote is in: cast by them or, for a household vote, "
        "by a member of their household."
    )
    async def viewer_has_voted(self, info: Info) -> bool:
        _, cast = await self._viewer_vote(info)
        return cast is not None

    async def _viewer_vote(self, info: Info) -> service.ViewerVote:
        """The viewer's elector and roll entry: the request's loaders, kept for the viewer
        under the roll's version (service.viewer_vote)."""
        loaders, proposal_id = info.context.loaders.councils, self.model.id

        async def load() -> service.ViewerVote:
            elector = await loaders.viewer_elector.load(proposal_id)
            return elector, await loaders.viewer_participation.load(proposal_id)

        return await service.viewer_vote(
            info.context.deps, await info.context.actor(), proposal_id,
            await self._roll_version(info), load,
        )  # fmt: skip

    @strawberry.field(description="Whether the viewer has signed this suggestion.")
    async def viewer_has_co_signed(self, info: Info) -> bool:
        if self.model.co_signature_count == 0:
            return False
        return await info.context.loaders.councils.viewer_co_signed.load(self.model.id)

    @strawberry.field(description="The viewer's choices: open ballots only (null on secret).")
    async def viewer_choice_ids(self, info: Info) -> list[strawberry.ID] | None:
        actor = await info.context.actor()
        _, cast = await self._viewer_vote(info)
        if actor is None or cast is None or cast.user_id != actor.user_id:
            return None
        return _choice_ids(self.model, cast)

    @strawberry.field(description="The roll: who voted, when (and how, on open ballots).")
    async def voters(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[VoterType]:
        page = await service.roll(
            info.context.deps, self.model, first=first, after=after,
            version=await self._roll_version(info),
        )  # fmt: skip
        return Connection.of(
            page.map(
                lambda p: VoterType(
                    cast_at=p.cast_at if self.model.ballot is Ballot.OPEN else None,
                    choice_ids=_choice_ids(self.model, p),
                    model=p,
                )
            )
        )

    @strawberry.field(description="The deliberation, oldest first.")
    async def comments(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[ProposalCommentType]:
        page = await service.comments(info.context.deps, self.model, first=first, after=after)
        return Connection.of(page.map(ProposalCommentType.from_model))

    @strawberry.field(
        description="Tasks on the community's board spawned from it.", graphql_type=list[TaskType]
    )
    def resulting_tasks(self, info: Info) -> MaybeAwaitable[list[TaskType]]:
        # Only a passed proposal has any (boards.service.create_task refuses the others, and a
        # passed proposal stays passed): no read for one voting, or closed otherwise.
        if self.model.outcome is not ProposalOutcome.PASSED:
            return []
        return then(
            loaded(info.context.loaders.councils.resulting_tasks, self.model.id),
            lambda tasks: [TaskType.from_model(t) for t in tasks],
        )


def _choice_ids(proposal: Proposal, cast: Participation) -> list[strawberry.ID] | None:
    if proposal.ballot is not Ballot.OPEN or cast.choice_ids is None:
        return None
    return [strawberry.ID(to_global_id("ProposalOption", i)) for i in cast.choice_ids]


@strawberry.input(description="Propose something to a council.")
class CreateProposalInput:
    council_id: strawberry.ID
    title: str
    body: str
    electorate: Electorate
    ballot: Ballot
    method: VotingMethod
    matter: ProposalMatter | None = None
    options: list[str] | None = strawberry.field(
        default=None, description="Choice methods: 2–20 labels. Not for YES_NO_ABSTAIN."
    )
    max_choices: int | None = strawberry.field(
        default=None, description="MULTIPLE_CHOICE: at most this many (default: all)."
    )
    quorum_percent: float | None = strawberry.field(default=None, description="Default 50.")
    pass_threshold_percent: float | None = strawberry.field(default=None, description="Default 50.")
    voting_closes_at: datetime | None = None
    scope_building_ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description="OWNERS or HOUSEHOLDS votes: only the owners or households of these "
        "buildings (BUILDING places of the community) vote; fixed when voting opens.",
    )
    idempotency_key: str | None = None
    attachment_ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description="The author's uploads: photos and documents (a PDF quote), up to 10.",
    )


@strawberry.input(description="Open voting: the electorate is fixed now.")
class OpenVotingInput:
    proposal_id: strawberry.ID
    voting_closes_at: datetime | None = strawberry.field(
        default=None, description="Required unless the proposal has one."
    )


@strawberry.input(description="Vote (final).")
class CastVoteInput:
    proposal_id: strawberry.ID
    option_ids: list[strawberry.ID]
    idempotency_key: str | None = None
    on_behalf_of_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="A proxy votes for the elector (a User) who authorised them: the "
        "elector's one vote, with the elector's weight.",
    )


@strawberry.input(description="Close voting now (the chair or staff).")
class CloseVotingInput:
    proposal_id: strawberry.ID
    reason: str | None = strawberry.field(
        default=None,
        description="Required to close before votingClosesAt while some electors have not "
        "voted; kept, shown with the decision and told to the electors.",
    )


@strawberry.input(description="Abandon a vote without an outcome (the chair or staff).")
class CancelVotingInput:
    proposal_id: strawberry.ID
    reason: str = strawberry.field(description="Why; told to the electors.")


@strawberry.input(description="Withdraw a proposal before voting opens.")
class WithdrawProposalInput:
    proposal_id: strawberry.ID


@strawberry.input(description="Comment during deliberation.")
class CommentOnProposalInput:
    proposal_id: strawberry.ID
    body: str
    idempotency_key: str | None = None


@strawberry.input(description="Community staff: set up a council.")
class CreateCouncilInput:
    community_id: strawberry.ID
    name: str
    kind: CouncilKind
    co_signature_percent: int | None = strawberry.field(
        default=None,
        description="Residents' suggestions need this percent of the community's residents "
        "as co-signers (at least 3); default 5.",
    )


@strawberry.input(
    description="Community staff: add a member, change a role, or remove (role null)."
)
class SetCouncilMemberInput:
    council_id: strawberry.ID
    user_id: strawberry.ID
    role: CouncilRole | None = None


@strawberry.type(description="The result of a change to a proposal.")
class ProposalPayload(Payload):
    proposal: ProposalType | None = strawberry.field(default=None, description="The proposal now.")


@strawberry.type(description="The result of castVote.")
class CastVotePayload(Payload):
    receipt: VoteReceiptType | None = strawberry.field(default=None, description="The receipt.")
    proposal: ProposalType | None = strawberry.field(default=None, description="The proposal now.")


@strawberry.type(description="The result of commentOnProposal.")
class CommentOnProposalPayload(Payload):
    comment: ProposalCommentType | None = strawberry.field(default=None, description="The comment.")


@strawberry.type(description="The result of a change to a council.")
class CouncilPayload(Payload):
    council: CouncilType | None = strawberry.field(default=None, description="The council now.")


@strawberry.type(
    name="ProxyAuthorization",
    description="An elector's authorisation (委托) of a proxy to cast their vote on a proposal.",
)
class ProxyAuthorizationType:
    id: strawberry.ID = strawberry.field(description="Send in revokeProxy.")
    created_at: datetime = strawberry.field(description="When it was given.")
    used: bool = strawberry.field(description="Whether the proxy has voted (then final).")
    model: strawberry.Private[ProxyAuthorization]

    @classmethod
    def from_model(cls, proxy: ProxyAuthorization) -> ProxyAuthorizationType:
        return cls(
            id=strawberry.ID(to_global_id("ProxyAuthorization", proxy.id)),
            created_at=proxy.created_at,
            used=proxy.used,
            model=proxy,
        )

    @strawberry.field(description="Who gave their vote.")
    async def elector(self, info: Info) -> UserType | None:
        return await _user(info, self.model.elector_id)

    @strawberry.field(description="Who may cast it.")
    async def proxy(self, info: Info) -> UserType | None:
        return await _user(info, self.model.proxy_id)

    @strawberry.field(description="The proposal.")
    async def proposal(self, info: Info) -> ProposalType | None:
        return await ProposalType.load(info, self.model.proposal_id)


@strawberry.input(description="An elector lets a member of the community cast their vote.")
class AuthorizeProxyInput:
    proposal_id: strawberry.ID
    proxy_id: strawberry.ID = strawberry.field(description="A User of the community.")


@strawberry.input(description="The elector takes their authorisation back (until it is used).")
class RevokeProxyInput:
    proxy_authorization_id: strawberry.ID


@strawberry.input(description="Community staff: enter an elector's paper ballot.")
class RecordPaperBallotInput:
    proposal_id: strawberry.ID
    elector_id: strawberry.ID = strawberry.field(description="The User whose ballot it is.")
    option_ids: list[strawberry.ID]
    ballot_photo_id: strawberry.ID = strawberry.field(
        description="The staff member's upload (uploadAttachment) of the ballot."
    )


@strawberry.type(description="The result of authorizeProxy or revokeProxy.")
class ProxyPayload(Payload):
    proxy: ProxyAuthorizationType | None = strawberry.field(
        default=None, description="The authorisation (as it was, once revoked)."
    )


@strawberry.input(description="A resident raises a matter with a council (议题征集).")
class SuggestProposalInput:
    council_id: strawberry.ID
    title: str
    body: str
    idempotency_key: str | None = None
    attachment_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="The resident's uploads: photos and documents (PDF)."
    )


@strawberry.input(description="A resident co-signs a suggestion (once).")
class CoSignProposalInput:
    proposal_id: strawberry.ID


@strawberry.input(
    description="The chair or staff accept a suggestion (→ DELIBERATION) or decline it with "
    "a reason."
)
class AcceptSuggestionInput:
    proposal_id: strawberry.ID
    accept: bool
    reason: str | None = strawberry.field(
        default=None, description="Required when declining; told to the author and co-signers."
    )
