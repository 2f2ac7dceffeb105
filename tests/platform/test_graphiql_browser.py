"""GraphiQL in a real headless Chromium (Debian's `chromium`), with every request that does not
go to the server refused: the page renders, runs a query, and runs a subscription whose
connection_init carries the headers pane's Authorization."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from playwright.async_api import (
    Browser,
    Page,
    Route,
    WebSocket,
    WebSocketRoute,
)
from playwright.async_api import TimeoutError as PlaywrightTimeout

from tests.conftest import DEMO_PASSWORD, OPERATIONS
from tests.platform.conftest import LiveServer

WORKER = "13800000001"  # 林美华, community worker of 金安社区
WAIT_MS = 15_000
QUERY_EDITOR = ".graphiql-query-editor .CodeMirror"
TOOL_EDITOR = ".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror"
RESULT = ".result-window .CodeMirror"


class Offline:
    """A page that may reach the server and nothing else; what it tried, and its errors."""

    def __init__(self, page: Page, server: LiveServer) -> None:
        self.page = page
        self.server = server
        self.refused: list[str] = []
        self.errors: list[str] = []
        self.sent: list[dict[str, Any]] = []  # graphql-transport-ws messages sent
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("websocket", self._watch)

    async def start(self) -> None:
        await self.page.route("**/*", self._http)
        await self.page.route_web_socket(self._foreign, self._ws)

    def _foreign(self, url: str) -> bool:
        return not url.startswith(self.server.ws_url)

    async def _http(self, route: Route) -> None:
        if route.request.url.startswith(self.server.url + "/"):
            await route.continue_()
        else:
            self.refused.append(route.request.url)
            await route.abort()

    async def _ws(self, route: WebSocketRoute) -> None:
        self.refused.append(route.url)
        await route.close()

    def _watch(self, ws: WebSocket) -> None:
        def sent(payload: str | bytes) -> None:
            self.sent.append(json.loads(payload))

        ws.on("framesent", sent)

    async def open(self) -> None:
        await self.page.goto(self.server.graphql_url)
        await self.page.wait_for_selector(QUERY_EDITOR, timeout=WAIT_MS)

    async def set_editor(self, selector: str, text: str) -> None:
        await self.page.eval_on_selector(selector, "(e, text) => e.CodeMirror.setValue(text)", text)

    async def editor(self, selector: str) -> str:
        value: str = await self.page.eval_on_selector(selector, "e => e.CodeMirror.getValue()")
        return value

    async def run(self, query: str) -> None:
        await self.set_editor(QUERY_EDITOR, query)
        # GraphiQL parses the editor a moment after a change, and picks HTTP or the WebSocket
        # by the parsed operation: run once it has parsed this one.
        await self.page.wait_for_function(
            "([selector, text]) =>"
            " document.querySelector(selector).CodeMirror.documentAST?.loc?.source.body === text",
            arg=[QUERY_EDITOR, query],
            timeout=WAIT_MS,
        )
        await self.page.click(".graphiql-execute-button")

    async def result_containing(self, text: str, timeout_ms: int = WAIT_MS) -> str:
        await self.page.wait_for_function(
            "([selector, text]) =>"
            " document.querySelector(selector)?.CodeMirror.getValue().includes(text)",
            arg=[RESULT, text],
            timeout=timeout_ms,
        )
        return await self.editor(RESULT)


@pytest.fixture
async def offline(browser: Browser, live_server: LiveServer) -> AsyncIterator[Offline]:
    context = await browser.new_context(locale="zh-CN")
    page = Offline(await context.new_page(), live_server)
    await page.start()
    yield page
    await context.close()
    assert page.errors == []


async def graphql(
    http: httpx.AsyncClient, operation: str, variables: dict[str, Any], token: str | None = None
) -> dict[str, Any]:
    """A contract operation over HTTP; its data."""
    response = await http.post(
        "/graphql",
        json={"query": OPERATIONS[operation], "operationName": operation, "variables": variables},
        headers={"Authorization": f"Bearer {token}"} if token else {},
    )
    body = response.json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


async def test_renders_and_runs_a_query_with_no_network_but_the_server(
    offline: Offline,
) -> None:
    await offline.open()
    welcome = await offline.editor(QUERY_EDITOR)

    await offline.run("{ __typename }")
    result = await offline.result_containing('"Query"')

    assert "近邻 API 的 GraphiQL" in welcome  # the page's own default query, in its language
    assert json.loads(result) == {"data": {"__typename": "Query"}}
    assert offline.refused == []


@pytest.mark.usefixtures("demo")
async def test_a_subscription_carries_the_headers_pane_authorization(
    offline: Offline, live_server: LiveServer
) -> None:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=10) as http:
        login = await graphql(
            http, "Login", {"input": {"phone": WORKER, "password": DEMO_PASSWORD}}
        )
        token = login["login"]["accessToken"]
        viewer = await graphql(http, "Viewer", {}, token)
        community_id = viewer["viewer"]["memberships"][0]["community"]["id"]
        boards = await graphql(http, "CommunityBoards", {"communityId": community_id}, token)
        board_id = boards["community"]["boards"][0]["id"]

        await offline.open()
        await offline.page.click('.graphiql-editor-tools button[data-name="headers"]')
        await offline.set_editor(TOOL_EDITOR, json.dumps({"Authorization": f"Bearer {token}"}))
        await offline.run(
            f'subscription {{ boardEvents(boardId: "{board_id}") {{ kind task {{ title }} }} }}'
        )
        # The subscription starts once the socket is acknowledged: until then a task created
        # is not seen, so create one a second until one shows.
        for attempt in range(10):
            title = f"浏览器测试 {attempt}"
            created = await graphql(
                http, "CreateTask", {"input": {"boardId": board_id, "title": title}}, token
            )
            assert created["createTask"]["errors"] == []
            try:
                result = await offline.result_containing(title, timeout_ms=1_000)
                break
            except PlaywrightTimeout:
                continue
        else:
            pytest.fail(f"no event reached GraphiQL: {await offline.editor(RESULT)}")

    event = json.loads(result)["data"]["boardEvents"]
    assert event == {"kind": "CREATED", "task": {"title": title}}
    inits = [message for message in offline.sent if message["type"] == "connection_init"]
    assert inits == [{"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}]
    assert offline.refused == []
