"""The floor manager's feature: the tablet page, the dashboard, and the background alert evaluation.

Pages: /manager/{hall} (the tablet), and /findings/mine (clerks, see findings_clerk.py).
API: the dashboard here; patrols (patrols.py), findings and photos (findings.py), alerts and their rules
(alerts.py), all served from this feature's route table. Every change goes through one use case
(hallops/usecases/patrols.py, findings.py, alerts.py) and emits its event (patrol.*, finding.*, alert.*).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from hallops.background import Loop, register
from hallops.domain.actors import Actor
from hallops.domain.model import Role
from hallops.domain.patrols import Severity
from hallops.http import alerts, findings, findings_clerk, patrols
from hallops.http.api import RouteTable, hall_of, json_response
from hallops.http.keys import USECASES
from hallops.http.web import render
from hallops.wire import iso
from hallops.wire.alerts import alert_json
from hallops.wire.patrols import quota_json

routes = RouteTable("manager")
SUPERVISORS = frozenset({Role.ADMIN, Role.MANAGER})
TILES: list[dict[str, Any]] = [
    {"zh": "现场管理", "en": "Floor manager", "href": "/manager/{hall}", "roles": {"admin", "manager"}},
    {"zh": "我的整改", "en": "My findings", "href": "/findings/mine", "roles": {"clerk"}},
]


def setup(app: web.Application) -> None:
    """The alert rules are evaluated every `[alerts] interval_seconds` on the server's clock, by a background
    loop that runs while the database is open (hallops/background.py)."""
    uc = app[USECASES].alerts
    register(app, Loop("alerts", uc.interval, uc.evaluate_all))


@routes.get("/manager/{hall}", summary="The floor manager's tablet: live hall, alerts, patrols, findings",
            roles=SUPERVISORS, page=True)
async def tablet_page(request: web.Request, actor: Actor) -> web.Response:
    t = await request.app[USECASES].floor.tablet(actor, int(hall_of(request)["id"]))
    layout = t["layout"]
    return render(request, "manager/tablet.html", hall=layout["hall"], boot={
        "hall": layout["hall"], "windows": [{k: w[k] for k in ("id", "number", "name", "name_en", "area", "key_window")}
                                            for w in layout["windows"] if w["active"]],
        "queues": [{k: q[k] for k in ("id", "prefix", "name", "name_en")} for q in layout["queues"]],
        "checklist": t["checklist"], "staff": t["staff"], "user": t["user"],
        "severities": [s.value for s in Severity], "alert_interval": t["alert_interval"],
        "actor_hall_id": actor.hall_id})


@routes.get("/api/v1/halls/{hall}/dashboard",
            summary="The manager's dashboard: hall state, tickets by hour, patrol quota, active alerts, findings",
            roles=SUPERVISORS)
async def dashboard(request: web.Request, actor: Actor) -> web.Response:
    d = await request.app[USECASES].floor.dashboard(actor, int(hall_of(request)["id"]))
    figures = d["figures"]
    return json_response({
        **d["state"], "hourly": figures["hourly"],
        "last_activity": {str(w): iso(at) for w, at in figures["last_activity"].items()},
        "quota": quota_json(d["quota"]), "alerts": [alert_json(a) for a in d["alerts"]],
        "findings": d["findings"]})


# The subjects of the floor manager (and the clerks' side of findings) are served from this table.
for _table in (patrols.routes, findings.routes, alerts.routes, findings_clerk.routes):
    routes.routes.extend(_table.routes)
