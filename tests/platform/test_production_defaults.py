"""Production defaults over real HTTP: no introspection, no GraphiQL, no "Did you mean", no
submitted values echoed in variable errors (in any environment), a weak secret key refused."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr, ValidationError

from neighbor_api import cli
from neighbor_api.app import create_app
from neighbor_api.core.deps import Deps
from neighbor_api.settings import Environment, Settings
from tests.conftest import make_settings
from tests.platform.conftest import serve

STRONG_KEY = "prod-7fK2mQ9xVb4Lr8Tz1Wc6Ny3Hs5Jd0Pg"
SECRET = "hunter2-correct-horse"
LOGIN = "mutation L($input: LoginInput!) { login(input: $input) { accessToken } }"

# One mistake of each kind graphql-core would offer a suggestion for.
MISTAKES = {
    "field": "{ viewr { id } }",
    "argument": "{ communities(frist: 1) { totalCount } }",
    "type": "query Q($id: Id!) { node(id: $id) { id } }",
    "enum value": 'query { memberships(communityId: "x", status: PENDNG) { totalCount } }',
    "input field": 'mutation { login(input: {phone: "1", pasword: "x"}) { accessToken } }',
}


def production(**overrides: Any) -> Settings:
    return make_settings(
        environment=Environment.PRODUCTION, secret_key=SecretStr(STRONG_KEY), **overrides
    )


@dataclasses.dataclass
class Server:
    http: httpx.AsyncClient

    async def post(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"query": query}
        if variables is not None:
            body["variables"] = variables
        response = await self.http.post("/graphql", json=body)
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer


async def running(deps: Deps, settings: Settings) -> AsyncIterator[Server]:
    app_deps = dataclasses.replace(deps, settings=settings)
    async with (
        serve(create_app(settings, deps=app_deps)) as server,
        httpx.AsyncClient(base_url=server.url, timeout=30) as http,
    ):
        yield Server(http)


@pytest.fixture
async def prod(deps: Deps) -> AsyncIterator[Server]:
    async for server in running(deps, production()):
        yield server


def messages(answer: dict[str, Any]) -> list[str]:
    return [error["message"] for error in answer.get("errors", [])]


class TestIntrospectionAndGraphiQL:
    async def test_introspection_is_refused(self, prod: Server) -> None:
        for query in ("{ __schema { types { name } } }", '{ __type(name: "Query") { name } }'):
            answer = await prod.post(query)
            assert answer["data"] is None
            assert answer["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
            assert "introspection" in answer["errors"][0]["message"]

    async def test_typename_still_works(self, prod: Server) -> None:
        assert await prod.post("{ __typename }") == {"data": {"__typename": "Query"}}

    async def test_graphiql_is_not_served(self, prod: Server) -> None:
        page = await prod.http.get("/graphql", headers={"Accept": "text/html"})
        assets = await prod.http.get("/graphiql/static/manifest.json")

        assert "text/html" not in page.headers["content-type"]
        assert "GraphiQL" not in page.text
        assert assets.status_code == 404

    async def test_both_can_be_turned_on(self, deps: Deps) -> None:
        async for server in running(deps, production(graphiql=True, introspection=True)):
            page = await server.http.get("/graphql", headers={"Accept": "text/html"})
            schema = await server.post("{ __schema { queryType { name } } }")

        assert "text/html" in page.headers["content-type"]
        assert schema == {"data": {"__schema": {"queryType": {"name": "Query"}}}}

    async def test_development_keeps_them(self, live_server: Any, http: httpx.AsyncClient) -> None:
        # The test settings (environment "test") behave like development here.
        page = await http.get("/graphql", headers={"Accept": "text/html"})
        schema = await http.post("/graphql", json={"query": '{ __type(name: "Query") { name } }'})

        assert "text/html" in page.headers["content-type"]
        assert schema.json() == {"data": {"__type": {"name": "Query"}}}


class TestNoSuggestions:
    @pytest.mark.parametrize("kind", list(MISTAKES))
    async def test_no_did_you_mean_in_production(self, prod: Server, kind: str) -> None:
        answer = await prod.post(MISTAKES[kind])

        assert answer["errors"], answer
        assert not any("Did you mean" in m for m in messages(answer)), messages(answer)

    async def test_no_did_you_mean_in_variables(self, prod: Server) -> None:
        answer = await prod.post(
            LOGIN, {"input": {"phone": "13800000004", "pasword": "x", "password": "y"}}
        )

        assert answer["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert "pasword" in answer["errors"][0]["message"]
        assert "Did you mean" not in answer["errors"][0]["message"]

    async def test_development_suggests(self, deps: Deps) -> None:
        settings = make_settings(environment=Environment.DEVELOPMENT)
        async for server in running(deps, settings):
            answers = [await server.post(MISTAKES[kind]) for kind in ("field", "argument")]

        assert all("Did you mean" in messages(a)[0] for a in answers), answers


class TestVariableValuesNeverEchoed:
    @pytest.mark.parametrize(
        "variables",
        [
            {"input": {"phone": "13800000004", "password": SECRET, "extra": SECRET}},
            {"input": {"phone": SECRET, "password": ["not", SECRET]}},
            {"input": {"phone": "13800000004", "password": {"value": SECRET}}},
            {"input": SECRET},
            {"input": {"password": SECRET}},
        ],
        ids=["unknown-field", "list-for-string", "object-for-string", "not-an-object", "missing"],
    )
    @pytest.mark.parametrize("environment", ["production", "test"])
    async def test_the_value_is_not_in_the_error(
        self, deps: Deps, variables: dict[str, Any], environment: str
    ) -> None:
        settings = production() if environment == "production" else make_settings()
        async for server in running(deps, settings):
            answer = await server.post(LOGIN, variables)

        assert answer["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", answer
        assert answer["errors"][0]["message"].startswith("Variable '$input'"), answer
        assert SECRET not in str(answer)


class TestSecretKey:
    @pytest.mark.parametrize(
        "key",
        ["", "a", "x" * 64, "abcabcabcabcabcabcabcabcabcabcabcabc", "changeme-" + STRONG_KEY],
        ids=["unset", "short", "one-character", "repeated", "placeholder"],
    )
    def test_a_weak_key_is_refused_in_production(self, key: str) -> None:
        with pytest.raises(ValidationError, match="NEIGHBOR_SECRET_KEY"):
            Settings(environment=Environment.PRODUCTION, secret_key=SecretStr(key))

    def test_a_random_key_is_accepted(self) -> None:
        settings = Settings(environment=Environment.PRODUCTION, secret_key=SecretStr(STRONG_KEY))

        assert settings.secret_key.get_secret_value() == STRONG_KEY

    def test_serve_refuses_to_start_with_a_clear_message(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        monkeypatch.setenv("NEIGHBOR_ENVIRONMENT", "production")
        monkeypatch.setenv("NEIGHBOR_SECRET_KEY", "a")

        with pytest.raises(SystemExit) as exit_:
            cli.main(["serve"])

        assert exit_.value.code == 1
        error = capsys.readouterr().err
        assert "refusing to start" in error
        assert "NEIGHBOR_SECRET_KEY is 1 bytes long" in error
        assert "Traceback" not in error
