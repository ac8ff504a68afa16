"""Windows: call next, and the window's own state (open, pause, resume, close)."""

from __future__ import annotations

from aiohttp import web

from hallops.domain.actors import Actor
from hallops.domain.model import Role
from hallops.domain.windows import WindowAction
from hallops.http import bodies
from hallops.http.api import RouteTable, json_response, path_int
from hallops.http.keys import USECASES

routes = RouteTable("windows")
SERVERS = frozenset({Role.ADMIN, Role.MANAGER, Role.CLERK})


@routes.post("/api/v1/windows/{window_id:\\d+}/call-next", summary="Call the next ticket (叫号) to this window",
             roles=SERVERS, body=bodies.Empty,
             responses={200: "{\"ticket\": …}", 204: "nobody waits for this window", 409: "window busy or not open"})
async def call_next(request: web.Request, actor: Actor, body: bodies.Empty) -> web.Response:
    ticket = await request.app[USECASES].windows.call_next(actor, path_int(request, "window_id"))
    if ticket is None:
        return web.Response(status=204)
    return json_response({"ticket": ticket})


def _window_route(action: WindowAction, summary: str, body: type[bodies.Body]) -> None:
    async def handler(request: web.Request, actor: Actor, b: bodies.Body) -> web.Response:
        window = await request.app[USECASES].windows.act(actor, path_int(request, "window_id"), action,
                                                         b.model_dump(mode="json"))
        return json_response({"window": window})
    handler.__name__ = f"window_{action.value}"
    routes.post(f"/api/v1/windows/{{window_id:\\d+}}/{action.value}", summary=summary, roles=SERVERS, body=body,
                responses={200: "the window after the action", 409: "illegal now; nothing changed"})(handler)


_window_route(WindowAction.OPEN, "Open the window: the signed-in clerk takes it", bodies.OpenWindow)
_window_route(WindowAction.PAUSE, "Pause (暂停服务) with a reason", bodies.PauseWindow)
_window_route(WindowAction.RESUME, "Resume after a pause", bodies.Empty)
_window_route(WindowAction.CLOSE, "Close the window; the clerk signs out", bodies.Empty)
