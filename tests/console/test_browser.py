"""The console in a real headless Chromium (Debian's `chromium`, driven by Playwright) against the
real app on the embedded database with the demo street, driven by role and accessible name as a
worker (or a screen reader) would. Each screen's screenshot is saved under
var/test-artifacts/console/ (NEIGHBOR_TEST_ARTIFACTS overrides var/test-artifacts)."""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, Route, expect

from neighbor_api.core.clock import ManualClock
from neighbor_api.core.deps import Deps
from tests import sms
from tests.conftest import DEMO_PASSWORD, http_send, register_with_code
from tests.platform.conftest import LiveServer

WORKER = "13800000001"  # 林美华, community worker of 金安社区
RESIDENT = "13800000004"  # 王丽娟, resident of 金安社区
ADDRESS = "金山路 128 号金安里 6 栋 201 室"
DISTRICT_ADMIN = "13800000099"  # 蔡文彬, admin of 湖里区 (no community of his own)
WAIT_MS = 15_000
ROOT = Path(__file__).resolve().parent.parent.parent
ARTIFACTS = Path(os.environ.get("NEIGHBOR_TEST_ARTIFACTS", ROOT / "var" / "test-artifacts"))

expect.set_options(timeout=WAIT_MS)


Open = Callable[[], Awaitable[Page]]


@pytest.fixture
async def context(browser: Browser, demo_server: LiveServer) -> AsyncIterator[BrowserContext]:
    """A browser profile (zh-CN) that may reach the test server and nothing else."""
    context = await browser.new_context(
        locale="zh-CN", viewport={"width": 1360, "height": 860}, base_url=demo_server.url
    )
    errors: list[str] = []
    context.on("weberror", lambda error: errors.append(str(error.error)))

    async def only_the_server(route: Any) -> None:
        if route.request.url.startswith(demo_server.url + "/"):
            await route.continue_()
        else:
            await route.abort()

    await context.route("**/*", only_the_server)
    yield context
    await context.close()
    assert errors == []


@pytest.fixture
def open_page(context: BrowserContext) -> Open:
    async def open_() -> Page:
        page = await context.new_page()
        await page.goto("/console/")
        return page

    return open_


async def shot(page: Page, name: str) -> None:
    folder = ARTIFACTS / "console"
    folder.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(folder / f"{name}.png"))


async def sign_in(page: Page, phone: str = WORKER, password: str = DEMO_PASSWORD) -> None:
    await page.get_by_label("手机号").fill(phone)
    await page.get_by_label("密码").fill(password)
    await page.get_by_role("button", name="登录", exact=True).click()


async def go(page: Page, screen: str) -> None:
    await page.get_by_role("navigation").get_by_role("menuitem", name=screen).click()
    # The screen's heading, which names the community once it has loaded ("数据看板 · 金安社区").
    heading = re.compile(rf"^{re.escape(screen)}( · .+)?$")
    await expect(page.get_by_role("heading", name=heading)).to_be_visible()


async def test_sign_in_accept_and_assign_a_report_and_see_it_move(open_page: Open) -> None:
    page = await open_page()
    await expect(page.get_by_role("button", name="登录", exact=True)).to_be_visible()
    await shot(page, "login")
    await sign_in(page, password="wrong-password")
    await expect(page.get_by_role("alert")).to_be_visible()  # the API's message, in place
    await sign_in(page)

    await expect(page.get_by_role("heading", name="诉求", exact=True)).to_be_visible()
    title = "电动车在楼道充电"  # submitted by a resident, nobody has taken it up yet
    row = page.get_by_role("row").filter(has_text=title)
    await expect(row).to_contain_text("待受理")
    await shot(page, "reports")
    await page.get_by_role("combobox", name="状态").click(force=True)
    await page.get_by_role("option", name="待受理").click()
    await expect(page.get_by_role("row").filter(has_text="健身器材螺丝松动")).to_have_count(0)
    await expect(row).to_be_visible()  # the filter keeps what waits to be accepted
    await page.keyboard.press("Escape")

    await row.get_by_role("link", name=title).click()
    await expect(page.get_by_role("heading", name=re.compile(title))).to_be_visible()
    await page.get_by_role("button", name="受理", exact=True).click()
    dialog = page.get_by_role("dialog", name="受理")
    await dialog.get_by_role("button", name="受理").click()
    await expect(dialog).to_be_hidden()
    await page.get_by_role("button", name="指派", exact=True).click()
    dialog = page.get_by_role("dialog", name="指派")
    await dialog.get_by_role("button", name="指派").click()
    await expect(dialog).to_be_hidden()
    await expect(page.get_by_role("button", name="开始处理")).to_be_visible()
    await shot(page, "report")

    await go(page, "诉求")
    await expect(page.get_by_role("row").filter(has_text=title)).to_contain_text("已指派")
    await expect(page.get_by_role("row").filter(has_text=title)).to_contain_text("林美华")


