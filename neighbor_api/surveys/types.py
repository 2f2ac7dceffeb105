"""GraphQL types of surveys."""

from __future__ import annotations

from datetime import datetime

import strawberry
from bson import ObjectId
from strawberry import relay

from neighbor_api.context import Info
from neighbor_api.graphql.enums import graphql_enum
from neighbor_api.graphql.errors import Payload
from neighbor_api.graphql.relay import node_type, to_global_id
from neighbor_api.places.types import PlaceType
from neighbor_api.surveys import service
from neighbor_api.surveys.models import Survey, SurveyQuestion, SurveyQuestionKind, SurveyStatus

graphql_enum(
    SurveyQuestionKind,
    "What a survey question asks for.",
    {
        SurveyQuestionKind.RATING: 'A rating "1" to "5"; favourable = 4 or 5.',
        SurveyQuestionKind.YES_NO: '"YES" or "NO"; favourable = yes.',
        SurveyQuestionKind.SINGLE_CHOICE: "One of the question's options (no favourable percent).",
    },
)
graphql_enum(
    SurveyStatus,
    "Where a survey is in time.",
    {
        SurveyStatus.SCHEDULED: "Before `opensAt`.",
        SurveyStatus.OPEN: "Residents answer until `closesAt`.",
        SurveyStatus.CLOSED: "Closed: results for everyone under the place.",
    },
)


@strawberry.type(name="SurveyOptionCount", description="How many chose one option.")
class SurveyOptionCountType:
    option: str = strawberry.field(description="The option, as in `options`.")
    count: int = strawberry.field(description="How many respondents chose it.")


@strawberry.type(
    name="SurveyPlaceResult", description="A question's result in one place under the survey's."
)
class SurveyPlaceResultType:
    respondents: int = strawberry.field(description="Respondents living in that place.")
    favourable_percent: float | None = strawberry.field(
        description="Their favourable answers, % (null for SINGLE_CHOICE or no respondents)."
    )
    model: strawberry.Private[service.PlaceResult]

    @strawberry.field(description="The place (a street or community).")
    def place(self) -> PlaceType:
        return PlaceType.from_model(self.model.place)


@strawberry.type(name="SurveyQuestion", description="One question of a survey.")
class SurveyQuestionType:
    id: strawberry.ID = strawberry.field(description="Send in answerSurvey's questionId.")
    text: str = strawberry.field(description="The question.")
    kind: SurveyQuestionKind = strawberry.field(description="RATING, YES_NO or SINGLE_CHOICE.")
    options: list[str] = strawberry.field(
        description='The values an answer takes: "1"–"5", "YES"/"NO", or the choices.'
    )
    result: strawberry.Private[service.QuestionResult | None]

    @classmethod
    def of(
        cls, question: SurveyQuestion, result: service.QuestionResult | None
    ) -> SurveyQuestionType:
        return cls(
            id=strawberry.ID(to_global_id("SurveyQuestion", question.id)),
            text=question.text,
            kind=question.kind,
            options=list(question.options),
            result=result,
        )

    @strawberry.field(
        description="RATING: 4–5, YES_NO: yes, in % of answers (3 decimals); null for "
        "SINGLE_CHOICE, before any answer, or while results are hidden from the viewer."
    )
    def favourable_percent(self) -> float | None:
        return self.result.favourable_percent if self.result else None

    @strawberry.field(description="How many chose each option (null while hidden).")
    def distribution(self) -> list[SurveyOptionCountType] | None:
        if self.result is None:
            return None
        return [
            SurveyOptionCountType(option=c.option, count=c.count) for c in self.result.distribution
        ]

    @strawberry.field(
        description="The same for each place under the survey's (a district's streets and "
        "communities), along the hierarchy; null while hidden."
    )
    def by_place(self) -> list[SurveyPlaceResultType] | None:
        if self.result is None:
            return None
        return [
            SurveyPlaceResultType(
                respondents=p.respondents, favourable_percent=p.favourable_percent, model=p
            )
            for p in self.result.by_place
        ]


