"""axe-core on the kiosk's and the phone's screens in each state of their flows (issue 16 item 6, for the citizen
pages): search results, 一码取号, the ticket, out of service; the phone's menu, confirm sheet, my tickets,
the ticket called, booking. No serious or critical violation (WCAG 2.2 A/AA). The harness for every page's
first state is tests/browser/test_a11y.py; axe-core is its vendored copy (tests/browser/vendor/)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page

from tests.browser.conftest import new_page
from tests.conftest import Hall

AXE_JS = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


async def serious(page: Page) -> list[str]:
    if not AXE_JS.exists():
        pytest.skip("axe-core is not vendored yet (tests/browser/vendor/axe.min.js)")
    await page.evaluate(AXE_JS.read_text(encoding="utf-8"))  # evaluated: the page's CSP does not apply
    result: dict[str, Any] = await page.evaluate(
        "(o) => axe.run(document, o)", {"runOnly": {"type": "tag", "values": WCAG}, "resultTypes": ["violations"]})
    return [f"{v['impact']} {v['id']}: {[n['target'] for n in v['nodes']][:4]}" for v in result["violations"]
            if v["impact"] in ("serious", "critical")]


async def test_kiosk_states_pass_axe(browser: Browser, hall: Hall) -> None:
    for size in ((1080, 1920), (1920, 1080)):
        page = await new_page(browser, hall, *size)
        await page.goto(f"/kiosk/liangjiang#token={hall.kiosk.token}")
        await page.locator(".k-cat").first.wait_for()
        assert await serious(page) == [], "home"
        await page.fill("#k-search", "sb")
        await page.locator("#k-results .k-result").first.wait_for()
        assert await serious(page) == [], "search"
        await page.fill("#k-search", "")
        await page.click("#k-scan-open")
        assert await serious(page) == [], "scan"
        await page.keyboard.type("YKM1:50010119900101123X\n")
        await page.locator("#k-person").wait_for(state="visible")
        assert await serious(page) == [], "person"
        await page.click("#k-p-choose")
        await page.locator(".k-cat").first.click()
        await page.locator("#k-queue-list [data-queue]").first.click()
        await page.locator("#k-ticket").wait_for(state="visible")
        assert await serious(page) == [], "ticket"
        await page.click('#k-ticket [data-go="home"]')
        await page.click("#k-appt-open")
        assert await serious(page) == [], "check-in"
        await page.click('[data-action="toggle-lang"]')
        assert await serious(page) == [], "check-in, English"
        await page.context.close()
    page = await new_page(browser, hall, 1080, 1920)
    await page.goto("/kiosk/liangjiang#token=hop_revoked_or_wrong")
    await page.locator("#k-setup").wait_for(state="visible")
    assert await serious(page) == [], "out of service"


async def test_phone_states_pass_axe(browser: Browser, hall: Hall) -> None:
    await hall.manager.post("/api/v1/halls/liangjiang/appointment-slots", {
        "queue": "D", "day": "2026-12-01", "start": "09:00", "end": "10:00", "every_minutes": 60, "capacity": 2})
    page = await new_page(browser, hall, 390, 844, is_mobile=True, has_touch=True)
    await page.goto("/m/liangjiang")
    await page.locator(".p-q").first.wait_for()
    assert await serious(page) == [], "menu"
    await page.locator(".p-q").first.tap()
    await page.locator("#p-confirm").wait_for(state="visible")
    assert await serious(page) == [], "confirm sheet"
    await page.locator("#p-confirm-go").tap()
    await page.wait_for_url("**/t/*")
    assert await serious(page) == [], "ticket waiting"
    clerk = await hall.clerk_at(1)
    await clerk.post(f"/api/v1/windows/{hall.window_id(1)}/call-next")
    await page.locator("#p-called").wait_for(state="visible")
    assert await serious(page) == [], "ticket called"
    await page.goto("/m/liangjiang")
    await page.locator("#p-mine").wait_for()
    await page.click("#p-book-open")
    assert await serious(page) == [], "my tickets and the booking form"
    await page.click('[data-action="toggle-lang"]')
    assert await serious(page) == [], "English"
