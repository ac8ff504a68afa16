"""The district's supervision page (巡察) in Chromium at 1280×800, by touch and keyboard: the coverage of the
centres below, a remote visit judged from the centre's live state and recent events, a finding given to the
centre's manager, and the coverage after the visit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import new_page, screenshot, sign_in
from tests.conftest import Hall

PASSWORD = "a-long-pass-9271"
AXE = (Path(__file__).resolve().parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


async def serious_violations(page: Page) -> list[Any]:
    """axe-core's serious and critical WCAG 2.2 AA findings on the page as it stands."""
    await page.evaluate(AXE)
    result = await page.evaluate("(o) => axe.run(document, o)", {"runOnly": {"type": "tag", "values": WCAG},
                                                                   "resultTypes": ["violations"]})
    return [(v["id"], v["nodes"][0]["target"]) for v in result["violations"] if v["impact"] in ("serious",
                                                                                                 "critical")]


async def add_centre(hall: Hall, code: str, name: str, level: str, parent: str) -> int:
    status, h = await hall.admin.post("/api/v1/halls", {"code": code, "name": name, "level": level,
                                                         "parent": parent})
    assert status == 201, h
    return int(h["hall"]["id"] if "hall" in h else h["id"])


async def test_a_remote_visit_from_the_coverage_to_a_finding_and_back(browser: Browser, hall: Hall) -> None:
    ids = {}
    for code, name, level, parent in [("renhe", "人和街道便民服务中心", "street", "liangjiang"),
                                      ("renhe-wanshou", "万寿社区便民服务站", "community", "renhe"),
                                      ("lijia", "礼嘉街道便民服务中心", "street", "liangjiang"),
                                      ("lijia-bailin", "白林社区便民服务站", "community", "lijia")]:
        ids[code] = await add_centre(hall, code, name, level, parent)
    bailin = ids["lijia-bailin"]
    status, u = await hall.admin.post("/api/v1/users", {"username": "m-bailin", "display_name": "吴白林",
                                                        "role": "manager", "password": PASSWORD, "hall": bailin})
    assert status == 201, u
    assert (await hall.admin.post(f"/api/v1/halls/{bailin}/queues", {"prefix": "A", "name": "综合受理"}))[0] == 201
    assert (await hall.admin.post(f"/api/v1/halls/{bailin}/windows", {"number": 1, "name": "综合窗口",
                                                                      "queues": ["A"]}))[0] == 201
    for _ in range(3):
        status, t = await hall.admin.post("/api/v1/tickets", {"queue": "A", "hall": bailin})
        assert status == 201

    page = await new_page(browser, hall, 1280, 800, has_touch=True, timezone_id="Asia/Shanghai")
    await sign_in(page, "manager", "demo-manager", f"/supervision/{hall.hall_id}")
    # 30 November 2026: none of the 4 centres visited, 4 × 334/365 = 3.7 expected by now.
    await expect(page.locator("#cov-body")).to_contain_text("0 / 4")
    await expect(page.locator("#cov-body")).to_contain_text("3.7")
    await expect(page.locator("#coverage")).to_have_class("panel behind")
    rows = page.locator("#not-visited li")
    await expect(rows).to_have_count(4)
    await expect(rows.first).to_contain_text("人和街道便民服务中心")
    await screenshot(page, "supervision-coverage-1280x800")
    assert await serious_violations(page) == []

    await page.locator(f"#not-visited li[data-hall='{bailin}'] [data-mode=remote]").tap()
    run = page.locator("#visit-run")
    await expect(run).to_contain_text("白林社区便民服务站")
    await expect(run).to_contain_text("网络监查")
    live = page.locator("#visit-live")
    await expect(live).to_be_visible()
    await expect(live.locator("table.queues tbody tr").first).to_contain_text("3")
    await expect(live.locator(".win[data-window='1']")).to_be_visible()
    await expect(live.locator("#live-events li", has_text="取号")).to_have_count(3)  # the newest first
    await expect(live.locator("#live-events li").first).to_contain_text(t["number"])

    items = run.locator(".item")
    await expect(items).to_have_count(7)
    for code in ["discipline", "integrity", "signage", "elderly_help", "queue_order"]:
        await run.locator(f".item[data-item={code}] [data-act=pass]").tap()
        await expect(run.locator(f".item[data-item={code}]")).to_have_class("item pass")
    # By keyboard: the last item's pass button, focused and pressed.
    await run.locator(".item[data-item=facilities] [data-act=pass]").focus()
    await page.keyboard.press("Enter")
    await expect(run.locator(".item[data-item=facilities]")).to_have_class("item pass")
    await expect(run.locator("[data-act=finish-visit]")).to_be_disabled()

    await run.locator(".item[data-item=service_quality] [data-act=fail]").tap()
    form = page.locator("#finding-form")
    await expect(form).to_be_visible()
    await expect(form.locator("select[name=window] option")).to_have_count(2)
    await form.locator("select[name=window]").select_option(index=1)
    await form.locator("input[name=severity][value=major]").check()
    # Found Monday 30 November: a major finding is due on Wednesday, shown as that day's last minute.
    await expect(form.locator("input[name=due_at]")).to_have_value("2026-12-02T23:59")
    await form.locator("textarea[name=description]").fill("3 位群众等候 20 分钟以上，窗口无人受理")
    await screenshot(page, "supervision-finding-form-1280x800")
    await form.locator("button[type=submit]").click()
    await expect(form).to_be_hidden()
    await expect(run.locator(".item[data-item=service_quality]")).to_have_class("item finding")
    await expect(run.locator(".visit-findings")).to_contain_text("吴白林")
    await expect(run.locator("[data-act=cancel-visit]")).to_be_disabled()
    await page.locator("#visit-note").fill("现场秩序尚可，窗口响应慢")
    await screenshot(page, "supervision-remote-visit-1280x800")
    assert await serious_violations(page) == []

    await run.locator("[data-act=finish-visit]").tap()
    await expect(page.locator("#sv-visit")).to_be_hidden()
    await expect(page.locator("#cov-body")).to_contain_text("1 / 4")
    await expect(rows).to_have_count(3)
    await expect(page.locator(f"#visited li[data-hall='{bailin}']")).to_contain_text("网络监查")
    await screenshot(page, "supervision-after-1280x800")
    await page.click("[data-action=toggle-lang]")
    await expect(page.get_by_role("heading", name="Coverage 2026 2026-01-01 – 2026-12-31")).to_be_visible()
    await expect(page.locator("#cov-title .zh").first).to_be_hidden()
    await screenshot(page, "supervision-after-en-1280x800")
    stored = await hall.db.one("SELECT status, mode, note FROM supervision_visits")
    assert tuple(stored) == ("finished", "remote", "现场秩序尚可，窗口响应慢")
    f = await hall.db.one("SELECT hall_id, responsible_name, severity FROM findings WHERE visit_id IS NOT NULL")
    assert tuple(f) == (bailin, "吴白林", "major")


