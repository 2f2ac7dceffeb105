"""Who is told what: the ONE rule table of notifications, evaluated from domain events.

Each `Rule` says, for the events it answers: which notification kind, who is told (`who`, as
the README lists it, and `recipients`, how they are found), and the message (a catalogue key
for the title and one for the body, with the facts the person needs: who, what, until when,
why). The notifier (`service.notifications_of`) reads what an event is about once (`Facts`),
evaluates the rules of its kind in table order and writes one notification per person: a
person named by two rules for one event gets the first (the unique index on
`notifications(event_id, user_id)` would refuse a second anyway). Never the actor, never anyone
who may not see the subject (`may_see`: a PRIVATE report's followers only if they may see it),
never a kind the person muted (unless it asks them to act on an assignment: `UNMUTABLE`).

The notifier reads subjects and recipients by id as the system, through the owners'
repositories (there is no viewer, so none of the services' permission checks; `may_see` is
each recipient's check).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from bson import ObjectId
from strawberry.dataloader import DataLoader

from neighbor_api.accounts import service as accounts
from neighbor_api.boards import repository as boards
from neighbor_api.boards.models import Task
from neighbor_api.core.deps import Deps
from neighbor_api.core.events import REPORT_MOVES, EventKind
from neighbor_api.core.i18n import Locale, translate
from neighbor_api.core.mongo import Database, Document
from neighbor_api.core.policy import Actor
from neighbor_api.councils import repository as councils
from neighbor_api.councils import service as votes
from neighbor_api.councils.models import Proposal, ProposalOutcome
from neighbor_api.memberships import repository as memberships
from neighbor_api.memberships.models import Membership, MembershipStatus
from neighbor_api.notifications import repository
from neighbor_api.notifications.models import (
    LOCAL_ZONE,
    UNMUTABLE,
    NotificationKind,
    Preferences,
)
from neighbor_api.places import repository as places
from neighbor_api.reports import repository as reports
from neighbor_api.reports import service as report_rules
from neighbor_api.reports.models import Report, ReportStatus
from neighbor_api.rewards import repository as rewards
from neighbor_api.rewards.models import Redemption
from neighbor_api.surveys import repository as surveys
from neighbor_api.surveys.models import Survey

# A comment quoted in a notification is cut to this many characters.
QUOTE_LENGTH = 80

# A message parameter: a value, or a function of the recipient's language.
Param = object | Callable[[Locale], str]


@dataclass
class Facts:
    """What one event is about, read once for all its rules."""

    event: Document
    kind: EventKind
    data: Mapping[str, Any]
    actor_id: ObjectId | None
    actor_name: str
    actor: Actor | None
    report: Report | None = None
    task: Task | None = None
    proposal: Proposal | None = None
    membership: Membership | None = None
    survey: Survey | None = None
    redemption: Redemption | None = None
    cache: dict[str, Any] = field(default_factory=dict)

    @property
    def subject(self) -> tuple[str, ObjectId] | None:
        """The subject's type name and id (SUBJECTS' order)."""
        for subject in SUBJECTS.values():
            if (found := getattr(self, subject.field)) is not None:
                return subject.type_name, found.id
        return None


Recipients = Callable[["Reads", "Facts"], Awaitable[list[ObjectId]]]
Params = Callable[["Facts"], Awaitable[Mapping[str, Param]]]


@dataclass(frozen=True)
class Rule:
    events: frozenset[EventKind]
    kind: NotificationKind
    who: str  # as the README's table says it
    recipients: Recipients
    title: str  # catalogue keys
    body: str
    params: Params
    applies: Callable[[Facts], bool] = lambda facts: True


# --- Helpers: times, people, places ---------------------------------------------------------


def local_time(at: datetime | None) -> Callable[[Locale], str]:
    def render(locale: Locale) -> str:
        if at is None:
            return translate("notification.no_time", locale)
        return at.astimezone(LOCAL_ZONE).strftime("%m-%d %H:%M")

    return render


def _status(status: object) -> Callable[[Locale], str]:
    return lambda locale: translate(f"report.status.{status}", locale)


def _quote(text: str | None) -> str:
    text = (text or "").strip()
    return text if len(text) <= QUOTE_LENGTH else text[: QUOTE_LENGTH - 1] + "…"


async def _place_name(reads: Reads, place_id: ObjectId | None) -> str:
    found = await places.by_ids(reads.db, [place_id]) if place_id else []
    return found[0].name if found else ""


async def _staff_of(reads: Reads, place_id: ObjectId | None) -> list[ObjectId]:
    return [] if place_id is None else list(await reads.staff.load(place_id))


def _report(facts: Facts) -> Report:
    assert facts.report is not None
    return facts.report


def _task(facts: Facts) -> Task:
    assert facts.task is not None
    return facts.task


def _proposal(facts: Facts) -> Proposal:
    assert facts.proposal is not None
    return facts.proposal


def _membership(facts: Facts) -> Membership:
    assert facts.membership is not None
    return facts.membership


def _survey(facts: Facts) -> Survey:
    assert facts.survey is not None
    return facts.survey


# --- Recipients -------------------------------------------------------------------------------


async def _assignee(reads: Reads, facts: Facts) -> list[ObjectId]:
    assignee = facts.data.get("assignee_id") or _report(facts).assignee_id
    return [assignee] if isinstance(assignee, ObjectId) else []


async def _reporter_and_followers(reads: Reads, facts: Facts) -> list[ObjectId]:
    """The reporter (always: it is their report, anonymous or not) and whoever follows it."""
    report = _report(facts)
    return [report.reporter_id, *await reports.followers(reads.db, report.id)]


async def _receiving_staff(reads: Reads, facts: Facts) -> list[ObjectId]:
    """The staff of the level a report was escalated to (the street's, the district's)."""
    target = facts.data.get("place_id")
    return await _staff_of(reads, target if isinstance(target, ObjectId) else None)


async def _unit_members(reads: Reads, facts: Facts) -> list[ObjectId]:
    """The members of the unit a report is dispatched to (吹哨报到)."""
    return list(_report(facts).unit_member_ids)


async def _community_staff_and_grid(reads: Reads, facts: Facts) -> list[ObjectId]:
    """The community's staff and, when the report lies in a grid, that grid's workers."""
    report = _report(facts)
    found = await _staff_of(reads, report.community_id)
    if report.grid_id is not None:
        found += await reads.grid_workers.load(report.grid_id)
    return found


async def _assignee_and_community_staff(reads: Reads, facts: Facts) -> list[ObjectId]:
    report = _report(facts)
    found = [report.assignee_id] if report.assignee_id else []
    return found + await _staff_of(reads, report.community_id)


async def _place_staff(reads: Reads, facts: Facts) -> list[ObjectId]:
    return await _staff_of(reads, _membership(facts).place_id)


async def _applicant(reads: Reads, facts: Facts) -> list[ObjectId]:
    return [_membership(facts).user_id]


async def _board_staff(reads: Reads, facts: Facts) -> list[ObjectId]:
    return await _staff_of(reads, _task(facts).community_id)


async def _assignees(reads: Reads, facts: Facts) -> list[ObjectId]:
    return list(_task(facts).assignees)


async def _creator(reads: Reads, facts: Facts) -> list[ObjectId]:
    creator = _task(facts).creator_id
    return [creator] if creator else []


def _redemption(facts: Facts) -> Redemption:
    assert facts.redemption is not None
    return facts.redemption


async def _redemption_staff(reads: Reads, facts: Facts) -> list[ObjectId]:
    return await _staff_of(reads, _redemption(facts).community_id)


async def _redeemer(reads: Reads, facts: Facts) -> list[ObjectId]:
    return [_redemption(facts).user_id]


async def _electors(reads: Reads, facts: Facts) -> list[ObjectId]:
    return await repository.electors_user_ids(reads.db, _proposal(facts).id)


async def _electors_not_voted(reads: Reads, facts: Facts) -> list[ObjectId]:
    return await repository.electors_user_ids(reads.db, _proposal(facts).id, not_voted=True)


async def _electors_and_council(reads: Reads, facts: Facts) -> list[ObjectId]:
    proposal = _proposal(facts)
    found = await councils.councils_by_ids(reads.db, [proposal.council_id])
    members = [m.user_id for m in found[0].members] if found else []
    return [*await _electors(reads, facts), *members]


async def _survey_residents(reads: Reads, facts: Facts) -> list[ObjectId]:
    """The active residents of every community the survey covers: one indexed query of ids,
    whatever the place (a district's tens of thousands included)."""
    return await memberships.resident_ids(reads.db, _survey(facts).community_ids)


async def _chair_and_staff(reads: Reads, facts: Facts) -> list[ObjectId]:
    """The council's chair and the community's staff: who accept or decline a suggestion."""
    proposal = _proposal(facts)
    found = await councils.councils_by_ids(reads.db, [proposal.council_id])
    chairs = [m.user_id for m in found[0].members if m.role.value == "CHAIR"] if found else []
    return [*chairs, *await _staff_of(reads, proposal.community_id)]


async def _proxy(reads: Reads, facts: Facts) -> list[ObjectId]:
    proxy = facts.data.get("proxy_id")
    return [proxy] if isinstance(proxy, ObjectId) else []


async def _author_and_co_signers(reads: Reads, facts: Facts) -> list[ObjectId]:
    proposal = _proposal(facts)
    return [proposal.author_id, *await councils.co_signers(reads.db, proposal.id)]


# --- Message parameters ------------------------------------------------------------------------


async def _report_params(facts: Facts) -> Mapping[str, Param]:
    report = _report(facts)
    return {
        "who": facts.actor_name,
        "title": report.title,
        "number": report.number,
        "due": local_time(report.due_at),
        "from": _status(facts.data.get("from")),
        "to": _status(facts.data.get("to")),
        "rating": facts.data.get("rating", ""),
        "reason": _quote(report.rejection_reason),
    }


def _with(extra: Callable[[Facts], Awaitable[Mapping[str, Param]]]) -> Params:
    async def params(facts: Facts) -> Mapping[str, Param]:
        return {**await _report_params(facts), **await extra(facts)}

    return params


async def _escalation(facts: Facts) -> Mapping[str, Param]:
    return {
        "place": facts.cache.get("place", ""),
        "reason": _quote(str(facts.data.get("reason") or "")),
    }


async def _dispatch(facts: Facts) -> Mapping[str, Param]:
    return {
        "unit": facts.cache.get("unit", ""),
        "place": facts.cache.get("place", ""),
        "note": _quote(str(facts.data.get("note") or "")),
        "reason": _quote(str(facts.data.get("reason") or "")),
    }


async def _duplicate(facts: Facts) -> Mapping[str, Param]:
    return {"original": str(facts.data.get("number") or "")}


async def _comment(facts: Facts) -> Mapping[str, Param]:
    return {"comment": _quote(facts.cache.get("comment", ""))}


async def _reminder(facts: Facts) -> Mapping[str, Param]:
    due = facts.data.get("due_at")
    return {"due": local_time(due if isinstance(due, datetime) else _report(facts).due_at)}


async def _membership_params(facts: Facts) -> Mapping[str, Param]:
    membership = _membership(facts)
    return {
        "who": facts.actor_name,
        "place": facts.cache.get("place", ""),
        "address": membership.address or "",
        "reason": membership.reason or "",
    }


async def _task_params(facts: Facts) -> Mapping[str, Param]:
    task = _task(facts)
    return {
        "who": facts.actor_name,
        "title": task.title,
        "points": task.point_reward,
        "reason": _quote(str(facts.data.get("note") or "")),
    }


async def _redemption_params(facts: Facts) -> Mapping[str, Param]:
    redemption = _redemption(facts)
    return {
        "who": facts.actor_name,
        "reward": redemption.reward_name,
        "cost": redemption.cost,
        "code": redemption.pickup_code,
        "reason": _quote(redemption.cancel_reason),
    }


async def _proposal_params(facts: Facts) -> Mapping[str, Param]:
    proposal = _proposal(facts)
    outcome = proposal.outcome.value if proposal.outcome else facts.data.get("outcome")
    return {
        "title": proposal.title,
        "council": facts.cache.get("council", ""),
        "closes": local_time(proposal.voting_closes_at),
        "outcome": lambda locale: translate(f"notification.outcome.{outcome}", locale),
        "voted": proposal.voted_count or 0,
        "eligible": proposal.eligible_count or 0,
        "quorum": proposal.quorum_percent,
        "quorum_reached": lambda locale: translate(
            f"notification.quorum.{bool(proposal.quorum_reached)}", locale
        ),
        "decision": lambda locale: _decision(proposal, locale),
        "early": lambda locale: (
            translate(
                "notification.close_reason", locale, {"reason": _quote(proposal.close_reason)}
            )
            if proposal.close_reason
            else ""
        ),
        "reason": _quote(proposal.close_reason),
    }


async def _survey_params(facts: Facts) -> Mapping[str, Param]:
    survey = _survey(facts)
    return {
        "title": survey.title,
        "place": facts.cache.get("place", ""),
        "closes": local_time(survey.closes_at),
    }


def _decision(proposal: Proposal, locale: Locale) -> str:
    """The decision's one sentence (the rule that decided), as the proposal shows it."""
    if proposal.outcome is None or proposal.outcome is ProposalOutcome.CANCELLED:
        return ""
    return votes.decision_reason(proposal, locale)


async def _proxy_params(facts: Facts) -> Mapping[str, Param]:
    return {"who": facts.actor_name, **await _proposal_params(facts)}


async def _suggestion_params(facts: Facts) -> Mapping[str, Param]:
    proposal = _proposal(facts)
    return {
        "title": proposal.title,
        "council": facts.cache.get("council", ""),
        "count": proposal.co_signature_count,
        "needed": proposal.co_signatures_needed or 0,
        "reason": _quote(str(facts.data.get("reason") or "")),
    }


def _threshold_reached(facts: Facts) -> bool:
    return facts.data.get("threshold_reached") is True


def _moved(facts: Facts) -> bool:
    return facts.data.get("from") != facts.data.get("to")


def _reopened(facts: Facts) -> bool:
    return facts.data.get("to") == ReportStatus.ASSIGNED.value


def _by_staff(facts: Facts) -> bool:
    """A comment by the report's staff or the worker it is assigned to (not a neighbour's)."""
    report = _report(facts)
    if facts.actor is None:
        return False
    return facts.actor.user_id == report.assignee_id or report_rules.is_staff(facts.actor, report)


def _approved(facts: Facts) -> bool:
    return _membership(facts).status is MembershipStatus.ACTIVE


def _declined(facts: Facts) -> bool:
    return not _approved(facts)


def _points(facts: Facts) -> bool:
    return _task(facts).point_reward > 0


def _no_points(facts: Facts) -> bool:
    return not _points(facts)


# --- The table ----------------------------------------------------------------------------------

K = NotificationKind
E = EventKind
_STATUS_MOVES = frozenset(REPORT_MOVES - {E.REPORT_REJECT, E.REPORT_MARK_DUPLICATE})

RULES: tuple[Rule, ...] = (
    # Reports
    Rule(frozenset({E.REPORT_ASSIGN}), K.REPORT_ASSIGNED,
         "the assignee (assignment, reassignment)", _assignee,
         "notification.report_assigned.title", "notification.report_assigned.body",
         _report_params),
    Rule(frozenset({E.REPORT_RATE}), K.REPORT_ASSIGNED,
         "the assignee, when a 1–2 rating reopens it", _assignee,
         "notification.report_reopened.title", "notification.report_reopened.body",
         _report_params, _reopened),
    Rule(frozenset({E.REPORT_ESCALATE}), K.REPORT_ESCALATED,
         "the staff of the level it is escalated to", _receiving_staff,
         "notification.report_escalated.title", "notification.report_escalated.body",
         _with(_escalation)),
    Rule(frozenset({E.REPORT_DISPATCH}), K.REPORT_DISPATCHED,
         "the members of the unit it is dispatched to (吹哨报到)", _unit_members,
         "notification.report_dispatched.title", "notification.report_dispatched.body",
         _with(_dispatch)),
    Rule(frozenset({E.REPORT_RETURN}), K.REPORT_ESCALATED,
         "the staff of the level that dispatched it, when the unit returns it (with the reason)",
         _receiving_staff,
         "notification.report_returned.title", "notification.report_returned.body",
         _with(_dispatch)),
    Rule(frozenset({E.REPORT_REJECT}), K.REPORT_REJECTED,
         "the reporter and followers, with the reason", _reporter_and_followers,
         "notification.report_rejected.title", "notification.report_rejected.body",
         _report_params),
    Rule(frozenset({E.REPORT_MARK_DUPLICATE}), K.REPORT_STATUS_CHANGED,
         "the reporter and followers, with the original it was merged into",
         _reporter_and_followers,
         "notification.report_duplicate.title", "notification.report_duplicate.body",
         _with(_duplicate)),
    Rule(_STATUS_MOVES, K.REPORT_STATUS_CHANGED,
         "the reporter and followers, on every change of status", _reporter_and_followers,
         "notification.report_status_changed.title", "notification.report_status_changed.body",
         _report_params, _moved),
    Rule(frozenset({E.REPORT_COMMENTED}), K.REPORT_COMMENTED,
         "the reporter and followers, when staff or the assignee comment", _reporter_and_followers,
         "notification.report_commented.title", "notification.report_commented.body",
         _with(_comment), _by_staff),
    Rule(frozenset({E.REPORT_SUBMITTED}), K.REPORT_SUBMITTED,
         "the community's staff (and the grid's workers when it has a grid)",
         _community_staff_and_grid,
         "notification.report_submitted.title", "notification.report_submitted.body",
         _report_params),
    Rule(frozenset({E.REPORT_DUE_SOON}), K.REPORT_DUE_SOON,
         "the assignee and the community's staff, within 4 h of `dueAt`, once",
         _assignee_and_community_staff,
         "notification.report_due_soon.title", "notification.report_due_soon.body",
         _with(_reminder)),
    Rule(frozenset({E.REPORT_OVERDUE}), K.REPORT_OVERDUE,
         "the assignee and the community's staff, once past `dueAt`",
         _assignee_and_community_staff,
         "notification.report_overdue.title", "notification.report_overdue.body",
         _with(_reminder)),
    # Memberships
    Rule(frozenset({E.MEMBERSHIP_REQUESTED}), K.MEMBERSHIP_REQUESTED,
         "the staff of the community asked to join", _place_staff,
         "notification.membership_requested.title", "notification.membership_requested.body",
         _membership_params),
    Rule(frozenset({E.MEMBERSHIP_DECIDED}), K.MEMBERSHIP_DECIDED,
         "the applicant (approved)", _applicant,
         "notification.membership_approved.title", "notification.membership_approved.body",
         _membership_params, _approved),
    Rule(frozenset({E.MEMBERSHIP_DECIDED}), K.MEMBERSHIP_DECIDED,
         "the applicant (declined, with the reason)", _applicant,
         "notification.membership_rejected.title", "notification.membership_rejected.body",
         _membership_params, _declined),
    # Tasks
    Rule(frozenset({E.TASK_SUBMITTED}), K.TASK_SUBMITTED,
         "the board's staff (the community's)", _board_staff,
         "notification.task_submitted.title", "notification.task_submitted.body",
         _task_params),
    Rule(frozenset({E.TASK_RETURNED}), K.TASK_RETURNED,
         "every assignee, with the reason", _assignees,
         "notification.task_returned.title", "notification.task_returned.body", _task_params),
    Rule(frozenset({E.TASK_APPROVED}), K.TASK_APPROVED,
         "every assignee (with the points)", _assignees,
         "notification.task_approved.title", "notification.task_approved.body_points",
         _task_params, _points),
    Rule(frozenset({E.TASK_APPROVED}), K.TASK_APPROVED,
         "every assignee (no points)", _assignees,
         "notification.task_approved.title", "notification.task_approved.body",
         _task_params, _no_points),
    Rule(frozenset({E.TASK_CLAIMED}), K.TASK_CLAIMED,
         "the task's creator", _creator,
         "notification.task_claimed.title", "notification.task_claimed.body", _task_params),
    Rule(frozenset({E.TASK_CANCELLED}), K.TASK_CANCELLED,
         "every assignee, with the reason", _assignees,
         "notification.task_cancelled.title", "notification.task_cancelled.body", _task_params),
    # The 爱心超市
    Rule(frozenset({E.REDEMPTION_REQUESTED}), K.REDEMPTION_REQUESTED,
         "the community's staff (goods to hand over)", _redemption_staff,
         "notification.redemption_requested.title", "notification.redemption_requested.body",
         _redemption_params),
    Rule(frozenset({E.REDEMPTION_CANCELLED}), K.REDEMPTION_CANCELLED,
         "the resident who redeemed (when staff cancel), with the refund", _redeemer,
         "notification.redemption_cancelled.title", "notification.redemption_cancelled.body",
         _redemption_params),
    # Votes
    Rule(frozenset({E.PROPOSAL_VOTING_OPENED}), K.VOTING_OPENED,
         "the electorate fixed at opening", _electors,
         "notification.voting_opened.title", "notification.voting_opened.body",
         _proposal_params),
    Rule(frozenset({E.PROPOSAL_CLOSING_SOON}), K.VOTING_CLOSING_SOON,
         "electors who have not voted, 24 h before the close, once", _electors_not_voted,
         "notification.voting_closing_soon.title", "notification.voting_closing_soon.body",
         _proposal_params),
    Rule(frozenset({E.PROPOSAL_PROXY_AUTHORIZED}), K.PROXY_AUTHORIZED,
         "the proxy, who may now cast the elector's vote", _proxy,
         "notification.proxy_authorized.title", "notification.proxy_authorized.body",
         _proxy_params),
    # Residents' suggestions (议题征集)
    Rule(frozenset({E.PROPOSAL_CO_SIGNED}), K.PROPOSAL_SUGGESTED,
         "the council's chair and the community's staff, once a suggestion has its "
         "co-signatures", _chair_and_staff,
         "notification.suggestion_ready.title", "notification.suggestion_ready.body",
         _suggestion_params, _threshold_reached),
    Rule(frozenset({E.PROPOSAL_SUGGESTION_ACCEPTED}), K.PROPOSAL_SUGGESTED,
         "the author and every co-signer", _author_and_co_signers,
         "notification.suggestion_accepted.title", "notification.suggestion_accepted.body",
         _suggestion_params),
    Rule(frozenset({E.PROPOSAL_SUGGESTION_DECLINED}), K.PROPOSAL_SUGGESTED,
         "the author and every co-signer, with the reason", _author_and_co_signers,
         "notification.suggestion_declined.title", "notification.suggestion_declined.body",
         _suggestion_params),
    Rule(frozenset({E.PROPOSAL_CLOSED}), K.VOTING_RESULT,
         "all electors and the council's members, with the outcome, the rule that decided "
         "and an early close's reason",
         _electors_and_council,
         "notification.voting_result.title", "notification.voting_result.body",
         _proposal_params),
    Rule(frozenset({E.PROPOSAL_VOTING_CANCELLED}), K.VOTING_RESULT,
         "all electors and the council's members, with the reason", _electors_and_council,
         "notification.voting_cancelled.title", "notification.voting_cancelled.body",
         _proposal_params),
    # Surveys
    Rule(frozenset({E.SURVEY_OPENED}), K.SURVEY_OPENED,
         "the residents of every community under the survey's place, when it opens, once",
         _survey_residents,
         "notification.survey_opened.title", "notification.survey_opened.body",
         _survey_params),
)  # fmt: skip

# The event kinds the notifier reads.
EVENT_KINDS = frozenset(kind for rule in RULES for kind in rule.events)


# --- Reading the facts and who may see them --------------------------------------------------


def may_see(actor: Actor, facts: Facts) -> bool:
    """Whether a recipient may see what the notification is about (the owners' rules)."""
    for subject in SUBJECTS.values():
        if (found := getattr(facts, subject.field)) is not None:
            return subject.may_see(actor, found)
    return False


async def _report_extras(reads: Reads, facts: Facts) -> None:
    """The place escalated or dispatched to, the unit, the comment (as the kind needs)."""
    kind = facts.kind
    if kind in (E.REPORT_ESCALATE, E.REPORT_DISPATCH, E.REPORT_RETURN):
        place = facts.data.get("place_id")
        facts.cache["place"] = await _place_name(
            reads, place if isinstance(place, ObjectId) else None
        )
    if kind in (E.REPORT_DISPATCH, E.REPORT_RETURN):
        unit_id = facts.data.get("unit_id")
        units = await reports.units_by_ids(reads.db, [unit_id]) if unit_id else []
        facts.cache["unit"] = units[0].name if units else ""
    if kind is E.REPORT_COMMENTED and isinstance(facts.data.get("comment_id"), ObjectId):
        comment = await reports.comment_by_id(reads.db, facts.data["comment_id"])
        facts.cache["comment"] = comment.body if comment else ""


async def _council_name(reads: Reads, facts: Facts) -> None:
    council = await councils.councils_by_ids(reads.db, [_proposal(facts).council_id])
    facts.cache["council"] = council[0].name if council else ""


async def _membership_place(reads: Reads, facts: Facts) -> None:
    facts.cache["place"] = await _place_name(reads, _membership(facts).place_id)


async def _survey_place(reads: Reads, facts: Facts) -> None:
    facts.cache["place"] = await _place_name(reads, _survey(facts).place_id)


async def _nothing_more(reads: Reads, facts: Facts) -> None:
    return None


def _member(actor: Actor, subject: Task | Proposal) -> bool:
    return actor.is_member(subject.place_path)


def _own_or_staff(actor: Actor, subject: Membership | Redemption) -> bool:
    return actor.user_id == subject.user_id or actor.is_staff(subject.place_path)


def _surveyed(actor: Actor, survey: Survey) -> bool:
    covered = set(survey.community_ids)
    return any(g.place_id in covered for g in actor.grants)


@dataclass(frozen=True)
class Subject:
    """What events of one subject (the kind's prefix: `report.…`) are about: how it is read
    by id, where `Facts` keeps it, what else its messages need, and who may see it."""

    type_name: str  # the GraphQL type, for Facts.subject
    field: str  # Facts' attribute
    read: Callable[[Database, list[ObjectId]], Awaitable[Sequence[Any]]]
    may_see: Callable[[Actor, Any], bool]
    extras: Callable[[Reads, Facts], Awaitable[None]] = _nothing_more


# The ONE place each subject's facts are read: by the kind's prefix.
SUBJECTS: dict[str, Subject] = {
    "report": Subject("Report", "report", reports.by_ids, report_rules.can_see, _report_extras),
    "task": Subject("Task", "task", boards.tasks_by_ids, _member),
    "proposal": Subject("Proposal", "proposal", councils.proposals_by_ids, _member, _council_name),
    "membership": Subject(
        "Membership", "membership", memberships.by_ids, _own_or_staff, _membership_place
    ),
    "survey": Subject("Survey", "survey", surveys.surveys_by_ids, _surveyed, _survey_place),
    "redemption": Subject("Redemption", "redemption", rewards.redemptions_by_ids, _own_or_staff),
}


class Reads:
    """What one notifier run reads about its events: each person's grants, each place's staff,
    each subject and each recipient's preferences once in the run, and for the events of a
    batch, evaluated together, in one query each (DataLoaders). The notifier reads as the
    system, through the owners' repositories."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self.db = deps.db
        self.actors = DataLoader(load_fn=self._actors)
        self.staff = DataLoader(load_fn=self._staff)
        self.grid_workers = DataLoader(load_fn=self._grid_workers)
        self.preferences = DataLoader(load_fn=self._preferences)
        self.subjects = {
            prefix: DataLoader(load_fn=partial(self._subjects, subject))
            for prefix, subject in SUBJECTS.items()
        }

    async def _actors(self, user_ids: Sequence[ObjectId]) -> list[Actor]:
        """Each user as an actor (their active memberships' grants)."""
        grants: dict[ObjectId, list[Any]] = {u: [] for u in user_ids}
        for membership in await memberships.of_users(self.db, user_ids):
            grant = membership.grant()
            if grant is not None:
                grants[membership.user_id].append(grant)
        return [Actor(user_id=u, grants=tuple(grants[u])) for u in user_ids]

    async def _staff(self, place_ids: Sequence[ObjectId]) -> list[tuple[ObjectId, ...]]:
        """The active staff (community workers, admins) of exactly each place."""
        found = await memberships.staff_of_places(self.db, place_ids)
        return _user_ids_by(place_ids, found, lambda membership: membership.place_id)

    async def _grid_workers(self, grid_ids: Sequence[ObjectId]) -> list[tuple[ObjectId, ...]]:
        """The active workers of each grid."""
        found = await memberships.grid_workers(self.db, grid_ids)
        return _user_ids_by(grid_ids, found, lambda membership: membership.grid_id)

    async def _preferences(self, user_ids: Sequence[ObjectId]) -> list[Preferences | None]:
        found = await repository.preferences_of(self.db, user_ids)
        return [found.get(u) for u in user_ids]

    async def _subjects(self, subject: Subject, ids: Sequence[ObjectId]) -> list[Any]:
        found = {one.id: one for one in await subject.read(self.db, list(ids))}
        return [found.get(i) for i in ids]


def _user_ids_by(
    keys: Sequence[ObjectId],
    found: Sequence[Membership],
    key: Callable[[Membership], ObjectId | None],
) -> list[tuple[ObjectId, ...]]:
    """The users of the memberships `found` under each of `keys` (by `key`), in their order:
    a tuple each, kept for the run, which no event's recipients can change."""
    of_key: dict[ObjectId | None, list[ObjectId]] = {k: [] for k in keys}
    for membership in found:
        users = of_key.get(key(membership))
        if users is not None:
            users.append(membership.user_id)
    return [tuple(of_key[k]) for k in keys]


async def read_facts(reads: Reads, event: Document) -> Facts | None:
    """What the event is about (None if it is gone)."""
    kind = EventKind(event["kind"])
    subject_id = event["subject_id"]
    actor_id = event.get("actor_id")
    user = (await accounts.users(reads.deps, [actor_id])).get(actor_id) if actor_id else None
    actor = await reads.actors.load(actor_id) if actor_id else None
    facts = Facts(
        event=event, kind=kind, data=event.get("data") or {}, actor_id=actor_id,
        actor_name=user.display_name if user else "", actor=actor,
    )  # fmt: skip
    prefix = kind.value.split(".", 1)[0]
    subject = SUBJECTS.get(prefix)
    if subject is None:
        return None
    found = await reads.subjects[prefix].load(subject_id)
    if found is None:
        return None
    setattr(facts, subject.field, found)
    await subject.extras(reads, facts)
    return facts


@dataclass(frozen=True)
class Told:
    """One person told by one rule: the kind and the rendered text's parts."""

    user_id: ObjectId
    rule: Rule
    params: Mapping[str, Param]


async def evaluate(reads: Reads, event: Document) -> tuple[Facts, list[Told]] | None:
    """The table's answer for one event: each person once (the first rule naming them),
    never the actor, only those who may see the subject."""
    if event.get("kind") not in EVENT_KINDS:
        return None
    facts = await read_facts(reads, event)
    if facts is None or facts.subject is None:
        return None
    chosen: dict[ObjectId, Told] = {}
    for rule in RULES:
        if facts.kind not in rule.events or not rule.applies(facts):
            continue
        params = await rule.params(facts)
        for user_id in await rule.recipients(reads, facts):
            if user_id != facts.actor_id and user_id not in chosen:
                chosen[user_id] = Told(user_id, rule, params)
    if not chosen:
        return None
    actors = await reads.actors.load_many(list(chosen))
    told = [t for t, actor in zip(chosen.values(), actors, strict=True) if may_see(actor, facts)]
    return facts, told


def render(key: str, params: Mapping[str, Param], locale: Locale) -> str:
    values = {k: v(locale) if callable(v) else v for k, v in params.items()}
    return translate(key, locale, values).strip()


def mutable(kind: NotificationKind) -> bool:
    return kind not in UNMUTABLE
