"""The district briefing's page in Chromium (issue 10): reached from the reports page, a row per centre, another
period chosen with the form; the page passes axe-core and its toolbar reads in English."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page

from tests.browser.conftest import browser, new_page, screenshot, sign_in  # noqa: F401 - the fixture
from tests.conftest import Hall
from tests.http.test_district_reports import build_district

pytestmark = pytest.mark.browser
AXE = (Path(__file__).resolve().parents[1] / "browser" / "vendor" / "axe.min.js").read_text(encoding="utf-8")
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
CJK = re.compile(r"[\u3400-\u9fff]")


async def serious(page: Page) -> list[dict[str, Any]]:
    await page.evaluate(AXE)
    result = await page.evaluate("(o) => axe.run(document, o)",
                                 {"runOnly": {"type": "tag", "values": WCAG}, "resultTypes": ["violations"]})
    return [{"id": v["id"], "target": v["nodes"][0]["target"]} for v in result["violations"]
            if v["impact"] in ("serious", "critical")]


async def test_a_district_manager_reads_the_district_briefing(browser: Browser, hall: Hall) -> None:  # noqa: F811
    await build_district(hall)
    page = await new_page(browser, hall, 1366, 900, timezone_id="Asia/Shanghai")
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    await sign_in(page, "manager", "demo-manager", "/reports/liangjiang")
    assert await page.locator("select[name=scope] option").count() == 2  # this centre, or with those below
    assert await serious(page) == []
    await page.click(".r-district-card a >> nth=0")  # 日报
    await page.wait_for_url("**/reports/liangjiang/district?period=day*")
    assert await page.locator("h1").count() == 1
    assert "两江新区政务服务中心区域日报" in await page.locator("h1").inner_text()
    names = await page.locator(".d-table tbody td.d-name").all_inner_texts()
    assert [n.split()[0] for n in names] == ["合计（4", "两江新区政务服务中心", "人和街道便民服务中心",
                                             "万寿社区便民服务站", "礼嘉街道便民服务中心"]
    assert await serious(page) == []
    await screenshot(page, "reports-district")
    # Another period from the form: the week, the same centres.
    await page.select_option("select[name=period]", "week")
    await page.click(".r-district button[type=submit]")
    await page.wait_for_url("**period=week*")
    assert "区域周报" in await page.locator("h1").inner_text()
    assert await page.locator(".d-table tbody tr").count() == 5
    # The toolbar reads in English; the briefing itself stays Chinese, as it is sent.
    await page.click("[data-action=toggle-lang]")
    await page.wait_for_function("document.documentElement.classList.contains('en')")
    toolbar = await page.locator(".d-toolbar").inner_text()
    assert not CJK.search(toolbar), toolbar
    assert await page.locator("select[name=period] option").all_inner_texts() == ["Day", "Week", "Month"]
    await page.goto("/reports/liangjiang")
    await page.wait_for_function("document.documentElement.classList.contains('en')")
    for sel in (".r-district-card", ".r-export"):
        text = await page.locator(sel).inner_text()
        assert not CJK.search(text), (sel, text)
    assert errors == []
