"""How a closed vote is decided, and the same arithmetic written out for people to read.

One function, `decide`, both decides and explains: every rule it checks becomes a `Check`
(what was required, what was achieved as an exact fraction, whether it was met), and the
outcome is a function of those checks only. The text a person reads is rendered from the
checks (`rule_text`, `reason_text`) in their language; nothing is recomputed for display.

All comparisons are in integers (counts, floor areas in hundredths of m², and percentages set
by a council turned into exact fractions): nothing is rounded at an edge.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from bson import ObjectId

from neighbor_api.core.i18n import Locale, translate
from neighbor_api.councils.models import (
    Ballot,
    Check,
    DecisionRecord,
    Electorate,
    OptionKey,
    OptionResult,
    Proposal,
    ProposalMatter,
    ProposalOutcome,
    RuleName,
    Unit,
    VotingMethod,
)

# Art. 278: participation by at least 2/3 of the area and of the owners; approval by more
# than 1/2 (ordinary matters) or at least 3/4 (major matters) of the participating area and
# owners.
TWO_THIRDS = Fraction(2, 3)
HALF = Fraction(1, 2)
THREE_QUARTERS = Fraction(3, 4)

# A secret ballot whose electorate (or turnout) is at most this size publishes its totals with
# a warning: with so few voters the sums may tell who chose what.
SMALL_ELECTORATE = 10


@dataclass(frozen=True)
class Decision:
    outcome: ProposalOutcome
    quorum_reached: bool
    checks: tuple[Check, ...]
    winners: tuple[ObjectId, ...] = ()
    tied: tuple[ObjectId, ...] = ()  # the options that tie at the last place (TIED only)

    def record(self) -> DecisionRecord:
        return DecisionRecord(
            checks=list(self.checks), winners=list(self.winners), tied=list(self.tied)
        )


def _check(
    rule: RuleName, part: int, whole: int, threshold: Fraction, *, strict: bool, unit: Unit
) -> Check:
    """`part / whole ≥ threshold` (or `>`), cross-multiplied: exact at every edge. Nothing of
    nothing meets no rule."""
    left = part * threshold.denominator
    right = threshold.numerator * whole
    met = whole > 0 and (left > right if strict else left >= right)
    return Check(
        rule=rule, part=part, whole=whole, num=threshold.numerator, den=threshold.denominator,
        strict=strict, met=met, unit=unit,
    )  # fmt: skip


def percent_fraction(percent: float) -> Fraction:
    """A council's percentage (e.g. 66.67) as the exact fraction it reads as."""
    return Fraction(repr(float(percent))) / 100


def decide(
    proposal: Proposal, results: Sequence[OptionResult], *, voted: int, voted_area: int
) -> Decision:
    """The outcome of a closed vote, with every rule that decided it.

    OWNERS (PRC Civil Code art. 278): owners holding at least 2/3 of the floor area and at
    least 2/3 of the owners take part; an ORDINARY matter passes with more than half of the
    participating area and of the participating owners, a MAJOR one with at least 3/4 of each.
    Others: quorum when voted / eligible ≥ quorumPercent. YES_NO_ABSTAIN passes when
    yes / (yes + no) > passThresholdPercent and yes ≠ no (abstentions count for the quorum
    only). Choice methods: the options with the most votes win (one for SINGLE_CHOICE, up to
    maxChoices for MULTIPLE_CHOICE, only options with votes); TIED when options with equal
    votes straddle the last winning place.
    """
    eligible = proposal.eligible_count or 0
    by_id = {r.option_id: r for r in results}

    def of(key: OptionKey) -> OptionResult:
        option = next(o.id for o in proposal.options if o.key is key)
        return by_id.get(option, OptionResult(option_id=option, count=0))

    if proposal.electorate is Electorate.OWNERS:
        return _owners(proposal, of(OptionKey.YES), eligible, voted, voted_area)
    quorum = _check(
        RuleName.QUORUM, voted, eligible, percent_fraction(proposal.quorum_percent),
        strict=False, unit=Unit.PEOPLE,
    )  # fmt: skip
    if proposal.method is VotingMethod.YES_NO_ABSTAIN:
        ayes, noes = of(OptionKey.YES).count, of(OptionKey.NO).count
        approval = _check(
            RuleName.APPROVAL, ayes, ayes + noes,
            percent_fraction(proposal.pass_threshold_percent), strict=True, unit=Unit.VOTES,
        )  # fmt: skip
        tie = Check(
            rule=RuleName.YES_NO_TIE, part=ayes, whole=noes, num=1, den=1, strict=True,
            met=ayes != noes, unit=Unit.VOTES,
        )  # fmt: skip
        checks = (quorum, approval, tie)
        if not quorum.met:
            return Decision(ProposalOutcome.NO_QUORUM, False, checks)
        passed = approval.met and tie.met
        return Decision(
            ProposalOutcome.PASSED if passed else ProposalOutcome.REJECTED, True, checks
        )
    return _choice(proposal, results, quorum)


