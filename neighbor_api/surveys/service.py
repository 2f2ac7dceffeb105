"""The rules of surveys: who asks whom, one anonymous answer per resident, the roll-ups.

Invariants, each enforced by the database: one answer per person (the roll's `_id` is the pair
survey and person, written in the same transaction as the answer's sums, so 100 concurrent
answers by one person leave one); no answer is stored with its person (the sums per community
and shard hold neither a person nor a time); the communities a survey covers and its
`eligible` count are fixed when it is created.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from bson import ObjectId
from pymongo.errors import DuplicateKeyError

from neighbor_api.core import events
from neighbor_api.core.deps import Deps
from neighbor_api.core.errors import DomainError, ErrorCode, invalid
from neighbor_api.core.events import EventKind
from neighbor_api.core.mongo import Document, Session, in_transaction
from neighbor_api.core.policy import Actor, Role, ensure, is_system
from neighbor_api.core.validation import Checks
from neighbor_api.memberships import service as memberships
from neighbor_api.places import service as places
from neighbor_api.places.models import Place, PlaceLevel
from neighbor_api.surveys import repository
from neighbor_api.surveys.models import (
    RATING_OPTIONS,
    YES_NO_OPTIONS,
    Survey,
    SurveyQuestion,
    SurveyQuestionKind,
    SurveyStatus,
)
from neighbor_api.surveys.repository import CommunityTally

MAX_TITLE = 100
MAX_QUESTION = 200
MAX_QUESTIONS = 30
MAX_OPTION = 100
MAX_OPTIONS = 20
ANNOUNCE_BATCH = 100
# Where a survey may be asked: a community, a street, a district or the city.
SURVEY_LEVELS = frozenset(
    {PlaceLevel.CITY, PlaceLevel.DISTRICT, PlaceLevel.STREET, PlaceLevel.COMMUNITY}
)


@dataclass(frozen=True)
class QuestionInput:
    text: str
    kind: SurveyQuestionKind
    options: Sequence[str] | None = None


# --- Who may do what ------------------------------------------------------------------------


def is_survey_staff(actor: Actor | None, survey: Survey) -> bool:
    """Staff of the survey's place (or above): they ask, and see results while it runs."""
    return actor is not None and (is_system(actor) or actor.is_staff(survey.place_path))


def can_see(actor: Actor | None, survey: Survey) -> bool:
    """Staff of the place or above, and everyone with a role under it (its residents)."""
    if actor is None:
        return False
    covered = {survey.place_id, *survey.covered_ids, *survey.community_ids}
    return is_survey_staff(actor, survey) or any(g.place_id in covered for g in actor.grants)


def results_visible(actor: Actor | None, survey: Survey, now: datetime) -> bool:
    """Results: to the place's staff while it runs, to everyone under the place once closed."""
    if is_survey_staff(actor, survey):
        return True
    return can_see(actor, survey) and survey.status(now) is SurveyStatus.CLOSED


def respondent_community(actor: Actor, survey: Survey) -> ObjectId | None:
    """The community under the survey where the viewer is an active resident (the first)."""
    covered = set(survey.community_ids)
    return next(
        (g.place_id for g in actor.grants if g.place_id in covered and Role.RESIDENT in g.roles),
        None,
    )


async def get_survey(deps: Deps, actor: Actor | None, survey_id: ObjectId) -> Survey | None:
    found = await repository.surveys_by_ids(deps.db, [survey_id])
    return found[0] if found and can_see(actor, found[0]) else None


def _fail(checks: Checks, *path: str, message: str, **params: object) -> None:
    """A problem on a nested field, e.g. ["input", "answers", "2", "value"]."""
    checks.problems.append(invalid(("input", *path), message, **params))


# --- Asking -----------------------------------------------------------------------------------


def _question(checks: Checks, index: int, question: QuestionInput) -> SurveyQuestion:
    at = ("questions", str(index))
    text = question.text.strip()
    if not text:
        _fail(checks, *at, "text", message="text.required")
    elif len(text) > MAX_QUESTION:
        _fail(checks, *at, "text", message="text.too_long", max=MAX_QUESTION)
    if question.kind is SurveyQuestionKind.SINGLE_CHOICE:
        options = [o.strip() for o in question.options or []]
        if (
            not 2 <= len(options) <= MAX_OPTIONS
            or any(not o or len(o) > MAX_OPTION for o in options)
            or len(set(options)) != len(options)
        ):
            _fail(checks, *at, "options", message="survey.options", max=MAX_OPTIONS)
    else:
        if question.options:
            _fail(checks, *at, "options", message="survey.options_not_allowed")
        options = list(
            RATING_OPTIONS if question.kind is SurveyQuestionKind.RATING else YES_NO_OPTIONS
        )
    return SurveyQuestion(text=text, kind=question.kind, options=options)


