"""The hall model through the admin API."""

from __future__ import annotations

import pytest

from hallops.domain.actors import Actor
from hallops.domain.errors import Forbidden
from hallops.domain.model import Role
from hallops.http.keys import USECASES
from tests.conftest import Hall


async def test_build_a_small_hall_and_serve_a_ticket_in_it(hall: Hall) -> None:
    a = hall.admin
    status, h = await a.post("/api/v1/halls", {"code": "yubei-street", "name": "双凤桥街道便民服务中心"})
    assert status == 201
    hid = h["id"]
    assert (await a.post(f"/api/v1/halls/{hid}/departments", {"code": "rs", "name": "人社所"}))[0] == 201
    status, q = await a.post(f"/api/v1/halls/{hid}/queues",
                             {"prefix": "A", "name": "社保业务", "department": "rs", "target_wait_minutes": 15})
    assert status == 201 and q["prefix"] == "A" and q["department"] == "rs"
    status, item = await a.post(f"/api/v1/halls/{hid}/service-items",
                                {"code": "rs-card", "name": "社保卡补换", "department": "rs", "queue": "A"})
    assert status == 201 and item["queue"] == "A"
    status, w = await a.post(f"/api/v1/halls/{hid}/windows",
                             {"number": 1, "name": "1号窗口", "kind": "general", "queues": ["A"]})
    assert status == 201 and w["queues"] == ["A"]
    status, t = await a.post("/api/v1/tickets", {"queue": "A", "hall": "yubei-street"})
    assert status == 201 and t["number"] == "A001" and t["hall_id"] == hid
    await a.post(f"/api/v1/windows/{w['id']}/open")
    status, body = await a.post(f"/api/v1/windows/{w['id']}/call-next")
    assert body["ticket"]["id"] == t["id"]


async def test_model_rules_are_enforced(hall: Hall) -> None:
    a, hid = hall.admin, hall.hall_id
    status, body = await a.post(f"/api/v1/halls/{hid}/windows",
                                {"number": 99, "name": "x", "kind": "cross_region", "queues": ["A"]})
    assert status == 422 and body["error"] == "scope_required"
    status, body = await a.post(f"/api/v1/halls/{hid}/windows",
                                {"number": 99, "name": "x", "kind": "general", "scope": "chuanyu", "queues": ["A"]})
    assert status == 422 and body["error"] == "scope_not_allowed"
    status, body = await a.post(f"/api/v1/halls/{hid}/windows", {"number": 1, "name": "dup", "queues": ["A"]})
    assert status == 409 and body["error"] == "already_exists"
    status, body = await a.post(f"/api/v1/halls/{hid}/windows", {"number": 98, "name": "x", "queues": ["ZZ"]})
    assert status == 422 and body["error"] == "queue_not_found"
    assert (await a.get("/api/v1/halls/1"))[1]["windows"][-1]["number"] != 98  # nothing half-made
    status, body = await a.post(f"/api/v1/halls/{hid}/queues", {"prefix": "A", "name": "dup"})
    assert status == 409
    status, body = await a.post(f"/api/v1/halls/{hid}/queues", {"prefix": "Y", "name": "x", "hours": "9-5"})
    assert status == 422 and body["error"] == "bad_hours"


async def test_change_a_window_and_its_queues(hall: Hall) -> None:
    w = hall.window_id(10)
    status, body = await hall.admin.patch(f"/api/v1/windows/{w}", {"queues": ["C", "A"], "key_window": True,
                                                                   "name": "综合 10"})
    assert status == 200 and body["queues"] == ["C", "A"] and body["key_window"] is True and body["name"] == "综合 10"


async def test_managers_may_change_the_notice_only(hall: Hall) -> None:
    status, body = await hall.manager.patch(f"/api/v1/halls/{hall.hall_id}", {"notice": "今日下午 3 点系统维护"})
    assert status == 200 and body["notice"] == "今日下午 3 点系统维护"
    status, body = await hall.manager.patch(f"/api/v1/halls/{hall.hall_id}", {"name": "x"})
    assert status == 403


async def test_users_are_added_with_hashed_passwords(hall: Hall) -> None:
    status, u = await hall.admin.post("/api/v1/users", {"username": "lihua", "display_name": "李华", "role": "clerk",
                                                        "password": "s3cret-pass", "hall": hall.hall_id})
    assert status == 201 and u["username"] == "lihua"
    row = await hall.db.one("SELECT password_hash FROM users WHERE username = 'lihua'")
    assert row[0].startswith("$argon2id$") and "s3cret" not in row[0]
    status, body = await hall.admin.post("/api/v1/users", {"username": "lihua", "display_name": "x", "role": "clerk",
                                                           "password": "another-pass"})
    assert status == 409 and body["error"] == "username_taken"
    assert (await hall.anon.post("/api/v1/session", {"username": "lihua", "password": "s3cret-pass"}))[0] == 200


async def test_openapi_describes_the_contract(hall: Hall) -> None:
    status, doc = await hall.display.get("/api/v1/openapi.json")
    assert status == 200 and doc["openapi"].startswith("3.")
    paths = doc["paths"]
    for path, method in [("/api/v1/tickets", "post"), ("/api/v1/windows/{window_id}/call-next", "post"),
                         ("/api/v1/tickets/{ticket_id}/transfer", "post"), ("/api/v1/halls", "get"),
                         ("/api/v1/halls/{hall}/state", "get"), ("/api/v1/halls/{hall}/events", "get"),
                         ("/api/v1/ticket-status/{token}", "get"), ("/api/v1/windows/{window_id}/pause", "post")]:
        assert method in paths[path], (path, method)
    body = paths["/api/v1/tickets"]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert doc["components"]["schemas"][body.rsplit("/", 1)[1]]["properties"]["queue"]
    assert paths["/api/v1/ticket-status/{token}"]["get"]["security"] == []


@pytest.mark.parametrize("role", [Role.MANAGER, Role.CLERK, Role.KIOSK, Role.DISPLAY])
async def test_the_use_cases_refuse_all_but_admins_whatever_route_calls_them(hall: Hall, role: Role) -> None:
    uc = hall.client.server.app[USECASES]
    actor = Actor(role, hall_id=hall.hall_id)
    refused = [
        uc.accounts.users(actor), uc.accounts.tokens(actor), uc.accounts.revoke_token(actor, 1),
        uc.accounts.add_user(actor, username="mallory", display_name="M", role=Role.ADMIN,
                             password="a-long-password", hall=None),
        uc.accounts.create_token(actor, role=Role.ADMIN, hall=None, window=None, label="x"),
        uc.layout.create_hall(actor, {"code": "x", "name": "X"}),
        uc.layout.create(actor, "queues", hall.hall_id, {"prefix": "Z", "name": "Z", "kind": "general"}),
        uc.layout.update(actor, "windows", hall.window_id(1), {"name": "PWNED"}),
        uc.layout.update_hall(actor, hall.hall_id, {"name": "PWNED"}),
    ]
    for call in refused:
        with pytest.raises(Forbidden):
            await call
    assert (await hall.admin.get(f"/api/v1/halls/{hall.hall_id}"))[1]["hall"]["name"] != "PWNED"
    assert all(t["label"] != "x" for t in (await hall.admin.get("/api/v1/tokens"))[1]["tokens"])
