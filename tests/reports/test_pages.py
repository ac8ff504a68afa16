"""The manager's reports page and a briefing page in Chromium: generate a daily briefing, annotate it, and
read both pages in English."""

import re

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
    # The comment's placeholder fits its box (it was cut off when the box shared a row with the buttons).
    await page.fill("form[data-do=annotate] input[name=text]", "")
    fits = await page.eval_on_selector("form[data-do=annotate] input[name=text]", """el => {
        const c = document.createElement("canvas").getContext("2d");
        c.font = getComputedStyle(el).font;
        return c.measureText(el.placeholder).width < el.clientWidth - 20; }""")
    assert fits
    await screenshot(page, "reports-briefing")


CJK = re.compile(r"[\u3400-\u9fff]")


async def test_the_reports_page_reads_in_english(browser: Browser, hall: Hall) -> None:  # noqa: F811
    await build_day(hall)
    await hall.manager.post(f"/api/v1/halls/{hall.hall_id}/briefings", {"kind": "daily", "date": "2026-11-30"})
    page = await new_page(browser, hall, 1280, 900)
    await sign_in(page, "manager", "demo-manager", "/reports/liangjiang")
    heads = await page.locator(".r-list thead").inner_text()
    assert "简报" in heads and "Briefing" in heads  # Chinese first, English beside it
    await page.click("[data-action=toggle-lang]")
    await page.wait_for_function("document.documentElement.classList.contains('en')")
    for sel in (".r-list", ".r-export", ".r-generate", ".r-hook", ".r-settings", ".r-tiles"):
        text = await page.locator(sel).inner_text()
        assert not CJK.search(text), (sel, text)
    options = await page.locator("select[name=period] option").all_inner_texts()
    assert options == ["Day", "Week", "Month"]
    assert "Not published" in await page.locator(".r-list tbody").inner_text()
    await screenshot(page, "reports-index-en")
    for label in ("Export XLSX", "Add", "Save"):  # styled by the site's default, not the browser's
        style = await page.locator("button", has_text=label).first.evaluate(
            "el => [getComputedStyle(el).borderRadius, getComputedStyle(el).backgroundColor]")
        assert style == ["8px", "rgb(255, 255, 255)"], (label, style)
