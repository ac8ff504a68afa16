"""The hall's model from the console (issue 13): deleting is archiving, refused with the reason when it would
break the day; bundles; the item-list import with its dry run; device tokens; each change in the audit log
and on the event stream."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook

from hallops.domain.model import Role
from tests.conftest import Api, Hall

HEADER = "事项编码,事项名称,部门,业务类型\n"


async def audit(hall: Hall, action: str) -> list[dict[str, Any]]:
    status, body = await hall.admin.get(f"/api/v1/audit?action={action}")
    assert status == 200, body
    return body["entries"]


async def item_id(hall: Hall, code: str) -> int:
    row = await hall.db.one("SELECT id FROM service_items WHERE code = ?", (code,))
    return int(row[0])


async def test_a_queue_with_waiting_tickets_cannot_be_deleted(hall: Hall) -> None:
    t = await hall.issue("K")
    status, body = await hall.admin.delete(f"/api/v1/queues/{hall.queue_id('K')}")
    assert status == 409 and body["error"] == "queue_has_tickets" and "1 张未办完" in body["message"]
    assert (await hall.db.one("SELECT active FROM queues WHERE prefix = 'K'"))[0] == 1
    await hall.manager.post(f"/api/v1/tickets/{t['id']}/cancel")
    status, body = await hall.admin.delete(f"/api/v1/queues/{hall.queue_id('K')}")
    assert status == 200 and body["active"] is False
    row = await hall.db.one("SELECT name, archived_at FROM queues WHERE prefix = 'K'")
    assert row[0] == "工程建设审批" and row[1] is not None  # history keeps the name
    [entry] = await audit(hall, "queue.archive")
    assert entry["before"] == {"active": True} and entry["after"] == {"active": False}


async def test_the_last_window_serving_a_queue_cannot_be_deleted_or_lose_it(hall: Hall) -> None:
    w22 = hall.window_id(22)  # the only window serving K (工程建设审批)
    status, body = await hall.admin.delete(f"/api/v1/windows/{w22}")
    assert status == 409 and body["error"] == "last_window_for_queue" and body["detail"]["queues"] == ["K"]
    status, body = await hall.admin.patch(f"/api/v1/windows/{w22}", {"queues": ["J"]})
    assert status == 409 and body["error"] == "last_window_for_queue"
    status, body = await hall.admin.patch(f"/api/v1/windows/{w22}", {"queues": ["K", "J"]})
    assert status == 200 and body["queues"] == ["K", "J"]
    # With another window serving K, window 22 may go.
    status, body = await hall.admin.patch(f"/api/v1/windows/{hall.window_id(21)}", {"queues": ["J", "K"]})
    assert status == 200
    status, body = await hall.admin.delete(f"/api/v1/windows/{w22}")
    assert status == 200 and body["active"] is False
    assert await audit(hall, "window.archive")


async def test_an_item_on_todays_tickets_cannot_be_deleted_until_tomorrow(hall: Hall) -> None:
    clerk = await hall.clerk_at(5)
    t = await hall.issue("B")
    await clerk.post(f"/api/v1/windows/{hall.window_id(5)}/call-next")
    await clerk.post(f"/api/v1/tickets/{t['id']}/start")
    assert (await clerk.post(f"/api/v1/tickets/{t['id']}/finish", {"items": ["psb-hukou-move"]}))[0] == 200
    iid = await item_id(hall, "psb-hukou-move")
    status, body = await hall.admin.delete(f"/api/v1/service-items/{iid}")
    assert status == 409 and body["error"] == "item_in_use_today"
    hall.clock.advance(24 * 3600)
    status, body = await hall.admin.delete(f"/api/v1/service-items/{iid}")
    assert status == 200 and body["active"] is False
    row = await hall.db.one("SELECT i.name FROM ticket_items ti JOIN service_items i ON i.id = ti.item_id "
                            "WHERE ti.ticket_id = ?", (t["id"],))
    assert row[0] == "户口迁移"


async def test_a_department_in_use_cannot_be_deleted(hall: Hall) -> None:
    dept = await hall.db.one("SELECT id FROM departments WHERE code = 'housing'")
    status, body = await hall.admin.delete(f"/api/v1/departments/{dept[0]}")
    assert status == 409 and body["error"] == "department_in_use"
    status, body = await hall.admin.post(f"/api/v1/halls/{hall.hall_id}/departments", {"code": "new", "name": "新部门"})
    assert status == 201
    status, body = await hall.admin.delete(f"/api/v1/departments/{body['id']}")
    assert status == 200


async def test_bundles_are_ordered_items_and_hold_their_items(hall: Hall) -> None:
    spec = {"code": "newborn", "name": "新生儿出生一件事", "queue": "R",
            "items": ["psb-birth-registration", "psb-hukou-move"]}
    status, b = await hall.admin.post(f"/api/v1/halls/{hall.hall_id}/bundles", spec)
    assert status == 201, b
    assert [i["code"] for i in b["items"]] == ["psb-birth-registration", "psb-hukou-move"] and b["queue"] == "R"
    status, body = await hall.admin.post(f"/api/v1/halls/{hall.hall_id}/bundles", {**spec, "code": "one",
                                                                                    "items": ["psb-hukou-move"]})
    assert status == 422
    status, body = await hall.admin.post(f"/api/v1/halls/{hall.hall_id}/bundles", {**spec, "code": "dup",
                                         "items": ["psb-hukou-move", "psb-hukou-move"]})
    assert status == 422 and body["error"] == "duplicate_item"
    status, body = await hall.admin.patch(f"/api/v1/bundles/{b['id']}", {"items": ["psb-hukou-move",
                                                                                 "psb-birth-registration"]})
    assert status == 200 and [i["code"] for i in body["items"]] == ["psb-hukou-move", "psb-birth-registration"]
    status, body = await hall.admin.delete(f"/api/v1/service-items/{await item_id(hall, 'psb-hukou-move')}")
    assert status == 409 and body["error"] == "item_in_bundle"
    assert (await hall.admin.delete(f"/api/v1/bundles/{b['id']}"))[0] == 200
    assert (await hall.admin.delete(f"/api/v1/service-items/{await item_id(hall, 'psb-hukou-move')}"))[0] == 200
    [upd] = await audit(hall, "bundle.update")
    assert upd["before"]["items"] == ["psb-birth-registration", "psb-hukou-move"]


def csv_of(n: int, bad_lines: dict[int, str] | None = None) -> bytes:
    lines = [HEADER]
    for i in range(n):
        lines.append(bad_lines.get(i, "") if bad_lines and i in bad_lines else
                     f"11500112MB15031{i:05d},事项{i},公安分局,B\n")
    return "".join(lines).encode("utf-8-sig")


async def upload(api: Api, hall: Hall, data: bytes, name: str, apply: int = 0) -> tuple[int, Any]:
    """The file as the console sends it: the raw body (a stream: aiohttp warns of large bytes bodies)."""
    headers = api._headers({"Content-Type": "application/octet-stream"})
    async with api.client.post(f"/api/v1/halls/{hall.hall_id}/service-items/import?apply={apply}&filename={name}",
                               data=io.BytesIO(data), headers=headers) as resp:
        return resp.status, await resp.json()


async def test_import_dry_run_shows_bad_rows_by_line_and_changes_nothing(hall: Hall) -> None:
    before = (await hall.db.one("SELECT count(*) FROM service_items"))[0]
    data = csv_of(3000, {10: "11500112MB1503100010,,公安分局,B\n", 500: "坏 编码,事项,公安分局,B\n",
                         2999: "11500112MB1503102999,事项,不存在的部门,B\n"})
    status, p = await upload(hall.admin, hall, data, "items.csv")
    assert status == 200, p
    assert (p["rows"], p["add"], p["change"], p["applied"]) == (3000, 2997, 0, False)
    assert [(e["line"], e["field"], e["error"]) for e in p["errors"]] == [
        (12, "name", "import_invalid"), (502, "standard_code", "bad_code"),
        (3001, "department", "department_not_found")]
    status, body = await upload(hall.admin, hall, data, "items.csv", apply=1)
    assert status == 422 and body["error"] == "import_invalid" and len(body["detail"]["errors"]) == 3
    assert (await hall.db.one("SELECT count(*) FROM service_items"))[0] == before


async def test_import_applies_in_one_go_and_a_second_run_changes_only_what_differs(hall: Hall) -> None:
    seq = (await hall.db.one("SELECT event_seq FROM halls WHERE id = ?", (hall.hall_id,)))[0]
    status, c = await upload(hall.admin, hall, csv_of(3000), "items.csv", apply=1)
    assert status == 200 and c == {"rows": 3000, "added": 3000, "changed": 0, "unchanged": 0, "applied": True}
    row = await hall.db.one("SELECT code, standard_code, name FROM service_items WHERE standard_code = ?",
                            ("11500112MB1503100007",))
    assert tuple(row) == ("11500112mb1503100007", "11500112MB1503100007", "事项7")
    events = await hall.db.all("SELECT type, payload FROM events WHERE hall_id = ? AND seq > ?", (hall.hall_id, seq))
    assert [e["type"] for e in events] == ["layout.changed"]  # one event for the whole import
    changed = csv_of(3000).decode("utf-8-sig").replace("事项7,", "事项七,").encode()
    status, p = await upload(hall.admin, hall, changed, "items.csv")
    assert (p["add"], p["change"], p["unchanged"]) == (0, 1, 2999)
    assert p["changed"] == [{"line": 9, "standard_code": "11500112MB1503100007", "before": {"name": "事项7"},
                             "after": {"name": "事项七"}}]
    [entry] = await audit(hall, "service_item.import")
    assert entry["summary"] == "导入事项清单：3000 行，新增 3000，修改 0，未变 0"


async def test_import_xlsx_with_number_cells(hall: Hall) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["事项编码", "事项名称", "部门", "业务类型"])
    ws.append([1150011200000001, "数字编码的事项", "psb", "B"])
    ws.append(["11500112MB15031X0002", "正常事项", "", ""])
    buf = io.BytesIO()
    wb.save(buf)
    status, p = await upload(hall.admin, hall, buf.getvalue(), "items.xlsx", apply=1)
    assert status == 200 and p["added"] == 2, p
    assert await hall.db.one("SELECT 1 FROM service_items WHERE standard_code = '1150011200000001'") is not None


async def test_import_limits_just_under_and_over(hall: Hall) -> None:
    status, p = await upload(hall.admin, hall, csv_of(10_000), "items.csv")
    assert status == 200 and p["rows"] == 10_000 and not p["errors"]
    status, body = await upload(hall.admin, hall, csv_of(10_001), "items.csv")
    assert status == 422 and body["error"] == "import_too_large"
    status, body = await upload(hall.admin, hall, b"a,b\n1,2\n", "items.csv")
    assert status == 422 and body["error"] == "csv_columns"
    status, body = await upload(hall.admin, hall, b"", "items.csv")
    assert status == 422 and body["error"] == "empty_csv"
    status, body = await upload(hall.admin, hall, b"%PDF-1.4", "items.pdf")
    assert status == 415
    status, body = await upload(hall.admin, hall, b"x" * (5 * 1024 * 1024 + 1), "items.csv")
    assert status == 422 and body["error"] == "import_too_large"
    assert (await upload(hall.manager, hall, csv_of(3), "items.csv"))[0] == 403


async def test_a_device_token_is_shown_once_with_a_qr_and_listed_with_its_last_use(hall: Hall) -> None:
    status, t = await hall.admin.post("/api/v1/tokens", {"role": "kiosk", "hall": hall.hall_id, "label": "取号机-3"})
    assert status == 201 and t["token"].startswith("hop_")
    assert t["pair_url"].endswith(f"/kiosk/{hall.hall_id}#token={t['token']}") and t["qr_svg"].startswith("<svg")
    kiosk = Api(hall.client, token=t["token"])
    assert (await kiosk.get(f"/api/v1/halls/{hall.hall_id}/state"))[0] == 200
    _, listed = await hall.admin.get("/api/v1/tokens")
    [mine] = [x for x in listed["tokens"] if x["id"] == t["id"]]
    assert mine["last_used_at"] is not None and mine["last_used_from"] == "127.0.0.1" and "token" not in mine
    hall.ports.accounts.token_cache_seconds = 0
    assert (await hall.admin.delete(f"/api/v1/tokens/{t['id']}"))[0] == 204
    assert (await kiosk.get(f"/api/v1/halls/{hall.hall_id}/state"))[0] == 401
    actions = [e["action"] for e in await audit(hall, "token.") if e["target_id"] == str(t["id"])]
    assert actions == ["token.revoke", "token.used", "token.create"]


async def test_a_change_is_an_event_the_screens_follow_and_an_audit_row(hall: Hall) -> None:
    seq = (await hall.db.one("SELECT event_seq FROM halls WHERE id = ?", (hall.hall_id,)))[0]
    status, w = await hall.admin.post(f"/api/v1/halls/{hall.hall_id}/windows",
                                      {"number": 29, "name": "29号窗口", "kind": "general", "queues": ["A", "B"]})
    assert status == 201
    status, body = await hall.display.get(f"/api/v1/halls/{hall.hall_id}/events?after={seq}")
    assert [e["type"] for e in body["events"]] == ["layout.changed"]
    assert body["events"][0]["payload"] == {"kind": "window", "id": w["id"]}
    [entry] = await audit(hall, "window.create")
    assert entry["after"]["queues"] == ["A", "B"] and entry["after"]["number"] == 29
    assert entry["actor"] == "test-admin" and entry["address"] == "127.0.0.1"


async def test_the_audit_log_filters_and_exports(hall: Hall) -> None:
    await hall.admin.patch(f"/api/v1/halls/{hall.hall_id}", {"notice": "今天下午三点系统维护"})
    await hall.admin.patch(f"/api/v1/windows/{hall.window_id(10)}", {"name": "综合 10"})
    status, body = await hall.admin.get("/api/v1/audit?action=hall.notice")
    [n] = body["entries"]
    assert n["after"] == {"notice": "今天下午三点系统维护"} and n["before"]["notice"].startswith("窗口办理时间")
    status, body = await hall.admin.get("/api/v1/audit?q=窗口&limit=1")
    assert status == 200 and len(body["entries"]) == 1 and body["entries"][0]["action"] == "window.update"
    async with hall.admin.client.get("/api/v1/audit/export?action=window.&format=csv",
                                     headers={"Authorization": f"Bearer {hall.admin.token}"}) as resp:
        assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/csv")
        text = (await resp.read()).decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert lines[0].startswith("序号 id,时间 at (UTC),操作人 actor") and len(lines) == 2 and "综合 10" in lines[1]
    async with hall.admin.client.get("/api/v1/audit/export?format=xlsx",
                                     headers={"Authorization": f"Bearer {hall.admin.token}"}) as resp:
        assert resp.status == 200 and (await resp.read())[:2] == b"PK"
    assert (await hall.admin.get("/api/v1/audit?since=2026-13-01"))[0] == 422
    assert (await hall.admin.get("/api/v1/audit/export?format=pdf"))[0] == 422


async def test_a_hall_bound_admin_sees_only_their_halls_audit(hall: Hall) -> None:
    status, other = await hall.admin.post("/api/v1/halls", {"code": "beibei", "name": "北碚中心"})
    await hall.admin.post(f"/api/v1/halls/{other['id']}/departments", {"code": "x", "name": "其他"})
    tok, _ = await hall.ports.accounts.create_token(role=Role.ADMIN, hall_id=hall.hall_id, label="local-admin")
    local = Api(hall.client, token=tok)
    status, body = await local.get("/api/v1/audit?limit=500")
    assert status == 200 and body["entries"]
    assert all(e["hall_id"] in (hall.hall_id, None) for e in body["entries"])


async def test_setup_changes_of_other_subjects_are_audited_too(hall: Hall) -> None:
    _, rules = await hall.admin.get(f"/api/v1/halls/{hall.hall_id}/alert-rules")
    kind = rules["rules"][0]["kind"]
    status, _ = await hall.admin.call("PUT", f"/api/v1/halls/{hall.hall_id}/alert-rules",
                                      {"rules": [{"kind": kind, "enabled": True, "threshold": 42}]})
    assert status == 200
    [entry] = await audit(hall, "setting.")
    assert entry["action"] == "setting.alert-rules" and entry["hall_id"] == hall.hall_id
    assert entry["actor"] and entry["after"] == {"rules": [{"kind": kind, "queue": None, "enabled": True,
                                                            "threshold": 42, "inherit": False}]}
    status, _ = await hall.admin.call("PUT", f"/api/v1/halls/{hall.hall_id}/alert-rules", {"rules": []})
    assert status == 422 and len(await audit(hall, "setting.")) == 1  # a refused change is not a change


# A database that refuses audit rows. A change audited in its own transaction would still be made; one audited
# in the change's transaction is refused with its row.
REFUSE_AUDIT = {
    "sqlite": ["CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'no audit'); END"],
    "postgresql": ["CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS "
                   "$f$ BEGIN RAISE EXCEPTION 'no audit'; END $f$",
                   "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log FOR EACH ROW "
                   "EXECUTE FUNCTION refuse_audit()"],
}
ALLOW_AUDIT = {"sqlite": ["DROP TRIGGER refuse_audit"],
               "postgresql": ["DROP TRIGGER refuse_audit ON audit_log", "DROP FUNCTION refuse_audit()"]}


async def _ddl(hall: Hall, statements: dict[str, list[str]]) -> None:
    def job(tx: Any) -> None:
        for sql in statements[hall.db.dialect.name]:
            tx.run(sql)
    await hall.db.write(job)


async def test_a_setting_change_and_its_audit_row_commit_together(hall: Hall) -> None:
    """Alert thresholds, the citizen settings, the patrol quota, the screen notice: each change is audited in
    its own transaction, so no change is ever made without its row."""
    h = f"/api/v1/halls/{hall.hall_id}"
    changes = [  # (method, path, body, how to read the value back, the value, the audit action)
        ("PUT", f"{h}/alert-rules", {"rules": [{"kind": "queue_length", "threshold": 42}]},
         "SELECT threshold FROM alert_rules WHERE hall_id = ? AND kind = 'queue_length'", 42, "setting.alert-rules"),
        ("PATCH", f"{h}/citizen-settings", {"mobile_per_device_hour": 7},
         "SELECT mobile_per_device_hour FROM citizen_settings WHERE hall_id = ?", 7, "setting.citizen-settings"),
        ("PATCH", f"{h}/patrol-settings", {"full_quota": 8},
         "SELECT full_quota FROM patrol_settings WHERE hall_id = ?", 8, "setting.patrol-settings"),
        ("PATCH", h, {"notice": "今日 16:00 起系统维护"}, "SELECT notice FROM halls WHERE id = ?",
         "今日 16:00 起系统维护", "hall.notice"),
    ]

    async def value(sql: str) -> Any:
        row = await hall.db.one(sql, (hall.hall_id,))
        return None if row is None else row[0]

    await _ddl(hall, REFUSE_AUDIT)
    for method, path, body, sql, wanted, _ in changes:
        status, _ = await hall.manager.call(method, path, body)
        assert status >= 400, (path, status)
        assert await value(sql) != wanted, path  # refused with its audit row
    await _ddl(hall, ALLOW_AUDIT)
    assert await audit(hall, "setting.") == [] and await audit(hall, "hall.notice") == []
    for method, path, body, sql, wanted, action in changes:
        status, _ = await hall.manager.call(method, path, body)
        assert status == 200, (path, status)
        assert await value(sql) == wanted, path
        [entry] = await audit(hall, action)
        assert entry["hall_id"] == hall.hall_id and entry["role"] == "manager", entry


async def test_secrets_stay_out_of_the_audit_log(hall: Hall) -> None:
    h = f"/api/v1/halls/{hall.hall_id}"
    status, _ = await hall.admin.patch(f"{h}/quality-settings", {"province_token": "tok-123456"})
    assert status == 200
    status, _ = await hall.manager.post(f"{h}/report-webhooks", {
        "kind": "wecom", "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc-secret-key"})
    assert status in (200, 201)
    entries = await audit(hall, "setting.")
    assert {e["action"] for e in entries} == {"setting.quality-settings", "setting.report-webhooks"}
    text = str(entries)
    assert "tok-123456" not in text and "abc-secret-key" not in text
    assert "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?…" in text


async def test_a_display_tokens_live_socket_keeps_its_last_use(hall: Hall) -> None:
    async with hall.client.ws_connect(f"/api/v1/halls/{hall.hall_id}/live?token={hall.display.token}") as ws:
        await ws.receive(timeout=5)
    _, listed = await hall.admin.get("/api/v1/tokens")
    [display] = [t for t in listed["tokens"] if t["label"] == "test-display"]
    assert display["last_used_at"] is not None


async def test_every_setup_change_of_another_subject_leaves_one_row(hall: Hall) -> None:
    h = f"/api/v1/halls/{hall.hall_id}"
    dept = (await hall.db.one("SELECT id FROM departments WHERE code = 'psb'"))[0]
    manager = (await hall.db.one("SELECT id FROM users WHERE username = 'manager'"))[0]
    calls = [("PUT", f"{h}/checklist", {"items": [{"code": "discipline", "name": "工作纪律"}]}, "checklist"),
             ("POST", f"{h}/calendar", {"days": [{"day": "2026-12-31", "workday": False, "note": "闭厅"}]},
              "calendar"),
             ("POST", f"{h}/departments/{dept}/head", {"user": manager}, "departments/head"),
             ("PATCH", f"{h}/report-settings", {"daily_at": "17:30"}, "report-settings")]
    for method, path, body, what in calls:
        status, out = await hall.admin.call(method, path, body)
        assert status in (200, 204), (path, out)
        [entry] = await audit(hall, f"setting.{what}")
        assert entry["target_kind"] == what and entry["hall_id"] == hall.hall_id, entry
    [cal] = await audit(hall, "setting.calendar")
    assert cal["after"]["days"] == [{"day": "2026-12-31", "workday": False, "note": "闭厅"}]
