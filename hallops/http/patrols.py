"""Patrols over HTTP: the day's quota, the settings and checklist of a hall, and a patrol's steps.

Each handler parses, calls one use case (hallops/usecases/patrols.py) and responds; the routes are served
from the manager feature's table (manager.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from aiohttp import web
from pydantic import Field, StrictInt, StrictStr, StringConstraints

from hallops.domain.actors import Actor
from hallops.domain.errors import E, InvalidInput
from hallops.domain.model import Role
from hallops.domain.patrols import CheckResult, PatrolKind
from hallops.http.api import RouteTable, hall_of, json_response, path_int
from hallops.http.bodies import Body, Id, ShortText, Text
from hallops.http.keys import USECASES
from hallops.wire.patrols import patrol_detail_json, patrol_json, quota_json

routes = RouteTable("patrols")
SUPERVISORS = frozenset({Role.ADMIN, Role.MANAGER})
STAFF = frozenset({Role.ADMIN, Role.MANAGER, Role.CLERK})

ItemCode = Annotated[StrictStr, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")]


class StartPatrol(Body):
    kind: PatrolKind = Field(description="full (全面巡查) or spot (重点窗口抽查)")
    window: Id | None = Field(None, description="window id: the key window of a spot check")
    note: ShortText = ""


class CheckItem(Body):
    item: ItemCode = Field(description="checklist item code")
    result: CheckResult
    note: ShortText = ""


class FinishPatrol(Body):
    note: ShortText | None = None


class SettingsChange(Body):
    opening_hours: Annotated[StrictStr, StringConstraints(max_length=200)] | None = None
    weekdays: Annotated[StrictStr, StringConstraints(pattern=r"^[1-7](,[1-7]){0,6}$")] | None = None
    full_quota: Annotated[StrictInt, Field(ge=0, le=50)] | None = None
    spot_quota: Annotated[StrictInt, Field(ge=0, le=50)] | None = None
    grace_minutes: Annotated[StrictInt, Field(ge=0, le=240)] | None = None


class ChecklistEntry(Body):
    code: ItemCode
    name: Text
    name_en: ShortText = ""


class ChecklistSpec(Body):
    items: list[ChecklistEntry] = Field(min_length=1, max_length=60)


def _hall_id(request: web.Request) -> int:
    return int(hall_of(request)["id"])


# -- settings and checklist ------------------------------------------------------------------------------

@routes.get("/api/v1/halls/{hall}/patrol-settings", summary="Opening hours and the daily patrol quota",
            roles=STAFF)
async def get_settings(request: web.Request, actor: Actor) -> web.Response:
    return json_response(await request.app[USECASES].patrols.settings(actor, _hall_id(request)))


@routes.patch("/api/v1/halls/{hall}/patrol-settings", summary="Change opening hours or the daily patrol quota",
              roles=SUPERVISORS, body=SettingsChange)
async def change_settings(request: web.Request, actor: Actor, body: SettingsChange) -> web.Response:
    return json_response(await request.app[USECASES].patrols.change_settings(
        actor, _hall_id(request), body.model_dump(exclude_unset=True)))


@routes.get("/api/v1/halls/{hall}/checklist", summary="The patrol checklist of this hall", roles=STAFF)
async def get_checklist(request: web.Request, actor: Actor) -> web.Response:
    return json_response({"items": await request.app[USECASES].patrols.checklist(actor, _hall_id(request))})


@routes.add("PUT", "/api/v1/halls/{hall}/checklist", roles=SUPERVISORS, body=ChecklistSpec,
            summary="Replace the patrol checklist (items left out are retired)")
async def put_checklist(request: web.Request, actor: Actor, body: ChecklistSpec) -> web.Response:
    items = [i.model_dump() for i in body.items]
    return json_response({"items": await request.app[USECASES].patrols.set_checklist(actor, _hall_id(request),
                                                                                      items)})


# -- patrols ---------------------------------------------------------------------------------------------

@routes.get("/api/v1/halls/{hall}/patrol-quota", summary="Today's patrol quota, progress, schedule and patrols",
            roles=STAFF)
async def patrol_quota(request: web.Request, actor: Actor) -> web.Response:
    return json_response(quota_json(await request.app[USECASES].patrols.quota(actor, _hall_id(request))))


@routes.get("/api/v1/halls/{hall}/patrols", summary="Patrols, newest first", roles=SUPERVISORS,
            query=(("day", "service day YYYY-MM-DD (default: all)"),))
async def list_patrols(request: web.Request, actor: Actor) -> web.Response:
    day = request.query.get("day")
    if day is not None:
        try:
            dt.date.fromisoformat(day)
        except ValueError:
            raise InvalidInput(E.BAD_QUERY, "day 应为 YYYY-MM-DD (day must be YYYY-MM-DD)", field="day") from None
    out = await request.app[USECASES].patrols.list(actor, _hall_id(request), day)
    return json_response({"patrols": [patrol_json(p) for p in out]})


@routes.post("/api/v1/halls/{hall}/patrols", summary="Start a patrol (全面巡查 or 重点窗口抽查)", roles=SUPERVISORS,
             body=StartPatrol, responses={201: "started"})
async def start_patrol(request: web.Request, actor: Actor, body: StartPatrol) -> web.Response:
    out = await request.app[USECASES].patrols.start(actor, _hall_id(request), body.kind, body.window, body.note)
    return json_response(patrol_detail_json(out), status=201)


@routes.get("/api/v1/patrols/{patrol_id:\\d+}", summary="A patrol with its checklist and findings",
            roles=SUPERVISORS)
async def get_patrol(request: web.Request, actor: Actor) -> web.Response:
    return json_response(patrol_detail_json(await request.app[USECASES].patrols.get(
        actor, path_int(request, "patrol_id"))))


@routes.post("/api/v1/patrols/{patrol_id:\\d+}/checks", summary="Answer one checklist item: pass, or finding",
             roles=SUPERVISORS, body=CheckItem)
async def check_item(request: web.Request, actor: Actor, body: CheckItem) -> web.Response:
    return json_response(patrol_detail_json(await request.app[USECASES].patrols.check(
        actor, path_int(request, "patrol_id"), body.item, body.result, body.note)))


@routes.post("/api/v1/patrols/{patrol_id:\\d+}/finish", summary="Finish a patrol (every item answered)",
             roles=SUPERVISORS, body=FinishPatrol, responses={200: "done", 409: "items left, or not open"})
async def finish_patrol(request: web.Request, actor: Actor, body: FinishPatrol) -> web.Response:
    return json_response(patrol_detail_json(await request.app[USECASES].patrols.finish(
        actor, path_int(request, "patrol_id"), body.note)))


@routes.post("/api/v1/patrols/{patrol_id:\\d+}/cancel", summary="Cancel a patrol that has no findings",
             roles=SUPERVISORS)
async def cancel_patrol(request: web.Request, actor: Actor) -> web.Response:
    return json_response(patrol_detail_json(await request.app[USECASES].patrols.cancel(
        actor, path_int(request, "patrol_id"))))
