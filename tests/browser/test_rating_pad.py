"""The window's rating pad on a small landscape tablet and the citizen's rating on a phone, in Chromium, with
screenshots (tests/artifacts/screenshots/rating-*.png) for people to look at."""

from __future__ import annotations

import time

from aiohttp import WSCloseCode
from playwright.async_api import Browser, Page, expect

from hallops.events import stream
from hallops.http.live import SOCKETS
from tests.browser.conftest import new_page, screenshot
from tests.conftest import Api, Hall
from tests.http.test_ratings import pad_for, served


async def test_the_pad_rates_a_bad_visit_with_big_targets(browser: Browser, hall: Hall) -> None:
    clerk = await hall.clerk_at(1)
    pad = await pad_for(hall, 1)
    page = await new_page(browser, hall, width=1024, height=600, has_touch=True)
    await page.goto(f"/pad/{hall.hall_id}#token={pad.token}")
    await expect(page.locator("#p-welcome")).to_be_visible()
    assert "token" not in page.url  # the token never stays in the address bar
    await screenshot(page, "rating-pad-welcome")
    t = await served(hall, clerk)
    await expect(page.locator("#p-rate")).to_be_visible(timeout=6000)
    await expect(page.locator("#p-ticket")).to_contain_text(t["number"])
    for button in await page.locator(".p-level").all():  # elderly-friendly: every target at least 72 px
        box = await button.bounding_box()
        assert box is not None and box["height"] >= 72 and box["width"] >= 72
    await screenshot(page, "rating-pad-levels")
    await page.locator(".p-level[data-level=dissatisfied]").tap()
    await expect(page.locator("#p-reasons-wrap")).to_be_visible()
    await page.locator("#p-submit").tap()
    await expect(page.locator("#p-error")).to_be_visible()  # a bad rating needs a reason or a comment
    await page.locator(".p-reason[data-reason=long_wait]").tap()
    await page.locator(".p-star[data-ind=efficiency][data-value='1']").tap()
    await screenshot(page, "rating-pad-reasons")
    await page.locator("#p-submit").tap()
    await expect(page.locator("#p-thanks")).to_be_visible()
    await expect(page.locator("#p-thanks-bad")).to_be_visible()
    await screenshot(page, "rating-pad-thanks")
    (r,) = await hall.ports.ratings.ratings(hall.hall_id, 0, 2e10)
    assert (r["level"], r["reasons"], r["indicators"]["efficiency"], r["channel"]) == (
        "dissatisfied", ["long_wait"], 1, "pad")
    _, body = await hall.manager.get(f"/api/v1/halls/{hall.hall_id}/followups?open=1")
    assert len(body["followups"]) == 1


async def finish_next(hall: Hall, clerk: Api, page: Page, within: float = 3.0) -> tuple[dict[str, str], float]:
    """A visit called, started and finished at window 1; how long after the finish the pad offered it (s)."""
    t = await hall.issue("A")
    status, body = await clerk.post(f"/api/v1/windows/{hall.window_id(1)}/call-next")
    assert status == 200 and body["ticket"]["id"] == t["id"], body
    assert (await clerk.post(f"/api/v1/tickets/{t['id']}/start"))[0] == 200
    hall.clock.advance(60)  # the test's clock stands still: the pad offers the visit that ended last
    t0 = time.monotonic()
    assert (await clerk.post(f"/api/v1/tickets/{t['id']}/finish", {"items": []}))[0] == 200
    await expect(page.locator("#p-ticket")).to_contain_text(t["number"], timeout=within * 1000)
    await expect(page.locator("#p-rate")).to_be_visible()
    return t, time.monotonic() - t0


