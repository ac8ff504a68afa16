"""Supervision visits of sub-centres (巡察) over HTTP: the district staff's page, the plan's coverage, a visit's
steps and the findings it raises.

Page: /supervision/{hall} (a district or street centre: the centres below it). API: the coverage and the plan's
period under /api/v1/halls/{hall}/supervision/, visits started at a centre under
/api/v1/halls/{hall}/supervision/visits, and a visit's steps under /api/v1/supervision/visits/{visit_id}. Each
handler parses, calls one use case (hallops/usecases/supervision.py) and responds.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web
from pydantic import Field

from hallops.domain.actors import Actor
from hallops.domain.errors import E, InvalidInput
from hallops.domain.model import Role
from hallops.domain.patrols import CheckResult, Severity
from hallops.domain.supervision import SUPERVISION_CHECKLIST, Period, VisitMode, VisitStatus
from hallops.http.api import RouteTable, hall_of, json_response, path_int, query_int
from hallops.http.bodies import Body, Id, ShortText
from hallops.http.findings import Description, DueAt, ItemCode, LongText
from hallops.http.keys import USECASES
from hallops.http.web import render
from hallops.wire import iso
from hallops.wire.findings import finding_json

routes = RouteTable("supervision")
SUPERVISORS = frozenset({Role.ADMIN, Role.MANAGER})
Row = Mapping[str, Any]


class StartVisit(Body):
    mode: VisitMode = Field(description="on_site (现场巡察) or remote (网络监查: from the centre's live state)")
    note: ShortText = ""


class VisitNote(Body):
    note: LongText = Field(description="the visit's summary")


class FinishVisit(Body):
    note: LongText | None = Field(None, description="the visit's summary (kept as it is when left out)")


class CheckVisitItem(Body):
    item: ItemCode = Field(description="checklist item code")
    result: CheckResult
    note: ShortText = ""


class VisitFinding(Body):
    category: ItemCode = Field(description="one of the visit's checklist codes, or \"other\"")
    severity: Severity = Severity.MINOR
    description: Description
    window: Id | None = Field(None, description="a window of the visited centre")
    clerk: Id | None = Field(None, description="user id of the clerk it is about")
    area: ShortText = Field("", description="default, with no window or clerk: the whole centre (全中心)")
    responsible: Id | None = Field(None, description="user id of who fixes it (default: the centre's manager)")
    responsible_name: ShortText = ""
    due_at: DueAt | None = Field(None, description="with its UTC offset; default: the severity's working days on "
                                                   "the visited centre's calendar, as for every finding")


class PlanChange(Body):
    period: Period = Field(description="every centre below the district visited within a year (default), a half, "
                                       "a quarter or a month")


# -- shapes ------------------------------------------------------------------------------------------------

def _hall_json(h: Row) -> dict[str, Any]:
    return {k: h[k] for k in ("id", "code", "name", "name_en", "level", "parent_id")}


def centre_json(h: Row) -> dict[str, Any]:
    last = h["last_visit"]
    return _hall_json(h) | {"last_visit": {"id": last["id"], "at": iso(last["finished_at"]), "mode": last["mode"],
                                           "inspector": last["inspector_name"]} if last else None}


def visit_json(v: Row) -> dict[str, Any]:
    return {"id": v["id"], "mode": v["mode"], "status": v["status"],
            "hall": {"id": v["hall_id"], "code": v["hall_code"], "name": v["hall_name"],
                     "name_en": v["hall_name_en"], "level": v["hall_level"], "parent_id": v["hall_parent_id"]},
            "from_hall": {"id": v["from_hall_id"], "name": v["from_hall_name"]} if v["from_hall_id"] else None,
            "inspector": v["inspector_name"], "inspector_user_id": v["inspector_user_id"], "note": v["note"],
            "started_at": iso(v["started_at"]), "finished_at": iso(v["finished_at"]),
            "items": len(v["items"]), "checked": v["checked"], "findings": v["findings"]}


def visit_detail_json(v: Row) -> dict[str, Any]:
    """A visit with its checklist (each item's answer) and its findings."""
    return visit_json({**v, "findings": len(v["findings"])}) | {
        "checklist": [{**i, "at": iso(i["at"])} for i in v["checklist"]],
        "finding_list": [finding_json(f) for f in v["findings"]]}


def coverage_json(out: Row) -> dict[str, Any]:
    cov, centres = out["coverage"], out["centres"]
    left = set(cov.not_visited)
    return {"hall": _hall_json(out["hall"]), "district_id": out["district_id"], "period": cov.period.value,
            "period_start": cov.start.isoformat(), "period_end": cov.end.isoformat(), "total": cov.total,
            "visited": cov.visited, "expected": round(cov.expected, 1), "percent": round(cov.percent, 1),
            "behind": cov.behind, "not_visited": [centre_json(centres[i]) for i in cov.not_visited],
            "visited_centres": [centre_json(c) for i, c in centres.items() if i not in left],
            "in_progress": [visit_json(v) for v in out["in_progress"]]}


def _hall_id(request: web.Request) -> int:
    return int(hall_of(request)["id"])


def _visit_id(request: web.Request) -> int:
    return path_int(request, "visit_id")


# -- the page ----------------------------------------------------------------------------------------------

@routes.get("/supervision/{hall}", summary="District staff's supervision of the centres below: coverage, visits",
            roles=SUPERVISORS, page=True)
async def supervision_page(request: web.Request, actor: Actor) -> web.Response:
    out = await request.app[USECASES].supervision.page(actor, _hall_id(request))
    return render(request, "supervision/supervision.html", hall=out["hall"], boot={
        "hall": _hall_json(out["hall"]), "user": out["user"], "coverage": coverage_json(out),
        "checklist": [{"code": i.code, "name": i.name, "name_en": i.name_en} for i in SUPERVISION_CHECKLIST],
        "severities": [s.value for s in Severity]})


# -- the plan ----------------------------------------------------------------------------------------------

@routes.get("/api/v1/halls/{hall}/supervision/coverage",
            summary="The supervision plan today: centres below this one visited in the period, expected by now, "
                    "those not yet visited (the longest unvisited first), visits in progress", roles=SUPERVISORS)
async def coverage(request: web.Request, actor: Actor) -> web.Response:
    return json_response(coverage_json(await request.app[USECASES].supervision.coverage(actor, _hall_id(request))))


@routes.add("PUT", "/api/v1/halls/{hall}/supervision/plan", roles=SUPERVISORS, body=PlanChange,
            summary="The district centre's supervision period (year, half, quarter, month); answers the coverage")
async def set_plan(request: web.Request, actor: Actor, body: PlanChange) -> web.Response:
    return json_response(coverage_json(await request.app[USECASES].supervision.set_period(
        actor, _hall_id(request), body.period)))


# -- visits ------------------------------------------------------------------------------------------------

@routes.get("/api/v1/halls/{hall}/supervision/visits", summary="Supervision visits of this centre and those below",
            roles=SUPERVISORS, query=(("status", "started | finished | cancelled"),
                                      ("limit", "at most this many (default 200)")))
async def list_visits(request: web.Request, actor: Actor) -> web.Response:
    status = request.query.get("status")
    if status is not None and status not in set(VisitStatus):
        raise InvalidInput(E.BAD_QUERY, f"status 无效 (bad status {status!r})", field="status")
    out = await request.app[USECASES].supervision.list(actor, _hall_id(request),
                                                       VisitStatus(status) if status else None,
                                                       query_int(request, "limit", 200, lo=1, hi=1000))
    return json_response({"visits": [visit_json(v) for v in out]})


@routes.post("/api/v1/halls/{hall}/supervision/visits", summary="Start a supervision visit (巡察) of this centre",
             roles=SUPERVISORS, body=StartVisit,
             responses={201: "started", 403: "own centre", 409: "a visit of this centre is in progress"})
async def start_visit(request: web.Request, actor: Actor, body: StartVisit) -> web.Response:
    out = await request.app[USECASES].supervision.start(actor, _hall_id(request), body.mode, body.note)
    return json_response(visit_detail_json(out), status=201)


@routes.get("/api/v1/supervision/visits/{visit_id:\\d+}", summary="A supervision visit with its checklist and "
            "findings", roles=SUPERVISORS)
async def get_visit(request: web.Request, actor: Actor) -> web.Response:
    return json_response(visit_detail_json(await request.app[USECASES].supervision.get(actor, _visit_id(request))))


@routes.patch("/api/v1/supervision/visits/{visit_id:\\d+}", summary="Change a visit's note while it runs",
              roles=SUPERVISORS, body=VisitNote)
async def change_visit(request: web.Request, actor: Actor, body: VisitNote) -> web.Response:
    return json_response(visit_detail_json(await request.app[USECASES].supervision.set_note(
        actor, _visit_id(request), body.note)))


@routes.post("/api/v1/supervision/visits/{visit_id:\\d+}/checks", summary="Answer one item: pass, or finding",
             roles=SUPERVISORS, body=CheckVisitItem)
async def check_item(request: web.Request, actor: Actor, body: CheckVisitItem) -> web.Response:
    return json_response(visit_detail_json(await request.app[USECASES].supervision.check(
        actor, _visit_id(request), body.item, body.result, body.note)))


@routes.post("/api/v1/supervision/visits/{visit_id:\\d+}/findings",
             summary="Raise a finding of the visited centre (given to its manager by default)", roles=SUPERVISORS,
             body=VisitFinding, responses={201: "recorded: the visit, and the finding"})
async def raise_finding(request: web.Request, actor: Actor, body: VisitFinding) -> web.Response:
    out = await request.app[USECASES].supervision.raise_finding(actor, _visit_id(request), body.model_dump())
    return json_response(visit_detail_json(out) | {"finding": finding_json(out["finding"])}, status=201)


@routes.post("/api/v1/supervision/visits/{visit_id:\\d+}/finish", summary="Finish a visit (every item answered)",
             roles=SUPERVISORS, body=FinishVisit, responses={200: "finished", 409: "items left, or not running"})
async def finish_visit(request: web.Request, actor: Actor, body: FinishVisit) -> web.Response:
    return json_response(visit_detail_json(await request.app[USECASES].supervision.finish(
        actor, _visit_id(request), body.note)))


@routes.post("/api/v1/supervision/visits/{visit_id:\\d+}/cancel", summary="Cancel a visit that raised no findings",
             roles=SUPERVISORS, responses={200: "cancelled", 409: "has findings, or not running"})
async def cancel_visit(request: web.Request, actor: Actor) -> web.Response:
    return json_response(visit_detail_json(await request.app[USECASES].supervision.cancel(
        actor, _visit_id(request))))
