"""importOwnersRegister: the owners' register (业主名册) from a CSV upload, all or nothing, a dry
run reporting every bad row in the request's language."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.datastructures import UploadFile

from neighbor_api.app import create_app
from neighbor_api.core.deps import Deps
from neighbor_api.core.i18n import Locale
from neighbor_api.settings import Settings
from tests.conftest import Api
from tests.places.support import JINAN_RESIDENT, JINAN_WORKER, DemoPlaces, sign_in
from tests.platform.conftest import serve

IMPORT = """
mutation ImportOwnersRegister($input: ImportOwnersRegisterInput!) {
  importOwnersRegister(input: $input) {
    rows imported dryRun
    errors { code message field }
  }
}
"""

AREA = "The floor area must be a number above 0 and at most 100000.0 (m²)"
GOOD = (
    "household_code,phone,floor_area\n"
    "JA-3-601,13800000003,76.5\n"
    "JA-5-302,13800000004,90.0\n"
    "JA-8-1102,138 0000 0006,121.25\n"
)


async def run(
    api: Api,
    places: DemoPlaces,
    content: bytes,
    *,
    dry_run: bool = False,
    locale: Locale = Locale.ZH_CN,
) -> dict[str, Any]:
    result = await api.execute(
        IMPORT,
        {
            "input": {
                "communityId": places["金安社区"],
                "file": UploadFile(io.BytesIO(content), filename="owners.csv"),
                "dryRun": dry_run,
            }
        },
        token=await api.login(JINAN_WORKER),
        locale=locale,
    )
    assert result.errors is None, result.errors
    assert result.data is not None
    payload: dict[str, Any] = result.data["importOwnersRegister"]
    return payload


async def memberships(deps: Deps) -> list[dict[str, Any]]:
    return [
        {k: d.get(k) for k in ("household_code", "household_confirmed", "owned_floor_area")}
        async for d in deps.db["memberships"].find({}).sort("_id", 1)
    ]


class TestOwnersRegister:
    async def test_a_good_register_is_imported(
        self, api: Api, places: DemoPlaces, deps: Deps
    ) -> None:
        payload = await run(api, places, GOOD.encode())

        assert payload == {"rows": 3, "imported": 3, "dryRun": False, "errors": []}
        neighbour = await deps.db["memberships"].find_one({"household_code": "JA-8-1102"})
        assert neighbour is not None
        assert (neighbour["owned_floor_area"], neighbour["household_confirmed"]) == (121.25, True)
        audited = await deps.db["events"].count_documents(
            {"kind": "membership.updated", "data.source": "owners_register"}
        )
        assert audited == 3

    async def test_a_dry_run_checks_and_imports_nothing(
        self, api: Api, places: DemoPlaces, deps: Deps
    ) -> None:
        before = await memberships(deps)

        payload = await run(api, places, GOOD.encode(), dry_run=True)

        assert payload == {"rows": 3, "imported": 0, "dryRun": True, "errors": []}
        assert await memberships(deps) == before

    async def test_every_bad_row_is_reported_and_nothing_imported(
        self, api: Api, places: DemoPlaces, deps: Deps
    ) -> None:
        before = await memberships(deps)
        register = (
            "户号,手机号,面积\n"
            "JA-3-601,13800000003,76.5\n"  # good
            "JA-5-302,13800000004,-10\n"  # negative area
            "JA-5-302,13800000005,30\n"  # the same household again
            "JA-9-901,12345,80\n"  # not a phone
            "JA-9-902,13959200999,80\n"  # nobody in the community
            "JA-10-1,13800000003,60\n"  # the same phone again
            ",13800000006,abc\n"  # no household, area not a number
        )

        payload = await run(api, places, register.encode(), dry_run=True, locale=Locale.EN)

        assert payload["imported"] is None
        found = [(e["field"][2:], e["message"]) for e in payload["errors"]]
        assert found == [
            (
                ["3", "floor_area"],
                "The floor area must be a number above 0 and at most 100000.0 (m²)",
            ),
            (["4", "household_code"], "The same household as line 3"),
            (["5", "phone"], found[2][1]),
            (["6", "phone"], "No active member of the community has this phone number"),
            (["7", "phone"], "The same phone number as line 2"),
            (["8", "household_code"], found[5][1]),
            (["8", "floor_area"], found[6][1]),
        ]
        assert {e["code"] for e in payload["errors"]} == {"INVALID_INPUT"}
        assert all(e["field"][:2] == ["input", "file"] for e in payload["errors"])
        # Not a dry run: still nothing imported.
        again = await run(api, places, register.encode())
        assert len(again["errors"]) == 7
        assert await memberships(deps) == before

    @pytest.mark.parametrize(
        ("content", "code"),
        [
            pytest.param(b"\x00\xff" * 600_000, "FILE_TOO_LARGE", id="junk-over-1mb"),
            pytest.param(b"\xff\xfe\x00junk", "INVALID_INPUT", id="not-utf8"),
            pytest.param(b"name,area\nx,1\n", "INVALID_INPUT", id="no-header"),
            pytest.param(b"household_code,phone,floor_area\n", "INVALID_INPUT", id="no-rows"),
        ],
    )
    async def test_a_file_that_is_not_a_register(
        self, api: Api, places: DemoPlaces, deps: Deps, content: bytes, code: str
    ) -> None:
        before = await memberships(deps)

        payload = await run(api, places, content)

        assert [e["code"] for e in payload["errors"]] == [code]
        assert payload["errors"][0]["field"] == ["input", "file"]
        assert await memberships(deps) == before

    async def test_only_the_communitys_staff(self, api: Api, places: DemoPlaces) -> None:
        resident = await sign_in(api, JINAN_RESIDENT)
        result = await api.execute(
            IMPORT,
            {
                "input": {
                    "communityId": places["金安社区"],
                    "file": UploadFile(io.BytesIO(GOOD.encode()), filename="owners.csv"),
                }
            },
            token=resident.token,
        )
        assert result.data is not None
        errors = result.data["importOwnersRegister"]["errors"]
        assert [e["code"] for e in errors] == ["FORBIDDEN"]
        assert errors[0]["message"] == "只有社区工作人员可以导入业主名册"


@pytest.fixture
async def http(settings: Settings, deps: Deps) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        serve(create_app(settings, deps=deps)) as server,
        httpx.AsyncClient(base_url=server.url, timeout=30) as client,
    ):
        yield client


async def test_uploaded_over_http(
    http: httpx.AsyncClient, api: Api, places: DemoPlaces, deps: Deps
) -> None:
    operations = {
        "query": IMPORT,
        "variables": {"input": {"communityId": places["金安社区"], "file": None, "dryRun": False}},
    }
    response = await http.post(
        "/graphql",
        headers={
            "GraphQL-Preflight": "1",
            "Authorization": f"Bearer {await api.login(JINAN_WORKER)}",
        },
        data={
            "operations": json.dumps(operations),
            "map": json.dumps({"0": ["variables.input.file"]}),
        },
        files={"0": ("业主名册.csv", GOOD.encode(), "text/csv")},
    )

    assert response.status_code == 200, response.text
    assert response.json()["data"]["importOwnersRegister"]["imported"] == 3
