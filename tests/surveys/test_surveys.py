"""Surveys over real HTTP with the contract's documents: asking, answering, who sees what."""

from __future__ import annotations

from datetime import timedelta

from neighbor_api.core.deps import Deps
from tests.surveys.support import (
    HULI_ADMIN,
    JINAN_RESIDENTS,
    JINAN_WORKER,
    JINSHAN_RESIDENT,
    JINSHAN_WORKER,
    Town,
    codes,
    object_id,
)


class TestAskAndAnswer:
    async def test_a_district_asks_residents_answer_staff_and_then_everyone_read(
        self, town: Town, deps: Deps
    ) -> None:
        payload = await town.create_payload(HULI_ADMIN, "湖里区")
        assert payload["errors"] == []
        survey = payload["survey"]
        assert survey["status"] == "OPEN"
        assert survey["title"] == "2026 年度湖里区群众安全感和满意度调查"
        survey_id = survey["id"]

        mine = (await town.op("MySurveys", {}, JINSHAN_RESIDENT))["viewer"]["openSurveys"]
        assert [s["id"] for s in mine] == [survey_id]
        assert mine[0]["viewerHasAnswered"] is False
        kinds = [(q["kind"], q["options"]) for q in mine[0]["questions"]]
        assert kinds == [
            ("RATING", ["1", "2", "3", "4", "5"]),
            ("YES_NO", ["YES", "NO"]),
            ("SINGLE_CHOICE", ["夜间巡逻", "防诈骗宣传", "电动自行车停放管理", "老旧小区监控"]),
        ]

        answered = await town.answer_payload(JINSHAN_RESIDENT, survey_id, ["5", "NO", "夜间巡逻"])
        assert answered == {"errors": [], "survey": {"id": survey_id, "viewerHasAnswered": True}}
        for phone, values in zip(
            JINAN_RESIDENTS,
            (["4", "NO", "防诈骗宣传"], ["2", "YES", "夜间巡逻"], ["5", "NO", "夜间巡逻"],
             ["3", "NO", "老旧小区监控"]),
            strict=True,
        ):  # fmt: skip
            assert (await town.answer_payload(phone, survey_id, values))["errors"] == []
        mine = (await town.op("MySurveys", {}, JINSHAN_RESIDENT))["viewer"]["openSurveys"]
        assert mine[0]["viewerHasAnswered"] is True

        # While open: the district's staff see the results, residents do not.
        hidden = await town.results(survey_id, JINSHAN_RESIDENT)
        assert hidden["respondents"] is None
        assert all(q["distribution"] is None for q in hidden["questions"])
        assert all(q["favourablePercent"] is None for q in hidden["questions"])
        seen = await town.results(survey_id, HULI_ADMIN)
        assert seen["respondents"] == 5
        assert seen["eligible"] == 5
        rating, yes_no, choice = seen["questions"]
        assert rating["distribution"] == [
            {"option": "1", "count": 0}, {"option": "2", "count": 1},
            {"option": "3", "count": 1}, {"option": "4", "count": 1},
            {"option": "5", "count": 2},
        ]  # fmt: skip
        assert rating["favourablePercent"] == 60.0
        assert yes_no["favourablePercent"] == 20.0
        assert choice["favourablePercent"] is None
        assert [c["count"] for c in choice["distribution"]] == [3, 1, 0, 1]
        by_place = {p["place"]["name"]: p for p in rating["byPlace"]}
        assert list(by_place) == ["金山街道", "金安社区", "金山社区"]
        assert by_place["金山街道"]["respondents"] == 5
        assert by_place["金安社区"]["respondents"] == 4
        assert by_place["金安社区"]["favourablePercent"] == 50.0
        assert by_place["金山社区"]["favourablePercent"] == 100.0

        # A community's own worker is not the district's staff: results once closed.
        assert (await town.results(survey_id, JINAN_WORKER))["respondents"] is None
        town.advance(timedelta(days=8))
        closed = await town.results(survey_id, JINSHAN_RESIDENT)
        assert closed["respondents"] == 5
        assert closed["questions"][0]["favourablePercent"] == 60.0
        assert (await town.op("MySurveys", {}, JINSHAN_RESIDENT))["viewer"]["openSurveys"] == []
        late = await town.answer_payload(
            JINAN_WORKER, survey_id, ["5", "NO", "夜间巡逻"], questions=rating and seen["questions"]
        )
        assert codes(late) == ["VOTING_NOT_OPEN"]

    async def test_a_community_survey_stays_in_its_community(self, town: Town) -> None:
        survey_id = await town.create(JINAN_WORKER, "金安社区")
        assert (await town.op("MySurveys", {}, JINSHAN_RESIDENT))["viewer"]["openSurveys"] == []
        assert await town.results(survey_id, JINSHAN_RESIDENT) is None
        assert await town.results(survey_id, JINSHAN_WORKER) is None
        questions = (await town.results(survey_id, JINAN_WORKER))["questions"]
        outsider = await town.answer_payload(
            JINSHAN_RESIDENT, survey_id, ["5", "NO", "夜间巡逻"], questions=questions
        )
        assert codes(outsider) == ["NOT_FOUND"]
        staff = await town.answer_payload(
            JINAN_WORKER, survey_id, ["5", "NO", "夜间巡逻"], questions=questions
        )
        assert codes(staff) == ["NOT_ELIGIBLE"]
        seen = await town.results(survey_id, JINAN_WORKER)
        assert seen["eligible"] == 4
        assert seen["questions"][0]["byPlace"] == []

    async def test_a_scheduled_survey_opens_later(self, town: Town) -> None:
        opens = town.deps.clock.now() + timedelta(days=1)
        payload = await town.create_payload(
            HULI_ADMIN, "金山街道", opens=opens, closes=opens + timedelta(days=3)
        )
        assert payload["errors"] == []
        assert payload["survey"]["status"] == "SCHEDULED"
        survey_id = payload["survey"]["id"]
        assert (await town.op("MySurveys", {}, JINSHAN_RESIDENT))["viewer"]["openSurveys"] == []
        questions = (await town.results(survey_id, HULI_ADMIN))["questions"]
        early = await town.answer_payload(
            JINSHAN_RESIDENT, survey_id, ["5", "NO", "夜间巡逻"], questions=questions
        )
        assert codes(early) == ["VOTING_NOT_OPEN"]
        town.advance(timedelta(days=1, minutes=1))
        ok = await town.answer_payload(JINSHAN_RESIDENT, survey_id, ["5", "NO", "夜间巡逻"])
        assert ok["errors"] == []


