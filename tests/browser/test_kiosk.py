"""The citizen's morning in headless Chromium: kiosk ticket → clerk's call by keyboard → the phone turns to
"请到 5 号窗口"; elderly priority, appointment check-in, a refused ticket at the cap, a double tap."""

from __future__ import annotations

import datetime as dt

from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import new_page, screenshot, sign_in
from tests.browser.test_citizen_a11y import serious
from tests.conftest import SHANGHAI, Hall

KIOSK_PORTRAIT = (1080, 1920)
KIOSK_LANDSCAPE = (1920, 1080)
PHONE = (360, 740)


async def kiosk(browser: Browser, hall: Hall, size: tuple[int, int] = KIOSK_PORTRAIT) -> Page:
    """A kiosk as installed: the token arrives once in the URL fragment."""
    page = await new_page(browser, hall, *size)
    await page.goto(f"/kiosk/liangjiang#token={hall.kiosk.token}")
    await page.locator("#k-home").wait_for(state="visible")
    assert "token" not in page.url  # wiped from the address bar
    await page.locator(".k-cat").first.wait_for()
    return page


async def take(page: Page, category: str, queue: str) -> str:
    await page.locator(".k-cat", has_text=category).click()
    await page.locator(f'#k-queue-list [data-queue="{queue}"]').click()
    await page.locator("#k-ticket").wait_for(state="visible")
    return (await page.locator("#k-t-number").inner_text()).strip()


async def test_kiosk_ticket_called_by_keyboard_shows_on_the_phone(browser: Browser, hall: Hall) -> None:
    await hall.issue("B")  # someone is already waiting
    page = await kiosk(browser, hall)
    await screenshot(page, "kiosk-portrait-home")
    await page.fill("#k-search", "身份证")  # a citizen knows the item, not the queue
    await page.locator("#k-results [data-queue]").first.wait_for()
    assert await page.locator("#k-results [data-queue]").first.get_attribute("data-queue") == "B"
    await page.fill("#k-search", "")
    number = await take(page, "个人事务", "B")
    assert number == "B002"
    await expect(page.locator("#k-t-ahead")).to_contain_text("1")
    await expect(page.locator("#k-t-wait")).to_contain_text("分钟")
    await page.locator("#k-t-qr").evaluate("img => img.decode()")
    await screenshot(page, "kiosk-portrait-ticket")

    row = await hall.db.one("SELECT token FROM tickets WHERE number = 'B002'")
    phone = await new_page(browser, hall, *PHONE)
    await phone.goto(f"/t/{row['token']}")
    await expect(phone.locator("#p-ahead")).to_have_text("1")
    await screenshot(phone, "phone-waiting")

    clerk = await new_page(browser, hall, 1366, 768)
    await sign_in(clerk, "clerk1", "demo-clerk", "/console/liangjiang")
    await clerk.locator('[data-number="5"]').click()
    await clerk.wait_for_url("**window=5")
    await expect(clerk.locator("#c-state")).to_contain_text("服务中")
    await clerk.keyboard.press("Space")  # B001
    await expect(clerk.locator("#c-number")).to_have_text("B001")
    await expect(phone.locator("#p-ahead")).to_have_text("0")
    await clerk.keyboard.press("s")
    await expect(clerk.locator("#c-tstatus")).to_contain_text("办理中")
    await clerk.keyboard.press("f")
    await clerk.locator("#d-finish-q").fill("身份证")
    await clerk.keyboard.press("Enter")  # pick the first matching item
    await expect(clerk.locator("#d-finish-picked")).to_contain_text("1")
    await clerk.keyboard.press("Enter")  # empty search: finish
    await expect(clerk.locator("#c-number")).to_have_text("—")
    await clerk.keyboard.press("Space")  # B002, the kiosk ticket
    await expect(clerk.locator("#c-number")).to_have_text("B002")
    await expect(phone.locator("#p-called")).to_be_visible()
    await expect(phone.locator("#p-called")).to_contain_text("请到 5 号窗口")
    await screenshot(phone, "phone-called")
    await expect(clerk.locator("#c-history")).to_contain_text("呼叫")
    await expect(clerk.locator("#c-figs")).to_contain_text("1")
    await screenshot(clerk, "console-1366x768")
    items = await hall.db.all("SELECT ti.item_id FROM ticket_items ti JOIN tickets t ON t.id = ti.ticket_id "
                                    "WHERE t.number = 'B001'")
    assert len(items) == 1