async def test_the_centres_manager_sees_a_visits_finding_is_verified_from_above(browser: Browser, hall: Hall) -> None:
    await add_centre(hall, "renhe", "人和街道便民服务中心", "street", "liangjiang")
    wanshou = await add_centre(hall, "renhe-wanshou", "万寿社区便民服务站", "community", "renhe")
    status, _ = await hall.admin.post("/api/v1/users", {"username": "wanshou-mgr", "display_name": "周万寿",
                                                        "role": "manager", "password": PASSWORD, "hall": wanshou,
                                                        "must_change_password": False})
    assert status == 201
    inspector = await hall.login("manager", "demo-manager")
    status, v = await inspector.post(f"/api/v1/halls/{wanshou}/supervision/visits", {"mode": "on_site"})
    assert status == 201, v
    status, out = await inspector.post(f"/api/v1/supervision/visits/{v['id']}/findings",
                                       {"category": "signage", "description": "无障碍指引缺失"})
    assert status == 201, out
    centre = await hall.login("wanshou-mgr", PASSWORD)
    fid = out["finding"]["id"]
    assert (await centre.post(f"/api/v1/findings/{fid}/rectify", {"note": "已补设指引"}))[0] == 200
    page = await new_page(browser, hall, 1024, 768)
    await sign_in(page, "wanshou-mgr", PASSWORD, "/manager/renhe-wanshou")
    await page.click("[data-tab=findings]")
    await page.click(f"tr.finding[data-finding='{fid}']")
    detail = page.locator("#finding-detail")
    await expect(detail).to_contain_text("由上级中心验收")
    await expect(detail.locator("[data-act=f-verify]")).to_have_count(0)
    await expect(detail.locator("[data-act=f-reopen]")).to_have_count(0)
