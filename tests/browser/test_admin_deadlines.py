"""The admin console's deadlines (issue 12): every working-day deadline a hall sets, in one form."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from tests.browser.conftest import new_page, screenshot, sign_in
from tests.conftest import Hall


async def test_an_admin_sets_the_halls_deadlines(browser: Browser, hall: Hall) -> None:
    page = await new_page(browser, hall, 1280, 800)
    await sign_in(page, "admin", "demo-admin", "/admin/liangjiang/deadlines")
    form = page.locator("form.deadlines")
    await expect(form.locator("input[name=consultation_days]")).to_have_value("5")
    await expect(form.locator("input[name=finding_serious_days]")).to_have_value("1")
    await expect(form.locator("select[name=finding_count_from]")).to_have_value("receipt_day")
    await form.locator("input[name=complex_days]").fill("10")
    await form.locator("input[name=finding_minor_days]").fill("4")
    await form.locator("select[name=count_from]").select_option("receipt_day")
    await screenshot(page, "admin-deadlines-1280x800")
    await form.locator("button[type=submit]").click()
    await expect(page.locator(".flash")).to_contain_text("已保存")
    _, s = await hall.admin.get(f"/api/v1/halls/{hall.hall_id}/quality-settings")
    assert (s["complex_days"], s["finding_minor_days"], s["count_from"], s["consultation_days"]) == \
        (10, 4, "receipt_day", 5)
    # Out of range: refused on the page, nothing sent, nothing changed.
    form = page.locator("form.deadlines")
    await form.locator("input[name=followup_days]").fill("0")
    await form.locator("button[type=submit]").click()
    await expect(form.locator(".error")).to_be_visible()
    _, s = await hall.admin.get(f"/api/v1/halls/{hall.hall_id}/quality-settings")
    assert s["followup_days"] == 5
    _, audit = await hall.admin.get("/api/v1/audit?action=setting.")
    assert any("quality-settings" in (e.get("action", "") + e.get("summary", "")) for e in audit["entries"])
