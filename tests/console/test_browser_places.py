"""The console's map of a community's reports, its grid filter, and the screens of street and
district staff, in a real headless Chromium against the real app with the demo street (as
test_browser.py drives it: by role and accessible name; screenshots under
var/test-artifacts/console/)."""

from __future__ import annotations

import re

from playwright.async_api import Page, expect

from neighbor_api.accounts import service as accounts
from neighbor_api.core.deps import Deps
from neighbor_api.core.policy import SYSTEM, Role
from neighbor_api.memberships import service as memberships
from neighbor_api.places.models import PlaceLevel
from neighbor_api.places.repository import by_level_and_name
from tests.conftest import DEMO_PASSWORD
from tests.console.test_browser import (  # the browser profile and the helpers
    DISTRICT_ADMIN,
    Open,
    context,
    go,
    open_page,
    shot,
    sign_in,
)

__all__ = ["context", "open_page"]

STREET_STAFF = "13900000701"  # appointed below: 街道综治中心 staff of 金山街道


async def appoint_street_staff(deps: Deps) -> None:
    """A new account made ADMIN of 金山街道 (as an operator appoints street staff)."""
    street = await by_level_and_name(deps.db, PlaceLevel.STREET, "金山街道")
    assert street is not None
    signed_in = await accounts.register(
        deps, phone=STREET_STAFF, password=DEMO_PASSWORD, display_name="洪雅琴"
    )
    await memberships.appoint(
        deps, SYSTEM, user_id=signed_in.user.id, place_id=street.id, roles=[Role.ADMIN]
    )


async def settled_shot(page: Page, name: str) -> None:
    """A screenshot once the loading masks have faded (Element Plus removes them after)."""
    await expect(page.locator(".el-loading-mask")).to_have_count(0)
    await shot(page, name)


async def point_of(page: Page, text: str) -> tuple[float, float]:
    """Where the map draws the report whose line in the list beside it holds `text`."""
    points = page.get_by_role("list", name="地图上的诉求")
    item = points.get_by_role("listitem").filter(has_text=text)
    await expect(item).to_have_attribute("data-x", re.compile(r"^\d+$"))
    x = float(await item.get_attribute("data-x") or 0)
    y = float(await item.get_attribute("data-y") or 0)
    return x, y


async def test_the_map_draws_the_boundaries_and_the_reports_and_a_click_opens_one(
    open_page: Open,
) -> None:
    page = await open_page()
    await sign_in(page)
    await expect(page.get_by_role("heading", name="诉求", exact=True)).to_be_visible()
    await page.get_by_role("link", name="诉求地图").click()
    await expect(page.get_by_role("heading", name="诉求地图 · 金安社区")).to_be_visible()

    boundaries = page.get_by_role("list", name="社区边界")
    await expect(boundaries.get_by_role("listitem")).to_have_text(
        ["金安社区", "金安社区第一网格", "金安社区第二网格"]
    )
    points = page.get_by_role("list", name="地图上的诉求").get_by_role("listitem")
    await expect(points.filter(has_text="消防通道被电动车堵塞")).to_contain_text("处理中")
    count = await points.count()
    assert count >= 5
    await expect(page.get_by_role("status")).to_contain_text(f"地图上 {count} 条诉求")
    legend = page.get_by_role("list", name="图例")
    await expect(legend).to_contain_text("待受理")
    await expect(legend).to_contain_text("已办结")
    await expect(page.locator("canvas").first).to_be_visible()
    await settled_shot(page, "reports-map")

    # A click on a point of the canvas opens its report.
    title = "消防通道被电动车堵塞"
    x, y = await point_of(page, title)
    canvas = page.get_by_role("figure", name="诉求地图").locator("canvas").first
    await canvas.click(position={"x": x, "y": y})
    await expect(page.get_by_role("heading", name=re.compile(title))).to_be_visible()

    # The status filter redraws the map with those reports only.
    await page.go_back()
    await expect(page.get_by_role("heading", name="诉求地图 · 金安社区")).to_be_visible()
    await page.get_by_role("combobox", name="状态").click(force=True)
    await page.get_by_role("option", name="已办结").click()
    await page.keyboard.press("Escape")
    await expect(points.filter(has_text=title)).to_have_count(0)
    await expect(legend.get_by_role("listitem")).to_have_count(1)
    await expect(legend).to_contain_text("已办结")


