"""Changing the hall model, staff accounts and tokens (admins; managers may edit a hall's notice)."""

from __future__ import annotations

from aiohttp import web

from hallops.domain.actors import Actor
from hallops.domain.model import Role
from hallops.http import bodies
from hallops.http.api import RouteTable, hall_of, json_response, path_int
from hallops.http.keys import USECASES

routes = RouteTable("admin")
ADMIN = frozenset({Role.ADMIN})
SUPERVISORS = frozenset({Role.ADMIN, Role.MANAGER})


@routes.post("/api/v1/halls", summary="Create a hall", roles=ADMIN, body=bodies.HallSpec, responses={201: "created"})
async def create_hall(request: web.Request, actor: Actor, body: bodies.HallSpec) -> web.Response:
    hall = await request.app[USECASES].layout.create_hall(actor, body.model_dump(mode="json"))
    return json_response(hall, status=201)


@routes.patch("/api/v1/halls/{hall}", summary="Change a hall (managers: the notice only)", roles=SUPERVISORS,
              body=bodies.HallChange)
async def update_hall(request: web.Request, actor: Actor, body: bodies.HallChange) -> web.Response:
    hall = await request.app[USECASES].layout.update_hall(actor, hall_of(request)["id"], bodies.changes(body))
    return json_response(hall)


def _create(path: str, kind: str, body_model: type[bodies.Body], summary: str) -> None:
    async def handler(request: web.Request, actor: Actor, body: bodies.Body) -> web.Response:
        obj = await request.app[USECASES].layout.create(actor, kind, hall_of(request)["id"],
                                                        body.model_dump(mode="json"))
        return json_response(obj, status=201)
    handler.__name__ = f"create_{kind}"
    routes.post(f"/api/v1/halls/{{hall}}/{path}", summary=summary, roles=ADMIN, body=body_model,
                responses={201: "created"})(handler)


def _update(path: str, kind: str, body_model: type[bodies.Body], summary: str) -> None:
    async def handler(request: web.Request, actor: Actor, body: bodies.Body) -> web.Response:
        obj = await request.app[USECASES].layout.update(actor, kind, path_int(request, "obj_id"),
                                                        bodies.changes(body))
        return json_response(obj)
    handler.__name__ = f"update_{kind}"
    routes.patch(f"/api/v1/{path}/{{obj_id:\\d+}}", summary=summary, roles=ADMIN, body=body_model)(handler)


_create("departments", "departments", bodies.DepartmentSpec, "Add a department")
_update("departments", "departments", bodies.DepartmentChange, "Change a department")
_create("queues", "queues", bodies.QueueSpec, "Add a queue (业务类型)")
_update("queues", "queues", bodies.QueueChange, "Change a queue")
_create("service-items", "service_items", bodies.ServiceItemSpec, "Add a service item (事项)")
_update("service-items", "service_items", bodies.ServiceItemChange, "Change a service item")
_create("windows", "windows", bodies.WindowSpec, "Add a window")
_update("windows", "windows", bodies.WindowChange, "Change a window and its queues")


@routes.get("/api/v1/users", summary="Staff accounts", roles=ADMIN)
async def list_users(request: web.Request, actor: Actor) -> web.Response:
    return json_response({"users": await request.app[USECASES].accounts.users(actor)})


@routes.post("/api/v1/users", summary="Add a staff account", roles=ADMIN, body=bodies.UserSpec,
             responses={201: "created"})
async def add_user(request: web.Request, actor: Actor, body: bodies.UserSpec) -> web.Response:
    user = await request.app[USECASES].accounts.add_user(
        actor, username=body.username, display_name=body.display_name, role=body.role, password=body.password,
        hall=body.hall)
    return json_response(user, status=201)


@routes.get("/api/v1/tokens", summary="Device and script tokens (never their secrets)", roles=ADMIN)
async def list_tokens(request: web.Request, actor: Actor) -> web.Response:
    return json_response({"tokens": await request.app[USECASES].accounts.tokens(actor)})


@routes.post("/api/v1/tokens", summary="Create a token; its secret is shown once", roles=ADMIN,
             body=bodies.TokenSpec, responses={201: "created; body has token"})
async def create_token(request: web.Request, actor: Actor, body: bodies.TokenSpec) -> web.Response:
    token, info = await request.app[USECASES].accounts.create_token(actor, role=body.role, hall=body.hall,
                                                                   window=body.window, label=body.label)
    return json_response(info | {"token": token}, status=201)


@routes.delete("/api/v1/tokens/{token_id:\\d+}", summary="Revoke a token", roles=ADMIN,
               responses={204: "revoked"})
async def revoke_token(request: web.Request, actor: Actor) -> web.Response:
    await request.app[USECASES].accounts.revoke_token(actor, path_int(request, "token_id"))
    return web.Response(status=204)
