"""Councils, proposals and votes."""

from __future__ import annotations

from typing import Protocol

import strawberry
from bson import ObjectId

from neighbor_api.context import Info
from neighbor_api.core.policy import Actor
from neighbor_api.councils import ballots, service, suggestions
from neighbor_api.councils.models import Council, Proposal, ProposalStatus, ProxyAuthorization
from neighbor_api.councils.types import (
    AcceptSuggestionInput,
    AuthorizeProxyInput,
    CancelVotingInput,
    CastVoteInput,
    CastVotePayload,
    CloseVotingInput,
    CommentOnProposalInput,
    CommentOnProposalPayload,
    CoSignProposalInput,
    CouncilPayload,
    CouncilType,
    CreateCouncilInput,
    CreateProposalInput,
    OpenVotingInput,
    ProposalCommentType,
    ProposalPayload,
    ProposalType,
    ProxyAuthorizationType,
    ProxyPayload,
    RecordPaperBallotInput,
    RevokeProxyInput,
    SetCouncilMemberInput,
    SuggestProposalInput,
    VoteReceiptType,
    WithdrawProposalInput,
)
from neighbor_api.graphql.errors import mutation_runner, run_mutation
from neighbor_api.graphql.relay import Connection, from_global_id, input_id, input_ids, page_under


class _OnProposal(Protocol):
    @property
    def proposal_id(self) -> strawberry.ID: ...


def _proposal_id(input: _OnProposal) -> ObjectId:
    """The proposal a mutation's input names (`proposalId`), decoded by the one rule."""
    return input_id(input.proposal_id, "Proposal", "proposalId")


def _proposal(proposal: Proposal) -> ProposalPayload:
    return ProposalPayload(proposal=ProposalType.from_model(proposal))


# A proposal's mutation: the proposal it changed, or why not.
_proposal_step = mutation_runner(ProposalPayload, _proposal)


def _council(council: Council) -> CouncilPayload:
    return CouncilPayload(council=CouncilType.from_model(council))


# A council's mutation: the council it changed, or why not.
_council_change = mutation_runner(CouncilPayload, _council)


def _vote(info: Info, vote: service.Vote) -> CastVotePayload:
    """The payload from what the vote read and wrote: the proposal's fields read no more of
    the proposal, its council, the viewer's elector or their receipt."""
    loaders = info.context.loaders.councils
    loaders.council.prime(vote.council.id, vote.council)
    loaders.viewer_elector.prime(vote.proposal.id, vote.elector)
    loaders.viewer_participation.prime(vote.proposal.id, vote.receipt)
    return CastVotePayload(
        receipt=VoteReceiptType.from_model(vote.receipt),
        proposal=ProposalType.from_model(vote.proposal),
    )


def _vote_for_another(info: Info, vote: service.Vote) -> CastVotePayload:
    """A proxy's vote or a paper ballot: the vote is the elector's, not the viewer's, so only
    the council is primed (the viewer's own elector and receipt are theirs to load)."""
    info.context.loaders.councils.council.prime(vote.council.id, vote.council)
    return CastVotePayload(
        receipt=VoteReceiptType.from_model(vote.receipt),
        proposal=ProposalType.from_model(vote.proposal),
    )


def _proxy(info: Info, found: tuple[ProxyAuthorization, Proposal, Council]) -> ProxyPayload:
    proxy, _, council = found
    info.context.loaders.councils.council.prime(council.id, council)
    return ProxyPayload(proxy=ProxyAuthorizationType.from_model(proxy))


async def _cast(info: Info, actor: Actor, input: CastVoteInput) -> service.Vote:
    deps = info.context.deps
    proposal_id = _proposal_id(input)
    option_ids = input_ids(input.option_ids, "ProposalOption", "optionIds")
    if input.on_behalf_of_id is not None:
        return await ballots.cast_proxy_vote(
            deps, actor, proposal_id=proposal_id,
            on_behalf_of_id=input_id(input.on_behalf_of_id, "User", "onBehalfOfId"),
            option_ids=option_ids,
        )  # fmt: skip
    return await service.cast_vote(
        deps, actor, proposal_id=proposal_id, option_ids=option_ids,
        idempotency_key=input.idempotency_key,
    )  # fmt: skip


def _signed(info: Info, signed: suggestions.Signed) -> ProposalPayload:
    """The viewer has just signed (or suggested) it: `viewerHasCoSigned` reads nothing."""
    loaders = info.context.loaders.councils
    loaders.council.prime(signed.council.id, signed.council)
    loaders.viewer_co_signed.prime(signed.proposal.id, True)
    return _proposal(signed.proposal)


