"""Staff accounts, sessions, device/script tokens and signing keys: the accounts port (`AccountStore`), the
signing-key port (`SigningKeys`) and their write jobs.

Only hashes are stored: argon2id for passwords, SHA-256 for session ids and tokens (they are long random
strings, so a fast hash is enough).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import re
import secrets
import time
from collections.abc import Mapping
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from hallops.domain.actors import Actor
from hallops.domain.errors import Conflict, E, InvalidInput, NotFound
from hallops.domain.model import Role
from hallops.storage.db import Database, IntegrityError, Tx
from hallops.storage.views import iso

TOKEN_PREFIX = "hop_"
USERNAME_RE = re.compile(r"^[a-z0-9_][a-z0-9_.-]{1,31}$")
_hasher = PasswordHasher()
# Verified against when a username is unknown, so a login takes as long either way.
_DUMMY_HASH = _hasher.hash("not a password")


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
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def add_user(tx: Tx, *, username: str, display_name: str, role: Role, password_hash: str,
             hall_id: int | None) -> dict[str, Any]:
    if not USERNAME_RE.match(username):
        raise InvalidInput(E.BAD_USERNAME, "用户名只能包含小写字母、数字、_ . - (bad username)")
    if role not in (Role.ADMIN, Role.MANAGER, Role.CLERK):
        raise InvalidInput(E.BAD_ROLE,
                           "账号角色应为 admin、manager 或 clerk (staff role must be admin, manager or clerk)")
    if hall_id is not None and tx.one("SELECT 1 FROM halls WHERE id = ?", (hall_id,)) is None:
        raise NotFound(E.HALL_NOT_FOUND, f"大厅不存在 (no hall {hall_id})")
    try:
        user_id = tx.insert("INSERT INTO users (username, display_name, role, password_hash, hall_id, created_at) "
                     "VALUES (?, ?, ?, ?, ?, ?)", (username, display_name, role.value, password_hash, hall_id,
                                                   tx.now))
    except IntegrityError as e:
        raise Conflict(E.USERNAME_TAKEN, f"用户名 {username} 已存在 (username taken)") from e
    return {"id": user_id, "username": username, "display_name": display_name, "role": role.value,
            "hall_id": hall_id}


def set_password(tx: Tx, *, username: str, password_hash: str) -> None:
    if tx.run("UPDATE users SET password_hash = ? WHERE username = ?", (password_hash, username)) == 0:
        raise NotFound(E.USER_NOT_FOUND, f"用户不存在 (no user {username})")
    tx.run("DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE username = ?)", (username,))


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
                 label: str) -> tuple[str, dict[str, Any]]:
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
    token = new_token()
    token_id = tx.insert("INSERT INTO api_tokens (token_hash, role, hall_id, window_id, label, created_at) "
                 "VALUES (?, ?, ?, ?, ?, ?)", (sha256(token), role.value, hall_id, window_id, label, tx.now))
    return token, {"id": token_id, "role": role.value, "hall_id": hall_id, "window_id": window_id,
                   "label": label}


def revoke_token(tx: Tx, *, token_id: int) -> None:
    if tx.run("UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", (tx.now, token_id)) == 0:
        raise NotFound(E.TOKEN_NOT_FOUND, f"令牌不存在或已撤销 (no active token {token_id})")


def signing_key(tx: Tx, name: str) -> str:
    """The stored key for `name`, made now if there is none. Two processes making it at once keep one: the
    loser's insert does nothing (or, on PostgreSQL, its transaction is run again) and it reads the winner's."""
    tx.run("INSERT INTO server_secrets (name, value, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
           (name, secrets.token_hex(32), tx.now))
    row = tx.one("SELECT value FROM server_secrets WHERE name = ?", (name,))
    assert row is not None
    return str(row[0])


class AccountStore:
    """The accounts port: staff, sessions and tokens, as whole write jobs and snapshot reads."""

    def __init__(self, db: Database, *, token_cache_seconds: float = 10.0) -> None:
        self.db = db
        # A verified bearer token is remembered this long, per process: a token revoked through another
        # process stops working here within it (config: security.token_cache_seconds).
        self.token_cache_seconds = token_cache_seconds
        self._token_cache: dict[str, tuple[float, Actor | None]] = {}

    async def add_user(self, *, username: str, display_name: str, role: Role, password: str,
                       hall_id: int | None) -> dict[str, Any]:
        pw_hash = await asyncio.to_thread(hash_password, password)
        return await self.db.write(lambda tx: add_user(
            tx, username=username, display_name=display_name, role=role, password_hash=pw_hash, hall_id=hall_id))

    async def set_password(self, username: str, password: str) -> None:
        pw_hash = await asyncio.to_thread(hash_password, password)
        await self.db.write(lambda tx: set_password(tx, username=username, password_hash=pw_hash))

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
        row = await self.db.one("SELECT id, username, display_name, role, hall_id, password_hash FROM users "
                                "WHERE username = ? AND active = 1", (username,))
        ok = await asyncio.to_thread(verify_password, row["password_hash"] if row else None, password)
        if not ok or row is None:
            return None
        return {k: row[k] for k in ("id", "username", "display_name", "role", "hall_id")}

    async def create_session(self, user_id: int, hours: float) -> tuple[str, str]:
        return await self.db.write(lambda tx: create_session(tx, user_id=user_id, hours=hours))

    async def delete_session(self, session_id: str) -> None:
        await self.db.write(lambda tx: delete_session(tx, session_id=session_id))

    async def session_actor(self, session_id: str) -> tuple[Actor, str] | None:
        row = await self.db.one(
            "SELECT u.id, u.role, u.display_name, u.hall_id, s.csrf_token FROM sessions s JOIN users u "
            "ON u.id = s.user_id WHERE s.token_hash = ? AND s.expires_at > ? AND u.active = 1",
            (sha256(session_id), self.db.clock()))
        if row is None:
            return None
        return Actor(Role(row["role"]), user_id=row["id"], display_name=row["display_name"],
                     hall_id=row["hall_id"]), row["csrf_token"]

    async def token_actor(self, token: str) -> Actor | None:
        """Look a bearer token up, remembering the answer briefly: devices poll often."""
        now = time.monotonic()
        hit = self._token_cache.get(token)
        if hit is not None and hit[0] > now:
            return hit[1]
        row = await self.db.one("SELECT id, role, hall_id, window_id, label FROM api_tokens "
                                "WHERE token_hash = ? AND revoked_at IS NULL", (sha256(token),))
        actor = None if row is None else Actor(Role(row["role"]), hall_id=row["hall_id"],
                                               window_id=row["window_id"], token_id=row["id"],
                                               display_name=row["label"])
        if len(self._token_cache) > 10_000:
            self._token_cache.clear()
        self._token_cache[token] = (now + self.token_cache_seconds, actor)
        return actor

    async def create_token(self, *, role: Role, hall_id: int | None = None, window_id: int | None = None,
                           label: str = "") -> tuple[str, dict[str, Any]]:
        return await self.db.write(lambda tx: create_token(
            tx, role=role, hall_id=hall_id, window_id=window_id, label=label))

    async def revoke_token(self, token_id: int) -> None:
        await self.db.write(lambda tx: revoke_token(tx, token_id=token_id))
        self._token_cache.clear()

    async def token_hall(self, token_id: int) -> tuple[bool, int | None]:
        """(whether the token exists, the hall it is bound to)."""
        row = await self.db.one("SELECT hall_id FROM api_tokens WHERE id = ?", (token_id,))
        return (False, None) if row is None else (True, row["hall_id"])

    async def list_tokens(self) -> list[dict[str, Any]]:
        rows = await self.db.all("SELECT id, role, hall_id, window_id, label, created_at, revoked_at "
                                 "FROM api_tokens ORDER BY id")
        return [{**dict(r), "created_at": iso(r["created_at"]), "revoked_at": iso(r["revoked_at"])} for r in rows]

    async def list_users(self) -> list[dict[str, Any]]:
        rows = await self.db.all("SELECT id, username, display_name, role, hall_id, active FROM users ORDER BY id")
        return [dict(r) for r in rows]


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
