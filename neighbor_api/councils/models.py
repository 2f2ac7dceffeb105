"""Community councils (社区理事会 and the like), proposals, and the votes on them.

How a secret ballot stays secret, in storage: who voted (`Participation`, the roll) and what
was chosen (`Tally` shards: only sums per option, no per-vote record, no time) are kept apart,
and nothing carries both. The residual link is written down in the README.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from fractions import Fraction

from bson import ObjectId
from pydantic import BaseModel, ConfigDict, Field

from neighbor_api.core.idempotency import Idempotency
from neighbor_api.core.models import StoredModel


class CouncilKind(StrEnum):
    COMMUNITY_COUNCIL = "COMMUNITY_COUNCIL"
    ELDERS_COUNCIL = "ELDERS_COUNCIL"
    COMMUNITY_ENTERPRISE_COUNCIL = "COMMUNITY_ENTERPRISE_COUNCIL"
    OWNERS_COMMITTEE = "OWNERS_COMMITTEE"
    CAMPUS_COUNCIL = "CAMPUS_COUNCIL"


class CouncilRole(StrEnum):
    CHAIR = "CHAIR"
    SECRETARY = "SECRETARY"
    MEMBER = "MEMBER"


class ProposalStatus(StrEnum):
    SUGGESTED = "SUGGESTED"
    DRAFT = "DRAFT"
    DELIBERATION = "DELIBERATION"
    VOTING = "VOTING"
    CLOSED = "CLOSED"
    WITHDRAWN = "WITHDRAWN"


class ProposalOutcome(StrEnum):
    PASSED = "PASSED"
    REJECTED = "REJECTED"
    NO_QUORUM = "NO_QUORUM"
    TIED = "TIED"
    CANCELLED = "CANCELLED"


class Ballot(StrEnum):
    OPEN = "OPEN"
    SECRET = "SECRET"


class Electorate(StrEnum):
    COUNCIL_MEMBERS = "COUNCIL_MEMBERS"
    RESIDENTS = "RESIDENTS"
    HOUSEHOLDS = "HOUSEHOLDS"
    OWNERS = "OWNERS"


class ProposalMatter(StrEnum):
    ORDINARY = "ORDINARY"
    MAJOR = "MAJOR"


class VotingMethod(StrEnum):
    YES_NO_ABSTAIN = "YES_NO_ABSTAIN"
    SINGLE_CHOICE = "SINGLE_CHOICE"
    MULTIPLE_CHOICE = "MULTIPLE_CHOICE"


class VoteChannel(StrEnum):
    """How a participation was cast: in the app by the elector, by their proxy, on paper."""

    APP = "APP"
    PROXY = "PROXY"
    PAPER = "PAPER"


class OptionKey(StrEnum):
    """The options the server creates for YES_NO_ABSTAIN (labelled in the reader's language)."""

    YES = "yes"
    NO = "no"
    ABSTAIN = "abstain"


class CouncilMember(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    user_id: ObjectId
    role: CouncilRole
    since: datetime


class Council(StoredModel):
    community_id: ObjectId
    place_path: list[ObjectId]
    name: str
    kind: CouncilKind
    members: list[CouncilMember] = Field(default_factory=list)
    # 议题征集: a resident's suggestion needs co-signatures of this percent of the community's
    # residents (at least MIN_CO_SIGNATURES) before the chair or staff may accept it.
    co_signature_percent: int = 5
    created_at: datetime

    def role_of(self, user_id: ObjectId) -> CouncilRole | None:
        return next((m.role for m in self.members if m.user_id == user_id), None)


class Option(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    id: ObjectId = Field(default_factory=ObjectId)
    label: str | None = None  # None for the server's own yes/no/abstain
    key: OptionKey | None = None


class OptionResult(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    option_id: ObjectId
    count: int
    area_centi: int = 0  # m² × 100, exact


class RuleName(StrEnum):
    """The rules a decision checks (catalogue keys `decision.rule.<name>`)."""

    OWNERS_AREA = "owners_area"  # participating area of the total (art. 278)
    OWNERS_COUNT = "owners_count"  # participating owners of all owners (art. 278)
    APPROVING_AREA = "approving_area"  # approving area of the participating area
    APPROVING_OWNERS = "approving_owners"  # approving owners of the participating owners
    QUORUM = "quorum"  # voters of the electorate
    APPROVAL = "approval"  # yes of yes + no
    YES_NO_TIE = "yes_no_tie"  # yes and no must differ
    CLEAR_WINNER = "clear_winner"  # no tie at the last winning place


class Unit(StrEnum):
    PEOPLE = "people"
    AREA = "area"  # hundredths of m²
    VOTES = "votes"


class Check(BaseModel):
    """One rule as checked when the vote was decided: `part / whole` against the threshold
    `num / den` (≥, or > when `strict`), and whether it was met."""

    model_config = ConfigDict(frozen=True)

    rule: RuleName
    part: int
    whole: int
    num: int
    den: int
    strict: bool
    met: bool
    unit: Unit = Unit.PEOPLE

    @property
    def threshold(self) -> Fraction:
        return Fraction(self.num, self.den)


class DecisionRecord(BaseModel):
    """What decided a closed vote, kept as it was checked (see councils/decision.py)."""

    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    checks: list[Check]
    winners: list[ObjectId] = Field(default_factory=list)
    tied: list[ObjectId] = Field(default_factory=list)


class Proposal(StoredModel):
    council_id: ObjectId
    community_id: ObjectId
    place_path: list[ObjectId]
    author_id: ObjectId
    title: str
    body: str
    status: ProposalStatus
    ballot: Ballot
    electorate: Electorate
    method: VotingMethod
    matter: ProposalMatter = ProposalMatter.ORDINARY
    options: list[Option]
    max_choices: int
    quorum_percent: float
    pass_threshold_percent: float
    # OWNERS or HOUSEHOLDS votes of some buildings only (BUILDING places); empty: everyone.
    scope_building_ids: list[ObjectId] = Field(default_factory=list)
    voting_opens_at: datetime | None = None
    voting_closes_at: datetime | None = None
    # Fixed when voting opens.
    eligible_count: int | None = None
    eligible_area_centi: int | None = None
    # Set when voting closes.
    closed_at: datetime | None = None
    outcome: ProposalOutcome | None = None
    quorum_reached: bool | None = None
    voted_count: int | None = None
    voted_area_centi: int | None = None
    results: list[OptionResult] | None = None
    decision: DecisionRecord | None = None
    # Why voting was closed before its time, or cancelled (CANCELLED), as the closer said.
    close_reason: str | None = None
    comment_count: int = 0
    # 议题征集: a resident's suggestion gathers co-signatures while SUGGESTED; the number
    # needed is fixed when it is suggested. A declined suggestion keeps its reason.
    co_signature_count: int = 0
    co_signatures_needed: int | None = None
    decline_reason: str | None = None
    # Photos and documents (a PDF quote) attached by the author (attachments/).
    attachment_ids: list[ObjectId] = Field(default_factory=list)
    idempotency: Idempotency | None = None
    created_at: datetime
    updated_at: datetime


class Elector(StoredModel):
    """One vote of the electorate fixed at opening: a person, or a household (any of its
    members may cast it), weighted by floor area for owners."""

    proposal_id: ObjectId
    voter_key: str
    user_ids: list[ObjectId]
    area_centi: int = 0


class Participation(StoredModel):
    """The roll: who cast the vote of which elector, when. Its id is the voter's receipt.
    `choice_ids` is kept for OPEN ballots only; a SECRET ballot's choices exist only as sums."""

    proposal_id: ObjectId
    voter_key: str
    user_id: ObjectId
    area_centi: int = 0
    cast_at: datetime
    choice_ids: list[ObjectId] | None = None
    idempotency: Idempotency | None = None
    # APP: `user_id` cast it. PROXY and PAPER: `user_id` is the elector whose vote it is,
    # `cast_by` the proxy who cast it or the staff member who recorded the paper ballot.
    channel: VoteChannel = VoteChannel.APP
    cast_by: ObjectId | None = None
    # PAPER on an OPEN ballot: the ballot's photo. A SECRET ballot's photo is kept with the
    # proposal's paper ballots, never with the roll entry.
    ballot_photo_id: ObjectId | None = None


class ProposalComment(StoredModel):
    proposal_id: ObjectId
    author_id: ObjectId
    body: str
    created_at: datetime
    idempotency: Idempotency | None = None


class ProxyAuthorization(StoredModel):
    """An elector's 委托: `proxy_id` may cast the vote of `voter_key` on one proposal.

    One per elector and proposal (a unique index); a proxy holds at most the configured number
    per proposal (`slot` under a unique index: the database enforces the cap). Revoking
    deletes it, which only an unused authorisation allows (`used`, set in the transaction of
    the proxy's vote)."""

    proposal_id: ObjectId
    voter_key: str
    elector_id: ObjectId
    proxy_id: ObjectId
    slot: int
    used: bool = False
    created_at: datetime


class CoSignature(StoredModel):
    """A resident's co-signature of a suggested proposal (议题征集): one per person."""

    proposal_id: ObjectId
    user_id: ObjectId
    created_at: datetime
