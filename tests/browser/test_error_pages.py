from playwright.async_api import Browser

from tests.browser.conftest import new_page, screenshot, sign_in
from tests.conftest import Hall


async def test_people_get_pages_not_json_when_something_is_wrong(browser: Browser, hall: Hall) -> None:
    page = await new_page(browser, hall, 1280, 800)
    resp = await page.goto("/no-such-page")
    assert resp is not None and resp.status == 404
    assert "页面不存在" in await page.locator("h1").inner_text()
    await sign_in(page, "clerk1", "demo-clerk")
    resp = await page.goto(f"/reports/{hall.hall_id}")
    assert resp is not None and resp.status == 403
    assert "无权访问" in await page.locator("h1").inner_text()
    await screenshot(page, "error-403")
    # The JSON API keeps answering JSON.
    status, body = await hall.anon.get("/api/v1/nothing", headers={"Accept": "text/html"})
    assert status == 404 and body["error"] == "not_found"


async def test_a_citizen_with_a_wrong_link_is_led_to_the_halls_menu_not_the_staff_sign_in(browser: Browser,
                                                                                         hall: Hall) -> None:
    page = await new_page(browser, hall, 390, 844, is_mobile=True, has_touch=True)
    for path in ("/t/hop-no-such-ticket", "/m/no-such-hall", "/kiosk/no-such-hall"):
        resp = await page.goto(path)
        assert resp is not None and resp.status == 404, path
        assert "找不到这个页面" in await page.locator("h1").inner_text()
        hrefs = await page.locator("a").evaluate_all("els => els.map(a => a.getAttribute('href'))")
        assert hrefs == ["/m"], (path, hrefs)  # never "/" or /login: those are the staff's
    await screenshot(page, "error-404-phone")
    await page.locator("a", has_text="取号首页").click()
    await page.wait_for_url("**/m/liangjiang")
    assert "一码取号" in await page.locator("h1, h2").first.inner_text() or await page.locator("#p-take").count()