async def test_elderly_button_gives_a_priority_ticket(browser: Browser, hall: Hall) -> None:
    page = await kiosk(browser, hall, KIOSK_LANDSCAPE)
    await screenshot(page, "kiosk-landscape-home")
    await page.click("#k-elderly")
    await expect(page.locator("#k-elderly")).to_have_attribute("aria-pressed", "true")
    await take(page, "社保医保", "G")
    await expect(page.locator("#k-t-tags")).to_contain_text("老年人优先")
    await screenshot(page, "kiosk-landscape-ticket")
    row = await hall.db.one("SELECT priority, channel FROM tickets WHERE number = 'G001'")
    assert (row["priority"], row["channel"]) == ("elderly", "kiosk")
    await page.click('#k-ticket [data-go="home"]')  # the next citizen is not elderly by accident
    await expect(page.locator("#k-elderly")).to_have_attribute("aria-pressed", "false")


async def test_appointment_check_in_at_the_kiosk(browser: Browser, hall: Hall) -> None:
    status, body = await hall.manager.post("/api/v1/halls/liangjiang/appointment-slots", {
        "queue": "D", "day": "2026-11-30", "start": "09:00", "end": "10:00", "every_minutes": 30, "capacity": 2})
    assert status == 200 and body["created"] == 2
    status, body = await hall.manager.post("/api/v1/halls/liangjiang/appointments/import", {
        "csv": "code,name,phone,queue,start\n246810,李明,13800001234,D,2026-11-30 09:30\n"})
    assert status == 200, body
    page = await kiosk(browser, hall)
    await page.click("#k-appt-open")
    for d in "246810":
        await page.click(f'#k-pad [data-key="{d}"]')
    await expect(page.locator("#k-code")).to_have_text("246810")
    await screenshot(page, "kiosk-portrait-checkin")
    await page.click("#k-checkin-go")
    await page.locator("#k-ticket").wait_for(state="visible")
    await expect(page.locator("#k-t-number")).to_have_text("D001")
    await expect(page.locator("#k-t-tags")).to_contain_text("预约")
    row = await hall.db.one("SELECT channel, appointment_at FROM tickets WHERE number = 'D001'")
    assert row["channel"] == "appointment"
    assert row["appointment_at"] == dt.datetime(2026, 11, 30, 9, 30, tzinfo=SHANGHAI).timestamp()


async def test_a_refused_ticket_when_the_cap_is_reached(browser: Browser, hall: Hall) -> None:
    status, _ = await hall.admin.patch(f"/api/v1/queues/{hall.queue_id('E')}", {"daily_cap": 1})
    assert status == 200
    await hall.issue("E")
    page = await kiosk(browser, hall)
    await page.locator(".k-cat", has_text="企业服务").click()
    await page.locator('#k-queue-list [data-queue="E"]').click()
    await expect(page.locator("#k-toast")).to_contain_text("今日该业务号源已满")
    await screenshot(page, "kiosk-portrait-refused")
    assert await page.locator("#k-ticket").is_hidden()
    n = await hall.db.one("SELECT count(*) FROM tickets WHERE queue_id = ?", (hall.queue_id("E"),))
    assert n[0] == 1


async def test_a_double_tap_gives_one_ticket(browser: Browser, hall: Hall) -> None:
    page = await kiosk(browser, hall)
    await page.locator(".k-cat", has_text="企业服务").click()
    await page.locator('#k-queue-list [data-queue="F"]').dblclick()
    await page.locator("#k-ticket").wait_for(state="visible")
    # Two quick taps again, this time from two events in the same task (no await between them).
    await page.click('#k-ticket [data-go="home"]')
    await page.locator(".k-cat", has_text="企业服务").click()
    await page.evaluate("""() => { const b = document.querySelector('#k-queue-list [data-queue="F"]');
                                   b.click(); b.click(); }""")
    await expect(page.locator("#k-t-number")).to_have_text("F002")
    await page.wait_for_timeout(300)
    n = await hall.db.one("SELECT count(*) FROM tickets WHERE queue_id = ?", (hall.queue_id("F"),))
    assert n[0] == 2


# -- issue 15: search that fits, 一码取号, English, out of service; issue 16: keyboard only ------------------

