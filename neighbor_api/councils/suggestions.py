"""Residents' suggestions (议题征集): any active resident raises a matter with a council, other
residents co-sign it, and once enough have, the council's chair or the community's staff accept
it (→ DELIBERATION, a proposal like any other) or decline it with a reason told to the author
and every co-signer (notifications/rules.py).

The threshold is fixed when the matter is suggested: the council's `co_signature_percent`
(default 5) of the community's active residents, rounded up, and at least MIN_CO_SIGNATURES.
The author's suggestion is its first signature. One signature per person, decided by a unique
index; the count is incremented in the signature's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bson import ObjectId

from neighbor_api.core import events
from neighbor_api.core import idempotency as idempotent
from neighbor_api.core.deps import Deps
from neighbor_api.core.errors import DomainError, ErrorCode
from neighbor_api.core.events import EventKind
from neighbor_api.core.mongo import Session, in_transaction
from neighbor_api.core.policy import Actor, Role, ensure
from neighbor_api.core.validation import Checks
from neighbor_api.councils import repository, service
from neighbor_api.councils.models import (
    Ballot,
    CoSignature,
    Council,
    Electorate,
    Option,
    OptionKey,
    Proposal,
    ProposalStatus,
    VotingMethod,
)
from neighbor_api.memberships import service as memberships

MIN_CO_SIGNATURES = 3
MAX_REASON = 500


def co_signatures_needed(council: Council, residents: int) -> int:
    """ceil(percent × residents / 100), at least MIN_CO_SIGNATURES (in integers)."""
    return max(MIN_CO_SIGNATURES, -(-council.co_signature_percent * residents // 100))


def _resident(actor: Actor, council: Council) -> bool:
    return Role.RESIDENT in actor.roles_at(council.place_path)


@dataclass(frozen=True)
class Signed:
    """A suggestion as it is now, and whether the viewer has co-signed it (they have)."""

    proposal: Proposal
    council: Council


async def suggest_proposal(
    deps: Deps,
    actor: Actor,
    *,
    council_id: ObjectId,
    title: str,
    body: str,
    idempotency_key: str | None = None,
    attachment_ids: Sequence[ObjectId] = (),
) -> Signed:
    checks = Checks()
    title = checks.text(title, "title", max_length=service.MAX_TITLE)
    body = checks.text(body, "body", max_length=service.MAX_BODY)
    idempotency = idempotent.parse(actor.user_id, idempotency_key, checks)
    checks.done()
    council = await service._council_or_raise(deps, actor, council_id)
    if earlier := await idempotent.earlier(deps, repository.PROPOSALS, idempotency):
        return Signed(Proposal.from_document(earlier), council)
    ensure(_resident(actor, council), "suggestion.forbidden")
    residents = [
        m
        for m in await memberships.active_of_place(deps, council.community_id)
        if Role.RESIDENT in m.roles
    ]
    now = deps.clock.now()
    proposal = Proposal(
        council_id=council.id, community_id=council.community_id,
        place_path=council.place_path, author_id=actor.user_id, title=title, body=body,
        status=ProposalStatus.SUGGESTED, ballot=Ballot.SECRET, electorate=Electorate.RESIDENTS,
        method=VotingMethod.YES_NO_ABSTAIN, options=[Option(key=key) for key in OptionKey],
        max_choices=1, quorum_percent=service.DEFAULT_QUORUM_PERCENT,
        pass_threshold_percent=service.DEFAULT_THRESHOLD_PERCENT,
        co_signatures_needed=co_signatures_needed(council, len(residents)),
        attachment_ids=list(dict.fromkeys(attachment_ids)),
        idempotency=idempotency, created_at=now, updated_at=now,
    )  # fmt: skip
    signed: list[Proposal] = []

    async def write(session: Session) -> None:
        await service.attach_files(deps, actor, proposal, session=session)
        await repository.insert_proposal(deps.db, proposal, session=session)
        first = CoSignature(proposal_id=proposal.id, user_id=actor.user_id, created_at=now)
        counted = await repository.insert_co_signature(deps.db, first, session=session)
        assert counted is not None
        signed[:] = [counted]
        await events.record(
            deps, kind=EventKind.PROPOSAL_SUGGESTED, subject_id=proposal.id,
            actor_id=actor.user_id, place_path=proposal.place_path, session=session,
        )  # fmt: skip

    raced = await idempotent.create_once(deps, repository.PROPOSALS, idempotency, write)
    return Signed(Proposal.from_document(raced) if raced is not None else signed[0], council)


async def co_sign(deps: Deps, actor: Actor, *, proposal_id: ObjectId) -> Signed:
    proposal, council = await service._proposal_or_raise(deps, actor, proposal_id)
    ensure(_resident(actor, council), "suggestion.co_sign_forbidden")
    if proposal.status is not ProposalStatus.SUGGESTED:
        raise DomainError.of(ErrorCode.INVALID_TRANSITION, "suggestion.not_suggested")
    signature = CoSignature(
        proposal_id=proposal.id, user_id=actor.user_id, created_at=deps.clock.now()
    )

    async def write(session: Session) -> Proposal:
        counted = await repository.insert_co_signature(deps.db, signature, session=session)
        if counted is None:
            raise DomainError.of(ErrorCode.INVALID_TRANSITION, "suggestion.not_suggested")
        await events.record(
            deps, kind=EventKind.PROPOSAL_CO_SIGNED, subject_id=proposal.id,
            actor_id=actor.user_id, place_path=proposal.place_path, session=session,
            # The signature that reaches the threshold tells the chair and staff (once).
            data={"threshold_reached": counted.co_signature_count
                  == counted.co_signatures_needed},
        )  # fmt: skip
        return counted

    duplicate = DomainError.of(
        ErrorCode.INVALID_INPUT, "suggestion.already_co_signed", field=("input", "proposalId")
    )
    return Signed(await service.commit_once(deps, write, duplicate=duplicate), council)


async def decide_suggestion(
    deps: Deps, actor: Actor, *, proposal_id: ObjectId, accept: bool, reason: str | None
) -> Proposal:
    """The chair or staff: accept (→ DELIBERATION, once enough have co-signed) or decline
    (WITHDRAWN, with the reason told to the author and co-signers)."""
    checks = Checks()
    cleaned = None
    if not accept or reason is not None:
        cleaned = checks.text(reason or "", "reason", max_length=MAX_REASON)
    checks.done()
    proposal, council = await service._proposal_or_raise(deps, actor, proposal_id)
    ensure(service.may_run_vote(actor, council), "suggestion.decide_forbidden")
    if proposal.status is not ProposalStatus.SUGGESTED:
        raise DomainError.of(ErrorCode.INVALID_TRANSITION, "suggestion.not_suggested")
    needed = proposal.co_signatures_needed or 0
    if accept and proposal.co_signature_count < needed:
        raise DomainError.of(
            ErrorCode.INVALID_TRANSITION, "suggestion.not_enough",
            count=proposal.co_signature_count, needed=needed,
        )  # fmt: skip
    now = deps.clock.now()
    status = ProposalStatus.DELIBERATION if accept else ProposalStatus.WITHDRAWN
    kind = (
        EventKind.PROPOSAL_SUGGESTION_ACCEPTED if accept
        else EventKind.PROPOSAL_SUGGESTION_DECLINED
    )  # fmt: skip

    async def write(session: Session) -> Proposal:
        decided = await repository.update_proposal(
            deps.db, proposal.id, from_statuses=[ProposalStatus.SUGGESTED],
            changes={"status": status.value, "decline_reason": None if accept else cleaned,
                     "updated_at": now},
            session=session,
        )  # fmt: skip
        if decided is None:
            raise DomainError.of(ErrorCode.INVALID_TRANSITION, "suggestion.not_suggested")
        await events.record(
            deps, kind=kind, subject_id=proposal.id, actor_id=actor.user_id,
            place_path=proposal.place_path, data={"reason": cleaned}, session=session,
        )  # fmt: skip
        return decided

    return await in_transaction(deps.client, write)


async def co_signed(deps: Deps, user_id: ObjectId, proposal_ids: list[ObjectId]) -> set[ObjectId]:
    return await repository.co_signed_by(deps.db, user_id, proposal_ids) if proposal_ids else set()
