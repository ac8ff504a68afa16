"""Changing the hall model, staff accounts and tokens (admins; managers may edit a hall's notice)."""

from __future__ import annotations

from aiohttp import web

from hallops.domain.actors import Actor
from hallops.domain.errors import E, Forbidden, NotFound
from hallops.domain.model import Role
from hallops.http import bodies
from hallops.http.api import RouteTable, json_response, path_int
from hallops.http.halls import hall_id
from hallops.http.keys import STORE
from hallops.storage import layout
from hallops.storage.db import Tx

routes = RouteTable("admin")
ADMIN = frozenset({Role.ADMIN})
SUPERVISORS = frozenset({Role.ADMIN, Role.MANAGER})


async def _layout_reply(request: web.Request, hid: int, kind: str, obj_id: int, status: int = 200) -> web.Response:
    full = await request.app[STORE].hall_layout(hid)
    if kind == "hall":
        return json_response(full["hall"], status=status)
    obj = next(o for o in full[kind] if o["id"] == obj_id)
    return json_response(obj, status=status)


@routes.post("/api/v1/halls", summary="Create a hall", roles=ADMIN, body=bodies.HallSpec, responses={201: "created"})
async def create_hall(request: web.Request, actor: Actor, body: bodies.HallSpec) -> web.Response:
    if actor.hall_id is not None:
        raise Forbidden(E.FORBIDDEN, "本账号只管理一个大厅，不能新建大厅 (a hall-bound admin cannot create halls)")
    spec = body.model_dump(mode="json")
    hid = await request.app[STORE].write(lambda tx: layout.create_hall(tx, spec))
    return await _layout_reply(request, hid, "hall", hid, 201)


@routes.patch("/api/v1/halls/{hall}", summary="Change a hall (managers: the notice only)", roles=SUPERVISORS,
              body=bodies.HallChange)
async def update_hall(request: web.Request, actor: Actor, body: bodies.HallChange) -> web.Response:
    hid = await hall_id(request, actor)
    ch = bodies.changes(body)
    if actor.role is Role.MANAGER and set(ch) - {"notice"}:
        raise Forbidden(E.FORBIDDEN, "管理员以外只能修改公告 (managers may change the notice only)")
    await request.app[STORE].write(lambda tx: layout.update_hall(tx, hid, ch))
    return await _layout_reply(request, hid, "hall", hid)


def _create(path: str, kind: str, body_model: type[bodies.Body], fn: object, summary: str) -> None:
    async def handler(request: web.Request, actor: Actor, body: bodies.Body) -> web.Response:
        hid = await hall_id(request, actor)
        spec = body.model_dump(mode="json")
        obj_id = await request.app[STORE].write(lambda tx: fn(tx, hid, spec))  # type: ignore[operator]
        return await _layout_reply(request, hid, kind, obj_id, 201)
    handler.__name__ = f"create_{kind}"
    routes.post(f"/api/v1/halls/{{hall}}/{path}", summary=summary, roles=ADMIN, body=body_model,
                responses={201: "created"})(handler)


def _update(path: str, kind: str, body_model: type[bodies.Body], fn: object, summary: str) -> None:
    async def handler(request: web.Request, actor: Actor, body: bodies.Body) -> web.Response:
        obj_id = path_int(request, "obj_id")
        ch = bodies.changes(body)

        def job(tx: Tx) -> int:
            actor.check_hall(layout.hall_of(tx, kind, obj_id))  # before the change, in its transaction
            return fn(tx, obj_id, ch)  # type: ignore[operator]
        hid = await request.app[STORE].write(job)
        return await _layout_reply(request, hid, kind, obj_id)
    handler.__name__ = f"update_{kind}"
    routes.patch(f"/api/v1/{path}/{{obj_id:\\d+}}", summary=summary, roles=ADMIN, body=body_model)(handler)


_create("departments", "departments", bodies.DepartmentSpec, layout.create_department, "Add a department")
_update("departments", "departments", bodies.DepartmentChange, layout.update_department, "Change a department")
_create("queues", "queues", bodies.QueueSpec, layout.create_queue, "Add a queue (业务类型)")
_update("queues", "queues", bodies.QueueChange, layout.update_queue, "Change a queue")
_create("service-items", "service_items", bodies.ServiceItemSpec, layout.create_service_item,
        "Add a service item (事项)")
_update("service-items", "service_items", bodies.ServiceItemChange, layout.update_service_item,
        "Change a service item")
_create("windows", "windows", bodies.WindowSpec, layout.create_window, "Add a window")
_update("windows", "windows", bodies.WindowChange, layout.update_window, "Change a window and its queues")


@routes.get("/api/v1/users", summary="Staff accounts", roles=ADMIN)
async def list_users(request: web.Request, actor: Actor) -> web.Response:
    users = await request.app[STORE].list_users()
    return json_response({"users": [u for u in users if _visible(actor, u["hall_id"])]})


def _visible(actor: Actor, hall_id: int | None) -> bool:
    return actor.hall_id is None or hall_id == actor.hall_id


async def _own_hall(request: web.Request, actor: Actor, ref: str | int | None) -> int | None:
    """The hall a new account or token belongs to: never wider than the acting admin's own hall."""
    if ref is not None:
        return int((await request.app[STORE].resolve_hall(ref, actor))["id"])
    return actor.hall_id


@routes.post("/api/v1/users", summary="Add a staff account", roles=ADMIN, body=bodies.UserSpec,
             responses={201: "created"})
async def add_user(request: web.Request, actor: Actor, body: bodies.UserSpec) -> web.Response:
    store = request.app[STORE]
    hid = await _own_hall(request, actor, body.hall)
    user = await store.add_user(username=body.username, display_name=body.display_name, role=body.role,
                                password=body.password, hall_id=hid)
    return json_response(user, status=201)


@routes.get("/api/v1/tokens", summary="Device and script tokens (never their secrets)", roles=ADMIN)
async def list_tokens(request: web.Request, actor: Actor) -> web.Response:
    tokens = await request.app[STORE].list_tokens()
    return json_response({"tokens": [t for t in tokens if _visible(actor, t["hall_id"])]})


@routes.post("/api/v1/tokens", summary="Create a token; its secret is shown once", roles=ADMIN,
             body=bodies.TokenSpec, responses={201: "created; body has token"})
async def create_token(request: web.Request, actor: Actor, body: bodies.TokenSpec) -> web.Response:
    store = request.app[STORE]
    hid = await _own_hall(request, actor, body.hall)
    token, info = await store.create_token(role=body.role, hall_id=hid, window_id=body.window, label=body.label)
    return json_response(info | {"token": token}, status=201)


@routes.delete("/api/v1/tokens/{token_id:\\d+}", summary="Revoke a token", roles=ADMIN,
               responses={204: "revoked"})
async def revoke_token(request: web.Request, actor: Actor) -> web.Response:
    token_id = path_int(request, "token_id")
    store = request.app[STORE]
    if actor.hall_id is not None:
        token = next((t for t in await store.list_tokens() if t["id"] == token_id), None)
        if token is None or not _visible(actor, token["hall_id"]):
            raise NotFound(E.TOKEN_NOT_FOUND, f"令牌不存在或已撤销 (no active token {token_id})")
    await store.revoke_token(token_id)
    return web.Response(status=204)