async def results_fit(page: Page) -> int:
    """How many results (items and bundles) show, each wholly inside the viewport and inside its card (nothing
    cut off)."""
    await page.locator("#k-results .k-result").first.wait_for()
    return int(await page.evaluate("""() => {
      const vw = innerWidth, vh = innerHeight;
      const rows = [...document.querySelectorAll('#k-results .k-result, #k-results .k-bresult')];
      for (const r of rows) {
        const b = r.getBoundingClientRect();
        if (b.top < 0 || b.bottom > vh || b.left < 0 || b.right > vw) throw new Error('outside: ' + r.textContent);
        for (const c of r.querySelectorAll('.k-rname, .k-waiting, .k-prefix')) {
          const cb = c.getBoundingClientRect();
          if (cb.right > b.right + 1 || cb.bottom > b.bottom + 1)
            throw new Error('overflows its card: ' + r.textContent);
        }
      }
      return rows.length;
    }"""))


async def test_search_results_all_fit_with_the_tiles_hidden(browser: Browser, hall: Hall) -> None:
    for size, name in ((KIOSK_PORTRAIT, "portrait"), (KIOSK_LANDSCAPE, "landscape")):
        page = await kiosk(browser, hall, size)
        await page.fill("#k-search", "登记")
        assert await results_fit(page) == 8
        await expect(page.locator("#k-cats")).to_be_hidden()
        await screenshot(page, f"kiosk-{name}-search")
        await page.fill("#k-search", "business licence")  # the placeholder's own example
        await expect(page.locator("#k-results .k-result").first).to_contain_text("营业执照设立登记")
        await page.fill("#k-search", "yyzz")
        await expect(page.locator("#k-results .k-result").first).to_contain_text("营业执照设立登记")
        await page.fill("#k-search", "sb")
        await expect(page.locator("#k-results .k-result").first).to_have_attribute("data-queue", "G")
        await page.fill("#k-search", "")
        await expect(page.locator("#k-cats")).to_be_visible()
        await page.context.close()


async def test_one_code_takes_a_real_name_ticket(browser: Browser, hall: Hall) -> None:
    page = await kiosk(browser, hall)
    await page.click("#k-scan-open")
    await expect(page.locator("#k-scan-input")).to_be_focused()  # the scanner types into it
    await screenshot(page, "kiosk-portrait-scan")
    await page.keyboard.type("YKM1:50010119900101123X")
    await page.keyboard.press("Enter")
    await expect(page.locator("#k-person-title")).to_contain_text("张*华")
    await expect(page.locator("#k-person h1")).to_be_focused()
    await page.click("#k-p-choose")
    await expect(page.locator("#k-who")).to_contain_text("张*华")
    await page.fill("#k-search", "户口迁移")
    await page.locator('#k-results [data-queue="B"]').first.click()
    await page.locator("#k-ticket").wait_for(state="visible")
    await expect(page.locator("#k-t-person")).to_have_text("张*华 · 5001**********123X")
    await expect(page.locator("#k-say")).to_contain_text("B001")
    await screenshot(page, "kiosk-portrait-real-name-ticket")
    assert "张三华" not in await page.content()


async def test_identity_provider_down_leaves_ordinary_tickets(browser: Browser, hall: Hall) -> None:
    from hallops.http.keys import USECASES

    hall.client.server.app[USECASES].citizens.identity.down = True  # type: ignore[attr-defined]
    page = await kiosk(browser, hall)
    await page.click("#k-scan-open")
    await page.keyboard.type("YKM1:50010119900101123X\n")
    await expect(page.locator("#k-toast")).to_contain_text("身份核验服务暂不可用")
    await expect(page.locator("#k-home")).to_be_visible()
    assert await take(page, "个人事务", "B") == "B001"


async def test_english_mode_on_the_kiosk_clock_and_counts(browser: Browser, hall: Hall) -> None:
    page = await kiosk(browser, hall, KIOSK_LANDSCAPE)
    await page.click('[data-action="toggle-lang"]')
    await expect(page.locator("#k-clock")).not_to_contain_text("月")
    text = await page.locator("#k-clock").inner_text()
    assert any(m in text for m in ("January", "February", "March", "April", "May", "June", "July", "August",
                                    "September", "October", "November", "December")), text
    await page.locator(".k-cat").first.click()
    visible = await page.evaluate("""() => [...document.querySelectorAll('#k-queues *')].filter(e =>
        e.offsetParent !== null && e.children.length === 0 && /[\u4e00-\u9fff]/.test(e.textContent))
        .map(e => e.textContent)""")
    assert visible == [], visible
    await screenshot(page, "kiosk-landscape-english")