async def test_approve_a_membership(
    open_page: Open, demo_server: LiveServer, demo_deps: Deps
) -> None:
    async with httpx.AsyncClient(base_url=demo_server.url, timeout=10) as http:
        registered = await register_with_code(
            http_send(http),
            phone="13900000123",
            password="console-test-password",
            display_name="周海燕",
            policy_version=demo_deps.settings.privacy_policy_version,
        )
        token = registered["accessToken"]
        viewer = (await http_send(http, Authorization=f"Bearer {token}")("Viewer", {}))["viewer"]
        assert viewer is not None
        worker = await http_send(http)(
            "Login", {"input": {"phone": WORKER, "password": DEMO_PASSWORD}}
        )
        staff = http_send(http, Authorization=f"Bearer {worker['login']['accessToken']}")
        community = (await staff("Viewer", {}))["viewer"]["memberships"][0]["community"]
        joined = await http_send(http, Authorization=f"Bearer {token}")(
            "JoinCommunity",
            {"input": {"communityId": community["id"], "address": ADDRESS}},
        )
        assert joined["joinCommunity"]["errors"] == []

    page = await open_page()
    await sign_in(page)
    await go(page, "成员审核")
    row = page.get_by_role("row").filter(has_text="周海燕")
    await expect(row).to_contain_text("金安里 6 栋 201 室")
    await shot(page, "memberships")
    await row.get_by_role("button", name="通过 周海燕").click()
    dialog = page.get_by_role("dialog")
    await dialog.get_by_label("产权面积（m²）").fill("88.5")
    await dialog.get_by_role("button", name="通过").click()
    await expect(dialog).to_be_hidden()
    await expect(page.get_by_role("row").filter(has_text="周海燕")).to_have_count(0)


async def test_drag_a_task_and_a_second_page_sees_it_live(open_page: Open) -> None:
    page = await open_page()
    await sign_in(page)
    await go(page, "任务看板")
    other = await open_page()  # the same worker in a second tab (signed in there: a tab's own)
    await sign_in(other)
    await go(other, "任务看板")

    title = "陪同独居老人体检"
    card = page.get_by_role("listitem", name=title)
    await expect(card).to_be_visible()
    todo = page.locator("[data-column-kind=TODO]")
    doing = page.locator("[data-column-kind=DOING]")
    await expect(todo.get_by_role("listitem", name=title)).to_be_visible()
    waiting = other.locator("[data-column-kind=TODO]").get_by_role("listitem", name=title)
    await expect(waiting).to_be_visible()
    await card.drag_to(doing.get_by_role("list"))

    await expect(doing.get_by_role("listitem", name=title)).to_be_visible()
    moved = other.locator("[data-column-kind=DOING]").get_by_role("listitem", name=title)
    await expect(moved).to_be_visible()  # over boardEvents, no reload
    await shot(page, "board")


async def test_open_a_proposals_results(open_page: Open) -> None:
    page = await open_page()
    await sign_in(page)
    await go(page, "议事")
    title = "金安社区小广场改造为口袋公园"
    row = page.get_by_role("row").filter(has_text=title)
    await expect(row).to_be_visible()
    await shot(page, "councils")
    await row.get_by_role("button", name="查看结果").click()
    await expect(page.get_by_role("heading", name=title)).to_be_visible()
    await expect(page.get_by_text("表决规则")).to_be_visible()
    await expect(page.get_by_role("table").first).to_be_visible()
    await shot(page, "proposal")


