"""The rules of councils and their votes: who proposes, who votes, how it is counted.

Invariants, each enforced by the database: one vote per elector (a unique index on the roll,
a household is one elector), the electorate fixed when voting opens (stored electors), no vote
after closing (the close marks every tally shard closed in the same transaction that counts
them, so a racing vote conflicts, is retried and refused).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from bson import ObjectId
from pymongo.errors import DuplicateKeyError

from neighbor_api.attachments import service as attachments
from neighbor_api.core import events
from neighbor_api.core import idempotency as idempotent
from neighbor_api.core.deps import Deps
from neighbor_api.core.errors import DomainError, ErrorCode
from neighbor_api.core.events import EventKind
from neighbor_api.core.i18n import Locale, translate
from neighbor_api.core.mongo import Document, Session, in_transaction
from neighbor_api.core.pagination import Page
from neighbor_api.core.policy import Actor, Role, ensure, is_system
from neighbor_api.core.validation import Checks
from neighbor_api.councils import repository
from neighbor_api.councils.decision import decide, reason_text, record_of
from neighbor_api.councils.models import (
    Ballot,
    Council,
    CouncilKind,
    CouncilMember,
    CouncilRole,
    Elector,
    Electorate,
    Option,
    OptionKey,
    OptionResult,
    Participation,
    Proposal,
    ProposalComment,
    ProposalMatter,
    ProposalOutcome,
    ProposalStatus,
    VotingMethod,
)
from neighbor_api.memberships import service as memberships
from neighbor_api.places import service as places
from neighbor_api.places.models import PlaceLevel

MAX_NAME = 60
MAX_TITLE = 100
MAX_BODY = 5000
MAX_OPTION = 100
MAX_OPTIONS = 20
MAX_COMMENT = 1000
MAX_SCOPE = 50
MAX_REASON = 500
CLOSE_BATCH = 100
DEFAULT_QUORUM_PERCENT = 50.0
DEFAULT_THRESHOLD_PERCENT = 50.0

T = TypeVar("T")

# Deliberation goes on while a matter gathers co-signatures and while it is voted on.
COMMENTABLE = frozenset(
    {ProposalStatus.SUGGESTED, ProposalStatus.DELIBERATION, ProposalStatus.VOTING}
)


def area_centi(square_meters: float | None) -> int:
    """Floor area in hundredths of m², so the art. 278 fractions are compared exactly."""
    return round((square_meters or 0) * 100)


# --- Who may do what ------------------------------------------------------------------------


def can_see(actor: Actor | None, council: Council) -> bool:
    """Members of the community (and staff above) see its councils and their proposals."""
    return actor is not None and (is_system(actor) or actor.is_member(council.place_path))


def _staff(actor: Actor, council: Council) -> bool:
    return is_system(actor) or actor.is_staff(council.place_path)


def may_propose(actor: Actor, council: Council) -> bool:
    return _staff(actor, council) or council.role_of(actor.user_id) is not None


def may_run_vote(actor: Actor, council: Council) -> bool:
    """Open and close voting: the council's chair, or the community's staff."""
    return _staff(actor, council) or council.role_of(actor.user_id) is CouncilRole.CHAIR


# The collections whose documents the instance keeps by id (`councils`): the app's session
# watcher follows them (`accounts.sessions.watching`).
KEPT_DOCUMENTS = (repository.COUNCILS,)


async def councils(
    deps: Deps, ids: Sequence[ObjectId], *, fresh: bool = False
) -> dict[ObjectId, Council]:
    """The councils of `ids` that exist, by id, kept by the instance (`Deps.kept_by_id`): a
    council changes only when its members are set (`set_council_member` drops it here at
    once; the session watcher does on the other instances, within the change stream's
    delay). `fresh`: all read from the database (a change of its members builds on it)."""

    def read(missing: list[ObjectId]) -> Awaitable[list[Council]]:
        return repository.councils_by_ids(deps.db, missing)

    if fresh:
        return {council.id: council for council in await read(list(ids))}
    return await deps.kept_by_id(ids, read, lambda council: council.id)


async def _council_or_raise(
    deps: Deps, actor: Actor, council_id: ObjectId, *, fresh: bool = False
) -> Council:
    found = await get_council(deps, actor, council_id, fresh=fresh)
    if found is None:
        raise DomainError.of(ErrorCode.NOT_FOUND, "council.not_found", field=("input", "councilId"))
    return found


async def get_council(
    deps: Deps, actor: Actor | None, council_id: ObjectId, *, fresh: bool = False
) -> Council | None:
    """The council, if the actor may see it (`fresh`: as `councils`)."""
    found = (await councils(deps, [council_id], fresh=fresh)).get(council_id)
    return found if found is not None and can_see(actor, found) else None


async def get_proposal(
    deps: Deps, actor: Actor | None, proposal_id: ObjectId
) -> tuple[Proposal, Council] | None:
    found = await repository.proposals_by_ids(deps.db, [proposal_id])
    if not found:
        return None
    council = await get_council(deps, actor, found[0].council_id)
    return (found[0], council) if council else None


async def _proposal_or_raise(
    deps: Deps, actor: Actor, proposal_id: ObjectId
) -> tuple[Proposal, Council]:
    found = await get_proposal(deps, actor, proposal_id)
    if found is None:
        raise DomainError.of(
            ErrorCode.NOT_FOUND, "proposal.not_found", field=("input", "proposalId")
        )
    return found


# --- Councils -------------------------------------------------------------------------------


async def create_council(
    deps: Deps,
    actor: Actor,
    *,
    community_id: ObjectId,
    name: str,
    kind: CouncilKind,
    co_signature_percent: int | None = None,
) -> Council:
    checks = Checks()
    name = checks.text(name, "name", max_length=MAX_NAME)
    if co_signature_percent is not None and not 0 <= co_signature_percent <= 100:
        checks.fail("coSignaturePercent", "proposal.percent")
    checks.done()
    community = await places.get_place_or_raise(
        deps, community_id, level=PlaceLevel.COMMUNITY, field=("input", "communityId")
    )
    ensure(is_system(actor) or actor.is_staff(community.path), "council.create_forbidden")
    council = Council(
        community_id=community.id,
        place_path=community.path,
        name=name,
        kind=kind,
        created_at=deps.clock.now(),
    )
    if co_signature_percent is not None:
        council = council.model_copy(update={"co_signature_percent": co_signature_percent})
    await repository.insert_council(deps.db, council)
    await events.record(
        deps, kind=EventKind.COUNCIL_CREATED, subject_id=council.id,
        actor_id=None if is_system(actor) else actor.user_id, place_path=council.place_path,
    )  # fmt: skip
    return council


async def set_council_member(
    deps: Deps, actor: Actor, *, council_id: ObjectId, user_id: ObjectId, role: CouncilRole | None
) -> Council:
    """Add a member, change their role, or (role None) remove them. One chair at a time: a
    new chair replaces the old one, who stays a member."""
    council = await _council_or_raise(deps, actor, council_id, fresh=True)
    ensure(_staff(actor, council), "council.members_forbidden")
    if role is not None:
        active = await memberships.active_of_place(deps, council.community_id)
        if all(m.user_id != user_id for m in active):
            raise DomainError.of(
                ErrorCode.INVALID_INPUT, "council.not_a_resident", field=("input", "userId")
            )
    now = deps.clock.now()
    members = []
    for member in council.members:
        if member.user_id == user_id:
            continue
        if role is CouncilRole.CHAIR and member.role is CouncilRole.CHAIR:
            member = CouncilMember(
                user_id=member.user_id, role=CouncilRole.MEMBER, since=member.since
            )
        members.append(member.model_dump())
    if role is not None:
        members.append(CouncilMember(user_id=user_id, role=role, since=now).model_dump())

    async def write(session: Session) -> Council:
        updated = await repository.set_members(deps.db, council.id, members, session=session)
        assert updated is not None
        await events.record(
            deps, kind=EventKind.COUNCIL_MEMBER_SET, subject_id=council.id,
            actor_id=None if is_system(actor) else actor.user_id,
            place_path=council.place_path,
            data={"user_id": user_id, "role": role.value if role else None}, session=session,
        )  # fmt: skip
        return updated

    updated = await in_transaction(deps.client, write)
    deps.sessions.forget_document(council.id)  # kept by this instance (`councils`)
    return updated


async def councils_of(deps: Deps, actor: Actor | None, community_id: ObjectId) -> list[Council]:
    return [c for c in await repository.councils_of(deps.db, [community_id]) if can_see(actor, c)]


# --- Proposals --------------------------------------------------------------------------------


def _options(checks: Checks, method: VotingMethod, labels: Sequence[str] | None) -> list[Option]:
    if method is VotingMethod.YES_NO_ABSTAIN:
        if labels:
            checks.fail("options", "proposal.options_not_allowed")
        return [Option(key=key) for key in OptionKey]
    cleaned = [label.strip() for label in labels or []]
    if (
        len(cleaned) < 2
        or len(cleaned) > MAX_OPTIONS
        or any(not label or len(label) > MAX_OPTION for label in cleaned)
        or len(set(cleaned)) != len(cleaned)
    ):
        checks.fail("options", "proposal.options", max=MAX_OPTIONS)
        return []
    return [Option(label=label) for label in cleaned]


def _percent(checks: Checks, value: float | None, field: str, default: float) -> float:
    chosen = default if value is None else value
    if not 0 <= chosen <= 100:
        checks.fail(field, "proposal.percent")
    return chosen


async def create_proposal(
    deps: Deps,
    actor: Actor,
    *,
    council_id: ObjectId,
    title: str,
    body: str,
    electorate: Electorate,
    ballot: Ballot,
    method: VotingMethod,
    matter: ProposalMatter | None = None,
    options: Sequence[str] | None = None,
    max_choices: int | None = None,
    quorum_percent: float | None = None,
    pass_threshold_percent: float | None = None,
    voting_closes_at: datetime | None = None,
    scope_building_ids: Sequence[ObjectId] | None = None,
    idempotency_key: str | None = None,
    attachment_ids: Sequence[ObjectId] = (),
) -> Proposal:
    """Draft a proposal, which is then open for deliberation (comments) until voting opens.
    `attachment_ids`: the author's uploads (photos, a PDF quote), attached in its transaction."""
    checks = Checks()
    title = checks.text(title, "title", max_length=MAX_TITLE)
    body = checks.text(body, "body", max_length=MAX_BODY)
    choices = _options(checks, method, options)
    if method is VotingMethod.MULTIPLE_CHOICE:
        chosen_max = len(choices) if max_choices is None else max_choices
        if choices and not 1 <= chosen_max <= len(choices):
            checks.fail("maxChoices", "proposal.max_choices", max=len(choices))
    else:
        chosen_max = 1
        if max_choices not in (None, 1):
            checks.fail("maxChoices", "proposal.max_choices", max=1)
    if electorate is Electorate.OWNERS and method is not VotingMethod.YES_NO_ABSTAIN:
        checks.fail("method", "proposal.owners_yes_no")
    if electorate is Electorate.OWNERS:  # art. 278 fixes both: a value given would be ignored
        for field, value in (("quorumPercent", quorum_percent),
                             ("passThresholdPercent", pass_threshold_percent)):  # fmt: skip
            if value is not None:
                checks.fail(field, "proposal.owners_fixed_rule")
    quorum = _percent(checks, quorum_percent, "quorumPercent", DEFAULT_QUORUM_PERCENT)
    threshold = _percent(
        checks, pass_threshold_percent, "passThresholdPercent", DEFAULT_THRESHOLD_PERCENT
    )
    now = deps.clock.now()
    if voting_closes_at is not None and _naive_or_past(voting_closes_at, now):
        checks.fail("votingClosesAt", "proposal.closes_in_past")
    scope = list(dict.fromkeys(scope_building_ids or []))
    if scope and electorate not in (Electorate.OWNERS, Electorate.HOUSEHOLDS):
        checks.fail("scopeBuildingIds", "proposal.scope_electorate")
    if len(scope) > MAX_SCOPE:
        checks.fail("scopeBuildingIds", "proposal.scope_too_many", max=MAX_SCOPE)
    idempotency = idempotent.parse(actor.user_id, idempotency_key, checks)
    checks.done()
    if earlier := await idempotent.earlier(deps, repository.PROPOSALS, idempotency):
        return Proposal.from_document(earlier)
    council = await _council_or_raise(deps, actor, council_id)
    ensure(may_propose(actor, council), "proposal.create_forbidden")
    if electorate is Electorate.OWNERS:
        await _ensure_owners_vote(deps, actor, council, "proposal.owners_council")
    await _check_scope(deps, council, scope)
    proposal = Proposal(
        council_id=council.id,
        community_id=council.community_id,
        place_path=council.place_path,
        author_id=actor.user_id,
        title=title,
        body=body,
        status=ProposalStatus.DELIBERATION,
        ballot=ballot,
        electorate=electorate,
        method=method,
        matter=matter or ProposalMatter.ORDINARY,
        options=choices,
        max_choices=chosen_max,
        quorum_percent=quorum,
        pass_threshold_percent=threshold,
        voting_closes_at=voting_closes_at,
        scope_building_ids=scope,
        attachment_ids=list(dict.fromkeys(attachment_ids)),
        idempotency=idempotency,
        created_at=now,
        updated_at=now,
    )

    async def write(session: Session) -> None:
        await attach_files(deps, actor, proposal, session=session)
        await repository.insert_proposal(deps.db, proposal, session=session)
        await events.record(
            deps, kind=EventKind.PROPOSAL_CREATED, subject_id=proposal.id, actor_id=actor.user_id,
            place_path=proposal.place_path, session=session,
        )  # fmt: skip

    raced = await idempotent.create_once(deps, repository.PROPOSALS, idempotency, write)
    return Proposal.from_document(raced) if raced is not None else proposal


