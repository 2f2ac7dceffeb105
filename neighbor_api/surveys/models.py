"""Surveys (问卷调查, e.g. the 群众安全感率): staff of a place ask the residents under it.

How an answer stays anonymous, in storage: who answered (`survey_respondents`, one document
per survey and person, whose `_id` is the pair: no time, no answer) and what was answered
(`survey_tallies`: per community and shard, only sums per question and option; no person, no
time, no per-answer record) are kept apart, and nothing carries both. The residual link is
the same as for secret ballots (README, Surveys).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from bson import ObjectId
from pydantic import BaseModel, ConfigDict, Field

from neighbor_api.core.models import StoredModel
from neighbor_api.places.models import PlaceLevel


class SurveyQuestionKind(StrEnum):
    RATING = "RATING"
    YES_NO = "YES_NO"
    SINGLE_CHOICE = "SINGLE_CHOICE"


class SurveyStatus(StrEnum):
    SCHEDULED = "SCHEDULED"
    OPEN = "OPEN"
    CLOSED = "CLOSED"


# The values a RATING and a YES_NO question take (the server's, whatever the language).
RATING_OPTIONS = ("1", "2", "3", "4", "5")
YES_NO_OPTIONS = ("YES", "NO")


class SurveyQuestion(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    id: ObjectId = Field(default_factory=ObjectId)
    text: str
    kind: SurveyQuestionKind
    options: list[str]

    @property
    def favourable(self) -> frozenset[int] | None:
        """The option indexes that count as favourable: RATING 4–5, YES_NO yes; none for
        SINGLE_CHOICE (no favourable percent)."""
        if self.kind is SurveyQuestionKind.RATING:
            return frozenset({3, 4})
        if self.kind is SurveyQuestionKind.YES_NO:
            return frozenset({0})
        return None


class Survey(StoredModel):
    place_id: ObjectId
    place_path: list[ObjectId]
    place_level: PlaceLevel
    author_id: ObjectId
    title: str
    questions: list[SurveyQuestion]
    opens_at: datetime
    closes_at: datetime
    # Fixed at creation: the communities under the place (whose residents answer) and every
    # place between the survey's place and them (streets of a district), for roll-ups.
    community_ids: list[ObjectId]
    covered_ids: list[ObjectId]
    eligible_count: int
    # The opening has been announced (its event recorded, once).
    announced: bool = False
    created_at: datetime

    def status(self, now: datetime) -> SurveyStatus:
        if now < self.opens_at:
            return SurveyStatus.SCHEDULED
        if now < self.closes_at:
            return SurveyStatus.OPEN
        return SurveyStatus.CLOSED