async def test_dashboard_and_notification_bell(open_page: Open) -> None:
    page = await open_page()
    await sign_in(page)
    await go(page, "数据看板")
    await expect(page.get_by_text("诉求总数")).to_be_visible()
    await expect(page.locator("canvas").first).to_be_visible()  # ECharts, loaded on demand
    await shot(page, "dashboard")
    await page.get_by_role("button", name=re.compile("^通知")).click()
    await expect(page.get_by_text("全部已读")).to_be_visible()
    await shot(page, "notifications")


async def test_a_resident_sees_this_account_is_not_staff(open_page: Open) -> None:
    page = await open_page()
    await sign_in(page, RESIDENT)
    await expect(page.get_by_text("此账号不是工作人员")).to_be_visible()
    await expect(page.get_by_role("navigation")).to_have_count(0)
    await shot(page, "not-staff")


# Bad input: a stale card, field errors, expired tokens, the API down.


async def worker_send(http: httpx.AsyncClient) -> Any:
    login = await http_send(http)("Login", {"input": {"phone": WORKER, "password": DEMO_PASSWORD}})
    return http_send(http, Authorization=f"Bearer {login['login']['accessToken']}")


async def test_a_drag_of_a_stale_card_reloads_the_board_and_says_so(
    open_page: Open, demo_server: LiveServer
) -> None:
    page = await open_page()
    await sign_in(page)
    await go(page, "任务看板")
    title = "更新宣传栏防诈骗海报"
    todo = page.locator("[data-column-kind=TODO]")
    await expect(todo.get_by_role("listitem", name=title)).to_be_visible()

    async with httpx.AsyncClient(base_url=demo_server.url, timeout=10) as http:
        send = await worker_send(http)
        community = (await send("Viewer", {}))["viewer"]["memberships"][0]["community"]
        boards = await send("CommunityBoards", {"communityId": community["id"]})
        board_id = boards["community"]["boards"][0]["id"]

        raced: list[str] = []

        async def someone_else_moves_it_first(route: Route) -> None:
            """Just before the page's MoveTask reaches the server, another worker moves the same
            card to 进行中: the page's expectedVersion is stale when its request arrives."""
            if "MoveTask" in (route.request.post_data or "") and not raced:
                board = (await send("Board", {"id": board_id, "tasksFirst": 50}))["board"]
                doing = next(c for c in board["columns"] if c["kind"] == "DOING")
                task = next(
                    e["node"] for c in board["columns"] for e in c["tasks"]["edges"]
                    if e["node"]["title"] == title
                )  # fmt: skip
                move = {"taskId": task["id"], "toColumnId": doing["id"]}
                moved = await send(
                    "MoveTask", {"input": {**move, "expectedVersion": task["version"]}}
                )
                assert moved["moveTask"]["errors"] == []
                raced.append(task["id"])
            await route.continue_()

        await page.route("**/graphql", someone_else_moves_it_first)
        card = todo.get_by_role("listitem", name=title)
        await card.drag_to(page.locator("[data-column-kind=REVIEW]").get_by_role("list"))

        await expect(page.get_by_text("任务已被他人更新，已重新加载该看板")).to_be_visible()
    doing_list = page.locator("[data-column-kind=DOING]")
    await expect(doing_list.get_by_role("listitem", name=title)).to_be_visible()
    await shot(page, "board-conflict")


async def test_an_actions_field_error_shows_next_to_the_field(open_page: Open) -> None:
    page = await open_page()
    await sign_in(page)
    title = "小区门禁经常失灵"  # accepted, not yet assigned
    await page.get_by_role("link", name=title).click()
    await page.get_by_role("button", name="驳回", exact=True).click()
    dialog = page.get_by_role("dialog", name="驳回")
    await dialog.get_by_role("button", name="驳回").click()  # no reason given
    error = dialog.locator(".el-form-item__error")
    await expect(error).to_be_visible()
    await expect(dialog.get_by_label("原因")).to_be_visible()
    await shot(page, "report-field-error")
    await dialog.get_by_label("原因").fill("重复反映，已并入同类诉求处理。")
    await dialog.get_by_role("button", name="驳回").click()
    await expect(dialog).to_be_hidden()
    await expect(page.get_by_text("已驳回").first).to_be_visible()