async def test_a_revoked_token_shows_citizens_no_form(browser: Browser, hall: Hall) -> None:
    page = await new_page(browser, hall, *KIOSK_PORTRAIT)
    await page.goto("/kiosk/liangjiang#token=hop_not_a_real_token_at_all")
    await page.locator("#k-setup").wait_for(state="visible")
    await expect(page.locator("#k-setup h1")).to_contain_text("本机暂停服务")
    assert await page.locator("#k-setup input, #k-setup form").count() == 0
    await screenshot(page, "kiosk-portrait-out-of-service")


async def test_the_kiosk_by_keyboard_alone(browser: Browser, hall: Hall) -> None:
    """Tab and Enter only: a category, a queue, the ticket; check-in by the keypad's digits."""
    page = await kiosk(browser, hall)
    await expect(page.locator("#k-home h1")).to_be_focused()
    focused = []
    for _ in range(40):  # Tab to the first category tile
        await page.keyboard.press("Tab")
        cls = await page.evaluate("document.activeElement.className")
        focused.append(cls)
        if "k-cat" in cls:
            break
    assert "k-cat" in focused[-1], focused
    outline = await page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # a visible focus
    await page.keyboard.press("Enter")
    await expect(page.locator("#k-queues h1")).to_be_focused()
    await page.keyboard.press("Tab")  # back
    await page.keyboard.press("Tab")  # the first queue
    assert await page.evaluate("document.activeElement.dataset.queue") is not None
    await page.keyboard.press("Enter")
    await page.locator("#k-ticket").wait_for(state="visible")
    await expect(page.locator("#k-ticket h1")).to_be_focused()
    await expect(page.locator("#k-say")).to_contain_text("号码")
    # Done, then appointment check-in with a physical keypad.
    await hall.manager.post("/api/v1/halls/liangjiang/appointment-slots", {
        "queue": "D", "day": "2026-11-30", "start": "09:00", "end": "10:00", "every_minutes": 60, "capacity": 2})
    await hall.manager.post("/api/v1/halls/liangjiang/appointments", {"queue": "D", "start": "2026-11-30 09:00",
                                                                     "code": "424242"})
    await page.evaluate("document.querySelector('#k-appt-open').click()")
    await expect(page.locator("#k-checkin h1")).to_be_focused()
    await page.keyboard.type("4242429")
    await page.keyboard.press("Backspace")
    await expect(page.locator("#k-code")).to_have_text("424242")
    await page.keyboard.press("Enter")
    await page.locator("#k-ticket").wait_for(state="visible")
    assert (await page.locator("#k-t-number").inner_text()).startswith("D")


async def test_a_scanner_on_the_start_screen_needs_no_tap(browser: Browser, hall: Hall) -> None:
    page = await kiosk(browser, hall)
    await page.locator("#k-home h1").focus()
    await page.keyboard.type("YKM1:500112195505053215")  # a scanner types fast
    await page.keyboard.press("Enter")
    await expect(page.locator("#k-person-title")).to_contain_text("李*英")


# -- issue 13: 一件事一次办 bundles --------------------------------------------------------------------------

async def cards_fit(page: Page, selector: str) -> int:
    """How many cards show, each wholly inside the viewport (nothing cut off, nothing to scroll to)."""
    return int(await page.evaluate("""(sel) => {
      const cards = [...document.querySelectorAll(sel)].filter(c => c.offsetParent !== null);
      for (const c of cards) {
        const b = c.getBoundingClientRect();
        if (b.top < 0 || b.bottom > innerHeight || b.left < 0 || b.right > innerWidth)
          throw new Error('outside: ' + c.textContent);
        for (const x of c.querySelectorAll('.k-bstep, .k-bname, .k-waiting')) {
          const xb = x.getBoundingClientRect();
          if (xb.right > b.right + 1 || xb.bottom > b.bottom + 1)
            throw new Error('overflows its card: ' + c.textContent);
        }
      }
      return cards.length;
    }""", selector))


