"""`roll_up` over a generated district (3 streets, 9 communities) against plain Python."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from bson import ObjectId

from neighbor_api.places.models import Place, PlaceLevel
from neighbor_api.surveys.models import Survey, SurveyQuestion, SurveyQuestionKind
from neighbor_api.surveys.repository import CommunityTally
from neighbor_api.surveys.service import roll_up

STREETS = {
    "江头街道": ["江头社区", "枋湖社区", "岭下社区"],
    "殿前街道": ["殿前社区", "高殿社区", "寨上社区"],
    "禾山街道": ["禾山社区", "后坑社区", "县后社区"],
}


def _place(name: str, level: PlaceLevel, parent: Place | None) -> Place:
    place_id = ObjectId()
    return Place(
        _id=place_id, name=name, level=level, parent_id=parent.id if parent else None,
        path=[*(parent.path if parent else []), place_id],
    )  # fmt: skip


def test_a_district_of_three_streets() -> None:
    city = _place("厦门市", PlaceLevel.CITY, None)
    district = _place("湖里区", PlaceLevel.DISTRICT, city)
    places = {p.id: p for p in (city, district)}
    street_of: dict[ObjectId, Place] = {}
    communities: list[Place] = []
    for street_name, names in STREETS.items():
        street = _place(street_name, PlaceLevel.STREET, district)
        places[street.id] = street
        for name in names:
            community = _place(name, PlaceLevel.COMMUNITY, street)
            places[community.id] = community
            street_of[community.id] = street
            communities.append(community)
    questions = [
        SurveyQuestion(text="治安满意度", kind=SurveyQuestionKind.RATING, options=list("12345")),
        SurveyQuestion(text="是否安心", kind=SurveyQuestionKind.YES_NO, options=["YES", "NO"]),
        SurveyQuestion(
            text="最关心", kind=SurveyQuestionKind.SINGLE_CHOICE, options=["巡逻", "反诈", "停车"]
        ),
    ]
    now = datetime(2026, 12, 1, tzinfo=UTC)
    survey = Survey(
        place_id=district.id, place_path=district.path, place_level=PlaceLevel.DISTRICT,
        author_id=ObjectId(), title="群众安全感调查", questions=questions, opens_at=now,
        closes_at=now + timedelta(days=7), community_ids=[c.id for c in communities],
        covered_ids=[district.id, *(s.id for s in street_of.values()),
                     *(c.id for c in communities)],
        eligible_count=10_000, created_at=now,
    )  # fmt: skip
    rng = random.Random(99213)
    # Generated answers: (community, [option index per question]); one community answers nothing.
    answers = [
        (c.id, [rng.choice([4, 4, 4, 3, 2]), rng.choice([0, 0, 0, 1]), rng.randrange(3)])
        for c in communities[:-1]
        for _ in range(rng.randrange(1, 40))
    ]
    tallies = []
    for community in communities[:-1]:
        mine = [a for c, a in answers if c == community.id]
        counts: dict[str, dict[int, int]] = {}
        for answer in mine:
            for question, index in zip(questions, answer, strict=True):
                into = counts.setdefault(str(question.id), {})
                into[index] = into.get(index, 0) + 1
        tallies.append(CommunityTally(community.id, len(mine), counts))

    results = roll_up(survey, tallies, places)

    def favourable(group: list[list[int]], q: int) -> float | None:
        wanted = {0: {3, 4}, 1: {0}}.get(q)
        if wanted is None or not group:
            return None
        return round(100 * sum(a[q] in wanted for a in group) / len(group), 3)

    assert results.respondents == len(answers)
    expected_order = []
    for street_name in sorted(STREETS):
        expected_order.append(street_name)
        expected_order += sorted(STREETS[street_name])
    for q, question in enumerate(questions):
        result = results.questions[question.id]
        everyone = [a for _, a in answers]
        assert [c.count for c in result.distribution] == [
            sum(a[q] == i for a in everyone) for i in range(len(question.options))
        ]
        assert result.favourable_percent == favourable(everyone, q)
        assert [p.place.name for p in result.by_place] == expected_order
        for line in result.by_place:
            group = [
                a for c, a in answers
                if c == line.place.id or street_of[c].id == line.place.id
            ]  # fmt: skip
            assert line.respondents == len(group)
            assert line.favourable_percent == favourable(group, q)