async def _ensure_owners_vote(deps: Deps, actor: Actor, council: Council, message: str) -> None:
    """Owners decide (业主共同决定) through their owners' committee (业主委员会); where the
    community has none, its staff organise the owners' meeting (业主大会) in any council."""
    if council.kind is CouncilKind.OWNERS_COMMITTEE:
        return
    if _staff(actor, council) and not any(
        c.kind is CouncilKind.OWNERS_COMMITTEE
        for c in await repository.councils_of(deps.db, [council.community_id])
    ):
        return
    raise DomainError.of(ErrorCode.FORBIDDEN, message, field=("input", "electorate"))


async def _check_scope(deps: Deps, council: Council, scope: Sequence[ObjectId]) -> None:
    """Every building of a scope is a BUILDING of the council's community."""
    if not scope:
        return
    found = await places.places_by_ids(deps, scope)
    for index, building_id in enumerate(scope):
        building = found.get(building_id)
        if (
            building is None
            or building.level is not PlaceLevel.BUILDING
            or council.community_id not in building.path
        ):
            raise DomainError.of(
                ErrorCode.INVALID_INPUT, "proposal.scope_building",
                field=("input", "scopeBuildingIds", str(index)),
            )  # fmt: skip


async def attach_files(deps: Deps, actor: Actor, proposal: Proposal, *, session: Session) -> None:
    """The proposal's files (photos, PDF documents) become its own, in its transaction."""
    await attachments.attach(
        deps, actor, attachment_ids=proposal.attachment_ids, subject_id=proposal.id,
        place_path=proposal.place_path, field=("input", "attachmentIds"), session=session,
        documents=True,
    )  # fmt: skip