@strawberry.type
class CouncilQuery:
    @strawberry.field(description="A council, if the viewer may see it.")
    async def council(self, info: Info, id: strawberry.ID) -> CouncilType | None:
        object_id = from_global_id(id, "Council")
        return await CouncilType.load(info, object_id) if object_id else None

    @strawberry.field(description="A proposal, if the viewer may see it.")
    async def proposal(self, info: Info, id: strawberry.ID) -> ProposalType | None:
        object_id = from_global_id(id, "Proposal")
        return await ProposalType.load(info, object_id) if object_id else None

    @strawberry.field(description="A council's proposals, newest first (null for outsiders).")
    async def proposals(
        self,
        info: Info,
        council_id: strawberry.ID,
        status: list[ProposalStatus] | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[ProposalType] | None:
        return await page_under(
            info, council_id, "Council",
            lambda actor, object_id: service.proposals(
                info.context.deps, actor, council_id=object_id, statuses=status, first=first,
                after=after,
            ),
            ProposalType.from_model,
        )  # fmt: skip


@strawberry.type
class CouncilMutation:
    @strawberry.mutation(description="Community staff: set up a council.")
    async def create_council(self, info: Info, input: CreateCouncilInput) -> CouncilPayload:
        return await _council_change(
            info,
            lambda actor: service.create_council(
                info.context.deps, actor,
                community_id=input_id(input.community_id, "Place", "communityId"),
                name=input.name, kind=input.kind,
                co_signature_percent=input.co_signature_percent,
            ),
        )  # fmt: skip

    @strawberry.mutation(
        description="Community staff: add, re-role or (role null) remove a member."
    )
    async def set_council_member(self, info: Info, input: SetCouncilMemberInput) -> CouncilPayload:
        return await _council_change(
            info,
            lambda actor: service.set_council_member(
                info.context.deps, actor,
                council_id=input_id(input.council_id, "Council", "councilId"),
                user_id=input_id(input.user_id, "User", "userId"), role=input.role,
            ),
        )  # fmt: skip

    @strawberry.mutation(description="Council members and staff: propose; deliberation starts.")
    async def create_proposal(self, info: Info, input: CreateProposalInput) -> ProposalPayload:
        return await _proposal_step(
            info,
            lambda actor: service.create_proposal(
                info.context.deps, actor,
                council_id=input_id(input.council_id, "Council", "councilId"),
                title=input.title, body=input.body, electorate=input.electorate,
                ballot=input.ballot, method=input.method, matter=input.matter,
                options=input.options, max_choices=input.max_choices,
                quorum_percent=input.quorum_percent,
                pass_threshold_percent=input.pass_threshold_percent,
                voting_closes_at=input.voting_closes_at,
                scope_building_ids=input_ids(
                    input.scope_building_ids, "Place", "scopeBuildingIds"
                ),
                idempotency_key=input.idempotency_key,
                attachment_ids=input_ids(input.attachment_ids, "Attachment", "attachmentIds"),
            ),
        )  # fmt: skip

    @strawberry.mutation(description="The chair or staff: open voting; the electorate is fixed.")
    async def open_voting(self, info: Info, input: OpenVotingInput) -> ProposalPayload:
        return await _proposal_step(
            info,
            lambda actor: service.open_voting(
                info.context.deps, actor,
                proposal_id=_proposal_id(input),
                voting_closes_at=input.voting_closes_at,
            ),
        )  # fmt: skip

    @strawberry.mutation(
        description="The chair or staff: close voting now and decide. Before votingClosesAt "
        "only when every elector has voted, or with a reason."
    )
    async def close_voting(self, info: Info, input: CloseVotingInput) -> ProposalPayload:
        return await _proposal_step(
            info,
            lambda actor: service.close_voting(
                info.context.deps, actor,
                proposal_id=_proposal_id(input),
                reason=input.reason,
            ),
        )  # fmt: skip

    @strawberry.mutation(
        description="The chair or staff: abandon a vote without an outcome (CANCELLED)."
    )
    async def cancel_voting(self, info: Info, input: CancelVotingInput) -> ProposalPayload:
        return await _proposal_step(
            info,
            lambda actor: service.cancel_voting(
                info.context.deps, actor,
                proposal_id=_proposal_id(input),
                reason=input.reason,
            ),
        )  # fmt: skip

    @strawberry.mutation(description="The author, chair or staff: withdraw before voting.")
    async def withdraw_proposal(self, info: Info, input: WithdrawProposalInput) -> ProposalPayload:
        return await _proposal_step(
            info,
            lambda actor: service.withdraw_proposal(
                info.context.deps, actor,
                proposal_id=_proposal_id(input),
            ),
        )  # fmt: skip

    @strawberry.mutation(
        description="Vote. Final: one vote per voter (or household). With `onBehalfOfId`, a "
        "proxy casts the vote of the elector who authorised them."
    )
    async def cast_vote(self, info: Info, input: CastVoteInput) -> CastVotePayload:
        return await run_mutation(
            info, CastVotePayload,
            lambda actor: _cast(info, actor, input),
            lambda vote: (
                _vote(info, vote) if input.on_behalf_of_id is None
                else _vote_for_another(info, vote)
            ),
        )  # fmt: skip

    @strawberry.mutation(
        description="An elector of a proposal in voting lets a member of the community cast "
        "their vote (委托投票); revocable until the proxy votes."
    )
    async def authorize_proxy(self, info: Info, input: AuthorizeProxyInput) -> ProxyPayload:
        return await run_mutation(
            info, ProxyPayload,
            lambda actor: ballots.authorize_proxy(
                info.context.deps, actor,
                proposal_id=_proposal_id(input),
                proxy_id=input_id(input.proxy_id, "User", "proxyId"),
            ),
            lambda found: _proxy(info, found),
        )  # fmt: skip

    @strawberry.mutation(description="The elector revokes their proxy, until the proxy votes.")
    async def revoke_proxy(self, info: Info, input: RevokeProxyInput) -> ProxyPayload:
        return await run_mutation(
            info, ProxyPayload,
            lambda actor: ballots.revoke_proxy(
                info.context.deps, actor,
                proxy_authorization_id=input_id(
                    input.proxy_authorization_id, "ProxyAuthorization", "proxyAuthorizationId"
                ),
            ),
            lambda found: _proxy(info, found),
        )  # fmt: skip

    @strawberry.mutation(
        description="Community staff: enter an elector's paper ballot with its photo (audited)."
    )
    async def record_paper_ballot(
        self, info: Info, input: RecordPaperBallotInput
    ) -> CastVotePayload:
        return await run_mutation(
            info, CastVotePayload,
            lambda actor: ballots.record_paper_ballot(
                info.context.deps, actor,
                proposal_id=_proposal_id(input),
                elector_id=input_id(input.elector_id, "User", "electorId"),
                option_ids=input_ids(input.option_ids, "ProposalOption", "optionIds"),
                ballot_photo_id=input_id(input.ballot_photo_id, "Attachment", "ballotPhotoId"),
            ),
            lambda vote: _vote_for_another(info, vote),
        )  # fmt: skip

    @strawberry.mutation(description="Comment while the proposal is in deliberation.")
    async def comment_on_proposal(
        self, info: Info, input: CommentOnProposalInput
    ) -> CommentOnProposalPayload:
        return await run_mutation(
            info, CommentOnProposalPayload,
            lambda actor: service.comment_on_proposal(
                info.context.deps, actor,
                proposal_id=_proposal_id(input),
                body=input.body, idempotency_key=input.idempotency_key,
            ),
            lambda comment: CommentOnProposalPayload(
                comment=ProposalCommentType.from_model(comment)
            ),
        )  # fmt: skip

    @strawberry.mutation(
        description="Any active resident: raise a matter with a council (议题征集); it gathers "
        "co-signatures (status SUGGESTED)."
    )
    async def suggest_proposal(self, info: Info, input: SuggestProposalInput) -> ProposalPayload:
        return await run_mutation(
            info, ProposalPayload,
            lambda actor: suggestions.suggest_proposal(
                info.context.deps, actor,
                council_id=input_id(input.council_id, "Council", "councilId"),
                title=input.title, body=input.body, idempotency_key=input.idempotency_key,
                attachment_ids=input_ids(input.attachment_ids, "Attachment", "attachmentIds"),
            ),
            lambda signed: _signed(info, signed),
        )  # fmt: skip

    @strawberry.mutation(description="An active resident co-signs a suggestion, once.")
    async def co_sign_proposal(self, info: Info, input: CoSignProposalInput) -> ProposalPayload:
        return await run_mutation(
            info, ProposalPayload,
            lambda actor: suggestions.co_sign(
                info.context.deps, actor,
                proposal_id=_proposal_id(input),
            ),
            lambda signed: _signed(info, signed),
        )  # fmt: skip

    @strawberry.mutation(
        description="The chair or staff: accept a suggestion with enough co-signatures "
        "(→ DELIBERATION), or decline it with a reason."
    )
    async def accept_suggestion(self, info: Info, input: AcceptSuggestionInput) -> ProposalPayload:
        return await _proposal_step(
            info,
            lambda actor: suggestions.decide_suggestion(
                info.context.deps, actor,
                proposal_id=_proposal_id(input),
                accept=input.accept, reason=input.reason,
            ),
        )  # fmt: skip