async def test_tokens_stay_out_of_local_storage_expired_ones_refresh_and_sign_out_ends_all(
    open_page: Open, demo_server: LiveServer, demo_deps: Deps
) -> None:
    page = await open_page()
    await sign_in(page)
    await expect(page.get_by_role("heading", name="诉求", exact=True)).to_be_visible()
    # The access token lives in memory only, the refresh token in the tab's sessionStorage.
    stored = await page.evaluate("Object.keys(localStorage).join(' ')")
    assert "access" not in stored, stored
    assert "refresh" not in stored, stored
    assert await page.evaluate("sessionStorage.getItem('neighbor-console.access')") is None
    refresh = await page.evaluate("sessionStorage.getItem('neighbor-console.refresh')")
    assert refresh

    # Mid-session the access token expires: the next request refreshes, then retries once.
    assert isinstance(demo_deps.clock, ManualClock)
    demo_deps.clock.advance(demo_deps.settings.access_token_ttl + timedelta(minutes=1))
    await page.get_by_role("button", name="刷新").click()
    rotated = "old => (sessionStorage.getItem('neighbor-console.refresh') || old) !== old"
    await page.wait_for_function(rotated, arg=refresh, timeout=WAIT_MS)
    await expect(page.get_by_role("heading", name="诉求", exact=True)).to_be_visible()
    await expect(page.get_by_role("button", name="登录", exact=True)).to_have_count(0)

    # A reload keeps the session (the tab's refresh token brings a new access token) ...
    await page.reload()
    await expect(page.get_by_role("heading", name="诉求", exact=True)).to_be_visible()
    # ... another tab has none of it ...
    other = await open_page()
    await expect(other.get_by_role("button", name="登录", exact=True)).to_be_visible()
    # ... and a dead refresh token signs out to 登录.
    await page.evaluate("sessionStorage.setItem('neighbor-console.refresh', 'revoked-token')")
    await page.reload()
    await expect(page.get_by_role("button", name="登录", exact=True)).to_be_visible()
    assert await page.evaluate("sessionStorage.getItem('neighbor-console.refresh')") is None

    # Signing out forgets the tokens here and ends the session on the server (logout).
    await sign_in(page)
    await expect(page.get_by_role("heading", name="诉求", exact=True)).to_be_visible()
    signed_in = await page.evaluate("sessionStorage.getItem('neighbor-console.refresh')")
    await page.get_by_role("button", name="退出登录").click()
    await expect(page.get_by_role("button", name="登录", exact=True)).to_be_visible()
    kept = await page.evaluate("Object.keys(sessionStorage).join(' ')")
    assert "neighbor-console" not in kept, kept
    async with httpx.AsyncClient(base_url=demo_server.url, timeout=10) as http:
        again = await http_send(http)("RefreshSession", {"input": {"refreshToken": signed_in}})
        assert again["refreshSession"]["accessToken"] is None, again


async def test_the_api_down_shows_a_banner_and_retry_recovers(open_page: Open) -> None:
    page = await open_page()
    await sign_in(page)
    await expect(page.get_by_role("heading", name="诉求", exact=True)).to_be_visible()

    await expect(page.get_by_role("link", name="电动车在楼道充电")).to_be_visible()

    async def api_down(route: Route) -> None:
        await route.abort("connectionrefused")

    await page.route("**/graphql", api_down)
    await page.get_by_role("button", name="刷新").click()
    banner = page.get_by_role("alert").filter(has_text="无法连接服务器")
    await expect(banner).to_be_visible()
    await shot(page, "api-down")

    await page.unroute("**/graphql")
    await banner.get_by_role("button", name="重试").click()
    await expect(page.get_by_role("heading", name="诉求", exact=True)).to_be_visible()
    await expect(page.get_by_role("alert").filter(has_text="无法连接服务器")).to_have_count(0)


