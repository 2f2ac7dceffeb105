"""Surveys: asking, answering, results."""

from __future__ import annotations

import strawberry

from neighbor_api.context import Info
from neighbor_api.graphql.errors import run_mutation
from neighbor_api.graphql.relay import from_global_id, input_id
from neighbor_api.surveys import service
from neighbor_api.surveys.types import (
    AnswerSurveyInput,
    AnswerSurveyPayload,
    CreateSurveyInput,
    CreateSurveyPayload,
    SurveyType,
)


def _answered(info: Info, answered: service.Answered) -> AnswerSurveyPayload:
    """The payload from what the answer read: the survey, and that the viewer answered."""
    loaders = info.context.loaders.surveys
    loaders.survey.prime(answered.survey.id, answered.survey)
    loaders.viewer_answered.prime(answered.survey.id, True)
    return AnswerSurveyPayload(survey=SurveyType.from_model(answered.survey))


@strawberry.type
class SurveyQuery:
    @strawberry.field(description="A survey, if the viewer may see it (staff of the place or "
                      "above, people under it).")  # fmt: skip
    async def survey(self, info: Info, id: strawberry.ID) -> SurveyType | None:
        object_id = from_global_id(id, "Survey")
        return await SurveyType.load(info, object_id) if object_id else None


@strawberry.type
class SurveyMutation:
    @strawberry.mutation(description="Staff of a place: survey the residents under it.")
    async def create_survey(self, info: Info, input: CreateSurveyInput) -> CreateSurveyPayload:
        return await run_mutation(
            info, CreateSurveyPayload,
            lambda actor: service.create_survey(
                info.context.deps, actor,
                place_id=input_id(input.place_id, "Place", "placeId"),
                title=input.title,
                questions=[
                    service.QuestionInput(text=q.text, kind=q.kind, options=q.options)
                    for q in input.questions
                ],
                opens_at=input.opens_at, closes_at=input.closes_at,
            ),
            lambda survey: CreateSurveyPayload(survey=SurveyType.from_model(survey)),
        )  # fmt: skip

    @strawberry.mutation(description="A resident: answer every question, once (anonymous).")
    async def answer_survey(self, info: Info, input: AnswerSurveyInput) -> AnswerSurveyPayload:
        return await run_mutation(
            info, AnswerSurveyPayload,
            lambda actor: service.answer_survey(
                info.context.deps, actor,
                survey_id=input_id(input.survey_id, "Survey", "surveyId"),
                answers=[
                    (input_id(a.question_id, "SurveyQuestion", "answers", str(i), "questionId"),
                     a.value)
                    for i, a in enumerate(input.answers)
                ],
            ),
            lambda answered: _answered(info, answered),
        )  # fmt: skip
