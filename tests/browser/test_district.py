"""The district's live view in Chromium (issue 10): every centre side by side at 1280×800, worst first, live."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from tests.browser.conftest import new_page, screenshot, sign_in
from tests.conftest import Hall
from tests.district import Centre


async def test_the_district_view_shows_every_centre_worst_first(browser: Browser, hall: Hall,
                                                                tree: dict[str, Centre]) -> None:
    wanshou, bailin = tree["renhe-wanshou"].id, tree["lijia-bailin"].id
    for _ in range(4):
        await hall.issue("A")  # the district hall's own line
    for _ in range(2):
        assert (await hall.admin.post("/api/v1/tickets", {"queue": "A", "hall": bailin}))[0] == 201
    page = await new_page(browser, hall, 1280, 800)
    await sign_in(page, "manager", "demo-manager", f"/district/{hall.hall_id}")
    await expect(page.locator("#live-status")).to_have_attribute("data-status", "open")
    rows = page.locator("#d-rows tr")
    await expect(rows).to_have_count(7)
    await expect(page.locator(f"#d-rows tr[data-hall='{bailin}'] td").nth(1)).to_have_text("2")
    # Half an hour on, the community's line is over its 20-minute target: it goes to the top.
    hall.clock.advance(30 * 60)
    assert (await hall.admin.post("/api/v1/tickets", {"queue": "A", "hall": wanshou}))[0] == 201
    await expect(page.locator(f"#d-rows tr[data-hall='{wanshou}'] td").nth(1)).to_have_text("1")
    await expect(rows.first).to_have_attribute("data-hall", str(hall.hall_id))  # waiting longest: 30 min
    await expect(page.locator("#d-kpis")).to_contain_text("7")
    await screenshot(page, "district-view-1280x800")
    # Filter to one street's centres, then drill down into a centre's manager view.
    await page.select_option("#d-parent", str(tree["renhe"].id))
    await expect(rows).to_have_count(2)
    await page.select_option("#d-parent", "")
    await page.check("#d-problems")
    await expect(rows).to_have_count(2)  # the district hall and 白林: over target since the clock moved
    await page.uncheck("#d-problems")
    await page.click(f"#d-rows tr[data-hall='{bailin}'] a")
    await page.wait_for_url("**/manager/lijia-bailin")
