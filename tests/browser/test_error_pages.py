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
