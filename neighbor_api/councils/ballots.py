"""Votes not cast in the app by the elector: by a proxy (委托投票) and on paper (纸质选票).

Both count as the elector's one vote, with the elector's weight, through the roll's unique
index like an app vote (`service.record_participation`): whichever channel comes first is the
vote, the others are ALREADY_VOTED. A secret ballot's choices go to the tally shards only, as
an app vote's do; the roll entry says whose vote it is, who cast it and how (APP, PROXY,
PAPER), never what. Each proxy vote and paper ballot is a `proposal.vote_cast` event naming the
elector and who cast it (the audit trail), and authorising or revoking a proxy is an event too.

Proxy rules: an elector of the proposal authorises one member of the community (not
themselves, not a housemate sharing their vote); a proxy holds at most
`NEIGHBOR_MAX_PROXIES_PER_PERSON` authorisations on one proposal (numbered slots under a unique
index, so the database enforces the cap); no chains (a proxy may not have given their own vote
to a proxy, and whoever holds proxies may not give theirs); revocable until the proxy votes
(the vote marks the authorisation used in its transaction; revoking deletes only an unused
one).
"""

from __future__ import annotations

from collections.abc import Sequence

from bson import ObjectId

from neighbor_api.attachments import service as attachments
from neighbor_api.core import events
from neighbor_api.core.deps import Deps
from neighbor_api.core.errors import DomainError, ErrorCode
from neighbor_api.core.events import EventKind
from neighbor_api.core.mongo import Session
from neighbor_api.core.policy import Actor, ensure, is_system
from neighbor_api.councils import repository, service
from neighbor_api.councils.models import (
    Ballot,
    Council,
    Elector,
    Participation,
    Proposal,
    ProxyAuthorization,
    VoteChannel,
)
from neighbor_api.memberships import service as memberships

PROXY_FIELD = ("input", "proxyId")


def _open_or_raise(deps: Deps, proposal: Proposal) -> None:
    if not service.voting_open(proposal, deps.clock.now()):
        raise DomainError.of(ErrorCode.VOTING_NOT_OPEN)


async def _elector_or_raise(deps: Deps, proposal: Proposal, user_id: ObjectId) -> Elector:
    elector = await repository.elector_of(deps.db, proposal.id, user_id)
    if elector is None:
        raise DomainError.of(ErrorCode.NOT_ELIGIBLE)
    return elector


# --- Proxies ------------------------------------------------------------------------------


async def authorize_proxy(
    deps: Deps, actor: Actor, *, proposal_id: ObjectId, proxy_id: ObjectId
) -> tuple[ProxyAuthorization, Proposal, Council]:
    """The viewer, an elector of the proposal, lets `proxy_id` cast their vote."""
    proposal, council = await service._proposal_or_raise(deps, actor, proposal_id)
    _open_or_raise(deps, proposal)
    elector = await _elector_or_raise(deps, proposal, actor.user_id)
    if proxy_id == actor.user_id or proxy_id in elector.user_ids:
        raise DomainError.of(ErrorCode.INVALID_INPUT, "proxy.self", field=PROXY_FIELD)
    if await memberships.active_membership(deps, proxy_id, council.community_id) is None:
        raise DomainError.of(ErrorCode.INVALID_INPUT, "proxy.not_a_member", field=PROXY_FIELD)
    if await repository.participation(deps.db, proposal.id, elector.voter_key) is not None:
        raise DomainError.of(ErrorCode.ALREADY_VOTED)
    # No chains: the proxy has not given their own vote away, the elector holds no proxies.
    if await repository.proxies_given(deps.db, proposal.id, proxy_id):
        raise DomainError.of(ErrorCode.INVALID_INPUT, "proxy.chain", field=PROXY_FIELD)
    held = await repository.proxies_held(deps.db, proposal.id, [actor.user_id, proxy_id])
    if any(p.proxy_id == actor.user_id for p in held):
        raise DomainError.of(ErrorCode.INVALID_INPUT, "proxy.holds_proxies", field=PROXY_FIELD)
    cap = deps.settings.max_proxies_per_person
    taken = {p.slot for p in held if p.proxy_id == proxy_id}
    for slot in (s for s in range(cap) if s not in taken):
        proxy = ProxyAuthorization(
            proposal_id=proposal.id, voter_key=elector.voter_key, elector_id=actor.user_id,
            proxy_id=proxy_id, slot=slot, created_at=deps.clock.now(),
        )  # fmt: skip
        if not await repository.insert_proxy(deps.db, proxy):
            if await repository.proxy_of_elector(deps.db, proposal.id, elector.voter_key):
                raise DomainError.of(
                    ErrorCode.INVALID_INPUT, "proxy.already_authorized", field=PROXY_FIELD
                )
            continue  # the slot was taken meanwhile: try the next one
        await events.record(
            deps, kind=EventKind.PROPOSAL_PROXY_AUTHORIZED, subject_id=proposal.id,
            actor_id=actor.user_id, place_path=proposal.place_path,
            data={"proxy_authorization_id": proxy.id, "proxy_id": proxy_id},
        )  # fmt: skip
        return proxy, proposal, council
    raise DomainError.of(ErrorCode.INVALID_INPUT, "proxy.too_many", field=PROXY_FIELD, max=cap)