@node_type
@strawberry.type(name="Survey", description="A survey of the residents under a place (问卷).")
class SurveyType(relay.Node):
    id: relay.NodeID[str]
    title: str = strawberry.field(description="e.g. 2026 年度群众安全感满意度调查.")
    opens_at: datetime = strawberry.field(description="When answering opens.")
    closes_at: datetime = strawberry.field(description="When answering closes.")
    eligible: int = strawberry.field(
        description="Active residents under the place when the survey was created."
    )
    model: strawberry.Private[Survey]

    @classmethod
    def from_model(cls, survey: Survey) -> SurveyType:
        return cls(
            id=str(survey.id),
            title=survey.title,
            opens_at=survey.opens_at,
            closes_at=survey.closes_at,
            eligible=survey.eligible_count,
            model=survey,
        )

    @classmethod
    async def load(cls, info: Info, object_id: ObjectId) -> SurveyType | None:
        survey = await info.context.loaders.surveys.survey.load(object_id)
        if survey is None or not service.can_see(await info.context.actor(), survey):
            return None
        return cls.from_model(survey)

    async def _results(self, info: Info) -> service.Results | None:
        actor = await info.context.actor()
        if not service.results_visible(actor, self.model, info.context.deps.clock.now()):
            return None
        tallies = await info.context.loaders.surveys.tallies.load(self.model.id)
        return await service.results(info.context.deps, actor, self.model, tallies)

    @strawberry.field(description="SCHEDULED, OPEN or CLOSED (by the clock).")
    def status(self, info: Info) -> SurveyStatus:
        return self.model.status(info.context.deps.clock.now())

    @strawberry.field(description="The place asked (a community, street or district).")
    async def place(self, info: Info) -> PlaceType | None:
        return await PlaceType.load(info, self.model.place_id)

    @strawberry.field(
        description="How many have answered: for the place's staff while open, for everyone "
        "under the place once closed (else null)."
    )
    async def respondents(self, info: Info) -> int | None:
        results = await self._results(info)
        return results.respondents if results else None

    @strawberry.field(description="The questions, in order, with their results when visible.")
    async def questions(self, info: Info) -> list[SurveyQuestionType]:
        results = await self._results(info)
        return [
            SurveyQuestionType.of(q, results.questions.get(q.id) if results else None)
            for q in self.model.questions
        ]

    @strawberry.field(description="Whether the viewer has answered (anonymous: never how).")
    async def viewer_has_answered(self, info: Info) -> bool:
        return await info.context.loaders.surveys.viewer_answered.load(self.model.id)


@strawberry.input(description="One question of a new survey.")
class SurveyQuestionInput:
    text: str
    kind: SurveyQuestionKind
    options: list[str] | None = strawberry.field(
        default=None, description="SINGLE_CHOICE: 2–20 choices. Not for RATING and YES_NO."
    )


@strawberry.input(description="Staff of a place: survey the residents under it.")
class CreateSurveyInput:
    place_id: strawberry.ID = strawberry.field(description="A community, street or district.")
    title: str
    questions: list[SurveyQuestionInput]
    opens_at: datetime | None = strawberry.field(default=None, description="Default: now.")
    closes_at: datetime = strawberry.field(description="After opensAt, in the future.")


@strawberry.input(description="One answer.")
class SurveyAnswerInput:
    question_id: strawberry.ID
    value: str = strawberry.field(description='One of the question\'s `options` ("1"–"5", "YES"…).')


@strawberry.input(description="Answer a survey: every question, once (final, anonymous).")
class AnswerSurveyInput:
    survey_id: strawberry.ID
    answers: list[SurveyAnswerInput]


@strawberry.type(description="The result of createSurvey.")
class CreateSurveyPayload(Payload):
    survey: SurveyType | None = strawberry.field(default=None, description="The new survey.")


@strawberry.type(description="The result of answerSurvey.")
class AnswerSurveyPayload(Payload):
    survey: SurveyType | None = strawberry.field(default=None, description="The survey now.")
