"""Alerts over HTTP: the log, acknowledging, "check now", and the rules per hall and queue.

Each handler parses, calls one use case (hallops/usecases/alerts.py) and responds; the routes are served from
the manager feature's table (manager.py), which also registers the background evaluation loop.
"""

from __future__ import annotations

from typing import Annotated

from aiohttp import web
from pydantic import Field, StrictBool, StrictFloat, StrictInt, StrictStr, StringConstraints

from hallops.domain.actors import Actor
from hallops.domain.alerts import AlertKind
from hallops.domain.model import Role
from hallops.http.api import RouteTable, hall_of, json_response, path_int, query_int
from hallops.http.bodies import Body, Empty, ShortText
from hallops.http.keys import USECASES
from hallops.wire.alerts import alert_json

routes = RouteTable("alerts")
SUPERVISORS = frozenset({Role.ADMIN, Role.MANAGER})


class Acknowledge(Body):
    note: ShortText = ""


class RuleChange(Body):
    kind: AlertKind
    queue: Annotated[StrictStr, StringConstraints(pattern=r"^[A-Za-z]{1,2}$")] | None = None
    enabled: StrictBool = True
    threshold: Annotated[StrictFloat | StrictInt, Field(ge=0, le=100000)] | None = None
    inherit: StrictBool = Field(False, description="drop this setting: the hall's (or the default) applies")


class RulesSpec(Body):
    rules: list[RuleChange] = Field(min_length=1, max_length=200)


@routes.get("/api/v1/halls/{hall}/alerts", summary="The alert log (active first), or only the active ones",
            roles=SUPERVISORS, query=(("active", "1: only active alerts"), ("limit", "at most (default 200)")))
async def list_alerts(request: web.Request, actor: Actor) -> web.Response:
    out = await request.app[USECASES].alerts.list(actor, int(hall_of(request)["id"]),
                                                   active_only=request.query.get("active") == "1",
                                                   limit=query_int(request, "limit", 200, lo=1, hi=1000))
    return json_response({"alerts": [alert_json(a) for a in out]})


@routes.post("/api/v1/alerts/{alert_id:\\d+}/acknowledge", summary="Acknowledge an alert (by a named manager)",
             roles=SUPERVISORS, body=Acknowledge, responses={200: "acknowledged", 409: "already acknowledged"})
async def acknowledge_alert(request: web.Request, actor: Actor, body: Acknowledge) -> web.Response:
    return json_response(alert_json(await request.app[USECASES].alerts.acknowledge(
        actor, path_int(request, "alert_id"), body.note)))


@routes.post("/api/v1/halls/{hall}/alerts/evaluate", summary="Evaluate the alert rules now (all halls)",
             roles=SUPERVISORS, body=Empty)
async def evaluate_alerts(request: web.Request, actor: Actor, body: Empty) -> web.Response:
    return json_response(await request.app[USECASES].alerts.evaluate(actor, int(hall_of(request)["id"])))


@routes.get("/api/v1/halls/{hall}/alert-rules", summary="Alert rules: per hall, and per queue where it applies",
            roles=SUPERVISORS)
async def get_rules(request: web.Request, actor: Actor) -> web.Response:
    return json_response(await request.app[USECASES].alerts.rules(actor, int(hall_of(request)["id"])))


@routes.add("PUT", "/api/v1/halls/{hall}/alert-rules", summary="Set alert thresholds (per hall, or per queue)",
            roles=SUPERVISORS, body=RulesSpec)
async def put_rules(request: web.Request, actor: Actor, body: RulesSpec) -> web.Response:
    changes = [r.model_dump() for r in body.rules]
    return json_response(await request.app[USECASES].alerts.set_rules(actor, int(hall_of(request)["id"]), changes))