async def test_a_reload_while_the_api_is_down_keeps_the_session_for_retry(
    open_page: Open,
) -> None:
    page = await open_page()
    await sign_in(page)
    await expect(page.get_by_role("heading", name="诉求", exact=True)).to_be_visible()

    async def api_down(route: Route) -> None:
        await route.abort("connectionrefused")

    await page.route("**/graphql", api_down)
    await page.reload()  # the access token was in memory: the refresh on load cannot reach the API
    banner = page.get_by_role("alert").filter(has_text="无法连接服务器")
    await expect(banner).to_be_visible()
    await expect(page.get_by_role("button", name="登录", exact=True)).to_have_count(0)
    assert await page.evaluate("sessionStorage.getItem('neighbor-console.refresh')")

    await page.unroute("**/graphql")
    await banner.get_by_role("button", name="重试").click()
    await expect(page.get_by_role("heading", name="诉求", exact=True)).to_be_visible()


async def test_english_is_one_click_away_and_the_apis_messages_follow(open_page: Open) -> None:
    page = await open_page()
    await page.get_by_role("button", name="English").click()
    await expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    await page.get_by_label("Phone").fill(WORKER)
    await page.get_by_label("Password").fill("wrong-password")
    await page.get_by_role("button", name="Sign in").click()
    english = re.compile(r"^[^\u4e00-\u9fff]*[A-Za-z][^\u4e00-\u9fff]*$")  # no Chinese in it
    await expect(page.get_by_role("alert")).to_have_text(english)
    await page.get_by_label("Password").fill(DEMO_PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Reports", exact=True)).to_be_visible()
    await page.get_by_role("button", name="中文").click()
    await expect(page.get_by_role("heading", name="诉求", exact=True)).to_be_visible()


# Sign-in by code, assigning to other staff, returning a review card.


async def test_sign_in_with_a_code_after_a_wait_a_failed_send_and_a_wrong_code(
    open_page: Open, demo_server: LiveServer, demo_deps: Deps
) -> None:
    phone = "13800000010"  # 郑晓燕, worker of 金山社区: no other test asks for her codes
    async with httpx.AsyncClient(base_url=demo_server.url, timeout=10) as http:
        asked = await http_send(http)(
            "RequestVerificationCode", {"input": {"phone": phone, "purpose": "LOGIN"}}
        )  # a code sent a moment ago: the next must wait
        assert asked["requestVerificationCode"]["errors"] == [], asked
    page = await open_page()
    await page.get_by_role("tab", name="验证码登录").click()
    await page.get_by_label("手机号").fill(phone)
    await page.get_by_role("button", name="获取验证码").click()
    waited = page.get_by_role("alert")
    await expect(waited).to_contain_text(re.compile(r"\d+"))  # RATE_LIMITED, with its wait
    await shot(page, "login-code-wait")

    assert isinstance(demo_deps.clock, ManualClock)
    demo_deps.clock.advance(timedelta(seconds=61))
    gateway = sms.shared()
    gateway.status = 503  # the SMS gateway fails: CODE_NOT_SENT, in place
    try:
        await page.get_by_role("button", name="获取验证码").click()
        await expect(page.get_by_role("alert")).to_be_visible()
        await expect(page.get_by_role("button", name="获取验证码")).to_be_enabled()
    finally:
        gateway.status = 200
    before = len(gateway.sent_to(phone, "LOGIN"))
    await page.get_by_role("button", name="获取验证码").click()
    countdown = page.get_by_role("button", name=re.compile(r"^\d+ 秒后重新获取$"))
    await expect(countdown).to_be_disabled()
    await expect(page.get_by_role("status")).to_have_text("验证码已发送，请查看短信。")
    assert len(gateway.sent_to(phone, "LOGIN")) == before + 1
    code = gateway.code(phone, "LOGIN")

    wrong = "000000" if code != "000000" else "111111"
    await page.get_by_label("验证码").fill(wrong)
    await page.get_by_role("button", name="登录", exact=True).click()
    await expect(page.locator(".el-form-item__error, [role=alert]").first).to_be_visible()
    await shot(page, "login-code")
    await page.get_by_label("验证码").fill(code)
    await page.get_by_role("button", name="登录", exact=True).click()
    await expect(page.get_by_role("heading", name="诉求", exact=True)).to_be_visible()


async def test_assign_a_report_to_a_grid_worker_and_see_the_assignee_change(
    open_page: Open,
) -> None:
    page = await open_page()
    await sign_in(page)
    title = "建议增设老年人休息座椅"  # accepted, nobody assigned yet
    await page.get_by_role("link", name=title).click()
    await expect(page.get_by_role("heading", name=re.compile(title))).to_be_visible()
    await page.get_by_role("button", name="指派", exact=True).click()
    dialog = page.get_by_role("dialog", name="指派")
    await dialog.get_by_role("combobox", name="处理人").click(force=True)
    option = page.get_by_role("option", name="陈志强 · 网格员（金安社区第一网格）")
    worker = page.get_by_role("option", name=re.compile("^林美华 · 社区工作者"))
    await expect(worker).to_be_visible()
    await shot(page, "report-assign")
    await option.click()
    await dialog.get_by_role("button", name="指派").click()
    await expect(dialog).to_be_hidden()

    await go(page, "诉求")
    row = page.get_by_role("row").filter(has_text=title)
    await expect(row).to_contain_text("已指派")
    await expect(row).to_contain_text("陈志强")


async def test_return_a_card_in_review_with_a_reason(
    open_page: Open, demo_server: LiveServer
) -> None:
    title = "清理金安里 3 栋自行车棚"
    async with httpx.AsyncClient(base_url=demo_server.url, timeout=10) as http:
        send = await worker_send(http)
        community = (await send("Viewer", {}))["viewer"]["memberships"][0]["community"]
        boards = await send("CommunityBoards", {"communityId": community["id"]})
        board_id = boards["community"]["boards"][0]["id"]
        created = await send(
            "CreateTask", {"input": {"boardId": board_id, "title": title, "capacity": 1}}
        )
        assert created["createTask"]["errors"] == [], created
        task_id = created["createTask"]["task"]["id"]
        login = await http_send(http)(
            "Login", {"input": {"phone": RESIDENT, "password": DEMO_PASSWORD}}
        )
        resident = http_send(http, Authorization=f"Bearer {login['login']['accessToken']}")
        claimed = await resident("ClaimTask", {"input": {"taskId": task_id}})
        assert claimed["claimTask"]["errors"] == [], claimed
        submitted = await resident(
            "SubmitTask", {"input": {"taskId": task_id, "note": "已清理，废旧自行车集中摆放。"}}
        )
        assert submitted["submitTask"]["errors"] == [], submitted

    page = await open_page()
    await sign_in(page)
    await go(page, "任务看板")
    review = page.locator("[data-column-kind=REVIEW]")
    card = review.get_by_role("listitem", name=title)
    await expect(card).to_be_visible()
    await card.get_by_role("button", name="退回").click()
    dialog = page.get_by_role("dialog", name=f"退回任务：{title}")
    await dialog.get_by_label("退回原因").fill("车棚角落还有杂物" * 70)  # over 500 characters
    await dialog.get_by_role("button", name="退回").click()
    await expect(dialog.locator(".el-form-item__error")).to_be_visible()  # the API's, in place
    await expect(card).to_be_visible()  # nothing changed
    await shot(page, "board-return")
    await dialog.get_by_label("退回原因").fill("车棚角落的废纸箱还没清走，请补拍照片。")
    await dialog.get_by_role("button", name="退回").click()
    await expect(dialog).to_be_hidden()
    doing = page.locator("[data-column-kind=DOING]")
    await expect(doing.get_by_role("listitem", name=title)).to_be_visible()
    await expect(review.get_by_role("listitem", name=title)).to_have_count(0)