async def test_the_pad_offers_the_visit_the_moment_the_clerk_finishes(browser: Browser, hall: Hall) -> None:
    """The offer comes over the live stream, not from a poll: the safety-net poll is set to ten minutes here."""
    clerk = await hall.clerk_at(1)
    pad = await pad_for(hall, 1)
    page = await new_page(browser, hall, width=1024, height=600, has_touch=True)
    await page.context.add_init_script("window.hallopsPadFallbackMs = 600000;")
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/api/v1/rating-pad" in r.url else None)
    await page.goto(f"/pad/{hall.hall_id}#token={pad.token}")
    await expect(page.locator("#p-welcome")).to_be_visible()
    await expect(page.locator("#pad")).to_have_attribute("data-live", "open")
    assert asked == []  # the welcome came with the stream's snapshot
    t, took = await finish_next(hall, clerk, page)
    print(f"pad offered {t['number']} {took * 1000:.0f} ms after the finish")
    assert took < 1.5
    await screenshot(page, "rating-pad-live-offer")
    # The link drops (a server restart, a Wi-Fi hiccup): the pad reconnects, resumes, and offers the next visit
    # as fast, whether it was finished while the pad was away or after.
    sockets = list(hall.client.server.app[SOCKETS])
    assert len(sockets) == 1
    await stream.close_socket(sockets[0], WSCloseCode.GOING_AWAY, b"test: link dropped")
    t2, took = await finish_next(hall, clerk, page, within=5.0)
    print(f"after a drop, pad offered {t2['number']} {took * 1000:.0f} ms after the finish")
    assert took < 4.5  # at most one reconnect (full jitter: anywhere in 0–3 s, web/static/js/live.js) on top
    await expect(page.locator("#pad")).to_have_attribute("data-live", "open")
    assert len(hall.client.server.app[SOCKETS]) == 1
    await page.locator(".p-level[data-level=very_satisfied]").tap()
    await page.locator("#p-submit").tap()
    await expect(page.locator("#p-thanks")).to_be_visible()
    await expect(page.locator("#p-welcome")).to_be_visible(timeout=8000)  # back to waiting after the thanks
    (r,) = await hall.ports.ratings.ratings(hall.hall_id, 0, 2e10)
    assert (r["ticket_number"], r["level"], r["channel"]) == (t2["number"], "very_satisfied", "pad")


async def test_the_citizen_rates_each_item_on_the_phone(browser: Browser, hall: Hall) -> None:
    clerk = await hall.clerk_at(1)
    t = await served(hall, clerk, items=["psb-hukou-move", "civil-marriage"])
    page = await new_page(browser, hall, width=390, height=844, is_mobile=True, has_touch=True)
    await page.goto(f"/t/{t['token']}")  # the phone ticket page (the slip's QR code) offers the rating
    await expect(page.locator("a.p-rate")).to_be_visible()
    await screenshot(page, "rating-phone-ticket-done")
    await page.locator("a.p-rate").tap()
    await page.wait_for_url(f"**/r/{t['token']}")
    await expect(page.locator("#r-form")).to_be_visible()
    await expect(page.locator(".r-target")).to_have_count(3)
    await screenshot(page, "rating-phone-form")
    await page.locator(".r-level[data-level=very_satisfied]").tap()
    await page.locator("#r-submit").tap()
    await expect(page.locator(".r-target[disabled]")).to_have_count(1)
    await page.locator(".r-level[data-level=basic]").tap()
    await page.locator("#r-submit").tap()
    await expect(page.locator(".r-target[disabled]")).to_have_count(2)
    await screenshot(page, "rating-phone-items")
    _, body = await hall.anon.get(f"/api/v1/ticket-status/{t['token']}/rating")
    assert sorted((r["item"] or "", r["level"]) for r in body["rated"]) == [
        ("", "very_satisfied"), ("civil-marriage", "basic")] or sorted(
        (r["item"] or "", r["level"]) for r in body["rated"]) == [("", "very_satisfied"), ("psb-hukou-move", "basic")]


