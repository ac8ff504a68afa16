"""Health that tells the truth (issue 14).

- `/healthz`: the process is alive and answers (no database work: a load balancer polls it often).
- `/readyz`: the database is the file that was opened, on a writable file system with free space above
  `[health] min_free_mb`, and takes a real write — 503 with the failing check otherwise.
- Every change (POST, PATCH, PUT, DELETE) is refused with 503 and the fault's code while the database file
  is gone or replaced, read-only, or the disk is (nearly) full: nothing is acknowledged that would be lost.
  The guard looks again every half second, so the server recovers by itself when the cause goes.
- A background loop logs a fault when it begins and when it ends, even when nobody writes.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from aiohttp import web

from hallops import __version__
from hallops.background import Loop, register
from hallops.domain.actors import Actor
from hallops.http.api import RouteTable, json_response
from hallops.http.errors import FAULT_MESSAGES, FAULTS, Handler, error_response
from hallops.storage import faults
from hallops.storage.health import StorageHealth

log = logging.getLogger(__name__)
routes = RouteTable("health")
HEALTH = web.AppKey("storage_health", StorageHealth)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
WATCH_SECONDS = 5.0
RECENT_FAULT_SECONDS = 30.0


@routes.get("/readyz", summary="Ready: the database is the one opened, writable, with free space, and takes a write",
            roles=None, responses={200: "ready", 503: "not ready: the failing check"})
async def readyz(request: web.Request, actor: Actor | None) -> web.Response:
    result = await request.app[HEALTH].probe()
    fault_log = request.app[FAULTS]
    recent = fault_log.recent(RECENT_FAULT_SECONDS)
    if result["ok"] and recent is not None:
        result = {"ok": False, "error": recent, "checks": result["checks"],
                  "why": f"requests failed with {recent} in the last {RECENT_FAULT_SECONDS:.0f} s"}
    if result["ok"]:
        fault_log.cleared()
        return json_response({"status": "ready", "version": __version__, "checks": result["checks"]},
                             headers={"Cache-Control": "no-store"})
    fault_log.seen(result["error"], RuntimeError(result["why"]), "GET /readyz")
    return json_response({"status": "not_ready", "error": result["error"], "message": result["why"],
                          "checks": result["checks"]}, status=503, headers={"Cache-Control": "no-store"})


@web.middleware
async def write_guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.method in SAFE_METHODS:
        return await handler(request)
    found = request.app[HEALTH].fault()
    if found is None:
        return await handler(request)
    code, why = found
    request.app[FAULTS].seen(code, RuntimeError(why), f"{request.method} {request.path}")
    return error_response(503, code, FAULT_MESSAGES[code], {"why": why}, headers={"Retry-After": "30"})


def _watch(app: web.Application) -> Loop:
    async def step() -> None:
        found = app[HEALTH].fault()
        if found is None:
            if app[FAULTS].recent(RECENT_FAULT_SECONDS) is None:  # requests have not failed lately either
                app[FAULTS].cleared()
        else:
            app[FAULTS].seen(found[0], RuntimeError(found[1]), "storage watch")
    return Loop("storage-health", WATCH_SECONDS, step, delay_first=True)


async def _opened(app: web.Application) -> AsyncIterator[None]:
    app[HEALTH].opened()  # runs after the database context: the file exists now
    yield
    log.info("server stopping")


def setup(app: web.Application, health: StorageHealth) -> None:
    """`health` watches the application's database (made in app.py, the one module that holds it)."""
    app[FAULTS] = faults.FaultLog()
    app[HEALTH] = health
    app.cleanup_ctx.append(_opened)
    register(app, _watch(app))
