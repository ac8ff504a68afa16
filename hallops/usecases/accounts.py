"""Accounts: signing in and out, who a request comes from, staff accounts, device and script tokens, and the
server's signing keys. Admins manage accounts and tokens, and a hall-bound admin only those of their hall."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hallops.domain.actors import Actor
from hallops.domain.errors import E, Forbidden, NotFound
from hallops.domain.model import Role
from hallops.usecases.halls import Halls
from hallops.usecases.signin import SignIn

if TYPE_CHECKING:
    from hallops.usecases import Context

# The actor of the command line (`hallops user add`, `token create`, `init`): the operator of the box.
OPERATOR = Actor(Role.ADMIN)


def require_admin(actor: Actor) -> None:
    if actor.role is not Role.ADMIN:
        raise Forbidden(E.FORBIDDEN,
                        f"角色 {actor.role.value} 无权执行此操作 (role {actor.role.value} may not do this)")


def visible(actor: Actor, hall_id: int | None) -> bool:
    """A hall-bound admin sees the accounts and tokens of their own hall only."""
    return actor.hall_id is None or hall_id == actor.hall_id


class Accounts:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.port = ctx.ports.accounts

    # -- signing in ----------------------------------------------------------------------------------------

    async def sign_in(self, username: str, password: str, address: str | None = None,
                      device_cookie: str | None = None) -> tuple[dict[str, Any], str, str, str]:
        """(the user, the session id for the cookie, the CSRF token for the pages, the known-device cookie).
        Attempts are counted before the password is checked, and guessing cannot lock a clerk out of a
        device they signed in from before (usecases/signin.py, domain/limits.py)."""
        return await SignIn(self.ctx)(username, password, address, device_cookie)

    async def sign_out(self, session_id: str) -> None:
        await self.port.delete_session(session_id)

    async def session(self, session_id: str) -> tuple[Actor, str] | None:
        """The actor of a session cookie and its CSRF token; None when unknown or expired."""
        return await self.port.session_actor(session_id)

    async def bearer(self, token: str) -> Actor | None:
        """The actor of a bearer token; None when unknown or revoked."""
        return await self.port.token_actor(token)

    async def signing_key(self, name: str) -> bytes:
        return await self.ctx.ports.keys.key(name)

    # -- staff accounts ------------------------------------------------------------------------------------

    async def users(self, actor: Actor) -> list[dict[str, Any]]:
        require_admin(actor)
        return [u for u in await self.port.list_users() if visible(actor, u["hall_id"])]

    async def add_user(self, actor: Actor, *, username: str, display_name: str, role: Role, password: str,
                       hall: str | int | None) -> dict[str, Any]:
        require_admin(actor)
        hall_id = await self._own_hall(actor, hall)
        return await self.port.add_user(username=username, display_name=display_name, role=role,
                                        password=password, hall_id=hall_id)

    async def set_password(self, actor: Actor, username: str, password: str) -> None:
        require_admin(actor)
        await self.port.set_password(username, password)

    # -- device and script tokens ----------------------------------------------------------------------------

    async def tokens(self, actor: Actor) -> list[dict[str, Any]]:
        require_admin(actor)
        return [t for t in await self.port.list_tokens() if visible(actor, t["hall_id"])]

    async def create_token(self, actor: Actor, *, role: Role, hall: str | int | None, window: int | None,
                           label: str) -> tuple[str, dict[str, Any]]:
        """(the token, shown this once; what is kept of it)."""
        require_admin(actor)
        hall_id = await self._own_hall(actor, hall)
        return await self.port.create_token(role=role, hall_id=hall_id, window_id=window, label=label)

    async def revoke_token(self, actor: Actor, token_id: int) -> None:
        require_admin(actor)
        if actor.hall_id is not None:
            found, hall_id = await self.port.token_hall(token_id)
            if not found or not visible(actor, hall_id):
                raise NotFound(E.TOKEN_NOT_FOUND, f"令牌不存在或已撤销 (no active token {token_id})")
        await self.port.revoke_token(token_id)

    async def _own_hall(self, actor: Actor, ref: str | int | None) -> int | None:
        """The hall a new account or token belongs to: never wider than the acting admin's own hall."""
        if ref is not None:
            return int((await Halls(self.ctx).resolve(actor, ref))["id"])
        return actor.hall_id