async def _may_see_proposal_files(deps: Deps, actor: Actor, subject_id: ObjectId) -> bool:
    """Files attached to a proposal (its documents, paper ballots' photos) follow it."""
    return await get_proposal(deps, actor, subject_id) is not None


attachments.register_subject_rule(_may_see_proposal_files)


def _naive_or_past(value: datetime, now: datetime) -> bool:
    return value.tzinfo is None or value <= now


async def proposals(
    deps: Deps,
    actor: Actor | None,
    *,
    council_id: ObjectId,
    statuses: Sequence[ProposalStatus] | None,
    first: int | None,
    after: str | None,
) -> Page[Proposal] | None:
    council = await get_council(deps, actor, council_id)
    if council is None:
        return None
    return await repository.proposals_page(
        deps.db, council.id, statuses=statuses, first=first, after=after
    )


async def _electorate(deps: Deps, proposal: Proposal, council: Council) -> list[Elector]:
    """Who may vote, decided now and stored: it does not change while voting runs."""
    members = await memberships.active_of_place(deps, council.community_id)
    if proposal.scope_building_ids and proposal.electorate in (
        Electorate.OWNERS,
        Electorate.HOUSEHOLDS,
    ):  # a vote of some buildings: only their owners or households
        scope = set(proposal.scope_building_ids)
        members = [m for m in members if m.building_id in scope]
    residents = [m for m in members if Role.RESIDENT in m.roles]

    def elector(key: str, user_ids: list[ObjectId], area: int = 0) -> Elector:
        return Elector(proposal_id=proposal.id, voter_key=key, user_ids=user_ids, area_centi=area)

    if proposal.electorate is Electorate.COUNCIL_MEMBERS:
        return [elector(f"user:{m.user_id}", [m.user_id]) for m in council.members]
    if proposal.electorate is Electorate.RESIDENTS:
        return [elector(f"user:{m.user_id}", [m.user_id]) for m in residents]
    if proposal.electorate is Electorate.OWNERS:
        return [
            elector(f"user:{m.user_id}", [m.user_id], area_centi(m.owned_floor_area))
            for m in members
            if (m.owned_floor_area or 0) > 0
        ]
    households: dict[str, list[ObjectId]] = {}
    for m in residents:  # a household's electors are its confirmed members
        key = f"household:{m.household}" if m.household else f"user:{m.user_id}"
        households.setdefault(key, []).append(m.user_id)
    return [elector(key, users) for key, users in households.items()]


