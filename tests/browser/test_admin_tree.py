"""The admin console's centres (issue 10 with issue 13): the hall tree shown indented with its levels, and a
community centre added under a street from the browser."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from tests.browser.conftest import new_page, screenshot, sign_in
from tests.conftest import Hall
from tests.district import Centre


async def test_an_admin_adds_a_community_under_a_street(browser: Browser, hall: Hall, tree: dict[str, Centre]) -> None:
    page = await new_page(browser, hall, 1280, 800)
    await sign_in(page, "admin", "demo-admin", "/admin/halls")
    rows = page.locator("tr[data-hall]")
    await expect(rows).to_have_count(7)
    # Tree order: each street directly followed by its community.
    await expect(rows.nth(1)).to_contain_text("人和街道便民服务中心")
    await expect(rows.nth(2)).to_contain_text("└ 万寿社区便民服务站")
    await expect(rows.nth(2)).to_contain_text("社区中心")
    await page.click("[data-new]")
    form = page.locator("form.editor")
    await form.locator("input[name=code]").fill("renhe-xinglong")
    await form.locator("input[name=name]").fill("星隆社区便民服务站")
    await form.locator("select[name=level]").select_option("community")
    await form.locator("select[name=parent]").select_option("renhe")
    await form.locator("button[type=submit]").click()
    await expect(rows).to_have_count(8)
    await expect(rows.nth(3)).to_contain_text("└ 星隆社区便民服务站")  # under 人和, after 万寿
    await screenshot(page, "admin-centres-1280x800")
    _, body = await hall.admin.get("/api/v1/halls")
    new = next(h for h in body["halls"] if h["code"] == "renhe-xinglong")
    assert (new["level"], new["parent_id"]) == ("community", tree["renhe"].id)
    # A community under the district itself is refused with the reason, and nothing is added.
    await page.click("[data-new]")
    await form.locator("input[name=code]").fill("bad-one")
    await form.locator("input[name=name]").fill("错挂社区")
    await form.locator("select[name=level]").select_option("community")
    await form.locator("select[name=parent]").select_option("liangjiang")
    await form.locator("button[type=submit]").click()
    await expect(form.locator(".error")).to_contain_text("社区中心的上级须为")
    assert len((await hall.admin.get("/api/v1/halls"))[1]["halls"]) == 8
