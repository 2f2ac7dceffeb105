"""Raw storage holds no link from an answer to its person; one answer per person under 100
concurrent requests."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from neighbor_api.core.deps import Deps
from tests.surveys.support import (
    HULI_ADMIN,
    JINAN_RESIDENTS,
    JINSHAN_RESIDENT,
    Town,
    codes,
    object_id,
)


def _values(document: Any) -> list[Any]:
    """Every leaf value and every key of a stored document, recursively."""
    if isinstance(document, dict):
        return [*document.keys(), *(v for value in document.values() for v in _values(value))]
    if isinstance(document, list):
        return [v for value in document for v in _values(value)]
    return [document]


class TestAnonymousInStorage:
    async def test_no_answer_names_its_person(self, town: Town, deps: Deps) -> None:
        survey_id = await town.create()
        people = [*JINAN_RESIDENTS, JINSHAN_RESIDENT]
        answers = [["5", "NO", "夜间巡逻"], ["1", "YES", "防诈骗宣传"], ["3", "NO", "夜间巡逻"],
                   ["4", "YES", "老旧小区监控"], ["2", "NO", "电动自行车停放管理"]]  # fmt: skip
        for phone, values in zip(people, answers, strict=True):
            assert (await town.answer_payload(phone, survey_id, values))["errors"] == []
        users = {u["_id"] async for u in deps.db["users"].find({}, projection={"_id": 1})}
        memberships = {m["_id"] async for m in deps.db["memberships"].find({}, {"_id": 1})}
        names = {u["display_name"] async for u in deps.db["users"].find({}, {"display_name": 1})}

        # What was answered: sums per community and shard, nothing about anyone.
        tallies = await deps.db["survey_tallies"].find().to_list()
        assert tallies
        assert sum(t["respondents"] for t in tallies) == 5
        for tally in tallies:
            assert set(tally) == {"_id", "survey_id", "community_id", "respondents", "counts"}
            leaves = _values(tally)
            assert not users & set(leaves), tally
            assert not memberships & set(leaves), tally
            assert not names & {str(v) for v in leaves}, tally
            assert not any(isinstance(v, datetime) for v in leaves), tally
            assert isinstance(tally["_id"], str)  # no ObjectId: no time of creation either

        # Who answered: the pair, no answer, no time (not even in the id).
        roll = await deps.db["survey_respondents"].find().to_list()
        assert len(roll) == 5
        for entry in roll:
            assert set(entry) == {"_id", "survey_id", "user_id"}
            assert isinstance(entry["_id"], str)
            assert not any(isinstance(v, datetime) for v in _values(entry))

        # The event log says the survey was created and opened; nothing per answer.
        kinds = [e["kind"] async for e in deps.db["events"].find({"kind": {"$regex": "^survey"}})]
        assert sorted(kinds) == ["survey.created", "survey.opened"]
        # Nothing else that names the survey names a respondent.
        respondents = {entry["user_id"] for entry in roll}
        survey = object_id(survey_id)
        for collection in await deps.db.list_collection_names():
            if collection == "survey_respondents":
                continue
            async for document in deps.db[collection].find():
                leaves = set(_values(document))
                if survey in leaves:
                    assert not respondents & leaves, (collection, document)


class TestConcurrentAnswers:
    async def test_hundred_answers_by_one_person_count_once(self, town: Town, deps: Deps) -> None:
        survey_id = await town.create()
        resident = JINAN_RESIDENTS[2]
        questions = await town.questions(survey_id, resident)
        payloads = await asyncio.gather(
            *(
                town.answer_payload(
                    resident, survey_id, [str(i % 5 + 1), "YES", "夜间巡逻"], questions
                )
                for i in range(100)
            )
        )
        outcomes = sorted(tuple(codes(p)) for p in payloads)
        assert outcomes.count(()) == 1
        assert outcomes.count(("ALREADY_VOTED",)) == 99
        assert await deps.db["survey_respondents"].count_documents({}) == 1
        results = await town.results(survey_id, HULI_ADMIN)
        assert results["respondents"] == 1
        assert sum(c["count"] for c in results["questions"][0]["distribution"]) == 1
        assert results["questions"][1]["distribution"] == [
            {"option": "YES", "count": 1}, {"option": "NO", "count": 0}
        ]  # fmt: skip

    async def test_many_people_at_once_give_an_exact_tally(self, town: Town) -> None:
        residents = await town.residents(60, "金安社区")
        survey_id = await town.create(HULI_ADMIN, "金山街道")
        questions = await town.questions(survey_id, residents[0])
        payloads = await asyncio.gather(
            *(
                town.answer_payload(r, survey_id, ["4", "NO", "防诈骗宣传"], questions)
                for r in residents
            )
        )
        assert all(p["errors"] == [] for p in payloads)
        results = await town.results(survey_id, HULI_ADMIN)
        assert results["respondents"] == 60
        assert results["questions"][0]["distribution"][3] == {"option": "4", "count": 60}