async def open_voting(
    deps: Deps, actor: Actor, *, proposal_id: ObjectId, voting_closes_at: datetime | None
) -> Proposal:
    proposal, council = await _proposal_or_raise(deps, actor, proposal_id)
    ensure(may_run_vote(actor, council), "proposal.open_forbidden")
    if proposal.status is not ProposalStatus.DELIBERATION:
        raise DomainError.of(ErrorCode.INVALID_TRANSITION, "proposal.invalid_transition")
    if proposal.electorate is Electorate.OWNERS:
        await _ensure_owners_vote(deps, actor, council, "proposal.owners_council")
    now = deps.clock.now()
    closes = voting_closes_at or proposal.voting_closes_at
    if closes is None or _naive_or_past(closes, now):
        raise DomainError.of(
            ErrorCode.INVALID_INPUT, "proposal.closes_in_past", field=("input", "votingClosesAt")
        )
    minimum = deps.settings.min_voting_hours
    if closes - now < timedelta(hours=minimum):
        raise DomainError.of(
            ErrorCode.INVALID_INPUT, "proposal.min_voting_period",
            field=("input", "votingClosesAt"), hours=minimum,
        )  # fmt: skip
    electors = await _electorate(deps, proposal, council)

    async def write(session: Session) -> Proposal:
        opened = await repository.update_proposal(
            deps.db, proposal.id, from_statuses=[ProposalStatus.DELIBERATION],
            changes={
                "status": ProposalStatus.VOTING.value, "voting_opens_at": now,
                "voting_closes_at": closes, "eligible_count": len(electors),
                "eligible_area_centi": sum(e.area_centi for e in electors), "updated_at": now,
            },
            session=session,
        )  # fmt: skip
        if opened is None:
            raise DomainError.of(ErrorCode.INVALID_TRANSITION, "proposal.invalid_transition")
        await repository.open_ballot_box(deps.db, proposal.id, electors, session=session)
        await events.record(
            deps, kind=EventKind.PROPOSAL_VOTING_OPENED, subject_id=proposal.id,
            actor_id=actor.user_id,
            place_path=proposal.place_path, data={"council_id": council.id}, session=session,
        )  # fmt: skip
        return opened

    return await in_transaction(deps.client, write)


