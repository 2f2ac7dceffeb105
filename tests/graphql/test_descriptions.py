"""What the schema tells client developers through introspection: what each error code means,
and which specification DateTime follows."""

from __future__ import annotations

from neighbor_api.core.errors import ERROR_CODE_DESCRIPTIONS, ErrorCode
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

    async def test_date_time_names_its_specification(self, api: Api) -> None:
        result = await api.execute(INTROSPECT)
        assert result.data is not None
        date_time = result.data["dateTime"]
        assert date_time["specifiedByURL"] == "https://scalars.graphql.org/andimarek/date-time"
        assert "offset" in date_time["description"]