def _owners(
    proposal: Proposal, yes: OptionResult, eligible: int, voted: int, voted_area: int
) -> Decision:
    eligible_area = proposal.eligible_area_centi or 0
    major = proposal.matter is ProposalMatter.MAJOR
    approve = THREE_QUARTERS if major else HALF
    checks = (
        _check(RuleName.OWNERS_AREA, voted_area, eligible_area, TWO_THIRDS,
               strict=False, unit=Unit.AREA),
        _check(RuleName.OWNERS_COUNT, voted, eligible, TWO_THIRDS, strict=False, unit=Unit.PEOPLE),
        _check(RuleName.APPROVING_AREA, yes.area_centi, voted_area, approve,
               strict=not major, unit=Unit.AREA),
        _check(RuleName.APPROVING_OWNERS, yes.count, voted, approve,
               strict=not major, unit=Unit.PEOPLE),
    )  # fmt: skip
    if not (checks[0].met and checks[1].met):
        return Decision(ProposalOutcome.NO_QUORUM, False, checks)
    passed = checks[2].met and checks[3].met
    return Decision(ProposalOutcome.PASSED if passed else ProposalOutcome.REJECTED, True, checks)


def _choice(proposal: Proposal, results: Sequence[OptionResult], quorum: Check) -> Decision:
    """The winners: the `max_choices` options with the most votes, among those with any."""
    seats = proposal.max_choices if proposal.method is VotingMethod.MULTIPLE_CHOICE else 1
    order = {o.id: index for index, o in enumerate(proposal.options)}
    ranked = sorted(
        (r for r in results if r.count > 0), key=lambda r: (-r.count, order.get(r.option_id, 0))
    )
    if len(ranked) <= seats:
        winners, tied = [r.option_id for r in ranked], []
    else:
        cut = ranked[seats - 1].count
        if ranked[seats].count == cut:  # equal votes on both sides of the last place
            winners = [r.option_id for r in ranked if r.count > cut]
            tied = [r.option_id for r in ranked if r.count == cut]
        else:
            winners, tied = [r.option_id for r in ranked[:seats]], []
    clear = Check(
        rule=RuleName.CLEAR_WINNER, part=len(tied), whole=seats, num=0, den=1, strict=False,
        met=not tied and bool(ranked), unit=Unit.VOTES,
    )  # fmt: skip
    checks = (quorum, clear)
    if not quorum.met:
        return Decision(ProposalOutcome.NO_QUORUM, False, checks)
    if tied:
        return Decision(ProposalOutcome.TIED, True, checks, tuple(winners), tuple(tied))
    if not ranked:
        return Decision(ProposalOutcome.REJECTED, True, checks)
    return Decision(ProposalOutcome.PASSED, True, checks, tuple(winners))


# --- The decision in words ---------------------------------------------------------------------


def _fraction_text(threshold: Fraction) -> str:
    if threshold in (TWO_THIRDS, HALF, THREE_QUARTERS):
        return f"{threshold.numerator}/{threshold.denominator}"
    value = threshold * 100
    text = f"{float(value):.4f}".rstrip("0").rstrip(".")
    return f"{text}%"


def _percent_text(part: int, whole: int) -> str:
    """Rounded to one decimal for reading; the exact figures follow in brackets."""
    if whole == 0:
        return "—"
    tenths = (2000 * part + whole) // (2 * whole)  # 1000 × part / whole, half up
    return f"{tenths // 10}.{tenths % 10}%"