def _check_choices(proposal: Proposal, option_ids: Sequence[ObjectId]) -> list[ObjectId]:
    known = {o.id for o in proposal.options}
    chosen = list(dict.fromkeys(option_ids))
    if (
        not chosen
        or len(chosen) != len(option_ids)
        or len(chosen) > proposal.max_choices
        or any(o not in known for o in chosen)
    ):
        raise DomainError.of(
            ErrorCode.INVALID_INPUT, f"vote.choices.{proposal.method.value}",
            field=("input", "optionIds"), max=proposal.max_choices,
        )  # fmt: skip
    return chosen


def voting_open(proposal: Proposal, now: datetime) -> bool:
    return proposal.status is ProposalStatus.VOTING and (
        proposal.voting_closes_at is None or now < proposal.voting_closes_at
    )


@dataclass(frozen=True)
class Vote:
    """What cast_vote read and wrote: the receipt (the roll entry), the proposal and council
    as loaded, and the viewer's elector, so that the caller answers without reading again."""

    receipt: Participation
    proposal: Proposal
    council: Council
    elector: Elector | None


async def cast_vote(
    deps: Deps,
    actor: Actor,
    *,
    proposal_id: ObjectId,
    option_ids: Sequence[ObjectId],
    idempotency_key: str | None = None,
) -> Vote:
    """Cast the viewer's (or their household's) one vote; the receipt is the roll entry.
    Final: a second vote is ALREADY_VOTED (HOUSEHOLD_ALREADY_VOTED if a housemate cast it)."""
    checks = Checks()
    idempotency = idempotent.parse(actor.user_id, idempotency_key, checks)
    checks.done()
    if earlier := await idempotent.earlier(deps, repository.PARTICIPATIONS, idempotency):
        receipt = Participation.from_document(earlier)
        proposal, council = await _proposal_or_raise(deps, actor, receipt.proposal_id)
        elector = await repository.elector_of(deps.db, proposal.id, actor.user_id)
        return Vote(receipt, proposal, council, elector)
    proposal, council = await _proposal_or_raise(deps, actor, proposal_id)
    now = deps.clock.now()
    if not voting_open(proposal, now):
        raise DomainError.of(ErrorCode.VOTING_NOT_OPEN)
    chosen = _check_choices(proposal, option_ids)
    elector = await repository.elector_of(deps.db, proposal.id, actor.user_id)
    if elector is None:
        raise DomainError.of(ErrorCode.NOT_ELIGIBLE)
    participation = Participation(
        proposal_id=proposal.id,
        voter_key=elector.voter_key,
        user_id=actor.user_id,
        area_centi=elector.area_centi,
        cast_at=now,
        choice_ids=chosen if proposal.ballot is Ballot.OPEN else None,
        idempotency=idempotency,
    )

    shard = repository.pick_shard()

    async def write(session: Session) -> None:
        await record_participation(
            deps, proposal, elector, participation, chosen, shard=shard,
            actor_id=actor.user_id, session=session,
        )  # fmt: skip

    try:
        raced = await idempotent.create_once(
            deps, repository.PARTICIPATIONS, idempotency, write,
            serial=repository.shard_serial(proposal.id, shard),
        )  # fmt: skip
    except DuplicateKeyError:
        cast = await repository.participation(deps.db, proposal.id, elector.voter_key)
        if cast is not None and cast.user_id != actor.user_id:
            raise DomainError.of(ErrorCode.HOUSEHOLD_ALREADY_VOTED) from None
        raise DomainError.of(ErrorCode.ALREADY_VOTED) from None
    receipt = Participation.from_document(raced) if raced is not None else participation
    return Vote(receipt, proposal, council, elector)


