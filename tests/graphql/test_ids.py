"""One rule for ids a client gets wrong, checked on every operation of the schema (found by
introspection, so a new mutation or query is covered the day it is added):

- in a mutation's input, an id that is not a global id of the expected type (malformed, or
  another type's) is INVALID_INPUT on that field, "不是有效的 ID" / "Not a valid id", and changes
  nothing;
- as a query's argument, it is an id of nothing: the field is null, with no error.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from bson import ObjectId
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    get_named_type,
    is_non_null_type,
)
from starlette.datastructures import UploadFile

from neighbor_api.accounts import service as accounts
from neighbor_api.core.deps import Deps
from neighbor_api.core.i18n import Locale
from neighbor_api.graphql.relay import to_global_id
from neighbor_api.schema import NeighborSchema
from tests.conftest import Api

# The type of object each id field names, by field name. A new id field needs a line here
# (the first test says so), then every test below covers it.
ID_TYPES = {
    "communityId": "Place",
    "placeId": "Place",
    "parentId": "Place",
    "id": "Node",
    "reportId": "Report",
    "deviceId": "PushDevice",
    "sourceReportId": "Report",
    "assigneeId": "User",
    "onBehalfOfId": "User",
    "userId": "User",
    "membershipId": "Membership",
    "buildingId": "Place",
    "gridId": "Place",
    "councilId": "Council",
    "proposalId": "Proposal",
    "sourceProposalId": "Proposal",
    "optionIds": "ProposalOption",
    "boardId": "Board",
    "columnId": "BoardColumn",
    "toColumnId": "BoardColumn",
    "taskId": "Task",
    "afterTaskId": "Task",
    "photoIds": "Attachment",
    "ids": "Notification",
    "surveyId": "Survey",
    "questionId": "SurveyQuestion",
    "absentUserIds": "User",
    "attachmentIds": "Attachment",
    "ballotPhotoId": "Attachment",
    "duplicateOfId": "Report",
    "electorId": "User",
    "findingReportIds": "Report",
    "proxyAuthorizationId": "ProxyAuthorization",
    "proxyId": "User",
    "redemptionId": "Redemption",
    "rewardId": "Reward",
    "scopeBuildingIds": "Place",
    "unitId": "Unit",
}
MALFORMED = "not-an-id"


@dataclass(frozen=True)
class IdField:
    """An ID somewhere in an operation's arguments: its path (list items at index 0)."""

    operation: str
    path: tuple[str, ...]

    @property
    def name(self) -> str:
        return next(part for part in reversed(self.path) if not part.isdigit())

    def wrong_type(self) -> str:
        """A well-formed global id of a type the field does not take."""
        other = "Report" if ID_TYPES[self.name] != "Report" else "Place"
        return to_global_id(other, ObjectId())


