"""The manager's reports page and a briefing page in Chromium: generate a daily briefing, annotate it."""

import pytest
from playwright.async_api import Browser

from tests.browser.conftest import browser, new_page, screenshot, sign_in  # noqa: F401 - the fixture
from tests.conftest import Hall
from tests.http.test_reports import build_day

pytestmark = pytest.mark.browser


async def test_manager_generates_and_annotates_a_daily_briefing(browser: Browser, hall: Hall) -> None:  # noqa: F811
    await build_day(hall)
    page = await new_page(browser, hall, 1280, 900)
    await sign_in(page, "manager", "demo-manager", "/reports/liangjiang")
    assert "统计与简报" in await page.locator("h1").inner_text()
    await screenshot(page, "reports-index")
    await page.click("form[data-do=generate] button[type=submit]")
    await page.wait_for_url("**/reports/briefings/*")
    await page.fill("form[data-do=annotate] input[name=text]", "上午 B 业务等候偏长，已增开 5 号窗口。")
    await page.click("form[data-do=annotate] button[type=submit]")
    await page.locator(".b-annotation").wait_for()
    assert "已增开 5 号窗口" in await page.locator(".b-annotation").inner_text()
    assert await page.locator(".r-paper svg").count() >= 3
    await screenshot(page, "reports-briefing")
