"""Accounts: signing in and out, who a request comes from, staff accounts, device and script tokens, and the
server's signing keys. Admins manage accounts and tokens, and a hall-bound admin only those of their hall."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from hallops.domain import limits
from hallops.domain.actors import Actor
from hallops.domain.errors import E, Forbidden, InvalidInput, NotFound, TooManyRequests, Unauthorized
from hallops.domain.model import Role
from hallops.domain.passwords import check_password
from hallops.usecases.halls import Halls
from hallops.usecases.signin import SignIn

if TYPE_CHECKING:
    from hallops.storage.accounts import SessionInfo
    from hallops.usecases import Context

# The actor of the command line (`hallops user add`, `token create`, `init`): the operator of the box.
OPERATOR = Actor(Role.ADMIN, display_name="operator (CLI)", address="cli")
# One-time reset codes: 16 letters and digits a person can read out (no 0/O, 1/I/L), 80 bits.
RESET_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def require_admin(actor: Actor) -> None:
    if actor.role is not Role.ADMIN:
        raise Forbidden(E.FORBIDDEN,
                        f"角色 {actor.role.value} 无权执行此操作 (role {actor.role.value} may not do this)")


def visible(actor: Actor, hall_id: int | None) -> bool:
    """A hall-bound admin sees the accounts and tokens of their own part of the hall tree only."""
    return actor.hall_id is None or (hall_id is not None and actor.sees(hall_id))


class Accounts:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.port = ctx.ports.accounts

    # -- signing in ----------------------------------------------------------------------------------------

    async def sign_in(self, username: str, password: str, address: str | None = None,
                      device_cookie: str | None = None) -> tuple[dict[str, Any], str, str, str]:
        """(the user, the session id for the cookie, the CSRF token for the pages, the known-device cookie).
        Attempts are counted before the password is checked, and guessing cannot lock a clerk out of a
        device they signed in from before (usecases/signin.py, domain/limits.py). Each sign-in and each
        failed one is audited."""
        try:
            result = await SignIn(self.ctx)(username, password, address, device_cookie)
        except Unauthorized as e:
            # A wrong password is audited; an attempt refused by the throttle before any check is not (a flood
            # of guesses would flood the log: the throttle's own counters hold those).
            await self.port.audit(None, "signin.failed", name=username[:64], address=address or "",
                                  summary=f"登录失败：{username[:64]} ({e.code})")
            raise
        user = result[0]
        await self.port.audit(Actor(Role(user["role"]), user_id=user["id"], display_name=user["display_name"],
                                    address=address), "signin.ok", hall_id=user["hall_id"], target_kind="user",
                              target_id=user["id"], summary=f"{user['username']} 登录")
        return result

    async def sign_out(self, session_id: str, actor: Actor | None = None) -> None:
        await self.port.delete_session(session_id)
        if actor is not None and actor.user_id is not None:
            await self.port.audit(actor, "signout", hall_id=actor.hall_id, target_kind="user",
                                  target_id=actor.user_id, summary=f"{actor.display_name} 退出登录")

    async def session(self, session_id: str) -> tuple[Actor, str] | None:
        """The actor of a session cookie and its CSRF token; None when unknown, expired or disabled."""
        return await self.port.session_actor(session_id)

    async def session_info(self, session_id: str) -> SessionInfo | None:
        """The session's actor, CSRF token and whether the user must change their password first."""
        return await self.port.session_info(session_id)

    async def bearer(self, token: str, address: str | None = None) -> Actor | None:
        """The actor of a bearer token; None when unknown, revoked, or its staff member's account disabled.
        Its use is noted (when and from where: the token list), and audited after an hour's quiet; a screen's
        live socket, asked again every few seconds, keeps its token's last use current."""
        actor = await self.port.token_actor(token)
        if actor is not None and actor.token_id is not None:
            await self.port.note_token_use(actor.token_id, address)
        return actor

    async def signing_key(self, name: str) -> bytes:
        return await self.ctx.ports.keys.key(name)

    # -- staff accounts ------------------------------------------------------------------------------------

    async def users(self, actor: Actor) -> list[dict[str, Any]]:
        require_admin(actor)
        return [u for u in await self.port.list_users() if visible(actor, u["hall_id"])]

    async def add_user(self, actor: Actor, *, username: str, display_name: str, role: Role, password: str,
                       hall: str | int | None, window: int | None = None,
                       must_change: bool = False) -> dict[str, Any]:
        require_admin(actor)
        check_password(password, username=username)
        hall_id = await self._own_hall(actor, hall)
        return await self.port.add_user(username=username, display_name=display_name, role=role,
                                        password=password, hall_id=hall_id, window_id=window,
                                        must_change=must_change, actor=actor)

    async def user(self, actor: Actor, ref: int | str) -> dict[str, Any]:
        require_admin(actor)
        user = await self.port.user(ref)
        if user is None or not visible(actor, user["hall_id"]):
            raise NotFound(E.USER_NOT_FOUND, f"用户不存在 (no user {ref})")
        return user

    async def update_user(self, actor: Actor, user_id: int, changes: dict[str, Any]) -> dict[str, Any]:
        """Display name, role, hall and window scope. A hall-bound admin keeps accounts inside their hall and
        cannot make admins of every hall; nobody changes their own role."""
        require_admin(actor)
        if "hall" in changes:
            ref = changes.pop("hall")
            changes["hall_id"] = (await self._own_hall(actor, ref)) if ref is not None else None
            if changes["hall_id"] is None and actor.hall_id is not None:
                raise Forbidden(E.FORBIDDEN, "本账号只管理一个大厅 (a hall-bound admin cannot make accounts of every "
                                             "hall)")
        if "window" in changes:
            changes["window_id"] = changes.pop("window")

        def check(user: dict[str, Any]) -> None:
            self._may_manage(actor, user)
            if user["id"] == actor.user_id and "role" in changes and changes["role"] != user["role"]:
                raise Forbidden(E.OWN_ACCOUNT, "不能修改自己的角色 (you cannot change your own role)")
        return await self.port.update_user(user_id, changes, check, actor)

    async def set_active(self, actor: Actor, user_id: int, active: bool) -> dict[str, Any]:
        """Disable an account (its sessions end at once, its live screens close within seconds, tokens issued
        for it stop; its history stays) or enable it again."""
        require_admin(actor)

        def check(user: dict[str, Any]) -> None:
            self._may_manage(actor, user)
            if user["id"] == actor.user_id and not active:
                raise Forbidden(E.OWN_ACCOUNT, "不能停用自己的账号 (you cannot disable your own account)")
        return await self.port.set_active(user_id, active, check, actor)

    async def force_password_change(self, actor: Actor, user_id: int) -> dict[str, Any]:
        require_admin(actor)
        return await self.port.force_change(user_id, lambda u: self._may_manage(actor, u), actor)

    async def reset_password(self, actor: Actor, user_id: int) -> dict[str, Any]:
        """A one-time code (and link) for the user to set a new password: the admin never sees a password.
        The user must choose a new one with it within RESET_HOURS; older codes stop working."""
        require_admin(actor)
        code = "-".join("".join(secrets.choice(RESET_ALPHABET) for _ in range(4)) for _ in range(4))
        out = await self.port.issue_reset(user_id, code, lambda u: self._may_manage(actor, u), actor)
        return {"user": out["user"], "code": code, "link": f"/reset#code={code}", "expires_at": out["expires_at"]}

    async def _reset_holder(self, code: str, address: str | None) -> dict[str, Any]:
        """The user a reset code belongs to. The attempt is counted before the code is looked at: an address
        past its budget waits (429), whatever it sends; a right code forgets its address's wrong ones."""
        keys = limits.reset_keys(address)
        now = self.ctx.clock()
        try:
            await self.ctx.ports.signin.count_attempt(list(keys), lambda counts: limits.check(counts, keys, now))
        except TooManyRequests as e:
            raise TooManyRequests(E.TOO_MANY_ATTEMPTS, "重置码错误次数过多，请稍后再试或联系管理员 (too many wrong "
                                  "reset codes; try again later)", **e.detail) from None
        user = await self.port.reset_user(_norm_code(code))
        if user is None:
            raise InvalidInput(E.BAD_RESET_CODE, "重置码无效、已用过或已过期，请联系管理员 (the reset code is wrong, "
                                                 "used or expired)", field="code")
        await self.ctx.ports.signin.succeeded(list(keys), [])
        return dict(user)

    async def reset_user(self, code: str, address: str | None = None) -> dict[str, Any]:
        """Whose reset code this is (the reset page greets them by name)."""
        user = await self._reset_holder(code, address)
        return {"username": user["username"], "display_name": user["display_name"]}

    async def use_reset(self, code: str, password: str, address: str | None) -> dict[str, Any]:
        user = await self._reset_holder(code, address)
        check_password(password, username=user["username"])
        done = await self.port.use_reset(_norm_code(code), password, address)
        return {"username": done["username"]}

    async def change_own_password(self, actor: Actor, current: str, new: str, session_id: str | None) -> None:
        """Every staff member changes their own password: the current one first, then the rule; their other
        sessions end."""
        if actor.user_id is None:
            raise Forbidden(E.FORBIDDEN, "只有登录的员工能修改密码 (sign in with a password to change it)")
        user = await self.port.user(actor.user_id)
        assert user is not None
        if not await self.port.check_own_password(actor.user_id, current):
            raise InvalidInput(E.WRONG_PASSWORD, "当前密码不对 (the current password is wrong)", field="current")
        if current == new:
            raise InvalidInput(E.SAME_PASSWORD, "新密码不能与当前密码相同 (choose a different password)",
                               field="password")
        check_password(new, username=user["username"])
        await self.port.change_own_password(actor, new, session_id)

    async def set_password(self, actor: Actor, username: str, password: str) -> None:
        """The operator's `hallops user set-password` (the rule applies there too)."""
        require_admin(actor)
        check_password(password, username=username)
        await self.port.set_password(username, password, actor)

    def _may_manage(self, actor: Actor, user: dict[str, Any]) -> None:
        if not visible(actor, user["hall_id"]):
            raise NotFound(E.USER_NOT_FOUND, f"用户不存在 (no user {user['id']})")

    # -- device and script tokens ----------------------------------------------------------------------------

    async def tokens(self, actor: Actor) -> list[dict[str, Any]]:
        require_admin(actor)
        return [t for t in await self.port.list_tokens() if visible(actor, t["hall_id"])]

    async def create_token(self, actor: Actor, *, role: Role, hall: str | int | None, window: int | None,
                           label: str, user: int | None = None) -> tuple[str, dict[str, Any]]:
        """(the token, shown this once; what is kept of it)."""
        require_admin(actor)
        hall_id = await self._own_hall(actor, hall)
        if user is not None:
            await self.user(actor, user)
        return await self.port.create_token(role=role, hall_id=hall_id, window_id=window, label=label,
                                            user_id=user, actor=actor)

    async def revoke_token(self, actor: Actor, token_id: int) -> None:
        require_admin(actor)
        if actor.hall_id is not None:
            found, hall_id = await self.port.token_hall(token_id)
            if not found or not visible(actor, hall_id):
                raise NotFound(E.TOKEN_NOT_FOUND, f"令牌不存在或已撤销 (no active token {token_id})")
        await self.port.revoke_token(token_id, actor)

    async def _own_hall(self, actor: Actor, ref: str | int | None) -> int | None:
        """The hall a new account or token belongs to: never wider than the acting admin's own hall."""
        if ref is not None:
            return int((await Halls(self.ctx).resolve(actor, ref))["id"])
        return actor.hall_id


def _norm_code(code: str) -> str:
    """Codes are read out and typed: case, spaces and missing dashes do not matter."""
    raw = "".join(ch for ch in code.upper() if ch.isalnum())[:32]
    return "-".join(raw[i:i + 4] for i in range(0, len(raw), 4))
