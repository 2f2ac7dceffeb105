"""What the schema tells client developers through introspection: what each enum value (each
error code among them) means, and which specification DateTime follows."""

from __future__ import annotations

from graphql import GraphQLEnumType

from neighbor_api.core.errors import ERROR_CODE_DESCRIPTIONS, ErrorCode
from neighbor_api.schema import NeighborSchema
from tests.conftest import Api

INTROSPECT = """
query Describe {
  errorCode: __type(name: "ErrorCode") { description enumValues { name description } }
  dateTime: __type(name: "DateTime") { description specifiedByURL }
}
"""


class TestIntrospection:
    async def test_every_error_code_says_what_it_means(self, api: Api) -> None:
        result = await api.execute(INTROSPECT)
        assert result.errors is None, result.errors
        assert result.data is not None
        values = {v["name"]: v["description"] for v in result.data["errorCode"]["enumValues"]}
        assert set(values) == {code.value for code in ErrorCode}
        assert all(description and description.strip() for description in values.values())
        assert values == {code.value: text for code, text in ERROR_CODE_DESCRIPTIONS.items()}

    def test_every_enum_and_enum_value_is_described(self, schema: NeighborSchema) -> None:
        enums = [
            t
            for name, t in schema._schema.type_map.items()
            if isinstance(t, GraphQLEnumType) and not name.startswith("__")
        ]
        assert len(enums) >= 20
        undescribed = [
            f"{enum.name}.{name}"
            for enum in enums
            for name, value in enum.values.items()
            if not (value.description or "").strip()
        ]
        assert all(enum.description for enum in enums)
        assert not undescribed, undescribed

    async def test_date_time_names_its_specification(self, api: Api) -> None:
        result = await api.execute(INTROSPECT)
        assert result.data is not None
        date_time = result.data["dateTime"]
        assert date_time["specifiedByURL"] == "https://scalars.graphql.org/andimarek/date-time"
        assert "offset" in date_time["description"]