async def revoke_proxy(
    deps: Deps, actor: Actor, *, proxy_authorization_id: ObjectId
) -> tuple[ProxyAuthorization, Proposal, Council]:
    """The elector takes their authorisation back, until the proxy has voted."""
    field = ("input", "proxyAuthorizationId")
    found = await repository.proxies_by_ids(deps.db, [proxy_authorization_id])
    if not found or found[0].elector_id != actor.user_id:
        raise DomainError.of(ErrorCode.NOT_FOUND, "proxy.not_found", field=field)
    proposal, council = await service._proposal_or_raise(deps, actor, found[0].proposal_id)
    revoked = await repository.delete_unused_proxy(deps.db, proxy_authorization_id)
    if revoked is None:
        raise DomainError.of(ErrorCode.INVALID_TRANSITION, "proxy.used", field=field)
    await events.record(
        deps, kind=EventKind.PROPOSAL_PROXY_REVOKED, subject_id=proposal.id,
        actor_id=actor.user_id, place_path=proposal.place_path,
        data={"proxy_authorization_id": revoked.id, "proxy_id": revoked.proxy_id},
    )  # fmt: skip
    return revoked, proposal, council


async def cast_proxy_vote(
    deps: Deps,
    actor: Actor,
    *,
    proposal_id: ObjectId,
    on_behalf_of_id: ObjectId,
    option_ids: Sequence[ObjectId],
) -> service.Vote:
    """The proxy casts the vote of the elector who authorised them: the elector's one vote,
    with the elector's weight."""
    proposal, council = await service._proposal_or_raise(deps, actor, proposal_id)
    _open_or_raise(deps, proposal)
    chosen = service._check_choices(proposal, option_ids)
    elector = await repository.elector_of(deps.db, proposal.id, on_behalf_of_id)
    proxy = (
        await repository.proxy_of_elector(deps.db, proposal.id, elector.voter_key)
        if elector
        else None
    )
    if elector is None or proxy is None or proxy.proxy_id != actor.user_id:
        raise DomainError.of(
            ErrorCode.FORBIDDEN, "proxy.not_authorized", field=("input", "onBehalfOfId")
        )
    participation = Participation(
        proposal_id=proposal.id, voter_key=elector.voter_key, user_id=proxy.elector_id,
        area_centi=elector.area_centi, cast_at=deps.clock.now(),
        choice_ids=chosen if proposal.ballot is Ballot.OPEN else None,
        channel=VoteChannel.PROXY, cast_by=actor.user_id,
    )  # fmt: skip

    shard = repository.pick_shard()

    async def write(session: Session) -> None:
        await service.record_participation(
            deps, proposal, elector, participation, chosen, shard=shard,
            actor_id=actor.user_id, session=session,
            data={"channel": VoteChannel.PROXY.value, "elector_id": proxy.elector_id},
        )  # fmt: skip
        if not await repository.use_proxy(
            deps.db, proposal.id, elector.voter_key, actor.user_id, session=session
        ):
            raise DomainError.of(
                ErrorCode.FORBIDDEN, "proxy.not_authorized", field=("input", "onBehalfOfId")
            )

    await service.commit_vote(deps, write, serial=repository.shard_serial(proposal.id, shard))
    return service.Vote(participation, proposal, council, None)


# --- Paper ballots ------------------------------------------------------------------------


async def record_paper_ballot(
    deps: Deps,
    actor: Actor,
    *,
    proposal_id: ObjectId,
    elector_id: ObjectId,
    option_ids: Sequence[ObjectId],
    ballot_photo_id: ObjectId,
) -> service.Vote:
    """Community staff enter an elector's paper ballot, with the photo they uploaded of it.

    On an OPEN ballot the roll entry keeps the photo; on a SECRET one the photo is filed with
    the proposal only (attached to it, like its other files), so nothing stored goes from the
    elector to the ballot's face."""
    proposal, council = await service._proposal_or_raise(deps, actor, proposal_id)
    ensure(is_system(actor) or actor.is_staff(council.place_path), "vote.paper_forbidden")
    _open_or_raise(deps, proposal)
    chosen = service._check_choices(proposal, option_ids)
    elector = await repository.elector_of(deps.db, proposal.id, elector_id)
    if elector is None:
        raise DomainError.of(
            ErrorCode.NOT_ELIGIBLE, "vote.paper_not_eligible", field=("input", "electorId")
        )
    secret = proposal.ballot is Ballot.SECRET
    participation = Participation(
        proposal_id=proposal.id, voter_key=elector.voter_key, user_id=elector_id,
        area_centi=elector.area_centi, cast_at=deps.clock.now(),
        choice_ids=None if secret else chosen, channel=VoteChannel.PAPER,
        cast_by=actor.user_id, ballot_photo_id=None if secret else ballot_photo_id,
    )  # fmt: skip

    shard = repository.pick_shard()

    async def write(session: Session) -> None:
        await service.record_participation(
            deps, proposal, elector, participation, chosen, shard=shard,
            actor_id=actor.user_id, session=session,
            data={"channel": VoteChannel.PAPER.value, "elector_id": elector_id},
        )  # fmt: skip
        await attachments.attach(
            deps, actor, attachment_ids=[ballot_photo_id], subject_id=proposal.id,
            place_path=proposal.place_path, field=("input", "ballotPhotoId"), session=session,
        )  # fmt: skip

    await service.commit_vote(
        deps, write, serial=repository.shard_serial(proposal.id, shard),
        message="vote.paper_already_voted",
    )  # fmt: skip
    return service.Vote(participation, proposal, council, None)
