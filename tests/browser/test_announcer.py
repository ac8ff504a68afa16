"""The lobby's announcer in Chromium (displays/static/announcer.js): a burst of calls is said back to back, and
a call superseded before its turn (the same window called again, the ticket no longer called) is dropped."""

from __future__ import annotations

from playwright.async_api import Browser

from tests.browser.conftest import new_page
from tests.conftest import Hall

SETUP = """async () => {
  await new Promise((ok, bad) => { const s = document.createElement('script'); s.src = '/static/announcer.js';
                                   s.onload = ok; s.onerror = bad; document.head.appendChild(s); });
  window.said = []; window.started = [];
  // Played for real elsewhere (tests/displays/test_voice.py measures the audio); here each call "plays" 40 ms.
  const a = new hallops.Announcer({ hall: 'liangjiang', mode: 'on',
                                    isCurrent: item => !(window.gone || []).includes(item.ticket) });
  a.play = item => { window.started.push([item.ticket, performance.now()]);
                     return new Promise(r => setTimeout(() => { window.said.push(item.ticket); r(); }, 40)); };
  window.a = a;
}"""


async def test_a_burst_is_said_in_order_and_superseded_calls_are_dropped(browser: Browser, hall: Hall) -> None:
    page = await new_page(browser, hall, 1920, 1080)
    await page.goto("/kiosk/liangjiang")  # any page of ours: the script is served beside the displays'
    await page.evaluate(SETUP.replace("/static/announcer.js", await static_url(page)))
    await page.evaluate("""() => {
      window.gone = ['A003'];                           // started before its turn came
      for (const [t, w] of [['A001', 1], ['A002', 2], ['A003', 3], ['A004', 4], ['A005', 1], ['A006', 6],
                            ['A007', 7], ['A008', 8], ['A009', 9], ['A010', 10], ['A011', 11]]) {
        a.announce({ ticket: t, window: w, kind: 'call' });
      }
    }""")
    await page.wait_for_function("() => window.a.queue.length === 0 && !window.a.busy", timeout=10000)
    said = await page.evaluate("() => window.said")
    # A001 was already playing when window 1 called A005; A003 was no longer called at window 3.
    assert said == ["A001", "A002", "A004", "A005", "A006", "A007", "A008", "A009", "A010", "A011"]
    gaps = await page.evaluate("() => window.started.slice(1).map((s, i) => s[1] - window.started[i][1])")
    assert max(gaps) < 200, gaps  # back to back: the next call starts as the last one ends
    dropped = await page.evaluate("() => window.a.dropped.map(i => i.ticket)")
    assert dropped == ["A003"]


async def test_the_same_window_called_again_replaces_the_waiting_call(browser: Browser, hall: Hall) -> None:
    page = await new_page(browser, hall, 1920, 1080)
    await page.goto("/kiosk/liangjiang")
    await page.evaluate(SETUP.replace("/static/announcer.js", await static_url(page)))
    await page.evaluate("""() => { for (const [t, w] of [['B001', 1], ['B002', 2], ['B003', 2]])
                                     a.announce({ ticket: t, window: w, kind: 'call' }); }""")
    await page.wait_for_function("() => window.a.queue.length === 0 && !window.a.busy", timeout=5000)
    assert await page.evaluate("() => window.said") == ["B001", "B003"]


async def static_url(page: object) -> str:
    return "/displays/static/announcer.js"
