"""Cursor pagination: cursors come back from clients, so a forged one is INVALID_INPUT and never
reaches a query; `first` defaults to 20 and is capped at 100."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from graphql import ExecutionResult

from neighbor_api.core.deps import Deps
from neighbor_api.graphql.relay import to_global_id
from neighbor_api.places.models import PlaceLevel
from tests.conftest import Api
from tests.graphql.conftest import add_communities, cursor_of, place_named

BY_NAME = """query($first: Int, $after: String) {
  communities(first: $first, after: $after) {
    edges { cursor node { name } }
    pageInfo { hasNextPage endCursor }
  }
}"""
NEAR = {"lat": 24.5029, "lng": 118.1771}
OID = {"$oid": "0123456789abcdef01234567"}

# Cursors a client could forge for the communities ordered by name (key: [name, _id]).
FORGED_KEYSET = {
    "operator": cursor_of([{"$ne": None}, {"$ne": None}]),
    "operator_object": cursor_of({"$ne": None}),
    "operator_beside_an_id": cursor_of([{"$gt": ""}, OID]),
    "regex": cursor_of([{"$regex": ".*"}, OID]),
    "where": cursor_of([{"$where": "sleep(1000)"}, OID]),
    "min_key": cursor_of([{"$minKey": 1}, OID]),
    "nested_list": cursor_of([["金安社区"], OID]),
    "too_few_values": cursor_of(["金安社区"]),
    "too_many_values": cursor_of(["金安社区", OID, 3]),
    "not_json": base64.urlsafe_b64encode(b'["unterminated').decode(),
    "not_utf8": base64.urlsafe_b64encode(b"\xff\xfe\xfd").decode(),
    "not_base64": "!!! not a cursor !!!",
}
# Cursors forged for the communities ordered by distance (key: [position]).
FORGED_OFFSET = {
    "operator": cursor_of([{"$ne": None}]),
    "negative": cursor_of([-1]),
    "boolean": cursor_of([True]),
    "text": cursor_of(["3"]),
    "fraction": cursor_of([1.5]),
    "not_base64": "%%%",
}
SMUGGLED = ("$ne", "$regex", "$where", "Regex", "MinKey")


def assert_invalid_input(result: ExecutionResult, path: list[str]) -> None:
    assert result.errors is not None
    (error,) = result.errors
    assert error.extensions == {"code": "INVALID_INPUT"}
    assert error.path == path


class TestForgedCursors:
    @pytest.mark.parametrize("cursor", FORGED_KEYSET.values(), ids=FORGED_KEYSET.keys())
    async def test_keyset_cursor_is_invalid_input_and_queries_nothing(
        self, api: Api, sent_commands: list[dict[str, Any]], cursor: str
    ) -> None:
        result = await api.execute(BY_NAME, {"first": 5, "after": cursor})

        assert_invalid_input(result, ["communities"])
        assert result.data is None
        assert sent_commands == []

    @pytest.mark.parametrize("cursor", FORGED_OFFSET.values(), ids=FORGED_OFFSET.keys())
    async def test_distance_cursor_is_invalid_input_and_queries_nothing(
        self, api: Api, sent_commands: list[dict[str, Any]], cursor: str
    ) -> None:
        result = await api.execute(
            "query($near: GeoPointInput!, $after: String) {"
            " communities(near: $near, first: 1, after: $after) { edges { node { name } } } }",
            {"near": NEAR, "after": cursor},
        )

        assert_invalid_input(result, ["communities"])
        assert sent_commands == []

    @pytest.mark.parametrize(
        "cursor",
        [FORGED_KEYSET["operator"], FORGED_KEYSET["regex"], FORGED_KEYSET["not_base64"]],
        ids=["operator", "regex", "not_base64"],
    )
    async def test_membership_queue_cursor_is_invalid_input(
        self, api: Api, demo: Deps, sent_commands: list[dict[str, Any]], cursor: str
    ) -> None:
        token = await api.login("13800000001")
        community = await place_named(demo, PlaceLevel.COMMUNITY, "金安社区")
        sent_commands.clear()

        result = await api.op(
            "PendingMemberships",
            {"communityId": to_global_id("Place", community.id), "after": cursor},
            token=token,
        )

        assert_invalid_input(result, ["memberships"])
        assert result.data == {"memberships": None}
        assert not any(word in repr(sent_commands) for word in SMUGGLED)


class TestGenuineCursors:
    async def test_by_name_continues_after_the_cursor(self, api: Api, demo: Deps) -> None:
        first = await api.execute(BY_NAME, {"first": 1})
        assert first.errors is None
        page = (first.data or {})["communities"]
        assert page["pageInfo"]["hasNextPage"] is True

        second = await api.execute(BY_NAME, {"first": 1, "after": page["pageInfo"]["endCursor"]})

        assert second.errors is None
        assert [e["node"]["name"] for e in page["edges"]] == ["金安社区"]
        assert [e["node"]["name"] for e in (second.data or {})["communities"]["edges"]] == [
            "金山社区"
        ]
        assert (second.data or {})["communities"]["pageInfo"]["hasNextPage"] is False

    async def test_by_distance_continues_after_the_cursor(self, api: Api, demo: Deps) -> None:
        document = (
            "query($near: GeoPointInput!, $after: String) { communities(near: $near, first: 1,"
            " after: $after) { edges { cursor node { name } } } }"
        )
        nearest = await api.execute(document, {"near": NEAR})
        cursor = (nearest.data or {})["communities"]["edges"][0]["cursor"]

        second = await api.execute(document, {"near": NEAR, "after": cursor})

        assert second.errors is None
        assert [e["node"]["name"] for e in (second.data or {})["communities"]["edges"]] == [
            "金安社区"
        ]


class TestPageSize:
    @pytest.fixture
    async def many(self, demo: Deps) -> Deps:
        street = await place_named(demo, PlaceLevel.STREET, "金山街道")
        await add_communities(demo, street.id, 100)
        return demo

    @pytest.mark.usefixtures("many")
    async def test_first_defaults_to_twenty(self, api: Api) -> None:
        result = await api.execute(BY_NAME)

        assert result.errors is None
        assert len((result.data or {})["communities"]["edges"]) == 20

    @pytest.mark.usefixtures("many")
    async def test_first_is_capped_at_a_hundred(self, api: Api) -> None:
        result = await api.execute(BY_NAME, {"first": 1000})

        assert result.errors is None
        page = (result.data or {})["communities"]
        assert len(page["edges"]) == 100
        assert page["pageInfo"]["hasNextPage"] is True

    async def test_negative_first_is_invalid_input(self, api: Api) -> None:
        result = await api.execute(BY_NAME, {"first": -1})

        assert_invalid_input(result, ["communities"])