async def record_participation(
    deps: Deps,
    proposal: Proposal,
    elector: Elector,
    participation: Participation,
    chosen: Sequence[ObjectId],
    *,
    shard: int,
    actor_id: ObjectId,
    session: Session,
    data: Document | None = None,
) -> None:
    """In the caller's transaction: the roll entry (DuplicateKeyError when the elector's vote
    is in), the choices added to tally `shard` (`repository.pick_shard`; the transaction runs
    under its `shard_serial`; refused once closed) and the event.
    Every channel (app, proxy, paper) goes through here, so a secret ballot's choices are kept
    the same way whoever cast it: as sums only."""
    # `voters`: one more entry on the roll, the version its kept pages are read under.
    increments: Document = {"voters": 1} | {f"counts.{o}": 1 for o in chosen}
    if elector.area_centi:
        increments |= {f"areas.{o}": elector.area_centi for o in chosen}
    await repository.insert_participation(deps.db, participation, session=session)
    if not await repository.add_to_tally(deps.db, proposal.id, shard, increments, session=session):
        raise DomainError.of(ErrorCode.VOTING_NOT_OPEN)
    # The event says that someone voted (and, for a proxy or a paper ballot, for whom and by
    # whom: the audit trail), never what: not even for open ballots.
    await events.record(
        deps, kind=EventKind.PROPOSAL_VOTE_CAST, subject_id=proposal.id, actor_id=actor_id,
        place_path=proposal.place_path, data=data, session=session,
    )  # fmt: skip


async def commit_once(
    deps: Deps,
    write: Callable[[Session], Awaitable[T]],
    *,
    duplicate: DomainError,
    serial: Hashable | None = None,
) -> T:
    """Run `write` in a transaction (`serial`: see `in_transaction`); a unique index refusing
    its insert (the elector's vote is in, the person has co-signed) is `duplicate`."""
    try:
        return await in_transaction(deps.client, write, serial=serial)
    except DuplicateKeyError:
        raise duplicate from None


async def commit_vote(
    deps: Deps,
    write: Callable[[Session], Awaitable[None]],
    *,
    serial: Hashable,
    message: str | None = None,
) -> None:
    """Run a vote's transaction (`write` calls `record_participation`, `serial` the key of its
    shard); the elector's vote being in already (the roll's unique index) is ALREADY_VOTED."""
    await commit_once(
        deps, write, duplicate=DomainError.of(ErrorCode.ALREADY_VOTED, message), serial=serial
    )


def results_of(proposal: Proposal, totals: Document) -> list[OptionResult]:
    return [
        OptionResult(
            option_id=o.id,
            count=int(totals["counts"].get(str(o.id), 0)),
            area_centi=int(totals["areas"].get(str(o.id), 0)),
        )
        for o in proposal.options
    ]


async def close_voting(
    deps: Deps, actor: Actor | None, *, proposal_id: ObjectId, reason: str | None = None
) -> Proposal:
    """Close a vote and decide it (the chair or staff; `None` is the automatic close).

    Before `votingClosesAt` only when every elector has voted, or with a `reason`, which is
    kept on the proposal, shown with the decision and told to the electors."""
    checks = Checks()
    why = checks.text(reason, "reason", max_length=MAX_REASON, required=False) or None
    checks.done()
    if actor is None:
        found = await repository.proposals_by_ids(deps.db, [proposal_id])
        if not found:
            raise DomainError.of(ErrorCode.NOT_FOUND)
        proposal = found[0]
    else:
        proposal, council = await _proposal_or_raise(deps, actor, proposal_id)
        ensure(may_run_vote(actor, council), "proposal.close_forbidden")
    if proposal.status is not ProposalStatus.VOTING:
        raise DomainError.of(ErrorCode.INVALID_TRANSITION, "proposal.invalid_transition")
    now = deps.clock.now()
    early = proposal.voting_closes_at is not None and now < proposal.voting_closes_at

    async def write(session: Session) -> Proposal:
        await repository.close_ballot_box(deps.db, proposal.id, session=session)
        totals = (await repository.live_counts(deps.db, [proposal.id], session=session))[
            proposal.id
        ]
        voted, voted_area = (await repository.turnout(deps.db, [proposal.id], session=session))[
            proposal.id
        ]
        if early and why is None and voted < (proposal.eligible_count or 0):
            raise DomainError.of(
                ErrorCode.INVALID_INPUT, "proposal.close_early", field=("input", "reason")
            )
        results = results_of(proposal, totals)
        decision = decide(proposal, results, voted=voted, voted_area=voted_area)
        closed = await repository.update_proposal(
            deps.db, proposal.id, from_statuses=[ProposalStatus.VOTING],
            changes={
                "status": ProposalStatus.CLOSED.value, "closed_at": now,
                "outcome": decision.outcome.value, "quorum_reached": decision.quorum_reached,
                "voted_count": voted, "voted_area_centi": voted_area,
                "results": [r.model_dump() for r in results],
                "decision": decision.record().model_dump(),
                "close_reason": why if early else None, "updated_at": now,
            },
            session=session,
        )  # fmt: skip
        if closed is None:
            raise DomainError.of(ErrorCode.INVALID_TRANSITION, "proposal.invalid_transition")
        await events.record(
            deps, kind=EventKind.PROPOSAL_CLOSED, subject_id=proposal.id,
            actor_id=actor.user_id if actor else None, place_path=proposal.place_path,
            data={"outcome": decision.outcome.value}, session=session,
        )  # fmt: skip
        return closed

    return await in_transaction(deps.client, write)