def _ids_in(type_: GraphQLInputType, path: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    if isinstance(type_, GraphQLNonNull):
        yield from _ids_in(type_.of_type, path)
    elif isinstance(type_, GraphQLList):
        yield from _ids_in(type_.of_type, (*path, "0"))
    elif isinstance(type_, GraphQLScalarType) and type_.name == "ID":
        yield path
    elif isinstance(type_, GraphQLInputObjectType):
        for name, field in type_.fields.items():
            yield from _ids_in(field.type, (*path, name))


def id_fields(fields: dict[str, GraphQLField]) -> list[IdField]:
    return [
        IdField(operation, path)
        for operation, field in sorted(fields.items())
        for name, argument in field.args.items()
        for path in _ids_in(argument.type, (name,))
    ]


def _sample(type_: GraphQLInputType, path: tuple[str, ...], target: IdField, bad: str) -> Any:
    """A value of `type_` with every required part filled in plausibly, and `bad` at the
    target's path (other ids: well-formed ids of their own type, of nothing)."""
    if isinstance(type_, GraphQLNonNull):
        return _sample(type_.of_type, path, target, bad)
    if isinstance(type_, GraphQLList):
        return [_sample(type_.of_type, (*path, "0"), target, bad)]
    if isinstance(type_, GraphQLInputObjectType):
        return {
            name: _sample(field.type, (*path, name), target, bad)
            for name, field in type_.fields.items()
            if is_non_null_type(field.type) or _leads_to(target, (*path, name))
        }
    if isinstance(type_, GraphQLEnumType):
        return next(iter(type_.values))
    scalars: dict[str, Any] = {
        "String": "近邻",
        "Int": 1,
        "Float": 1.0,
        "Boolean": True,
        "DateTime": "2030-01-01T09:00:00+08:00",
        "Upload": UploadFile(io.BytesIO(b"household_code,phone,floor_area\n"), filename="a.csv"),
    }
    assert isinstance(type_, GraphQLScalarType)
    if type_.name == "ID":
        if path == target.path:
            return bad
        name = next(part for part in reversed(path) if not part.isdigit())
        return to_global_id(ID_TYPES[name], ObjectId())
    return scalars[type_.name]


def _leads_to(target: IdField, path: tuple[str, ...]) -> bool:
    return target.path[: len(path)] == path


def _arguments(field: GraphQLField, target: IdField, bad: str) -> tuple[str, str, dict[str, Any]]:
    """Variable definitions, arguments and values of a call of `field`."""
    used = {
        name: argument
        for name, argument in field.args.items()
        if is_non_null_type(argument.type) or _leads_to(target, (name,))
    }
    definitions = ", ".join(f"${name}: {argument.type}" for name, argument in used.items())
    arguments = ", ".join(f"{name}: ${name}" for name in used)
    values = {name: _sample(a.type, (name,), target, bad) for name, a in used.items()}
    return definitions, arguments, values


def _bad_values(target: IdField) -> list[str]:
    return [MALFORMED, target.wrong_type()]


async def _signed_in(api: Api, deps: Deps) -> str:
    """A fresh account: ids are checked before anything the account may or may not do."""
    await accounts.register(
        deps, phone="13959209999", password="id-checker-pass", display_name="查验员"
    )
    return await api.login("13959209999", "id-checker-pass")


def _mutation_fields(schema: NeighborSchema) -> dict[str, GraphQLField]:
    mutation = schema._schema.mutation_type
    assert mutation is not None
    return dict(mutation.fields)


def _query_fields(schema: NeighborSchema) -> dict[str, GraphQLField]:
    return dict(schema._schema.query_type.fields) if schema._schema.query_type else {}


class TestEveryIdFieldIsKnown:
    def test_each_id_field_says_what_it_names(self, schema: NeighborSchema) -> None:
        fields = id_fields(_mutation_fields(schema)) + id_fields(_query_fields(schema))
        unknown = sorted({f.name for f in fields} - ID_TYPES.keys())
        assert not unknown, f"add the object type of these id fields to ID_TYPES: {unknown}"
        # The walk finds what it should (a guard against an introspection that finds nothing).
        assert IdField("submitReport", ("input", "photoIds", "0")) in fields
        assert IdField("node", ("id",)) in fields


class TestMalformedIdsInMutations:
    async def test_every_mutation_refuses_them_on_the_field(
        self, api: Api, deps: Deps, schema: NeighborSchema
    ) -> None:
        token = await _signed_in(api, deps)
        events_before = await deps.db["events"].count_documents({})
        fields = _mutation_fields(schema)
        targets = id_fields(fields)
        assert len({t.operation for t in targets}) >= 20
        failures: list[str] = []
        for target in targets:
            for bad in _bad_values(target):
                definitions, arguments, values = _arguments(fields[target.operation], target, bad)
                document = (
                    f"mutation Check({definitions}) {{ {target.operation}({arguments}) "
                    "{ errors { code message field } } }"
                )
                result = await api.execute(document, values, token=token)
                got = (result.data or {}).get(target.operation, {}) or {}
                field = list(target.path)
                expected = [{"code": "INVALID_INPUT", "message": "不是有效的 ID", "field": field}]
                if result.errors or got.get("errors") != expected:
                    failures.append(f"{target} {bad!r}: {result.errors or got}")
        assert not failures, "\n".join(failures)
        assert await deps.db["events"].count_documents({}) == events_before

    @pytest.mark.parametrize(
        ("locale", "message"), [(Locale.ZH_CN, "不是有效的 ID"), (Locale.EN, "Not a valid id")]
    )
    async def test_the_message_is_in_the_requests_language(
        self, api: Api, deps: Deps, locale: Locale, message: str
    ) -> None:
        token = await _signed_in(api, deps)
        payload = await api.data(
            "JoinCommunity",
            {"input": {"communityId": MALFORMED, "address": "金安路 5 号 302"}},
            token=token,
            locale=locale,
        )
        assert payload["joinCommunity"]["errors"] == [
            {"code": "INVALID_INPUT", "message": message, "field": ["input", "communityId"]}
        ]


class TestMalformedIdsInQueries:
    async def test_every_query_answers_null(
        self, api: Api, deps: Deps, schema: NeighborSchema
    ) -> None:
        token = await _signed_in(api, deps)
        fields = _query_fields(schema)
        targets = id_fields(fields)
        assert len({t.operation for t in targets}) >= 8
        failures: list[str] = []
        for target in targets:
            field = fields[target.operation]
            assert not is_non_null_type(field.type), f"{target.operation} cannot answer null"
            selection = "" if _is_leaf(field) else " { __typename }"
            for bad in _bad_values(target):
                definitions, arguments, values = _arguments(field, target, bad)
                document = (
                    f"query Check({definitions}) {{ {target.operation}({arguments}){selection} }}"
                )
                result = await api.execute(document, values, token=token)
                if result.errors or result.data != {target.operation: None}:
                    failures.append(f"{target} {bad!r}: {result.errors or result.data}")
        assert not failures, "\n".join(failures)


def _is_leaf(field: GraphQLField) -> bool:
    return isinstance(get_named_type(field.type), GraphQLScalarType | GraphQLEnumType)