async def test_the_quality_page_shows_the_scan_followups_cases_and_ranking(browser: Browser, hall: Hall) -> None:
    from tests.browser.conftest import sign_in
    from tests.http.test_ratings import BAD

    clerk = await hall.clerk_at(1)
    t = await served(hall, clerk)
    await hall.anon.post(f"/api/v1/ticket-status/{t['token']}/rating", BAD)
    await hall.manager.post(f"/api/v1/halls/{hall.hall_id}/cases", {"source": "12345", "subject": "公积金提取咨询",
                                                                      "ref": "GD-001"})
    await hall.manager.post(f"/api/v1/halls/{hall.hall_id}/deadline-scan")
    page = await new_page(browser, hall, width=1280, height=900)
    await sign_in(page, "manager", "demo-manager", f"/quality/{hall.hall_id}")
    await expect(page.locator("#q-followups tbody tr")).to_have_count(1)
    await expect(page.locator("#q-cases tbody")).to_contain_text("公积金提取咨询")
    await page.locator("[data-followup]").first.click()
    await expect(page.locator("#q-followup")).to_contain_text("等候")
    await expect(page.locator("#q-scores tbody")).to_contain_text("1 号")
    await expect(page.locator("#q-deliveries tbody")).to_contain_text("暂无")
    await screenshot(page, "rating-quality-page")


async def test_an_admin_enters_a_day_of_an_unpublished_year(browser: Browser, hall: Hall) -> None:
    from tests.browser.conftest import sign_in

    page = await new_page(browser, hall, width=1280, height=900)
    await sign_in(page, "admin", "demo-admin", f"/quality/{hall.hall_id}")
    await page.select_option("#q-year", "2027")
    await expect(page.locator("#q-cal-known")).to_contain_text("尚未公布")
    await page.fill("#q-cal-form input[name=day]", "2027-01-01")
    await page.fill("#q-cal-form input[name=note]", "元旦")
    await page.click("#q-cal-form button[type=submit]")
    await expect(page.locator("#q-overrides tbody")).to_contain_text("元旦")
    await page.click("#q-confirm-year")
    await expect(page.locator("#q-cal-known")).to_contain_text("本厅已录入并确认")
    await page.locator("#q-calendar").screenshot(path=str((await screenshot(page, "rating-calendar")).parent
                                                        / "rating-calendar-card.png"))
    _, body = await hall.manager.get(f"/api/v1/halls/{hall.hall_id}/deadline?received=2026-12-28")
    assert (body["due"], body["provisional"]) == ("2027-01-05", False)


async def test_the_managers_tablet_flashes_a_new_bad_rating_and_shows_the_scan(browser: Browser, hall: Hall) -> None:
    from tests.browser.conftest import sign_in
    from tests.http.test_ratings import BAD

    clerk = await hall.clerk_at(1)
    t = await served(hall, clerk)
    page = await new_page(browser, hall, width=1280, height=800)
    await sign_in(page, "manager", "demo-manager", f"/manager/{hall.hall_id}")
    await expect(page.locator("#quality-strip")).to_contain_text("0 差评待处理")
    await hall.anon.post(f"/api/v1/ticket-status/{t['token']}/rating", BAD)
    await expect(page.locator("#quality-strip")).to_contain_text("1 差评待处理", timeout=8000)
    await expect(page.locator("#quality-strip")).to_have_class("flash")
    await hall.manager.post(f"/api/v1/halls/{hall.hall_id}/deadline-scan")
    await expect(page.locator("#quality-strip")).to_contain_text("到期扫描", timeout=8000)
    await screenshot(page, "rating-tablet-strip")


async def test_the_clerk_types_the_case_number_in_the_finish_dialog(browser: Browser, hall: Hall) -> None:
    from tests.browser.test_console import console

    t = await hall.issue("B")
    page = await console(browser, hall, (1366, 768), "clerk1", 5)
    await page.keyboard.press("Space")
    await page.keyboard.press("s")
    await page.keyboard.press("f")
    await expect(page.locator("#d-finish-case")).to_be_visible()
    await page.locator("#d-finish-case").fill("5001122026113000017")
    await screenshot(page, "rating-console-case-number")
    await page.keyboard.press("Enter")
    await expect(page.locator("#c-number")).to_have_text("—")
    _, rated = await hall.anon.post(f"/api/v1/ticket-status/{t['token']}/rating", {"level": "satisfied"})
    assert rated["case_number"] == "5001122026113000017"
