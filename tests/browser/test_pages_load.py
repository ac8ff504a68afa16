"""Every staff page loads without a script error for the role it is for."""

import pytest
from playwright.async_api import Browser

from tests.browser.conftest import new_page, sign_in
from tests.conftest import Hall


@pytest.mark.parametrize(("user", "password", "path"), [
    ("manager", "demo-manager", "/appointments/{hall}"),
    ("manager", "demo-manager", "/manager/{hall}"),
    ("manager", "demo-manager", "/reports/{hall}"),
    ("clerk1", "demo-clerk", "/console/{hall}"),
    ("clerk1", "demo-clerk", "/findings/mine"),
    ("clerk8", "demo-clerk", "/helpdesk/{hall}"),
    ("admin", "demo-admin", "/"),
])
async def test_page_loads_without_script_errors(browser: Browser, hall: Hall, user: str, password: str,
                                                path: str) -> None:
    page = await new_page(browser, hall, 1280, 800)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    await sign_in(page, user, password)
    resp = await page.goto(path.format(hall=hall.hall_id))
    assert resp is not None and resp.status == 200
    await page.wait_for_load_state("networkidle")
    assert errors == []
