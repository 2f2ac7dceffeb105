"""Councils, proposals and votes."""

from __future__ import annotations

import strawberry

from neighbor_api.context import Info
from neighbor_api.councils import service
from neighbor_api.councils.models import Council, Proposal, ProposalStatus
from neighbor_api.councils.types import (
    CancelVotingInput,
    CastVoteInput,
    CastVotePayload,
    CloseVotingInput,
    CommentOnProposalInput,
    CommentOnProposalPayload,
    CouncilPayload,
    CouncilType,
    CreateCouncilInput,
    CreateProposalInput,
    OpenVotingInput,
    ProposalCommentType,
    ProposalPayload,
    ProposalType,
    SetCouncilMemberInput,
    VoteReceiptType,
    WithdrawProposalInput,
)
from neighbor_api.graphql.errors import run_mutation
from neighbor_api.graphql.relay import Connection, from_global_id, input_id, input_ids


def _proposal(proposal: Proposal) -> ProposalPayload:
    return ProposalPayload(proposal=ProposalType.from_model(proposal))


def _council(council: Council) -> CouncilPayload:
    return CouncilPayload(council=CouncilType.from_model(council))


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
        actor = await info.context.require_actor()
        object_id = from_global_id(council_id, "Council")
        if object_id is None:
            return None
        page = await service.proposals(
            info.context.deps, actor, council_id=object_id, statuses=status, first=first,
            after=after,
        )  # fmt: skip
        return Connection.of(page.map(ProposalType.from_model)) if page else None


@strawberry.type
class CouncilMutation:
    @strawberry.mutation(description="Community staff: set up a council.")
    async def create_council(self, info: Info, input: CreateCouncilInput) -> CouncilPayload:
        return await run_mutation(
            info, CouncilPayload,
            lambda actor: service.create_council(
                info.context.deps, actor,
                community_id=input_id(input.community_id, "Place", "communityId"),
                name=input.name, kind=input.kind,
            ),
            _council,
        )  # fmt: skip

    @strawberry.mutation(
        description="Community staff: add, re-role or (role null) remove a member."
    )
    async def set_council_member(self, info: Info, input: SetCouncilMemberInput) -> CouncilPayload:
        return await run_mutation(
            info, CouncilPayload,
            lambda actor: service.set_council_member(
                info.context.deps, actor,
                council_id=input_id(input.council_id, "Council", "councilId"),
                user_id=input_id(input.user_id, "User", "userId"), role=input.role,
            ),
            _council,
        )  # fmt: skip

    @strawberry.mutation(description="Council members and staff: propose; deliberation starts.")
    async def create_proposal(self, info: Info, input: CreateProposalInput) -> ProposalPayload:
        return await run_mutation(
            info, ProposalPayload,
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
            ),
            _proposal,
        )  # fmt: skip

    @strawberry.mutation(description="The chair or staff: open voting; the electorate is fixed.")
    async def open_voting(self, info: Info, input: OpenVotingInput) -> ProposalPayload:
        return await run_mutation(
            info, ProposalPayload,
            lambda actor: service.open_voting(
                info.context.deps, actor,
                proposal_id=input_id(input.proposal_id, "Proposal", "proposalId"),
                voting_closes_at=input.voting_closes_at,
            ),
            _proposal,
        )  # fmt: skip

    @strawberry.mutation(
        description="The chair or staff: close voting now and decide. Before votingClosesAt "
        "only when every elector has voted, or with a reason."
    )
    async def close_voting(self, info: Info, input: CloseVotingInput) -> ProposalPayload:
        return await run_mutation(
            info, ProposalPayload,
            lambda actor: service.close_voting(
                info.context.deps, actor,
                proposal_id=input_id(input.proposal_id, "Proposal", "proposalId"),
                reason=input.reason,
            ),
            _proposal,
        )  # fmt: skip

    @strawberry.mutation(
        description="The chair or staff: abandon a vote without an outcome (CANCELLED)."
    )
    async def cancel_voting(self, info: Info, input: CancelVotingInput) -> ProposalPayload:
        return await run_mutation(
            info, ProposalPayload,
            lambda actor: service.cancel_voting(
                info.context.deps, actor,
                proposal_id=input_id(input.proposal_id, "Proposal", "proposalId"),
                reason=input.reason,
            ),
            _proposal,
        )  # fmt: skip

    @strawberry.mutation(description="The author, chair or staff: withdraw before voting.")
    async def withdraw_proposal(self, info: Info, input: WithdrawProposalInput) -> ProposalPayload:
        return await run_mutation(
            info, ProposalPayload,
            lambda actor: service.withdraw_proposal(
                info.context.deps, actor,
                proposal_id=input_id(input.proposal_id, "Proposal", "proposalId"),
            ),
            _proposal,
        )  # fmt: skip

    @strawberry.mutation(description="Vote. Final: one vote per voter (or household).")
    async def cast_vote(self, info: Info, input: CastVoteInput) -> CastVotePayload:
        return await run_mutation(
            info, CastVotePayload,
            lambda actor: service.cast_vote(
                info.context.deps, actor,
                proposal_id=input_id(input.proposal_id, "Proposal", "proposalId"),
                option_ids=input_ids(input.option_ids, "ProposalOption", "optionIds"),
                idempotency_key=input.idempotency_key,
            ),
            lambda vote: _vote(info, vote),
        )  # fmt: skip

    @strawberry.mutation(description="Comment while the proposal is in deliberation.")
    async def comment_on_proposal(
        self, info: Info, input: CommentOnProposalInput
    ) -> CommentOnProposalPayload:
        return await run_mutation(
            info, CommentOnProposalPayload,
            lambda actor: service.comment_on_proposal(
                info.context.deps, actor,
                proposal_id=input_id(input.proposal_id, "Proposal", "proposalId"),
                body=input.body, idempotency_key=input.idempotency_key,
            ),
            lambda comment: CommentOnProposalPayload(
                comment=ProposalCommentType.from_model(comment)
            ),
        )  # fmt: skip
