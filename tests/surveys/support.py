"""Helpers of the surveys tests: the demo street's people asking and answering surveys over
real HTTP with the contract's documents (schema/operations/votes.graphql), and more residents
set up through the services.

Global ids come from results; `object_id` parses one only to look at stored documents.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from bson import ObjectId
from pymongo import monitoring

from neighbor_api.accounts import service as accounts
from neighbor_api.core.deps import Deps
from neighbor_api.core.policy import Actor, Role
from neighbor_api.graphql.relay import from_global_id, to_global_id
from neighbor_api.memberships import service as memberships
from tests.conftest import DEMO_PASSWORD, OPERATIONS, CommandCounter
from tests.reports.street import load_demo_street

# The demo's people (neighbor_api/fixtures/demo.json).
JINAN_WORKER = "13800000001"  # 林美华, community worker of 金安社区
JINAN_RESIDENTS = ("13800000003", "13800000004", "13800000005", "13800000006")
JINSHAN_WORKER = "13800000010"  # 郑晓燕, community worker of 金山社区
JINSHAN_RESIDENT = "13800000011"  # 吴建华
HULI_ADMIN = "13800000099"  # 蔡文彬, admin of 湖里区

SAFETY_SURVEY: dict[str, Any] = {
    "title": "2026 年度湖里区群众安全感和满意度调查",
    "questions": [
        {"text": "您对所在社区的治安状况是否满意？", "kind": "RATING"},
        {"text": "过去一年您或家人是否遭受过盗窃、诈骗等侵害？", "kind": "YES_NO"},
        {
            "text": "您最希望加强哪项工作？",
            "kind": "SINGLE_CHOICE",
            "options": ["夜间巡逻", "防诈骗宣传", "电动自行车停放管理", "老旧小区监控"],
        },
    ],
}


def object_id(global_id: str) -> ObjectId:
    found = from_global_id(global_id, None)
    assert found is not None, global_id
    return found


@contextmanager
def commands_sent(deps: Deps, counter: CommandCounter) -> Iterator[list[str]]:
    """The commands sent to the test's database while the block runs. The live server's
    change streams (the session watcher, the hub) poll with getMore in the background: not
    counted. Not for concurrent blocks (each wraps the listener)."""
    sent: list[str] = []
    counting = counter.started

    def started(event: monitoring.CommandStartedEvent) -> None:
        if event.database_name == deps.db.name and event.command_name != "getMore":
            sent.append(event.command_name)
        counting(event)

    counter.started = started  # type: ignore[method-assign]
    try:
        yield sent
    finally:
        counter.started = counting  # type: ignore[method-assign]


def codes(payload: dict[str, Any]) -> list[str]:
    return [e["code"] for e in payload["errors"]]


@dataclass(frozen=True)
class Resident:
    token: str
    user_id: ObjectId
    community: str


class Town:
    """The demo street over HTTP: sign-ins, surveys, answers."""

    def __init__(self, http: httpx.AsyncClient, deps: Deps) -> None:
        self.http = http
        self.deps = deps
        self._tokens: dict[str, str] = {}
        self.places: dict[str, str] = {}  # name -> global id

    @classmethod
    async def open(cls, http: httpx.AsyncClient, deps: Deps) -> Town:
        await load_demo_street(deps)
        town = cls(http, deps)
        async for place in deps.db["places"].find({}, projection={"name": 1}):
            town.places[place["name"]] = to_global_id("Place", place["_id"])
        return town

    def advance(self, delta: timedelta) -> None:
        """Move the clock on; everyone signs in again (tokens live 15 minutes)."""
        self.deps.clock.advance(delta)  # type: ignore[attr-defined]
        self._tokens.clear()

    async def post(
        self, document: str, name: str, variables: dict[str, Any], *, token: str | None,
        language: str = "zh-CN",
    ) -> dict[str, Any]:  # fmt: skip
        headers = {"Accept-Language": language}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        response = await self.http.post(
            "/graphql",
            json={"query": document, "operationName": name, "variables": variables},
            headers=headers,
        )
        body: dict[str, Any] = response.json()
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data

    async def token(self, phone: str) -> str:
        if phone not in self._tokens:
            data = await self.post(
                OPERATIONS["Login"], "Login",
                {"input": {"phone": phone, "password": DEMO_PASSWORD}}, token=None,
            )  # fmt: skip
            assert data["login"]["errors"] == [], data
            self._tokens[phone] = data["login"]["accessToken"]
        return self._tokens[phone]

    async def as_token(self, who: str | Resident) -> str:
        return who.token if isinstance(who, Resident) else await self.token(who)

    async def op(
        self, name: str, variables: dict[str, Any], who: str | Resident | None,
        language: str = "zh-CN",
    ) -> dict[str, Any]:  # fmt: skip
        """A contract operation over HTTP (its budget of round trips is test_budgets')."""
        token = await self.as_token(who) if who is not None else None
        return await self.post(OPERATIONS[name], name, variables, token=token, language=language)

    # --- Operations ----------------------------------------------------------------------------

    async def create_payload(
        self, who: str, place: str, *, closes: datetime | None = None,
        opens: datetime | None = None, language: str = "zh-CN", **fields: Any,
    ) -> dict[str, Any]:  # fmt: skip
        now = self.deps.clock.now()
        values: dict[str, Any] = {
            "placeId": self.places[place],
            **SAFETY_SURVEY,
            "closesAt": (closes or now + timedelta(days=7)).isoformat(),
            **fields,
        }
        if opens is not None:
            values["opensAt"] = opens.isoformat()
        data = await self.op("CreateSurvey", {"input": values}, who, language)
        payload: dict[str, Any] = data["createSurvey"]
        return payload

    async def create(self, who: str = HULI_ADMIN, place: str = "湖里区", **fields: Any) -> str:
        payload = await self.create_payload(who, place, **fields)
        assert payload["errors"] == [], payload
        survey_id: str = payload["survey"]["id"]
        return survey_id

    async def questions(self, survey_id: str, who: str | Resident) -> list[dict[str, Any]]:
        data = await self.op("MySurveys", {}, who)
        found = [s for s in data["viewer"]["openSurveys"] if s["id"] == survey_id]
        assert found, data
        questions: list[dict[str, Any]] = found[0]["questions"]
        return questions

    async def answer_payload(
        self, who: str | Resident, survey_id: str, values: list[str],
        questions: list[dict[str, Any]] | None = None, language: str = "zh-CN",
    ) -> dict[str, Any]:  # fmt: skip
        questions = questions or await self.questions(survey_id, who)
        answers = [
            {"questionId": q["id"], "value": v} for q, v in zip(questions, values, strict=False)
        ]
        data = await self.op(
            "AnswerSurvey", {"input": {"surveyId": survey_id, "answers": answers}}, who, language
        )
        payload: dict[str, Any] = data["answerSurvey"]
        return payload

    async def results(self, survey_id: str, who: str | Resident) -> Any:
        data = await self.op("SurveyResults", {"id": survey_id}, who)
        return data["survey"]

    # --- More people, through the services ----------------------------------------------------

    async def residents(self, count: int, community: str, *, start: int = 0) -> list[Resident]:
        """`count` new residents of `community`, registered, joining and approved by its
        worker through the services."""
        worker_doc = await self.deps.db["memberships"].find_one(
            {"place_id": object_id(self.places[community]), "roles": "COMMUNITY_WORKER"}
        )
        assert worker_doc is not None
        worker = await memberships.actor_for(self.deps, worker_doc["user_id"])
        community_id = object_id(self.places[community])
        prefix = "JA" if community == "金安社区" else "JSQ"

        async def one(index: int) -> Resident:
            number = start + index
            signed_in = await accounts.register(
                self.deps,
                phone=f"1395921{number:04d}",
                password="huli-neighbour-2026",
                display_name=f"{community}居民{number:03d}",
            )
            request = await memberships.join_community(
                self.deps,
                Actor(user_id=signed_in.user.id),
                community_id=community_id,
                address=f"金湖路{community}{number % 20 + 1} 栋 {number + 101} 室",
                household_code=f"{prefix}-{number % 20 + 1}-{number + 101}",
            )
            await memberships.decide_membership(
                self.deps, worker, membership_id=request.id, approve=True, roles=[Role.RESIDENT]
            )
            return Resident(signed_in.access_token, signed_in.user.id, community)

        made: list[Resident] = []
        for batch in range(0, count, 25):
            made += await asyncio.gather(*(one(i) for i in range(batch, min(batch + 25, count))))
        return made
