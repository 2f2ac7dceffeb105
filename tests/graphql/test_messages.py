"""The message catalogue, and refusals that say who may act.

Every FORBIDDEN names the rule it breaks ("只有社区工作人员可以受理诉求"), in the request's
language; the catalogue's generic "您没有权限执行此操作" is a fallback no service uses.
"""

from __future__ import annotations

import ast
import string
from pathlib import Path
from typing import Any

import pytest
from bson import ObjectId

import neighbor_api
from neighbor_api.boards.service import FLOWS
from neighbor_api.core.deps import Deps
from neighbor_api.core.i18n import MESSAGES, Locale, translate
from neighbor_api.graphql.relay import to_global_id
from neighbor_api.reports.service import MOVES
from tests.conftest import Api

PACKAGE = Path(neighbor_api.__file__).parent
GENERIC = {translate("FORBIDDEN", locale) for locale in Locale}


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


class TestCatalogue:
    @pytest.mark.parametrize("key", sorted(MESSAGES))
    def test_every_message_is_in_both_languages(self, key: str) -> None:
        entry = MESSAGES[key]
        assert set(entry) == set(Locale), key
        assert all(text.strip() for text in entry.values()), key
        # The same placeholders, so a message never fails to format in one language.
        assert _placeholders(entry[Locale.ZH_CN]) == _placeholders(entry[Locale.EN]), key


def _forbidden_messages() -> list[tuple[str, ast.expr | None]]:
    """Every place the package refuses with FORBIDDEN, and the message it gives (None: none):
    `DomainError.of(ErrorCode.FORBIDDEN, message)` and `ensure(allowed, message)`."""
    found: list[tuple[str, ast.expr | None]] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            where = f"{path.relative_to(PACKAGE)}:{node.lineno}"
            function = ast.unparse(node.func)
            first = ast.unparse(node.args[0]) if node.args else ""
            if function == "ensure" or (
                function == "DomainError.of" and first == "ErrorCode.FORBIDDEN"
            ):
                given = [*node.args[1:2], *(k.value for k in node.keywords if k.arg == "message")]
                found.append((where, given[0] if given else None))
    return found


class TestEveryRefusalSaysWhoMay:
    def test_the_services_never_use_the_generic_message(self) -> None:
        refusals = _forbidden_messages()
        assert len(refusals) >= 15
        for where, message in refusals:
            assert message is not None, f"{where}: FORBIDDEN without its message"
            if isinstance(message, ast.Constant):
                assert message.value in MESSAGES, where
                assert message.value != "FORBIDDEN", where

    def test_each_move_and_flow_has_its_own_message(self) -> None:
        refusals = [move.refusal for move in MOVES.values()]
        refusals += [flow.refusal for flow in FLOWS.values()]
        assert len(set(refusals)) == len(refusals)
        for key in refusals:
            assert key in MESSAGES
            assert translate(key, Locale.ZH_CN) not in GENERIC


async def _id_of(deps: Deps, collection: str, type_name: str, **query: Any) -> str:
    found = await deps.db[collection].find_one(query)
    assert found is not None, (collection, query)
    object_id: ObjectId = found["_id"]
    return to_global_id(type_name, object_id)


async def _refusal(
    api: Api, operation: str, values: dict[str, Any], phone: str, locale: Locale
) -> list[dict[str, Any]]:
    data = await api.data(operation, {"input": values}, token=await api.login(phone), locale=locale)
    payload: dict[str, Any] = data[operation[0].lower() + operation[1:]]
    errors: list[dict[str, Any]] = payload["errors"]
    return errors


RESIDENT = "13800000004"  # 王丽娟, a resident of 金安社区, in no council


class TestRepresentativeRefusals:
    @pytest.mark.parametrize(
        ("locale", "message"),
        [
            (Locale.ZH_CN, "只有社区工作人员可以受理诉求"),
            (Locale.EN, "Only community staff can accept a report"),
        ],
    )
    async def test_a_resident_accepting_a_report(
        self, api: Api, demo: Deps, locale: Locale, message: str
    ) -> None:
        report = await demo.db["reports"].find_one(
            {"status": "SUBMITTED", "visibility": "COMMUNITY"}
        )
        assert report is not None
        report_id = to_global_id("Report", report["_id"])
        errors = await _refusal(
            api, "AcceptReport", {"reportId": report_id, "priority": "NORMAL"}, RESIDENT, locale
        )
        assert errors == [{"code": "FORBIDDEN", "message": message, "field": None}]
        assert await demo.db["reports"].find_one({"_id": report["_id"]}) == report

    @pytest.mark.parametrize(
        ("locale", "message"),
        [
            (Locale.ZH_CN, "只有议事组织成员或社区工作人员可以发布任务"),
            (Locale.EN, "Only council members or community staff can create a task"),
        ],
    )
    async def test_a_resident_creating_a_task(
        self, api: Api, demo: Deps, locale: Locale, message: str
    ) -> None:
        board_id = await _id_of(demo, "boards", "Board", name="金安社区微治理任务看板")
        before = await demo.db["tasks"].count_documents({})
        errors = await _refusal(
            api, "CreateTask", {"boardId": board_id, "title": "修剪绿化带"}, RESIDENT, locale
        )
        assert errors == [{"code": "FORBIDDEN", "message": message, "field": None}]
        assert await demo.db["tasks"].count_documents({}) == before

    @pytest.mark.parametrize(
        ("locale", "message"),
        [
            (Locale.ZH_CN, "只有议事组织的主席或社区工作人员可以开始表决"),
            (Locale.EN, "Only the chair or community staff can open voting"),
        ],
    )
    async def test_a_resident_opening_voting(
        self, api: Api, demo: Deps, locale: Locale, message: str
    ) -> None:
        proposal_id = await _id_of(
            demo, "proposals", "Proposal", title="金安社区小广场改造为口袋公园"
        )
        errors = await _refusal(api, "OpenVoting", {"proposalId": proposal_id}, RESIDENT, locale)
        assert errors == [{"code": "FORBIDDEN", "message": message, "field": None}]
        proposal = await demo.db["proposals"].find_one({"title": "金安社区小广场改造为口袋公园"})
        assert proposal is not None
        assert proposal["status"] != "VOTING"
