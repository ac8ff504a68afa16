"""Staff accounts, sessions, device/script tokens and signing keys: the accounts port (`AccountStore`), the
signing-key port (`SigningKeys`) and their write jobs.

Only hashes are stored: argon2id for passwords, SHA-256 for session ids and tokens (they are long random
strings, so a fast hash is enough).
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import logging
import os
import re
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from hallops.domain.actors import Actor
from hallops.domain.errors import Conflict, E, InvalidInput, NotFound
from hallops.domain.model import Role
from hallops.storage.audit import diff, record
from hallops.storage.db import Database, IntegrityError, Row, Tx
from hallops.storage.halls import HallTree
from hallops.storage.views import iso

log = logging.getLogger(__name__)

TOKEN_PREFIX = "hop_"
RESET_HOURS = 24
# A token's last use is written at most this often; its use is audited when it had been idle this long.
TOKEN_USE_WRITE_SECONDS = 60.0
TOKEN_USE_AUDIT_SECONDS = 3600.0
USER_COLUMNS = ("id, username, display_name, role, hall_id, window_id, active, must_change_password, created_at, "
                "password_changed_at, disabled_at")
USERNAME_RE = re.compile(r"^[a-z0-9_][a-z0-9_.-]{1,31}$")
_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when a username is unknown, so a login takes as long either way (made at first use:
    an argon2 hash costs 0.2 s, and every CLI command and server start imports this module)."""
    return _hasher.hash("not a password")


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def hash_password(password: str) -> str:
    """CPU-heavy (argon2id): call it off the event loop."""
    if len(password) < 8:
        raise InvalidInput(E.WEAK_PASSWORD, "密码至少 8 位 (password must have at least 8 characters)")
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """CPU-heavy (argon2id): call it off the event loop."""
    try:
        return _hasher.verify(stored_hash or _dummy_hash(), password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def add_user(tx: Tx, *, username: str, display_name: str, role: Role, password_hash: str,
             hall_id: int | None, window_id: int | None = None, must_change: bool = False,
             actor: Actor | None = None) -> dict[str, Any]:
    if not USERNAME_RE.match(username):
        raise InvalidInput(E.BAD_USERNAME, "用户名只能包含小写字母、数字、_ . - (bad username)")
    if role not in (Role.ADMIN, Role.MANAGER, Role.CLERK):
        raise InvalidInput(E.BAD_ROLE,
                           "账号角色应为 admin、manager 或 clerk (staff role must be admin, manager or clerk)")
    if hall_id is not None and tx.one("SELECT 1 FROM halls WHERE id = ?", (hall_id,)) is None:
        raise NotFound(E.HALL_NOT_FOUND, f"大厅不存在 (no hall {hall_id})")
    hall_id = _check_window_scope(tx, role, hall_id, window_id)
    try:
        with tx.savepoint():
            user_id = tx.insert("INSERT INTO users (username, display_name, role, password_hash, hall_id, window_id, "
                                "must_change_password, created_at, password_changed_at) "
                                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                (username, display_name, role.value, password_hash, hall_id, window_id,
                                 int(must_change), tx.now, tx.now))
    except IntegrityError as e:
        raise Conflict(E.USERNAME_TAKEN, f"用户名 {username} 已存在 (username taken)") from e
    user = _user(tx, user_id)
    record(tx, actor, "user.create", hall_id=hall_id, target_kind="user", target_id=user_id,
           summary=f"新建账号 {username} ({role.value})", after=_audit_view(user))
    return user


def _check_window_scope(tx: Tx, role: Role, hall_id: int | None, window_id: int | None) -> int | None:
    """A clerk may be scoped to one window (of their hall); returns the hall the account then belongs to."""
    if window_id is None:
        return hall_id
    if role is not Role.CLERK:
        raise InvalidInput(E.WINDOW_NEEDS_CLERK_ROLE, "只有窗口人员 (clerk) 可限定窗口 (only clerks are scoped to a "
                                                      "window)", field="window")
    w = tx.one("SELECT hall_id FROM windows WHERE id = ?", (window_id,))
    if w is None:
        raise NotFound(E.WINDOW_NOT_FOUND, f"窗口不存在 (no window {window_id})")
    if hall_id is not None and int(w["hall_id"]) != hall_id:
        raise InvalidInput(E.WINDOW_IN_OTHER_HALL, "窗口不属于该大厅 (window is in another hall)", field="window")
    return int(w["hall_id"])


def _user_row(tx: Tx, user_id: int) -> Row:
    row = tx.one(f"SELECT {USER_COLUMNS} FROM users WHERE id = ?", (user_id,))
    if row is None:
        raise NotFound(E.USER_NOT_FOUND, f"用户不存在 (no user {user_id})")
    return row


def user_view(row: Row) -> dict[str, Any]:
    return {"id": row["id"], "username": row["username"], "display_name": row["display_name"], "role": row["role"],
            "hall_id": row["hall_id"], "window_id": row["window_id"], "active": bool(row["active"]),
            "must_change_password": bool(row["must_change_password"]), "created_at": iso(row["created_at"]),
            "password_changed_at": iso(row["password_changed_at"]) if row["password_changed_at"] else None,
            "disabled_at": iso(row["disabled_at"]) if row["disabled_at"] else None}


def _user(tx: Tx, user_id: int) -> dict[str, Any]:
    return user_view(_user_row(tx, user_id))


def _audit_view(user: dict[str, Any]) -> dict[str, Any]:
    return {k: user[k] for k in ("username", "display_name", "role", "hall_id", "window_id", "active",
                                 "must_change_password")}


def user_id_of(tx: Tx, username: str) -> int:
    row = tx.one("SELECT id FROM users WHERE username = ?", (username,))
    if row is None:
        raise NotFound(E.USER_NOT_FOUND, f"用户不存在 (no user {username})")
    return int(row[0])


UserCheck = Callable[[dict[str, Any]], None]


def update_user(tx: Tx, user_id: int, changes: dict[str, Any], check: UserCheck, actor: Actor | None) -> dict[str, Any]:
    """Display name, role, hall and window scope. `check` sees the account as it is (and may refuse)."""
    old = _user(tx, user_id)
    check(old)
    new = {**old, **{k: v for k, v in changes.items() if k in ("display_name", "role", "hall_id", "window_id")}}
    role = Role(new["role"])
    if role not in (Role.ADMIN, Role.MANAGER, Role.CLERK):
        raise InvalidInput(E.BAD_ROLE, "账号角色应为 admin、manager 或 clerk (staff role must be admin, manager or "
                                       "clerk)", field="role")
    if "hall_id" in changes and changes["hall_id"] is not None and \
            tx.one("SELECT 1 FROM halls WHERE id = ?", (changes["hall_id"],)) is None:
        raise NotFound(E.HALL_NOT_FOUND, f"大厅不存在 (no hall {changes['hall_id']})")
    if role is not Role.CLERK:
        new["window_id"] = None
    new["hall_id"] = _check_window_scope(tx, role, new["hall_id"], new["window_id"])
    tx.run("UPDATE users SET display_name = ?, role = ?, hall_id = ?, window_id = ? WHERE id = ?",
           (new["display_name"], role.value, new["hall_id"], new["window_id"], user_id))
    after = _user(tx, user_id)
    before_d, after_d = diff(_audit_view(old), _audit_view(after))
    if after_d:
        record(tx, actor, "user.update", hall_id=after["hall_id"], target_kind="user", target_id=user_id,
               summary=f"修改账号 {old['username']}", before=before_d, after=after_d)
    return after


def set_active(tx: Tx, user_id: int, active: bool, check: UserCheck, actor: Actor | None) -> dict[str, Any]:
    """Disable (sessions end now; tokens issued for the account stop with it; history stays) or enable."""
    old = _user(tx, user_id)
    check(old)
    if old["active"] == active:
        return old
    tx.run("UPDATE users SET active = ?, disabled_at = ? WHERE id = ?",
           (int(active), None if active else tx.now, user_id))
    if not active:
        tx.run("DELETE FROM sessions WHERE user_id = ?", (user_id,))
        tx.run("UPDATE password_resets SET used_at = ? WHERE user_id = ? AND used_at IS NULL", (tx.now, user_id))
    record(tx, actor, "user.enable" if active else "user.disable", hall_id=old["hall_id"], target_kind="user",
           target_id=user_id, summary=f"{'启用' if active else '停用'}账号 {old['username']}",
           before={"active": old["active"]}, after={"active": active})
    return _user(tx, user_id)


def force_change(tx: Tx, user_id: int, check: UserCheck, actor: Actor | None) -> dict[str, Any]:
    old = _user(tx, user_id)
    check(old)
    tx.run("UPDATE users SET must_change_password = 1 WHERE id = ?", (user_id,))
    record(tx, actor, "user.force_password_change", hall_id=old["hall_id"], target_kind="user", target_id=user_id,
           summary=f"要求 {old['username']} 下次登录修改密码",
           before={"must_change_password": old["must_change_password"]}, after={"must_change_password": True})
    return _user(tx, user_id)


def issue_reset(tx: Tx, user_id: int, code: str, hours: float, check: UserCheck, actor: Actor | None) -> dict[str, Any]:
    """A one-time reset code for the account (older unused codes stop working). The password is not changed
    until the user sets one with the code."""
    old = _user(tx, user_id)
    check(old)
    if not old["active"]:
        raise InvalidInput(E.ACCOUNT_DISABLED, "账号已停用，请先启用 (the account is disabled; enable it first)")
    tx.run("UPDATE password_resets SET used_at = ? WHERE user_id = ? AND used_at IS NULL", (tx.now, user_id))
    tx.run("INSERT INTO password_resets (user_id, code_hash, created_by, created_at, expires_at) "
           "VALUES (?, ?, ?, ?, ?)", (user_id, sha256(code), actor.display_name if actor else "", tx.now,
                                      tx.now + hours * 3600))
    record(tx, actor, "user.reset_password", hall_id=old["hall_id"], target_kind="user", target_id=user_id,
           summary=f"为 {old['username']} 生成一次性重置码（{hours:g} 小时内有效）")
    return {"user": old, "expires_at": iso(tx.now + hours * 3600)}


def use_reset(tx: Tx, code: str, password_hash: str, address: str | None) -> dict[str, Any]:
    row = tx.one("SELECT r.id, r.user_id FROM password_resets r JOIN users u ON u.id = r.user_id "
                 "WHERE r.code_hash = ? AND r.used_at IS NULL AND r.expires_at > ? AND u.active = 1",
                 (sha256(code), tx.now))
    if row is None:
        raise InvalidInput(E.BAD_RESET_CODE, "重置码无效、已用过或已过期，请联系管理员 (the reset code is wrong, used "
                                             "or expired)", field="code")
    tx.run("UPDATE password_resets SET used_at = ? WHERE id = ?", (tx.now, row["id"]))
    user = _set_hash(tx, int(row["user_id"]), password_hash)
    record(tx, None, "user.password_reset_used", hall_id=user["hall_id"], target_kind="user",
           target_id=user["id"], summary=f"{user['username']} 用重置码设置了新密码", name=user["username"],
           address=address)
    return user


def _set_hash(tx: Tx, user_id: int, password_hash: str, keep_session: str | None = None) -> dict[str, Any]:
    tx.run("UPDATE users SET password_hash = ?, must_change_password = 0, password_changed_at = ? WHERE id = ?",
           (password_hash, tx.now, user_id))
    tx.run("DELETE FROM sessions WHERE user_id = ? AND token_hash <> ?",
           (user_id, sha256(keep_session) if keep_session else ""))
    return _user(tx, user_id)


def change_own_password(tx: Tx, actor: Actor, password_hash: str, session_id: str | None) -> dict[str, Any]:
    assert actor.user_id is not None
    user = _set_hash(tx, actor.user_id, password_hash, keep_session=session_id)
    record(tx, actor, "user.password_changed", hall_id=user["hall_id"], target_kind="user", target_id=user["id"],
           summary=f"{user['username']} 修改了自己的密码")
    return user


def set_password(tx: Tx, *, username: str, password_hash: str, actor: Actor | None = None) -> None:
    user = _set_hash(tx, user_id_of(tx, username), password_hash)
    record(tx, actor, "user.set_password", hall_id=user["hall_id"], target_kind="user", target_id=user["id"],
           summary=f"设置 {username} 的密码")


def create_session(tx: Tx, *, user_id: int, hours: float) -> tuple[str, str]:
    """Return (session id for the cookie, CSRF token for the pages)."""
    sid, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    tx.run("DELETE FROM sessions WHERE expires_at < ?", (tx.now,))
    tx.run("INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
           (sha256(sid), user_id, csrf, tx.now, tx.now + hours * 3600))
    return sid, csrf


def delete_session(tx: Tx, *, session_id: str) -> None:
    tx.run("DELETE FROM sessions WHERE token_hash = ?", (sha256(session_id),))


def create_token(tx: Tx, *, role: Role, hall_id: int | None, window_id: int | None,
                 label: str, user_id: int | None = None, actor: Actor | None = None) -> tuple[str, dict[str, Any]]:
    if hall_id is not None and tx.one("SELECT 1 FROM halls WHERE id = ?", (hall_id,)) is None:
        raise NotFound(E.HALL_NOT_FOUND, f"大厅不存在 (no hall {hall_id})")
    if window_id is not None:
        w = tx.one("SELECT hall_id FROM windows WHERE id = ?", (window_id,))
        if w is None:
            raise NotFound(E.WINDOW_NOT_FOUND, f"窗口不存在 (no window {window_id})")
        if hall_id is not None and w["hall_id"] != hall_id:
            raise InvalidInput(E.WINDOW_IN_OTHER_HALL, "窗口不属于该大厅 (window is in another hall)")
        hall_id = w["hall_id"]
        if role not in (Role.CLERK, Role.DISPLAY, Role.RATING_PAD):
            raise InvalidInput(E.WINDOW_NEEDS_CLERK_ROLE, "只有 clerk、display 或 rating_pad 令牌可绑定窗口 "
                                                           "(only clerk, display and rating_pad tokens bind to a "
                                                           "window)")
    if user_id is not None:
        _user_row(tx, user_id)
    token = new_token()
    token_id = tx.insert("INSERT INTO api_tokens (token_hash, role, hall_id, window_id, label, created_at, user_id) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?)",
                         (sha256(token), role.value, hall_id, window_id, label, tx.now, user_id))
    info = {"id": token_id, "role": role.value, "hall_id": hall_id, "window_id": window_id, "label": label,
            "user_id": user_id}
    record(tx, actor, "token.create", hall_id=hall_id, target_kind="token", target_id=token_id,
           summary=f"新建 {role.value} 令牌 {label}", after=info)
    return token, info


def revoke_token(tx: Tx, *, token_id: int, actor: Actor | None = None) -> None:
    row = tx.one("SELECT role, hall_id, label FROM api_tokens WHERE id = ? AND revoked_at IS NULL", (token_id,))
    if row is None or tx.run("UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                             (tx.now, token_id)) == 0:
        raise NotFound(E.TOKEN_NOT_FOUND, f"令牌不存在或已撤销 (no active token {token_id})")
    record(tx, actor, "token.revoke", hall_id=row["hall_id"], target_kind="token", target_id=token_id,
           summary=f"撤销 {row['role']} 令牌 {row['label']}")


def note_token_use(tx: Tx, token_id: int, address: str | None) -> None:
    """Mark a token's use; a use after an hour's quiet (or the first) is audited."""
    row = tx.one("SELECT role, hall_id, label, last_used_at FROM api_tokens WHERE id = ?", (token_id,))
    if row is None:
        return
    tx.run("UPDATE api_tokens SET last_used_at = ?, last_used_from = coalesce(?, last_used_from) WHERE id = ?",
           (tx.now, address, token_id))
    if row["last_used_at"] is None or tx.now - float(row["last_used_at"]) >= TOKEN_USE_AUDIT_SECONDS:
        actor = Actor(Role(row["role"]), hall_id=row["hall_id"], token_id=token_id, display_name=row["label"],
                      address=address)
        record(tx, actor, "token.used", hall_id=row["hall_id"], target_kind="token", target_id=token_id,
               summary=f"{row['role']} 令牌 {row['label']} 开始使用")


def signing_key(tx: Tx, name: str) -> str:
    """The stored key for `name`, made now if there is none. Two processes making it at once keep one: the
    loser's insert does nothing (or, on PostgreSQL, its transaction is run again) and it reads the winner's."""
    tx.run("INSERT INTO server_secrets (name, value, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
           (name, secrets.token_hex(32), tx.now))
    row = tx.one("SELECT value FROM server_secrets WHERE name = ?", (name,))
    assert row is not None
    return str(row[0])


@dataclass(frozen=True, slots=True)
class SessionInfo:
    actor: Actor
    csrf: str
    must_change_password: bool


class AccountStore:
    """The accounts port: staff, sessions and tokens, as whole write jobs and snapshot reads. Every change is
    audited in its own transaction (storage/audit.py)."""

    def __init__(self, db: Database, *, token_cache_seconds: float = 10.0, tree: HallTree | None = None) -> None:
        self.db = db
        self.tree = tree or HallTree(db)  # a manager's scope reaches down the hall tree
        # A verified bearer token is remembered this long, per process: a token revoked through another
        # process stops working here within it (config: security.token_cache_seconds).
        self.token_cache_seconds = token_cache_seconds
        self._token_cache: dict[str, tuple[float, Actor | None]] = {}
        self._token_used: dict[int, float] = {}

    async def add_user(self, *, username: str, display_name: str, role: Role, password: str,
                       hall_id: int | None, window_id: int | None = None, must_change: bool = False,
                       actor: Actor | None = None) -> dict[str, Any]:
        pw_hash = await asyncio.to_thread(hash_password, password)
        return await self.db.write(lambda tx: add_user(
            tx, username=username, display_name=display_name, role=role, password_hash=pw_hash, hall_id=hall_id,
            window_id=window_id, must_change=must_change, actor=actor))

    async def set_password(self, username: str, password: str, actor: Actor | None = None) -> None:
        pw_hash = await asyncio.to_thread(hash_password, password)
        await self.db.write(lambda tx: set_password(tx, username=username, password_hash=pw_hash, actor=actor))

    async def user(self, ref: int | str) -> dict[str, Any] | None:
        col = "id" if isinstance(ref, int) else "username"
        row = await self.db.one(f"SELECT {USER_COLUMNS} FROM users WHERE {col} = ?", (ref,))
        return None if row is None else user_view(row)

    async def update_user(self, user_id: int, changes: dict[str, Any], check: UserCheck,
                          actor: Actor | None) -> dict[str, Any]:
        return await self.db.write(lambda tx: update_user(tx, user_id, changes, check, actor))

    async def set_active(self, user_id: int, active: bool, check: UserCheck, actor: Actor | None) -> dict[str, Any]:
        user = await self.db.write(lambda tx: set_active(tx, user_id, active, check, actor))
        self._token_cache.clear()
        return user

    async def force_change(self, user_id: int, check: UserCheck, actor: Actor | None) -> dict[str, Any]:
        return await self.db.write(lambda tx: force_change(tx, user_id, check, actor))

    async def issue_reset(self, user_id: int, code: str, check: UserCheck, actor: Actor | None,
                          hours: float = RESET_HOURS) -> dict[str, Any]:
        return await self.db.write(lambda tx: issue_reset(tx, user_id, code, hours, check, actor))

    async def use_reset(self, code: str, password: str, address: str | None) -> dict[str, Any]:
        pw_hash = await asyncio.to_thread(hash_password, password)
        return await self.db.write(lambda tx: use_reset(tx, code, pw_hash, address))

    async def reset_user(self, code: str) -> dict[str, Any] | None:
        """Whose valid reset code this is (None: wrong, used or expired)."""
        row = await self.db.one(f"SELECT {', '.join('u.' + c.strip() for c in USER_COLUMNS.split(','))} "
                                "FROM password_resets r JOIN users u ON u.id = r.user_id WHERE r.code_hash = ? "
                                "AND r.used_at IS NULL AND r.expires_at > ? AND u.active = 1",
                                (sha256(code), self.db.clock()))
        return None if row is None else user_view(row)

    async def check_own_password(self, user_id: int, password: str) -> bool:
        row = await self.db.one("SELECT password_hash FROM users WHERE id = ? AND active = 1", (user_id,))
        return await asyncio.to_thread(verify_password, row["password_hash"] if row else None, password)

    async def change_own_password(self, actor: Actor, password: str, session_id: str | None) -> dict[str, Any]:
        pw_hash = await asyncio.to_thread(hash_password, password)
        return await self.db.write(lambda tx: change_own_password(tx, actor, pw_hash, session_id))

    async def audit(self, actor: Actor | None, action: str, **kw: Any) -> None:
        """An audit row on its own (a sign-in, a failed sign-in, a sign-out)."""
        await self.db.write(lambda tx: record(tx, actor, action, **kw))

    async def signin_failures(self, keys: list[str], since: float) -> dict[str, list[float]]:
        """Failed sign-ins since `since` per key, as every server process recorded them."""
        marks = ", ".join("?" * len(keys))
        rows = await self.db.all(f"SELECT key, at FROM signin_failures WHERE key IN ({marks}) AND at > ?",
                                 (*keys, since))
        out: dict[str, list[float]] = {k: [] for k in keys}
        for r in rows:
            out[r["key"]].append(float(r["at"]))
        return out

    async def record_signin_failure(self, keys: list[str], forget_before: float) -> None:
        def job(tx: Tx) -> None:
            tx.many("INSERT INTO signin_failures (key, at) VALUES (?, ?)", [(k, tx.now) for k in keys])
            tx.run("DELETE FROM signin_failures WHERE at < ?", (forget_before,))
        await self.db.write(job)

    async def authenticate(self, username: str, password: str) -> dict[str, Any] | None:
        row = await self.db.one("SELECT id, username, display_name, role, hall_id, window_id, password_hash, "
                                "must_change_password FROM users WHERE username = ? AND active = 1", (username,))
        ok = await asyncio.to_thread(verify_password, row["password_hash"] if row else None, password)
        if not ok or row is None:
            return None
        return {k: row[k] for k in ("id", "username", "display_name", "role", "hall_id", "window_id")} | {
            "must_change_password": bool(row["must_change_password"])}

    async def create_session(self, user_id: int, hours: float) -> tuple[str, str]:
        return await self.db.write(lambda tx: create_session(tx, user_id=user_id, hours=hours))

    async def delete_session(self, session_id: str) -> None:
        await self.db.write(lambda tx: delete_session(tx, session_id=session_id))

    async def session_info(self, session_id: str) -> SessionInfo | None:
        row = await self.db.one(
            "SELECT u.id, u.role, u.display_name, u.hall_id, u.window_id, u.must_change_password, s.csrf_token "
            "FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ? AND s.expires_at > ? "
            "AND u.active = 1", (sha256(session_id), self.db.clock()))
        if row is None:
            return None
        role = Role(row["role"])
        actor = Actor(role, user_id=row["id"], display_name=row["display_name"], hall_id=row["hall_id"],
                      window_id=row["window_id"], scope=await self.tree.scope(role, row["hall_id"]))
        return SessionInfo(actor, row["csrf_token"], bool(row["must_change_password"]))

    async def session_actor(self, session_id: str) -> tuple[Actor, str] | None:
        info = await self.session_info(session_id)
        return None if info is None else (info.actor, info.csrf)

    async def token_actor(self, token: str) -> Actor | None:
        """Look a bearer token up, remembering the answer briefly: devices poll often. A token issued for a
        staff member works only while their account is enabled."""
        now = time.monotonic()
        hit = self._token_cache.get(token)
        if hit is not None and hit[0] > now:
            return hit[1]
        row = await self.db.one("SELECT t.id, t.role, t.hall_id, t.window_id, t.label FROM api_tokens t "
                                "LEFT JOIN users u ON u.id = t.user_id WHERE t.token_hash = ? AND t.revoked_at IS NULL "
                                "AND (t.user_id IS NULL OR u.active = 1)", (sha256(token),))
        # A manager's or admin's token reaches down the tree like their account; a device's stays on its hall.
        actor = None if row is None else Actor(Role(row["role"]), hall_id=row["hall_id"],
                                               window_id=row["window_id"], token_id=row["id"],
                                               display_name=row["label"],
                                               scope=await self.tree.scope(Role(row["role"]), row["hall_id"]))
        if len(self._token_cache) > 10_000:
            self._token_cache.clear()
        self._token_cache[token] = (now + self.token_cache_seconds, actor)
        return actor

    async def note_token_use(self, token_id: int, address: str | None) -> None:
        """Remember when and where a token was used (written at most once a minute per token and process)."""
        now = time.monotonic()
        if now - self._token_used.get(token_id, -TOKEN_USE_WRITE_SECONDS) < TOKEN_USE_WRITE_SECONDS:
            return
        self._token_used[token_id] = now
        if len(self._token_used) > 10_000:
            self._token_used.clear()
        try:
            await self.db.write(lambda tx: note_token_use(tx, token_id, address))
        except Exception:  # the request goes on without its use noted (a full disk, say)
            log.warning("could not note the use of token %s", token_id, exc_info=True)

    async def create_token(self, *, role: Role, hall_id: int | None = None, window_id: int | None = None,
                           label: str = "", user_id: int | None = None,
                           actor: Actor | None = None) -> tuple[str, dict[str, Any]]:
        return await self.db.write(lambda tx: create_token(
            tx, role=role, hall_id=hall_id, window_id=window_id, label=label, user_id=user_id, actor=actor))

    async def revoke_token(self, token_id: int, actor: Actor | None = None) -> None:
        await self.db.write(lambda tx: revoke_token(tx, token_id=token_id, actor=actor))
        self._token_cache.clear()

    async def token_hall(self, token_id: int) -> tuple[bool, int | None]:
        """(whether the token exists, the hall it is bound to)."""
        row = await self.db.one("SELECT hall_id FROM api_tokens WHERE id = ?", (token_id,))
        return (False, None) if row is None else (True, row["hall_id"])

    async def list_tokens(self) -> list[dict[str, Any]]:
        rows = await self.db.all("SELECT id, role, hall_id, window_id, label, created_at, revoked_at, user_id, "
                                 "last_used_at, last_used_from FROM api_tokens ORDER BY id")
        return [{**dict(r), "created_at": iso(r["created_at"]), "revoked_at": iso(r["revoked_at"]),
                 "last_used_at": iso(r["last_used_at"])} for r in rows]

    async def list_users(self) -> list[dict[str, Any]]:
        rows = await self.db.all(f"SELECT {USER_COLUMNS} FROM users ORDER BY id")
        return [user_view(r) for r in rows]


class SigningKeys:
    """The signing-key port: a 32-byte key per purpose. Derived from HALLOPS_SECRET_KEY when set (so processes
    agree without reading the database); otherwise made once, kept in the database, and shared by every
    process on it."""

    def __init__(self, db: Database, env: Mapping[str, str] | None = None) -> None:
        self.db = db
        self._env = os.environ if env is None else env
        self._keys: dict[str, bytes] = {}

    async def key(self, name: str) -> bytes:
        env_key = self._env.get("HALLOPS_SECRET_KEY")
        if env_key:
            return hmac.new(env_key.encode(), name.encode(), hashlib.sha256).digest()
        cached = self._keys.get(name)
        if cached is not None:
            return cached
        row = await self.db.one("SELECT value FROM server_secrets WHERE name = ?", (name,))
        value = str(row[0]) if row is not None else await self.db.write(lambda tx: signing_key(tx, name))
        self._keys[name] = bytes.fromhex(value)
        return self._keys[name]

    def forget(self) -> None:
        """Drop the keys read so far (a test that changes the environment)."""
        self._keys.clear()
