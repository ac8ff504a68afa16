from playwright.async_api import Browser

from tests.browser.conftest import new_page, screenshot, sign_in
from tests.conftest import Hall


async def test_staff_sign_in_leads_to_the_home_page(browser: Browser, hall: Hall) -> None:
    page = await new_page(browser, hall)
    await page.goto("/")
    assert "/login" in page.url  # anonymous visitors are sent to sign in
    await sign_in(page, "manager", "demo-manager")
    assert await page.locator("h1").first.inner_text() != ""
    await screenshot(page, "home-manager")


async def test_wrong_password_is_told_plainly(browser: Browser, hall: Hall) -> None:
    page = await new_page(browser, hall)
    await page.goto("/login")
    await page.fill("input[name=username]", "manager")
    await page.fill("input[name=password]", "wrong-password")
    await page.click("button[type=submit]")
    err = page.locator(".error")
    await err.wait_for(state="visible")
    assert "用户名或密码错误" in await err.inner_text()
