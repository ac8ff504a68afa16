"""Staff accounts from hiring to leaving (issue 13): create, scope, forced change, own change, one-time reset,
disable and enable; each step refused where it must be, and each in the audit log."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api, Hall

PW = "Spring-Hall-2026"


async def add_clerk(hall: Hall, username: str = "lihua", **kw: Any) -> dict[str, Any]:
    status, body = await hall.admin.post("/api/v1/users", {"username": username, "display_name": "李华",
                                                           "role": "clerk", "password": PW, "hall": hall.hall_id,
                                                           "must_change_password": False, **kw})
    assert status == 201, body
    return body


async def audit(hall: Hall, action: str) -> list[dict[str, Any]]:
    status, body = await hall.admin.get(f"/api/v1/audit?action={action}")
    assert status == 200, body
    return body["entries"]


async def test_the_password_rule_holds_at_its_limits(hall: Hall) -> None:
    base = {"display_name": "x", "role": "clerk", "hall": hall.hall_id}
    cases = [("u9", "k7#Qm2vX9", 422, "weak_password"), ("u10", "k7#Qm2vX9p", 201, None),
             ("u128", "k7#Qm2vX9p" * 12 + "abcdefgh", 201, None),
             ("u129", "k7#Qm2vX9p" * 12 + "abcdefghi", 422, "password_too_long"),
             ("ucommon", "password123", 422, "common_password"), ("uname", "uname-is-my-pass", 422, "common_password")]
    for username, password, want, code in cases:
        status, body = await hall.admin.post("/api/v1/users", {**base, "username": username, "password": password})
        assert status == want, (username, body)
        if code:
            assert body["error"] == code
            assert await hall.db.one("SELECT 1 FROM users WHERE username = ?", (username,)) is None


async def test_a_new_account_must_change_its_password_before_anything_else(hall: Hall) -> None:
    await add_clerk(hall, must_change_password=True)
    me = await hall.login("lihua", PW)
    status, body = await me.get("/api/v1/halls")
    assert status == 403 and body["error"] == "password_change_required"
    status, body = await me.get("/api/v1/session")
    assert status == 200
    status, body = await me.post("/api/v1/session/password", {"current": "wrong-one-entirely",
                                                              "password": "Autumn-2026-hall"})
    assert status == 422 and body["error"] == "wrong_password"
    status, body = await me.post("/api/v1/session/password", {"current": PW, "password": PW})
    assert status == 422 and body["error"] == "same_password"
    status, body = await me.post("/api/v1/session/password", {"current": PW, "password": "short"})
    assert status == 422 and body["error"] == "weak_password"
    status, _ = await me.post("/api/v1/session/password", {"current": PW, "password": "Autumn-2026-hall"})
    assert status == 204
    assert (await me.get("/api/v1/halls"))[0] == 200  # this session goes on
    assert (await hall.anon.post("/api/v1/session", {"username": "lihua", "password": PW}))[0] == 401
    assert (await hall.anon.post("/api/v1/session", {"username": "lihua", "password": "Autumn-2026-hall"}))[0] == 200
    [row] = await audit(hall, "user.password_changed")
    assert row["actor"] == "李华" and row["address"] == "127.0.0.1" and row["before"] is None


async def test_a_page_redirects_to_the_password_page_first(hall: Hall) -> None:
    await add_clerk(hall, must_change_password=True)
    me = await hall.login("lihua", PW)
    async with me.client.get("/", allow_redirects=False) as resp:
        assert resp.status == 302 and resp.headers["Location"] == "/account/password"
    async with me.client.get("/account/password") as resp:
        assert resp.status == 200 and "修改密码" in await resp.text()


async def test_disable_ends_sessions_and_tokens_at_once_and_keeps_history(hall: Hall) -> None:
    user = await add_clerk(hall)
    me = await hall.login("lihua", PW)
    hall.ports.accounts.token_cache_seconds = 0
    status, tok = await hall.admin.post("/api/v1/tokens", {"role": "clerk", "window": hall.window_id(3),
                                                           "label": "lihua-pad", "user": user["id"]})
    assert status == 201
    pad = Api(hall.client, token=tok["token"])
    assert (await pad.get("/api/v1/session"))[0] == 200
    status, body = await hall.admin.post(f"/api/v1/users/{user['id']}/disable", {})
    assert status == 200 and body["active"] is False and body["disabled_at"]
    assert (await me.get("/api/v1/session"))[0] == 401
    assert (await pad.get("/api/v1/session"))[0] == 401
    status, body = await hall.anon.post("/api/v1/session", {"username": "lihua", "password": PW})
    assert status == 401
    assert await hall.db.one("SELECT username FROM users WHERE id = ?", (user["id"],)) is not None  # history stays
    status, body = await hall.admin.post(f"/api/v1/users/{user['id']}/enable", {})
    assert status == 200 and body["active"] is True
    assert (await pad.get("/api/v1/session"))[0] == 200
    [enable, disable] = [r["action"] for r in await audit(hall, "user.") if r["action"] in ("user.enable",
                                                                                          "user.disable")]
    assert (enable, disable) == ("user.enable", "user.disable")


async def test_an_admin_cannot_disable_themself_or_change_their_own_role(hall: Hall) -> None:
    admin = await hall.login("admin", "demo-admin")
    me = await admin.get("/api/v1/session")
    uid = me[1]["user_id"]
    status, body = await admin.post(f"/api/v1/users/{uid}/disable", {})
    assert status == 403 and body["error"] == "own_account"
    status, body = await admin.patch(f"/api/v1/users/{uid}", {"role": "clerk"})
    assert status == 403 and body["error"] == "own_account"


async def test_a_reset_is_a_one_time_code_never_a_password(hall: Hall) -> None:
    user = await add_clerk(hall)
    status, r = await hall.admin.post(f"/api/v1/users/{user['id']}/reset-password", {})
    assert status == 200 and set(r) == {"user", "code", "link", "expires_at"}
    assert len(r["code"]) == 19 and r["link"].endswith(f"/reset#code={r['code']}")
    assert PW not in str(r)
    status, who = await hall.anon.post("/api/v1/password-reset/check", {"code": r["code"].lower().replace("-", "")})
    assert status == 200 and who == {"username": "lihua", "display_name": "李华"}
    status, body = await hall.anon.post("/api/v1/password-reset", {"code": r["code"], "password": "password123"})
    assert status == 422 and body["error"] == "common_password"
    status, body = await hall.anon.post("/api/v1/password-reset", {"code": r["code"], "password": "Winter-2026-hall"})
    assert status == 200 and body == {"username": "lihua"}
    status, body = await hall.anon.post("/api/v1/password-reset", {"code": r["code"], "password": "Summer-2026-hall"})
    assert status == 422 and body["error"] == "bad_reset_code"
    assert (await hall.anon.post("/api/v1/session", {"username": "lihua", "password": "Winter-2026-hall"}))[0] == 200
    assert [e["action"] for e in await audit(hall, "user.password_reset")] == ["user.password_reset_used"]
    assert [e["action"] for e in await audit(hall, "user.reset_password")] == ["user.reset_password"]


async def test_a_reset_code_expires_after_a_day(hall: Hall) -> None:
    user = await add_clerk(hall)
    _, r = await hall.admin.post(f"/api/v1/users/{user['id']}/reset-password", {})
    hall.clock.advance(24 * 3600 + 1)
    status, body = await hall.anon.post("/api/v1/password-reset", {"code": r["code"], "password": "Winter-2026-hall"})
    assert status == 422 and body["error"] == "bad_reset_code"


async def test_role_and_window_scope_change_at_once(hall: Hall) -> None:
    user = await add_clerk(hall)
    me = await hall.login("lihua", PW)
    status, body = await hall.admin.patch(f"/api/v1/users/{user['id']}", {"window": hall.window_id(5)})
    assert status == 200 and body["window_id"] == hall.window_id(5)
    assert (await me.get("/api/v1/session"))[1]["window_id"] == hall.window_id(5)
    status, body = await hall.admin.patch(f"/api/v1/users/{user['id']}", {"role": "manager"})
    assert status == 200 and body["role"] == "manager" and body["window_id"] is None
    assert (await me.get("/api/v1/session"))[1]["role"] == "manager"
    status, body = await hall.admin.patch(f"/api/v1/users/{user['id']}", {"role": "kiosk"})
    assert status == 422 and body["error"] == "bad_role"
    [row] = [e for e in await audit(hall, "user.update") if e["after"].get("role")]
    assert row["before"] == {"role": "clerk", "window_id": hall.window_id(5)}
    assert row["after"] == {"role": "manager", "window_id": None}


async def test_a_clerk_scoped_to_a_window_opens_that_window_only(hall: Hall) -> None:
    await add_clerk(hall, window=hall.window_id(5))
    me = await hall.login("lihua", PW)
    status, body = await me.post(f"/api/v1/windows/{hall.window_id(6)}/open")
    assert status == 403 and body["error"] == "not_your_window"
    status, body = await me.post(f"/api/v1/windows/{hall.window_id(5)}/open")
    assert status == 200, body
    status, body = await hall.admin.post("/api/v1/users", {"username": "wangwu", "display_name": "王五",
                                                           "role": "manager", "password": PW,
                                                           "window": hall.window_id(5)})
    assert status == 422 and body["error"] == "window_needs_clerk_role"


async def test_a_forced_change_applies_at_the_next_request(hall: Hall) -> None:
    user = await add_clerk(hall)
    me = await hall.login("lihua", PW)
    assert (await me.get("/api/v1/halls"))[0] == 200
    assert (await hall.admin.post(f"/api/v1/users/{user['id']}/force-password-change", {}))[0] == 200
    status, body = await me.get("/api/v1/halls")
    assert status == 403 and body["error"] == "password_change_required"


async def test_only_admins_manage_accounts(hall: Hall) -> None:
    user = await add_clerk(hall)
    for method, path in (("GET", "/api/v1/users"), ("POST", f"/api/v1/users/{user['id']}/disable"),
                         ("POST", f"/api/v1/users/{user['id']}/reset-password"), ("GET", "/api/v1/audit")):
        status, body = await hall.manager.call(method, path, {} if method == "POST" else None)
        assert status == 403, (path, body)
    assert (await hall.db.one("SELECT active FROM users WHERE id = ?", (user["id"],)))[0] == 1


async def test_sign_ins_and_failures_are_audited_with_their_address(hall: Hall) -> None:
    await hall.anon.post("/api/v1/session", {"username": "clerk1", "password": "not-the-password"})
    await hall.login("clerk1", "demo-clerk")
    [failed] = await audit(hall, "signin.failed")
    assert failed["actor"] == "clerk1" and failed["address"] == "127.0.0.1" and failed["role"] == ""
    [ok] = await audit(hall, "signin.ok")
    assert ok["actor_user_id"] is not None and ok["summary"] == "clerk1 登录"


async def test_wrong_reset_codes_from_one_address_are_slowed_after_ten(hall: Hall) -> None:
    user = await add_clerk(hall)
    _, r = await hall.admin.post(f"/api/v1/users/{user['id']}/reset-password", {})
    wrong = {"code": "AAAA-BBBB-CCCC-DDDD"}
    for _ in range(10):  # the tenth wrong code is still answered
        status, body = await hall.anon.post("/api/v1/password-reset/check", wrong)
        assert status == 422 and body["error"] == "bad_reset_code"
    status, body = await hall.anon.post("/api/v1/password-reset/check", wrong)
    assert status == 429 and body["error"] == "too_many_attempts" and "重置码" in body["message"]
    # The right code waits too (the address is slowed, whatever it sends), and nothing changes meanwhile.
    status, _ = await hall.anon.post("/api/v1/password-reset", {"code": r["code"], "password": "Winter-2026-hall"})
    assert status == 429
    hall.clock.advance(61)  # the first delay is a minute
    status, body = await hall.anon.post("/api/v1/password-reset", {"code": r["code"], "password": "Winter-2026-hall"})
    assert status == 200 and body == {"username": "lihua"}