async def create_survey(
    deps: Deps,
    actor: Actor,
    *,
    place_id: ObjectId,
    title: str,
    questions: Sequence[QuestionInput],
    opens_at: datetime | None,
    closes_at: datetime,
) -> Survey:
    """Staff of a place ask the residents of every community under it. Opens at `opensAt`
    (default now); the residents are told when it opens."""
    checks = Checks()
    title = checks.text(title, "title", max_length=MAX_TITLE)
    if not 1 <= len(questions) <= MAX_QUESTIONS:
        checks.fail("questions", "survey.questions", max=MAX_QUESTIONS)
    asked = [_question(checks, i, q) for i, q in enumerate(questions)]
    now = deps.clock.now()
    opens = opens_at or now
    if opens.tzinfo is None:
        checks.fail("opensAt", "survey.naive_time")
    if closes_at.tzinfo is None:
        checks.fail("closesAt", "survey.naive_time")
    elif closes_at <= now:
        checks.fail("closesAt", "survey.closes_in_past")
    elif opens.tzinfo is not None and closes_at <= opens:
        checks.fail("closesAt", "survey.closes_before_opens")
    checks.done()
    place = await places.get_place_or_raise(deps, place_id, field=("input", "placeId"))
    if place.level not in SURVEY_LEVELS:
        raise DomainError.of(
            ErrorCode.INVALID_INPUT, "survey.place_level", field=("input", "placeId")
        )
    ensure(is_system(actor) or actor.is_staff(place.path), "survey.create_forbidden")
    covered = await places.under(deps, place, PlaceLevel.COMMUNITY)
    communities = [p.id for p in covered if p.level is PlaceLevel.COMMUNITY]
    opened = opens <= now
    survey = Survey(
        place_id=place.id,
        place_path=place.path,
        place_level=place.level,
        author_id=actor.user_id,
        title=title,
        questions=asked,
        opens_at=opens,
        closes_at=closes_at,
        community_ids=communities,
        covered_ids=[p.id for p in covered],
        eligible_count=await memberships.resident_count(deps, communities),
        announced=opened,
        created_at=now,
    )
    actor_id = None if is_system(actor) else actor.user_id

    async def write(session: Session) -> None:
        await repository.insert_survey(deps.db, survey, session=session)
        await events.record(
            deps, kind=EventKind.SURVEY_CREATED, subject_id=survey.id, actor_id=actor_id,
            place_path=survey.place_path, session=session,
        )  # fmt: skip
        if opened:
            await events.record(
                deps, kind=EventKind.SURVEY_OPENED, subject_id=survey.id, actor_id=actor_id,
                place_path=survey.place_path, session=session,
            )  # fmt: skip

    await in_transaction(deps.client, write)
    return survey


async def announce_due(deps: Deps) -> int:
    """The job: record the opening of surveys whose `opensAt` has come, once each (the mark
    and the event in one transaction: safe on several instances). How many it announced."""
    announced = 0
    for survey_id in await repository.to_announce(deps.db, deps.clock.now(), limit=ANNOUNCE_BATCH):

        async def write(session: Session, survey_id: ObjectId = survey_id) -> bool:
            survey = await repository.mark_announced(deps.db, survey_id, session=session)
            if survey is None:
                return False
            await events.record(
                deps, kind=EventKind.SURVEY_OPENED, subject_id=survey.id, actor_id=None,
                place_path=survey.place_path, session=session,
            )  # fmt: skip
            return True

        announced += await in_transaction(deps.client, write)
    return announced


# --- Answering --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answered:
    """What answer_survey read: the survey, so that the payload reads nothing again."""

    survey: Survey


def _chosen(
    survey: Survey, answers: Sequence[tuple[ObjectId, str]]
) -> list[tuple[SurveyQuestion, int]]:
    """Each question with the index of the option answered; every question exactly once."""
    checks = Checks()
    by_id = {q.id: q for q in survey.questions}
    chosen: dict[ObjectId, tuple[SurveyQuestion, int]] = {}
    for i, (question_id, value) in enumerate(answers):
        question = by_id.get(question_id)
        if question is None or question_id in chosen:
            _fail(checks, "answers", str(i), "questionId", message="survey.unknown_question")
            continue
        if value.strip() not in question.options:
            options = " / ".join(question.options)
            _fail(checks, "answers", str(i), "value", message="survey.value", options=options)
            continue
        chosen[question_id] = (question, question.options.index(value.strip()))
    if not checks.problems and len(chosen) != len(survey.questions):
        checks.fail("answers", "survey.answer_every_question", count=len(survey.questions))
    checks.done()
    return list(chosen.values())


