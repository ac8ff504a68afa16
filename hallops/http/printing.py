"""Printing a ticket on a kiosk's ESC/POS network printer (hallops/printing/), on the kiosk's request.

A print started is a promise to the citizen in front of the kiosk: the job runs to its end (and records a
fault) even when the kiosk hangs up, and shutdown waits for the jobs in flight before the database closes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated, Any

from aiohttp import web
from pydantic import Field, StrictInt

from hallops.domain.actors import Actor
from hallops.domain.model import Role
from hallops.http.api import RouteTable, json_response
from hallops.http.bodies import Body
from hallops.http.keys import USECASES
from hallops.http.kiosk import fallback_url
from hallops.printing import escpos
from hallops.usecases.kiosk import PrintResult

routes = RouteTable("printing")
TILES: list[dict[str, Any]] = []
KIOSK = frozenset({Role.KIOSK})

PrintTasks = set["asyncio.Task[PrintResult]"]
PRINT_TASKS: web.AppKey[PrintTasks] = web.AppKey("print_tasks", PrintTasks)


class PrintTicket(Body):
    ticket_id: Annotated[StrictInt, Field(ge=1)]


@routes.post("/api/v1/kiosk/print", summary="Print a ticket on this kiosk's ESC/POS printer; a fault is "
             "reported (and logged), the ticket stays issued", roles=KIOSK, body=PrintTicket)
async def kiosk_print(request: web.Request, actor: Actor, body: PrintTicket) -> web.Response:
    job = request.app[USECASES].kiosk.print_ticket(actor, body.ticket_id, fallback_url(request))
    # A kiosk that hangs up mid-print must not lose the fault record: the job runs to its end.
    task = asyncio.ensure_future(job)
    request.app[PRINT_TASKS].add(task)
    task.add_done_callback(request.app[PRINT_TASKS].discard)
    result = await asyncio.shield(task)
    if result.mode != "escpos":
        return json_response({"printed": False, "mode": result.mode})
    return json_response({"printed": result.printed, "mode": "escpos", "message": result.message or None})


async def _print_ctx(app: web.Application) -> AsyncIterator[None]:
    yield
    pending: PrintTasks = app[PRINT_TASKS]
    tasks = list(pending)
    if tasks:
        await asyncio.wait(tasks, timeout=escpos.CONNECT_TIMEOUT + escpos.SEND_TIMEOUT + 1)


def setup(app: web.Application) -> None:
    tasks: PrintTasks = set()
    app[PRINT_TASKS] = tasks
    app.cleanup_ctx.append(_print_ctx)