def _amount(value: int, unit: Unit, locale: Locale) -> str:
    if unit is Unit.AREA:
        return translate("decision.unit.area", locale, {"value": f"{value / 100:.2f}"})
    return translate(f"decision.unit.{unit.value}", locale, {"value": value})


@dataclass(frozen=True)
class RuleText:
    name: str
    required: str
    achieved: str
    met: bool


def rule_text(check: Check, locale: Locale, *, figures: bool = True) -> RuleText:
    """One checked rule in words. `figures` False leaves out the absolute amounts (only the
    percentage is shown)."""
    name = translate(f"decision.rule.{check.rule.value}", locale)
    if check.rule is RuleName.YES_NO_TIE:
        required = translate("decision.required.yes_no_tie", locale)
        achieved = translate(
            "decision.achieved.yes_no", locale, {"yes": check.part, "no": check.whole}
        )
        return RuleText(name, required, achieved, check.met)
    if check.rule is RuleName.CLEAR_WINNER:
        required = translate("decision.required.clear_winner", locale, {"seats": check.whole})
        key = "decision.achieved.tied" if check.part else "decision.achieved.clear"
        return RuleText(name, required, translate(key, locale, {"tied": check.part}), check.met)
    operator = ">" if check.strict else "≥"
    required = translate(
        f"decision.required.{check.rule.value}", locale,
        {"operator": operator, "fraction": _fraction_text(check.threshold)},
    )  # fmt: skip
    achieved = _percent_text(check.part, check.whole)
    if figures and check.whole:
        achieved = translate(
            "decision.achieved.figures", locale,
            {"percent": achieved, "part": _amount(check.part, check.unit, locale),
             "whole": _amount(check.whole, check.unit, locale)},
        )  # fmt: skip
    return RuleText(name, required, achieved, check.met)


def reason_text(
    outcome: ProposalOutcome, record: DecisionRecord, locale: Locale, labels: dict[ObjectId, str]
) -> str:
    """One sentence saying why: the first rule not met, or that all were."""
    if outcome is ProposalOutcome.TIED:
        names = "、".join(f"「{labels.get(o, '')}」" for o in record.tied)
        return translate("decision.reason.tied", locale, {"options": names})
    failed = next((c for c in record.checks if not c.met), None)
    if outcome is ProposalOutcome.PASSED or failed is None:
        if record.winners:
            names = "、".join(f"「{labels.get(o, '')}」" for o in record.winners)
            return translate("decision.reason.winners", locale, {"options": names})
        return translate("decision.reason.passed", locale)
    if failed.rule is RuleName.YES_NO_TIE:
        return translate("decision.reason.yes_no_tie", locale, {"votes": failed.part})
    if failed.rule is RuleName.CLEAR_WINNER:
        return translate("decision.reason.no_votes", locale)
    text = rule_text(failed, locale, figures=False)
    return translate(
        f"decision.reason.{outcome.value}", locale,
        {"rule": text.name, "achieved": text.achieved, "required": text.required},
    )  # fmt: skip


def record_of(proposal: Proposal) -> DecisionRecord:
    """What decided a closed vote: as kept when it closed; for a vote closed before the
    record was kept, `decide` over its stored totals (the same function)."""
    if proposal.decision is not None:
        return proposal.decision
    decision = decide(
        proposal, proposal.results or [], voted=proposal.voted_count or 0,
        voted_area=proposal.voted_area_centi or 0,
    )  # fmt: skip
    return decision.record()


def identifying(proposal: Proposal) -> str | None:
    """Why a closed secret ballot's totals may tell who chose what (None: they do not, as
    far as these two tests go): few voters, or everyone on one option."""
    voted = proposal.voted_count or 0
    if proposal.ballot is Ballot.OPEN or voted == 0:
        return None
    if voted <= SMALL_ELECTORATE:
        return "small"
    if any(r.count == voted for r in proposal.results or []):
        return "unanimous"
    return None


def disclosure_text(proposal: Proposal, locale: Locale) -> str | None:
    why = identifying(proposal)
    if why is None:
        return None
    return translate(
        f"decision.disclosure.{why}", locale,
        {"voted": proposal.voted_count or 0, "small": SMALL_ELECTORATE},
    )  # fmt: skip