async def answer_survey(
    deps: Deps, actor: Actor, *, survey_id: ObjectId, answers: Sequence[tuple[ObjectId, str]]
) -> Answered:
    """The viewer's one answer (final): a second is ALREADY_VOTED. Stored only as sums of the
    viewer's community; the roll says that they answered, never what."""
    found = await repository.surveys_by_ids(deps.db, [survey_id])
    if not found or not can_see(actor, found[0]):
        raise DomainError.of(ErrorCode.NOT_FOUND, "survey.not_found", field=("input", "surveyId"))
    survey = found[0]
    if survey.status(deps.clock.now()) is not SurveyStatus.OPEN:
        raise DomainError.of(ErrorCode.VOTING_NOT_OPEN, "survey.not_open")
    community = respondent_community(actor, survey)
    if community is None:
        raise DomainError.of(ErrorCode.NOT_ELIGIBLE, "survey.not_eligible")
    chosen = _chosen(survey, answers)
    increments: Document = {"respondents": 1} | {
        f"counts.{q.id}.{repository.option_key(index)}": 1 for q, index in chosen
    }
    shard = secrets.randbelow(repository.TALLY_SHARDS)

    async def write(session: Session) -> None:
        await repository.insert_respondent(deps.db, survey.id, actor.user_id, session=session)
        if not await repository.add_to_tally(
            deps.db, survey.id, community, shard, increments, session=session
        ):
            raise DomainError.of(ErrorCode.NOT_ELIGIBLE, "survey.not_eligible")

    try:
        await in_transaction(deps.client, write)
    except DuplicateKeyError:
        raise DomainError.of(ErrorCode.ALREADY_VOTED, "survey.already_answered") from None
    return Answered(survey)


async def open_surveys(deps: Deps, actor: Actor) -> list[Survey]:
    """The surveys open now that the viewer may answer (answered or not), closing soonest
    first: those asked on their communities or any place above them."""
    communities = [g.place_id for g in actor.grants if Role.RESIDENT in g.roles]
    if not communities:
        return []
    known = await places.places_by_ids(deps, communities)
    above = list(dict.fromkeys(i for p in known.values() for i in p.path))
    now = deps.clock.now()
    found = await repository.not_closed_of_places(deps.db, above, now)
    return [
        s
        for s in found
        if s.status(now) is SurveyStatus.OPEN and respondent_community(actor, s) is not None
    ]


# --- Results ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OptionCount:
    option: str
    count: int


@dataclass(frozen=True)
class PlaceResult:
    place: Place
    respondents: int
    favourable_percent: float | None


@dataclass(frozen=True)
class QuestionResult:
    distribution: list[OptionCount]
    favourable_percent: float | None
    by_place: list[PlaceResult]


@dataclass(frozen=True)
class Results:
    respondents: int
    questions: dict[ObjectId, QuestionResult]


def favourable_percent(question: SurveyQuestion, counts: Mapping[int, int]) -> float | None:
    """Favourable answers (RATING 4–5, YES_NO yes) in percent of the question's answers, to
    three decimals (99.213); None for SINGLE_CHOICE and before any answer."""
    favourable = question.favourable
    total = sum(counts.values())
    if favourable is None or total == 0:
        return None
    return round(100 * sum(counts.get(i, 0) for i in favourable) / total, 3)


def roll_up(
    survey: Survey, tallies: Sequence[CommunityTally], known: Mapping[ObjectId, Place]
) -> Results:
    """The survey's results from its communities' sums: per question the distribution and the
    favourable percent, overall and for each place under the survey's (a district's streets
    and communities), ordered along the hierarchy by name."""
    by_community = {t.community_id: t for t in tallies}
    below = [
        known[i] for i in dict.fromkeys(survey.covered_ids) if i != survey.place_id and i in known
    ]
    depth = len(survey.place_path)

    def order(place: Place) -> tuple[str, ...]:
        return tuple(known[i].name if i in known else "" for i in place.path[depth:])

    below.sort(key=order)
    members: dict[ObjectId, list[CommunityTally]] = {p.id: [] for p in below}
    for community in survey.community_ids:
        tally = by_community.get(community)
        place = known.get(community)
        if tally is None or place is None:
            continue
        for ancestor in place.path:
            if ancestor in members:
                members[ancestor].append(tally)
    questions: dict[ObjectId, QuestionResult] = {}
    for question in survey.questions:
        key = str(question.id)

        def counts_of(group: Sequence[CommunityTally], key: str = key) -> dict[int, int]:
            total: dict[int, int] = {}
            for tally in group:
                for index, n in tally.counts.get(key, {}).items():
                    total[index] = total.get(index, 0) + n
            return total

        overall = counts_of(tallies)
        questions[question.id] = QuestionResult(
            distribution=[
                OptionCount(option, overall.get(i, 0)) for i, option in enumerate(question.options)
            ],
            favourable_percent=favourable_percent(question, overall),
            by_place=[
                PlaceResult(
                    place=p,
                    respondents=sum(t.respondents for t in members[p.id]),
                    favourable_percent=favourable_percent(question, counts_of(members[p.id])),
                )
                for p in below
            ],
        )
    return Results(respondents=sum(t.respondents for t in tallies), questions=questions)


async def results(
    deps: Deps, actor: Actor | None, survey: Survey, tallies: Sequence[CommunityTally]
) -> Results | None:
    """The results if the viewer may see them now (else None)."""
    if not results_visible(actor, survey, deps.clock.now()):
        return None
    known = await places.places_by_ids(deps, [*survey.covered_ids, *survey.community_ids])
    return roll_up(survey, tallies, known)