async def test_a_bundle_ticket_at_the_kiosk_keeps_its_number_window_to_window(browser: Browser, hall: Hall) -> None:
    for size, name, bundle, number in ((KIOSK_PORTRAIT, "portrait", "开办企业一件事", "Q001"),
                                       (KIOSK_LANDSCAPE, "landscape", "新生儿出生一件事", "R001")):
        page = await kiosk(browser, hall, size)
        await expect(page.locator(".k-cat-bundles")).to_contain_text("5 个套餐")
        await page.locator(".k-cat-bundles").click()
        await expect(page.locator("#k-bundles h1")).to_be_focused()
        cards = page.locator("#k-bundle-list .k-bundle")
        await expect(cards).to_have_count(5)
        first = cards.filter(has_text="开办企业一件事")
        await expect(first.locator(".k-bstep")).to_have_count(5)  # the steps in order, with their departments
        await expect(first.locator(".k-bstep").nth(0)).to_contain_text("营业执照设立登记")
        await expect(first.locator(".k-bstep").nth(1)).to_contain_text("公安分局")
        # Every bundle, and the bundle windows' own queues, on one screen: nothing to scroll to.
        await screenshot(page, f"kiosk-{name}-bundles")
        assert await cards_fit(page, "#k-bundle-list .k-bundle, #k-bundle-list .k-queue") == 7
        assert await serious(page) == [], "bundles"
        await cards.filter(has_text=bundle).click()
        await page.locator("#k-ticket").wait_for(state="visible")
        await expect(page.locator("#k-t-number")).to_have_text(number)
        await expect(page.locator("#k-t-route")).to_contain_text(bundle)
        await expect(page.locator("#k-say")).to_contain_text(number)
        await expect(page.locator("#slip-route")).to_contain_text("号码不变")
        await expect(page.locator('#k-ticket [data-go="home"]')).to_be_in_viewport(ratio=1)  # all of it on screen
        assert await serious(page) == [], "bundle ticket"
        await screenshot(page, f"kiosk-{name}-bundle-ticket")
        await page.context.close()
    rows = await hall.db.all("SELECT t.number, t.channel, b.code FROM bundle_tickets bt JOIN tickets t ON t.id = "
                             "bt.ticket_id JOIN bundles b ON b.id = bt.bundle_id ORDER BY t.id")
    assert [tuple(r) for r in rows] == [("Q001", "kiosk", "yjs-business-start"), ("R001", "kiosk", "yjs-newborn")]
    # Finished at the bundle window, Q001 waits at business registration (D) with its number.
    clerk = await hall.clerk_at(14)
    status, body = await clerk.post(f"/api/v1/windows/{hall.window_id(14)}/call-next")
    assert status == 200 and body["ticket"]["number"] == "Q001", body
    ticket_id = body["ticket"]["id"]
    await clerk.post(f"/api/v1/tickets/{ticket_id}/start")
    status, body = await clerk.post(f"/api/v1/tickets/{ticket_id}/finish")
    assert status == 200 and body["ticket"]["status"] == "waiting" and body["ticket"]["number"] == "Q001"
    assert body["ticket"]["queue"] == "D", body


async def test_searching_a_bundles_name_finds_the_bundle(browser: Browser, hall: Hall) -> None:
    page = await kiosk(browser, hall, KIOSK_LANDSCAPE)
    await page.fill("#k-search", "开办企业")
    found = page.locator("#k-results .k-bresult")
    await expect(found).to_have_count(1)
    await expect(found).to_contain_text("开办企业一件事")
    await page.fill("#k-search", "登记")  # a bundle first, then the items: eight rows in all, all of them fit
    await expect(page.locator("#k-results .k-bresult")).to_have_count(1)
    await expect(page.locator("#k-results .k-result")).to_have_count(7)
    assert await results_fit(page) == 8
    await screenshot(page, "kiosk-landscape-search-bundle")
    await page.fill("#k-search", "开办企业")
    await expect(found).to_have_count(1)
    await expect(found).to_contain_text("开办企业一件事")  # this search's answer, not the last one's
    await found.click()
    await page.locator("#k-ticket").wait_for(state="visible")
    await expect(page.locator("#k-t-number")).to_have_text("Q001")


async def test_the_bundles_in_english(browser: Browser, hall: Hall) -> None:
    page = await kiosk(browser, hall, KIOSK_LANDSCAPE)
    await page.click('[data-action="toggle-lang"]')
    await page.locator(".k-cat-bundles").click()
    await expect(page.locator("#k-bundle-list .k-bundle").first).to_contain_text("Business licence")
    visible = await page.evaluate("""() => [...document.querySelectorAll('#k-bundles *')].filter(e =>
        e.offsetParent !== null && e.children.length === 0 && /[\u4e00-\u9fff]/.test(e.textContent))
        .map(e => e.textContent)""")
    assert visible == [], visible
    assert await cards_fit(page, "#k-bundle-list .k-bundle, #k-bundle-list .k-queue") == 7
    await screenshot(page, "kiosk-landscape-bundles-english")