async def test_the_grid_filter_changes_the_queue(open_page: Open) -> None:
    page = await open_page()
    await sign_in(page)
    await expect(page.get_by_role("heading", name="诉求", exact=True)).to_be_visible()
    first_grid = "金安里 5 栋楼道灯不亮"  # 5 栋 is in the first grid
    second_grid = "金安里 8 栋旁垃圾桶满溢"  # 8 栋 is in the second
    await expect(page.get_by_role("row").filter(has_text=first_grid)).to_be_visible()
    await expect(page.get_by_role("row").filter(has_text=second_grid)).to_be_visible()

    await page.get_by_role("combobox", name="网格").click(force=True)
    await page.get_by_role("option", name="金安社区第二网格").click()
    await expect(page.get_by_role("row").filter(has_text=first_grid)).to_have_count(0)
    await expect(page.get_by_role("row").filter(has_text=second_grid)).to_be_visible()
    await settled_shot(page, "reports-grid")

    await page.get_by_role("combobox", name="网格").click(force=True)
    await page.get_by_role("option", name="金安社区第一网格").click()
    await expect(page.get_by_role("row").filter(has_text=second_grid)).to_have_count(0)
    await expect(page.get_by_role("row").filter(has_text=first_grid)).to_be_visible()


async def test_street_staff_see_the_escalated_queue_and_their_communities_figures(
    open_page: Open, demo_deps: Deps
) -> None:
    await appoint_street_staff(demo_deps)
    page = await open_page()
    await sign_in(page, STREET_STAFF)
    await expect(page.get_by_role("heading", name="上报诉求 · 金山街道")).to_be_visible()
    title = "金尚路口红绿灯时间太短"  # escalated to the street by 金安社区
    row = page.get_by_role("row").filter(has_text=title)
    await expect(row).to_contain_text("金安社区")
    await expect(row).to_contain_text("街道")
    await settled_shot(page, "escalated")

    # The report's detail, with the actions the street may take (up to the district).
    await row.get_by_role("link", name=title).click()
    await expect(page.get_by_role("heading", name=re.compile(title))).to_be_visible()
    await expect(page.get_by_role("button", name="上报", exact=True)).to_be_visible()

    # 吹哨报到: dispatched to a unit of the street, which then shows as handling it.
    await page.get_by_role("button", name="派单（吹哨报到）").click()
    dialog = page.get_by_role("dialog", name="派单（吹哨报到）")
    await expect(dialog.get_by_role("combobox", name="承办单位")).to_be_visible()
    # A note over 500 characters: the API's error next to the field, nothing dispatched.
    await dialog.get_by_label("派单说明").fill("路" * 501)
    await dialog.get_by_role("button", name="派单（吹哨报到）").click()
    await expect(dialog.get_by_text("最多 500 个字")).to_be_visible()
    await shot(page, "dispatch-field-error")
    await dialog.get_by_label("派单说明").fill("请城管中队会同交警核查路口信号配时")
    await dialog.get_by_role("button", name="派单（吹哨报到）").click()
    await expect(dialog).to_be_hidden()
    await expect(page.get_by_text("承办单位：金山街道城管中队")).to_be_visible()
    await shot(page, "dispatched")

    await go(page, "辖区看板")
    await expect(page.get_by_role("heading", name="辖区看板 · 金山街道")).to_be_visible()
    children = page.get_by_role("table").filter(has_text="金安社区").first
    await expect(children).to_contain_text("金山社区")
    await expect(page.get_by_text("上报至本级")).to_be_visible()
    await expect(page.locator("canvas").first).to_be_visible()  # ECharts, loaded on demand
    await shot(page, "place-dashboard")


async def test_district_staff_see_their_streets(open_page: Open) -> None:
    page = await open_page()
    await sign_in(page, DISTRICT_ADMIN)
    await expect(page.get_by_role("heading", name="上报诉求 · 湖里区")).to_be_visible()
    await expect(page.get_by_role("combobox", name="辖区")).to_be_visible()
    await expect(page.get_by_role("button", name=re.compile("^通知"))).to_be_visible()
    await go(page, "辖区看板")
    await expect(page.get_by_role("heading", name="辖区看板 · 湖里区")).to_be_visible()
    await expect(page.get_by_role("table").filter(has_text="金山街道").first).to_be_visible()

    # English is one click away on these screens too.
    await page.get_by_role("button", name="English").click()
    await expect(page.get_by_role("heading", name="Area dashboard · 湖里区")).to_be_visible()
    await expect(page.get_by_role("navigation").get_by_text("Escalated reports")).to_be_visible()
