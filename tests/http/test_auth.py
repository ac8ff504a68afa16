"""Who may do what: roles, hall scoping, a clerk's own window, sessions with CSRF, tokens."""

from __future__ import annotations

import pytest

from hallops.domain.model import Role
from tests.conftest import Api, Hall


async def test_only_health_and_ticket_status_are_public(hall: Hall) -> None:
    assert (await hall.anon.get("/healthz"))[0] == 200
    for method, path in [("GET", "/api/v1/halls"), ("GET", "/api/v1/halls/1/state"),
                         ("GET", "/api/v1/halls/1/events"), ("GET", "/api/v1/openapi.json"),
                         ("POST", "/api/v1/tickets"), ("POST", "/api/v1/windows/1/call-next"),
                         ("GET", "/api/v1/tickets/1"), ("POST", "/api/v1/tokens")]:
        status, body = await hall.anon.call(method, path, {} if method == "POST" else None)
        assert status == 401 and body["error"] == "unauthenticated", (method, path)


async def test_a_bad_or_revoked_token_is_refused(hall: Hall) -> None:
    bad = Api(hall.client, token="hop_nope")
    status, body = await bad.get("/api/v1/halls")
    assert status == 401 and body["error"] == "invalid_token"
    status, body = await hall.anon.get("/api/v1/halls", headers={"Authorization": "Basic abc"})
    assert status == 401 and body["error"] == "bad_authorization"
    hall.ports.accounts.token_cache_seconds = 0
    token, info = await hall.ports.accounts.create_token(role=Role.KIOSK, hall_id=hall.hall_id, label="to-revoke")
    kiosk = Api(hall.client, token=token)
    assert (await kiosk.get("/api/v1/halls"))[0] == 200
    assert (await hall.admin.delete(f"/api/v1/tokens/{info['id']}"))[0] == 204
    assert (await kiosk.get("/api/v1/halls"))[0] == 401
    tokens = (await hall.admin.get("/api/v1/tokens"))[1]["tokens"]
    assert all("token" not in t and "token_hash" not in t for t in tokens)


@pytest.mark.parametrize(("who", "method", "path", "allowed"), [
    ("kiosk", "POST", "/api/v1/windows/{w}/call-next", False),
    ("display", "POST", "/api/v1/tickets", False),
    ("kiosk", "GET", "/api/v1/halls/{h}/events", False),
    ("display", "GET", "/api/v1/halls/{h}/events", True),
    ("manager", "POST", "/api/v1/tokens", False),
    ("manager", "POST", "/api/v1/halls/{h}/queues", False),
    ("kiosk", "GET", "/api/v1/halls/{h}/state", True),
])
async def test_roles(hall: Hall, who: str, method: str, path: str, allowed: bool) -> None:
    api: Api = getattr(hall, who)
    status, body = await api.call(method, path.format(w=hall.window_id(1), h=hall.hall_id),
                                  {} if method == "POST" else None)
    if allowed:
        assert status < 400, body
    else:
        assert status == 403 and body["error"] == "forbidden"


async def test_a_clerk_acts_only_on_their_own_window(hall: Hall) -> None:
    c1 = await hall.clerk_at(1, "clerk1")
    c2 = await hall.clerk_at(2, "clerk2")
    t = await hall.issue("A")
    status, body = await c2.post(f"/api/v1/windows/{hall.window_id(1)}/call-next")
    assert status == 403 and body["error"] == "not_your_window"
    await c1.post(f"/api/v1/windows/{hall.window_id(1)}/call-next")
    status, body = await c2.post(f"/api/v1/tickets/{t['id']}/start")
    assert status == 403
    status, body = await c2.post(f"/api/v1/windows/{hall.window_id(1)}/pause", {"reason": "午休"})
    assert status == 403
    # A clerk is at one window at a time.
    status, body = await c1.post(f"/api/v1/windows/{hall.window_id(3)}/open")
    assert status == 409 and body["error"] == "clerk_elsewhere"


async def test_a_clerk_token_is_bound_to_its_window(hall: Hall) -> None:
    token, _ = await hall.ports.accounts.create_token(role=Role.CLERK, window_id=hall.window_id(4), label="w4")
    clerk = Api(hall.client, token=token)
    assert (await clerk.post(f"/api/v1/windows/{hall.window_id(4)}/open"))[0] == 200
    await hall.issue("A")
    assert (await clerk.post(f"/api/v1/windows/{hall.window_id(5)}/open"))[0] == 403


