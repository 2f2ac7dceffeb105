"""The roll-up against a plain Python computation, and who is told when a survey opens."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from datetime import timedelta
from typing import Any

from neighbor_api.core.deps import Deps
from neighbor_api.notifications import service as notifications
from neighbor_api.surveys import service as surveys
from tests.conftest import CommandCounter
from tests.surveys.support import (
    HULI_ADMIN,
    JINAN_RESIDENTS,
    JINSHAN_RESIDENT,
    Town,
    commands_sent,
    object_id,
)

FAVOURABLE = {"RATING": {"4", "5"}, "YES_NO": {"YES"}}


def percent(values: list[str], kind: str) -> float | None:
    """Favourable answers in percent, three decimals, computed the plain way."""
    if kind not in FAVOURABLE or not values:
        return None
    return round(100 * sum(v in FAVOURABLE[kind] for v in values) / len(values), 3)


class TestRollUp:
    async def test_the_district_sees_each_street_and_community(self, town: Town) -> None:
        jinan = await town.residents(24, "金安社区")
        jinshan = await town.residents(16, "金山社区", start=100)
        survey_id = await town.create(HULI_ADMIN, "湖里区")
        questions = await town.questions(survey_id, jinan[0])
        rng = random.Random(99213)
        # Most answer, favourably more often than not; five do not answer at all.
        people = [*jinan, *jinshan]
        answering = people[:-5]
        chosen: dict[Any, list[str]] = {}
        for person in answering:
            chosen[person] = [
                rng.choices(q["options"], weights=range(1, len(q["options"]) + 1))[0]
                if q["kind"] == "RATING"
                else rng.choice(q["options"])
                for q in questions
            ]
        payloads = await asyncio.gather(
            *(town.answer_payload(p, survey_id, v, questions) for p, v in chosen.items())
        )
        assert all(p["errors"] == [] for p in payloads)
        results = await town.results(survey_id, HULI_ADMIN)

        assert results["eligible"] == 5 + 40  # the demo's residents and the new ones
        assert results["respondents"] == len(answering)
        groups = {
            "金山街道": list(chosen.values()),
            "金安社区": [v for p, v in chosen.items() if p.community == "金安社区"],
            "金山社区": [v for p, v in chosen.items() if p.community == "金山社区"],
        }
        for index, question in enumerate(results["questions"]):
            kind = question["kind"]
            everyone = [v[index] for v in chosen.values()]
            counts = Counter(everyone)
            assert question["distribution"] == [
                {"option": o, "count": counts[o]} for o in questions[index]["options"]
            ]
            assert question["favourablePercent"] == percent(everyone, kind)
            assert [p["place"]["name"] for p in question["byPlace"]] == list(groups)
            for place in question["byPlace"]:
                answers = [v[index] for v in groups[place["place"]["name"]]]
                assert place["respondents"] == len(answers)
                assert place["favourablePercent"] == percent(answers, kind)


class TestToldWhenItOpens:
    async def test_every_resident_under_the_place_is_told_once(
        self, town: Town, deps: Deps
    ) -> None:
        opens = deps.clock.now() + timedelta(days=1)
        payload = await town.create_payload(
            HULI_ADMIN, "湖里区", opens=opens, closes=opens + timedelta(days=7)
        )
        survey_id = object_id(payload["survey"]["id"])
        assert await surveys.announce_due(deps) == 0
        assert await deps.db["events"].count_documents({"kind": "survey.opened"}) == 0
        town.advance(timedelta(days=1))
        assert await surveys.announce_due(deps) == 1
        assert await surveys.announce_due(deps) == 0  # once, on any number of instances
        await notifications.notify(deps)
        told = await deps.db["notifications"].find({"kind": "SURVEY_OPENED"}).to_list()
        residents = set()
        for phone in (*JINAN_RESIDENTS, JINSHAN_RESIDENT):
            user = await deps.db["users"].find_one({"phone": f"+86{phone}"})
            assert user is not None
            residents.add(user["_id"])
        assert {n["user_id"] for n in told} == residents
        assert len(told) == len(residents)
        assert {n["subject_id"] for n in told} == {survey_id}
        assert told[0]["title"] == "湖里区邀请您填写问卷"
        assert told[0]["body"].startswith("「2026 年度湖里区群众安全感和满意度调查」已开始")
        await notifications.notify(deps)
        assert await deps.db["notifications"].count_documents({"kind": "SURVEY_OPENED"}) == len(
            residents
        )


class TestFanOut:
    async def test_telling_a_district_costs_the_same_for_more_residents(
        self, town: Town, deps: Deps, command_counter: CommandCounter
    ) -> None:
        await notifications.notify(deps)  # the demo street's own events
        await town.create(HULI_ADMIN, "湖里区")
        with commands_sent(deps, command_counter) as few:
            await notifications.notify(deps)
        told_few = await deps.db["notifications"].count_documents({"kind": "SURVEY_OPENED"})
        await town.residents(30, "金安社区")
        await notifications.notify(deps)  # their memberships' events
        await town.create(HULI_ADMIN, "湖里区")
        with commands_sent(deps, command_counter) as many:
            await notifications.notify(deps)
        told = await deps.db["notifications"].count_documents({"kind": "SURVEY_OPENED"})
        assert (told_few, told - told_few) == (5, 35)
        assert len(many) == len(few)