async def cancel_voting(
    deps: Deps, actor: Actor, *, proposal_id: ObjectId, reason: str
) -> Proposal:
    """Abandon a vote without an outcome (CANCELLED): the chair or staff, with a reason told
    to the electors. No totals are published: a cancelled secret ballot reveals nothing."""
    checks = Checks()
    why = checks.text(reason, "reason", max_length=MAX_REASON)
    checks.done()
    proposal, council = await _proposal_or_raise(deps, actor, proposal_id)
    ensure(may_run_vote(actor, council), "proposal.cancel_forbidden")
    if proposal.status is not ProposalStatus.VOTING:
        raise DomainError.of(ErrorCode.INVALID_TRANSITION, "proposal.invalid_transition")
    now = deps.clock.now()

    async def write(session: Session) -> Proposal:
        await repository.close_ballot_box(deps.db, proposal.id, session=session)
        voted, voted_area = (await repository.turnout(deps.db, [proposal.id], session=session))[
            proposal.id
        ]
        cancelled = await repository.update_proposal(
            deps.db, proposal.id, from_statuses=[ProposalStatus.VOTING],
            changes={
                "status": ProposalStatus.CLOSED.value, "closed_at": now,
                "outcome": ProposalOutcome.CANCELLED.value, "voted_count": voted,
                "voted_area_centi": voted_area, "close_reason": why, "updated_at": now,
            },
            session=session,
        )  # fmt: skip
        if cancelled is None:
            raise DomainError.of(ErrorCode.INVALID_TRANSITION, "proposal.invalid_transition")
        await events.record(
            deps, kind=EventKind.PROPOSAL_VOTING_CANCELLED, subject_id=proposal.id,
            actor_id=actor.user_id, place_path=proposal.place_path, session=session,
        )  # fmt: skip
        return cancelled

    return await in_transaction(deps.client, write)


async def close_due(deps: Deps) -> int:
    """The job: close votes whose closing time has come. Safe on several instances: the
    close is conditional on the proposal still being open for voting."""
    closed = 0
    for proposal_id in await repository.due_to_close(deps.db, deps.clock.now(), limit=CLOSE_BATCH):
        try:
            await close_voting(deps, None, proposal_id=proposal_id)
            closed += 1
        except DomainError:  # closed by the chair or another instance meanwhile
            continue
    return closed


async def withdraw_proposal(deps: Deps, actor: Actor, *, proposal_id: ObjectId) -> Proposal:
    """The author, the chair or staff withdraw a proposal before voting opens."""
    proposal, council = await _proposal_or_raise(deps, actor, proposal_id)
    ensure(
        actor.user_id == proposal.author_id or may_run_vote(actor, council),
        "proposal.withdraw_forbidden",
    )
    now = deps.clock.now()

    async def write(session: Session) -> Proposal:
        withdrawn = await repository.update_proposal(
            deps.db, proposal.id,
            from_statuses=[ProposalStatus.DRAFT, ProposalStatus.DELIBERATION],
            changes={"status": ProposalStatus.WITHDRAWN.value, "updated_at": now},
            session=session,
        )  # fmt: skip
        if withdrawn is None:
            raise DomainError.of(ErrorCode.INVALID_TRANSITION, "proposal.invalid_transition")
        await events.record(
            deps, kind=EventKind.PROPOSAL_WITHDRAWN, subject_id=proposal.id, actor_id=actor.user_id,
            place_path=proposal.place_path, session=session,
        )  # fmt: skip
        return withdrawn

    return await in_transaction(deps.client, write)