async def test_session_changes_need_the_csrf_token(hall: Hall) -> None:
    clerk = await hall.login("clerk1", "demo-clerk")
    csrf = clerk.csrf
    clerk.csrf = None
    status, body = await clerk.post(f"/api/v1/windows/{hall.window_id(1)}/open")
    assert status == 403 and body["error"] == "csrf_failed"
    row = await hall.db.one("SELECT state FROM windows WHERE id = ?", (hall.window_id(1),))
    assert row[0] == "closed"
    clerk.csrf = "wrong"
    assert (await clerk.post(f"/api/v1/windows/{hall.window_id(1)}/open"))[0] == 403
    clerk.csrf = csrf
    assert (await clerk.post(f"/api/v1/windows/{hall.window_id(1)}/open"))[0] == 200
    # Reading needs no token; signing out ends the session.
    assert (await clerk.get("/api/v1/session"))[1]["role"] == "clerk"
    assert (await clerk.delete("/api/v1/session"))[0] == 204
    assert (await clerk.get("/api/v1/session"))[0] == 401


async def test_wrong_password_is_401_without_saying_which_part(hall: Hall) -> None:
    for user, pw in [("clerk1", "wrong-pass"), ("nobody", "demo-clerk")]:
        status, body = await hall.anon.post("/api/v1/session", {"username": user, "password": pw})
        assert status == 401 and body["error"] == "bad_credentials"


async def test_another_halls_objects_do_not_exist_for_a_hall_bound_token(hall: Hall) -> None:
    status, body = await hall.admin.post("/api/v1/halls", {"code": "beibei", "name": "北碚区政务服务中心"})
    assert status == 201
    other = body["id"]
    assert (await hall.manager.get(f"/api/v1/halls/{other}/state"))[0] == 404
    assert [h["id"] for h in (await hall.manager.get("/api/v1/halls"))[1]["halls"]] == [hall.hall_id]
    assert len((await hall.admin.get("/api/v1/halls"))[1]["halls"]) == 2
    status, body = await hall.kiosk.post("/api/v1/tickets", {"queue": "A", "hall": other})
    assert status == 404


async def test_a_hall_bound_admin_cannot_reach_another_hall(hall: Hall) -> None:
    status, other = await hall.admin.post("/api/v1/halls", {"code": "beibei", "name": "北碚区政务服务中心"})
    token, _ = await hall.ports.accounts.create_token(role=Role.ADMIN, hall_id=other["id"], label="beibei-admin")
    local = Api(hall.client, token=token)
    w1 = hall.window_id(1)
    status, body = await local.patch(f"/api/v1/windows/{w1}", {"name": "PWNED", "active": False})
    assert status == 404
    row = await hall.db.one("SELECT name, active FROM windows WHERE id = ?", (w1,))
    assert tuple(row) != ("PWNED", 0)  # refused before the change, not after
    assert (await local.post("/api/v1/halls", {"code": "x", "name": "x"}))[0] == 403
    status, body = await local.post("/api/v1/tokens", {"role": "admin"})
    assert status == 201 and body["hall_id"] == other["id"]  # never wider than its own hall
    assert (await local.post("/api/v1/tokens", {"role": "kiosk", "hall": hall.hall_id}))[0] == 404
    users = (await local.get("/api/v1/users"))[1]["users"]
    assert all(u["hall_id"] == other["id"] for u in users)
    tokens = (await local.get("/api/v1/tokens"))[1]["tokens"]
    assert tokens and all(t["hall_id"] == other["id"] for t in tokens)
    mine = next(t for t in (await hall.admin.get("/api/v1/tokens"))[1]["tokens"] if t["label"] == "test-kiosk")
    assert (await local.delete(f"/api/v1/tokens/{mine['id']}"))[0] == 404


async def test_password_guessing_is_slowed_down(hall: Hall) -> None:
    for _ in range(10):
        status, _ = await hall.anon.post("/api/v1/session", {"username": "clerk3", "password": "guess-1234"})
        assert status == 401
    status, body = await hall.anon.post("/api/v1/session", {"username": "clerk3", "password": "demo-clerk"})
    assert status == 429 and body["error"] == "too_many_attempts"
