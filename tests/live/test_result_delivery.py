"""What each socket pays for a subscription result (graphql/view.py, graphql/execution.py):
a result shared by many sockets is encoded once, and an errorless result skips the
extensions' per-result hooks; a result with errors still runs them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult

from neighbor_api.graphql import view
from neighbor_api.graphql.execution import StreamRunner


def _next(operation_id: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {"id": operation_id, "type": "next", "payload": payload}


def test_a_shared_result_is_encoded_once_and_each_socket_gets_its_own_id(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    encoded: list[object] = []
    encode = view.encode_json

    def counted(data: object) -> str:
        encoded.append(data)
        return encode(data)

    monkeypatch.setattr(view, "encode_json", counted)
    data = {"boardEvents": {"kind": "MOVED", "task": {"title": "清理筼筜湖边的落叶"}}}
    texts = [view.encode_message(_next(str(n), {"data": data})) for n in range(10)]

    assert [json.loads(text) for text in texts] == [
        _next(str(n), {"data": data}) for n in range(10)
    ]
    assert sum(1 for item in encoded if item is data) == 1  # the data, once for ten sockets
    assert "清理筼筜湖边的落叶" in texts[0]  # UTF-8 text, not \\u escapes


def test_an_equal_but_distinct_result_and_other_messages_are_encoded_whole() -> None:
    first = {"boardEvents": {"kind": "MOVED"}}
    second = {"boardEvents": {"kind": "UPDATED"}}
    assert json.loads(view.encode_message(_next("1", {"data": first}))) == _next(
        "1", {"data": first}
    )
    assert json.loads(view.encode_message(_next("1", {"data": second}))) == _next(
        "1", {"data": second}
    )
    with_errors = _next("2", {"data": None, "errors": [{"message": "找不到该看板"}]})
    assert json.loads(view.encode_message(with_errors)) == with_errors
    assert json.loads(view.encode_message({"type": "ping"})) == {"type": "ping"}


class Recording(SchemaExtension):
    def __init__(self) -> None:
        self.seen: list[object] = []

    def on_stream_result(self, result: Any) -> Iterator[None]:
        self.seen.append(result)
        yield


async def test_an_errorless_result_skips_the_hooks_and_one_with_errors_runs_them() -> None:
    recording = Recording()
    runner = StreamRunner(execution_context=None, extensions=[recording])  # type: ignore[arg-type]
    quiet = ExecutionResult(data={"boardEvents": None}, errors=None)
    failed = ExecutionResult(data=None, errors=[GraphQLError("subscriber too slow")])

    async with runner.on_stream_result(quiet):
        pass
    async with runner.on_stream_result(failed):
        pass

    assert recording.seen == [failed]


class Giving(SchemaExtension):
    async def get_results(self) -> dict[str, Any]:
        return {"tracing": {"ms": 3}}


async def test_results_are_asked_only_of_the_extensions_that_give_some() -> None:
    asked: list[str] = []

    class Plain(SchemaExtension):
        pass

    plain = Plain()
    plain.get_results = lambda: asked.append("plain") or {}  # type: ignore[method-assign]
    runner = StreamRunner(execution_context=None, extensions=[plain, Giving()])  # type: ignore[arg-type]

    context = SimpleNamespace(extensions_results={"cost": 12})
    results = await runner.get_extensions_results(context)  # type: ignore[arg-type]

    assert results == {"tracing": {"ms": 3}, "cost": 12}
    assert asked == []  # its class does not override get_results: never awaited