async def comment_on_proposal(
    deps: Deps, actor: Actor, *, proposal_id: ObjectId, body: str, idempotency_key: str | None
) -> ProposalComment:
    """Deliberation: members of the community comment while the proposal is suggested,
    discussed and voted on (COMMENTABLE)."""
    checks = Checks()
    body = checks.text(body, "body", max_length=MAX_COMMENT)
    idempotency = idempotent.parse(actor.user_id, idempotency_key, checks)
    checks.done()
    if earlier := await idempotent.earlier(deps, repository.COMMENTS, idempotency):
        return ProposalComment.from_document(earlier)
    proposal, _ = await _proposal_or_raise(deps, actor, proposal_id)
    if proposal.status not in COMMENTABLE:
        raise DomainError.of(ErrorCode.INVALID_TRANSITION, "proposal.comments_closed")
    comment = ProposalComment(
        proposal_id=proposal.id, author_id=actor.user_id, body=body,
        created_at=deps.clock.now(), idempotency=idempotency,
    )  # fmt: skip

    async def write(session: Session) -> None:
        await repository.insert_comment(deps.db, comment, session=session)
        await events.record(
            deps, kind=EventKind.PROPOSAL_COMMENTED, subject_id=proposal.id, actor_id=actor.user_id,
            place_path=proposal.place_path, data={"comment_id": comment.id}, session=session,
        )  # fmt: skip

    raced = await idempotent.create_once(deps, repository.COMMENTS, idempotency, write)
    return ProposalComment.from_document(raced) if raced is not None else comment


def roll_version(proposal: Proposal, voters: int) -> Hashable | None:
    """What the roll (and the turnout counted from it) is kept under by the instance
    (`Deps.keep`), given the sum of the tally shards' `voters`: every vote adds its entry and
    one to a shard in one transaction (`record_participation`), and a closed roll never
    changes. None (not kept) before voting opens."""
    if proposal.status is ProposalStatus.CLOSED:
        return ("closed", proposal.voted_count)
    if proposal.status is ProposalStatus.VOTING:
        return ("voting", voters)
    return None


async def roll(
    deps: Deps,
    proposal: Proposal,
    *,
    first: int | None,
    after: str | None,
    version: Hashable | None = None,
) -> Page[Participation]:
    """Who voted: in the order they voted on open ballots (with their choices); in no order
    related to time on secret ones (see the README's secrecy rules). Kept under `version`
    (`roll_version`) when given."""
    by_key = proposal.ballot is Ballot.SECRET

    def load() -> Awaitable[Page[Participation]]:
        return repository.roll_page(deps.db, proposal.id, first=first, after=after, by_key=by_key)

    if version is None:
        return await load()
    return await deps.keep(("proposal.roll", proposal.id, by_key, first, after), version, load)


async def turnout(
    deps: Deps,
    proposal_id: ObjectId,
    version: Hashable | None,
    load: Callable[[], Awaitable[tuple[int, int]]],
) -> tuple[int, int]:
    """How many electors voted and their floor area while voting runs (`load`: the request's
    loader), kept under the roll's version (`roll_version`) when given."""
    if version is None:
        return await load()
    return await deps.keep(("proposal.turnout", proposal_id), version, load)


# The viewer's elector for a proposal and the roll entry of their vote (theirs or their
# household's), or None.
ViewerVote = tuple[Elector | None, Participation | None]


async def viewer_vote(
    deps: Deps,
    actor: Actor | None,
    proposal_id: ObjectId,
    version: Hashable | None,
    load: Callable[[], Awaitable[ViewerVote]],
) -> ViewerVote:
    """The viewer's elector and roll entry (`load`: the request's loaders), kept for the
    viewer under the roll's version (`roll_version`) when given: the electorate is fixed when
    voting opens (`open_ballot_box`), and every vote adds its entry and one to the version."""
    if version is None or actor is None:
        return await load()
    key = ("proposal.viewer_vote", actor.user_id, proposal_id)
    return await deps.keep(key, version, load, per_viewer=True)


def decision_reason(proposal: Proposal, locale: Locale) -> str:
    """A closed vote's decision in one sentence, in `locale` (as `Proposal.decision` says)."""
    assert proposal.outcome is not None
    labels = {o.id: o.label or translate(f"vote.{o.key}", locale) for o in proposal.options}
    return reason_text(proposal.outcome, record_of(proposal), locale, labels)


def may_see_figures(actor: Actor | None, proposal: Proposal) -> bool:
    """Whether the viewer sees floor-area figures of a vote. On a secret ballot, only staff
    of the community while voting runs and after (an area that moves with each vote would
    tell who voted with how much, and the sums by option who chose what)."""
    if proposal.ballot is Ballot.OPEN:
        return True
    return actor is not None and (is_system(actor) or actor.is_staff(proposal.place_path))


async def comments(
    deps: Deps, proposal: Proposal, *, first: int | None, after: str | None
) -> Page[ProposalComment]:
    """A page of the deliberation, kept by the instance under the proposal's `comment_count`
    (comments are only ever added, each with its count in one transaction)."""
    return await deps.keep(
        ("proposal.comments", proposal.id, first, after),
        proposal.comment_count,
        lambda: repository.comments_page(deps.db, proposal, first=first, after=after),
    )
