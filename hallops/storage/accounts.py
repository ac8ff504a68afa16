"""Staff accounts, sessions and device/script tokens. Only hashes are stored: argon2id for passwords,
SHA-256 for session ids and tokens (they are long random strings, so a fast hash is enough)."""

from __future__ import annotations

import hashlib
import re
import secrets
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from hallops.domain.errors import Conflict, E, InvalidInput, NotFound
from hallops.domain.model import Role
from hallops.storage.db import IntegrityError, Tx

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
        if role is not Role.CLERK and role is not Role.DISPLAY:
            raise InvalidInput(E.WINDOW_NEEDS_CLERK_ROLE, "只有 clerk 或 display 令牌可绑定窗口 "
                                                           "(only clerk and display tokens bind to a window)")
    token = new_token()
    token_id = tx.insert("INSERT INTO api_tokens (token_hash, role, hall_id, window_id, label, created_at) "
                 "VALUES (?, ?, ?, ?, ?, ?)", (sha256(token), role.value, hall_id, window_id, label, tx.now))
    return token, {"id": token_id, "role": role.value, "hall_id": hall_id, "window_id": window_id,
                   "label": label}


def revoke_token(tx: Tx, *, token_id: int) -> None:
    if tx.run("UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", (tx.now, token_id)) == 0:
        raise NotFound(E.TOKEN_NOT_FOUND, f"令牌不存在或已撤销 (no active token {token_id})")