class TestBadInput:
    async def test_answers_outside_the_options_change_nothing(self, town: Town, deps: Deps) -> None:
        survey_id = await town.create()
        resident = JINAN_RESIDENTS[0]
        questions = await town.questions(survey_id, resident)
        tallies = await deps.db["survey_tallies"].find().to_list()
        cases = {
            ("6", "NO", "夜间巡逻"): ["input", "answers", "0", "value"],
            ("0", "NO", "夜间巡逻"): ["input", "answers", "0", "value"],
            ("5", "是", "夜间巡逻"): ["input", "answers", "1", "value"],
            ("5", "NO", "巡逻"): ["input", "answers", "2", "value"],
            ("5", "NO"): ["input", "answers"],
        }
        for values, field in cases.items():
            payload = await town.answer_payload(resident, survey_id, list(values), questions)
            assert payload["survey"] is None
            assert [(e["code"], e["field"]) for e in payload["errors"]] == [
                ("INVALID_INPUT", field)
            ], values
        payload = await town.answer_payload(
            resident, survey_id, ["6", "NO", "夜间巡逻"], questions, language="en"
        )
        assert payload["errors"][0]["message"] == "Choose one of: 1 / 2 / 3 / 4 / 5"
        payload = await town.answer_payload(resident, survey_id, ["6", "NO", "夜间巡逻"], questions)
        assert payload["errors"][0]["message"] == "请从以下选项中选择：1 / 2 / 3 / 4 / 5"
        # An answer twice to one question, and a question of another survey.
        twice = [questions[0], questions[0], questions[1], questions[2]]
        payload = await town.answer_payload(
            resident, survey_id, ["5", "5", "NO", "夜间巡逻"], twice
        )
        assert codes(payload) == ["INVALID_INPUT"]
        assert await deps.db["survey_tallies"].find().to_list() == tallies
        assert await deps.db["survey_respondents"].count_documents({}) == 0

    async def test_answering_twice_is_already_voted(self, town: Town, deps: Deps) -> None:
        survey_id = await town.create()
        resident = JINAN_RESIDENTS[1]
        assert (await town.answer_payload(resident, survey_id, ["4", "NO", "夜间巡逻"]))[
            "errors"
        ] == []
        again = await town.answer_payload(resident, survey_id, ["1", "YES", "防诈骗宣传"])
        assert codes(again) == ["ALREADY_VOTED"]
        assert again["errors"][0]["message"] == "您已填写过该问卷，每人只能填写一次"
        results = await town.results(survey_id, HULI_ADMIN)
        assert results["respondents"] == 1
        assert results["questions"][0]["distribution"][3] == {"option": "4", "count": 1}

    async def test_who_may_ask_and_what(self, town: Town, deps: Deps) -> None:
        before = await deps.db["surveys"].count_documents({})
        # Staff of a place they do not administer: the street, the other community.
        for who, place in (
            (JINAN_WORKER, "湖里区"),
            (JINAN_WORKER, "金山街道"),
            (JINSHAN_WORKER, "金安社区"),
            (JINAN_RESIDENTS[0], "金安社区"),
        ):
            payload = await town.create_payload(who, place)
            assert codes(payload) == ["FORBIDDEN"], (who, place)
            assert payload["survey"] is None
        english = await town.create_payload(JINAN_WORKER, "湖里区", language="en")
        assert english["errors"][0]["message"] == (
            "Only staff of this place (community, street, district) can start a survey"
        )
        now = town.deps.clock.now()
        bad = await town.create_payload(
            HULI_ADMIN, "湖里区", opens=now + timedelta(days=3), closes=now + timedelta(days=2)
        )
        assert [(e["code"], e["field"]) for e in bad["errors"]] == [
            ("INVALID_INPUT", ["input", "closesAt"])
        ]
        past = await town.create_payload(HULI_ADMIN, "湖里区", closes=now - timedelta(hours=1))
        assert [e["field"] for e in past["errors"]] == [["input", "closesAt"]]
        grid = await town.create_payload(JINAN_WORKER, "金安社区第一网格")
        assert [e["field"] for e in grid["errors"]] == [["input", "placeId"]]
        questions = await town.create_payload(
            HULI_ADMIN, "湖里区",
            questions=[
                {"text": "满意吗？", "kind": "RATING", "options": ["好", "坏"]},
                {"text": "选一个", "kind": "SINGLE_CHOICE", "options": ["只有一个"]},
                {"text": "  ", "kind": "YES_NO"},
            ],
        )  # fmt: skip
        assert sorted(tuple(e["field"]) for e in questions["errors"]) == [
            ("input", "questions", "0", "options"),
            ("input", "questions", "1", "options"),
            ("input", "questions", "2", "text"),
        ]
        none = await town.create_payload(HULI_ADMIN, "湖里区", questions=[])
        assert [e["field"] for e in none["errors"]] == [["input", "questions"]]
        assert await deps.db["surveys"].count_documents({}) == before
        assert await deps.db["survey_tallies"].count_documents({}) == 0
        assert object_id(town.places["湖里区"])  # ids come from the database's places
