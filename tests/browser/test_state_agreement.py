"""The browser's fold (displays/static/hallstate.js) and the lobby page against the reference fold and the server.

The recorded busy day (tests/displays/busy_day.json: the morning's snapshot, every event, and the server's view
after each) is replayed through hallstate.js in headless Chromium: after every event it shows what the server
showed and what hallops/domain/hallstate.py folds. Then the same day is played against a real server with a
lobby page open: after every event the page's state agrees with the reference, and at checkpoints the page
itself shows the reference's waiting counts, window numbers and "now calling" (twice it reconnects on the
way, and folds on from the snapshot it is given).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.async_api import Browser, Page

from displays.agent.board import Board
from hallops.domain import hallstate
from tests.browser.conftest import new_page, screenshot
from tests.conftest import Hall
from tests.displays.busy_day import Day, differences, load_recording, view

HALLSTATE_JS = Path(__file__).resolve().parents[2] / "displays" / "static" / "hallstate.js"
CHECKPOINT_EVERY = 40
TAKE_FOLDED = """seq => {
    const s = foldedStates[seq];
    for (const k in foldedStates) if (+k <= seq) delete foldedStates[k];
    return s;
}"""


async def test_the_browsers_fold_agrees_with_the_server_and_the_reference_after_every_event(
        browser: Browser) -> None:
    rec = load_recording()
    page = await browser.new_page()
    await page.add_script_tag(path=str(HALLSTATE_JS))
    states = await page.evaluate("""rec => {
        const { adopt, fold } = hallops.hallstate;
        let s = adopt(rec.snapshot);
        return rec.events.map(ev => (s = fold(s, ev)));
    }""", {"snapshot": rec["snapshot"], "events": rec["events"]})
    ref = hallstate.adopt(rec["snapshot"])
    assert len(states) == len(rec["events"]) == len(rec["views"])
    for ev, js, expected in zip(rec["events"], states, rec["views"], strict=True):
        ref = hallstate.fold(ref, ev)
        assert view(js) == expected, (ev["seq"], ev["type"], differences(view(js), expected))
        assert js == ref, (ev["seq"], ev["type"])  # the whole state, the queues' oldest_at included
    # The longest waits move with the clock alone, the same way in both.
    later = hallstate.parse_time(ref["now"]) + 3600.5
    assert await page.evaluate("([s, t]) => hallops.hallstate.at(s, t * 1000)", [states[-1], later]) \
        == hallstate.at(ref, later)


def cell_text(w: dict[str, Any]) -> str:
    """What the lobby shows in a window's cell (lobby.js): pinned here by hand."""
    if w["state"] == "paused":
        return "暂停"
    if w["state"] == "closed":
        return "—"
    return str(w["current"]["number"]) if w["current"] else "空闲"


async def shown(page: Page) -> dict[str, Any]:
    return await page.evaluate("""() => ({
        now: hallopsBoard.live.serverNow().getTime() / 1000,
        calling: document.getElementById('now-number')?.textContent ?? null,
        waiting: [...document.querySelectorAll('#waiting li')].map(li =>
            [li.querySelector('.q-prefix').textContent, Number(li.querySelector('.q-count').textContent)]),
        windows: [...document.querySelectorAll('#windows .win')].map(c =>
            [Number(c.dataset.window), c.querySelector('.win-cur').innerText]),
        recent: [...document.querySelectorAll('#recent li')].map(li => li.dataset.ticket),
    })""")


async def test_the_lobby_shows_what_the_reference_shows_through_a_busy_day(browser: Browser, hall: Hall) -> None:
    page = await new_page(browser, hall, 1920, 1080)
    code = hall.layout["hall"]["code"]
    await page.goto(f"/displays/{code}/lobby?voice=off&token={hall.display.token}")
    await page.wait_for_function("() => window.hallopsBoard && window.hallopsBoard.state !== null")
    # Keep each state the page folds, by sequence number: a background loop may commit more events (alerts)
    # before the test looks.
    await page.evaluate("""() => {
        const b = hallopsBoard; let s = b.state; window.foldedStates = {};
        Object.defineProperty(b, "state", { get: () => s, set: v => { s = v; if (v) foldedStates[v.seq] = v; } });
    }""")
    day = Day(hall, lambda *a: checked(*a))
    ref = hallstate.adopt(await day.start())
    agent = Board()
    agent.load(ref)
    seen = {"events": 0, "checkpoints": 0}

    async def checked(events: list[dict[str, Any]], state: dict[str, Any], before: dict[str, Any]) -> None:
        nonlocal ref
        for ev in events:
            ref = hallstate.fold(ref, ev)
            agent.apply(ev)
        seq = events[-1]["seq"]
        await page.wait_for_function("seq => seq in foldedStates", arg=seq, timeout=5000)
        on_page = await page.evaluate(TAKE_FOLDED, seq)
        assert view(on_page) == view(ref), (seq, differences(view(on_page), view(ref)))
        assert view(hallstate.at(ref, hallstate.parse_time(state["now"]))) == view(state)  # at one clock
        before_count = seen["events"]
        seen["events"] += len(events)
        if seen["events"] // CHECKPOINT_EVERY != before_count // CHECKPOINT_EVERY \
                or events[-1]["type"] == "day.closed":
            await compare_page(page, ref, agent)
            seen["checkpoints"] += 1
            if seen["checkpoints"] in (3, 7):
                # The screen loses its connection: it resumes from the last event it saw, with a fresh
                # snapshot, and goes on folding from there.
                await page.evaluate("hallopsBoard.live.refresh()")
                await page.wait_for_function("seq => seq in foldedStates", arg=seq, timeout=5000)
                on_page = await page.evaluate(TAKE_FOLDED, seq)
                assert view(on_page) == view(hallstate.at(ref, hallstate.parse_time(on_page["now"])))

    await day.run_from_start()
    assert seen["events"] == day.count >= 400 and seen["checkpoints"] >= 10
    await page.wait_for_timeout(300)
    await screenshot(page, "lobby-busy-day")


async def compare_page(page: Page, ref: dict[str, Any], agent: Board) -> None:
    got = await shown(page)
    assert got["waiting"] == [[q["prefix"], q["waiting"]] for q in ref["queues"]]
    assert got["windows"] == [[w["number"], cell_text(w)] for w in ref["windows"]]
    calling = agent.now_calling(got["now"])
    assert got["calling"] == (calling["number"] if calling else None)
    assert len(got["recent"]) > 0 or not ref["latest_calls"]
