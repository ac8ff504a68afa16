"""The floor manager's tablet: live hall, alerts, patrols and findings.

Pages: /manager/{hall} (the tablet), and /findings/mine (clerks, see findings_clerk.py).
API: patrols, findings (with photos), alerts and their rules, under /api/v1/…; every change is a write job in
hallops/storage/patrols.py or alerts.py that emits its event (patrol.*, finding.*, alert.*) to the hub.

Alerts are evaluated by a background task every `interval` seconds on the store's clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from typing import Annotated, Any

from aiohttp import web
from pydantic import (
    AfterValidator,
    AwareDatetime,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    StringConstraints,
)

from hallops.domain.actors import Actor
from hallops.domain.alerts import AlertKind
from hallops.domain.errors import E, InvalidInput, UnsupportedMediaType
from hallops.domain.model import Role
from hallops.domain.patrols import CheckResult, FindingAction, FindingStatus, PatrolKind, Severity
from hallops.http import findings_clerk
from hallops.http.api import RouteTable, json_response, path_int, query_int
from hallops.http.bodies import Body, Empty, Id, ShortText, Text
from hallops.http.halls import hall_id
from hallops.http.keys import CONFIG, DATABASE, STORE
from hallops.http.web import render
from hallops.storage import alerts, patrols
from hallops.storage.patrols import MAX_PHOTO_BYTES, PatrolReads, PhotoFiles, photo_digest, sniff_image
from hallops.storage.rules import zone

log = logging.getLogger(__name__)

routes = RouteTable("manager")
SUPERVISORS = frozenset({Role.ADMIN, Role.MANAGER})
STAFF = frozenset({Role.ADMIN, Role.MANAGER, Role.CLERK})
TILES: list[dict[str, Any]] = [
    {"zh": "现场管理", "en": "Floor manager", "href": "/manager/{hall}", "roles": {"admin", "manager"}},
    {"zh": "我的整改", "en": "My findings", "href": "/findings/mine", "roles": {"clerk"}},
]
DEFAULT_ALERT_INTERVAL = 15.0


# -- request bodies --------------------------------------------------------------------------------------

ItemCode = Annotated[StrictStr, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")]
LongText = Annotated[StrictStr, StringConstraints(strip_whitespace=True, max_length=2000)]
Description = Annotated[StrictStr, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
# A due date is an instant: without its offset it could mean any of 26 hours (and a naive year-1 date cannot
# even be converted). The range keeps every stored due date printable in any time zone.
DUE_RANGE = (dt.datetime(2000, 1, 1, tzinfo=dt.UTC), dt.datetime(2100, 1, 1, tzinfo=dt.UTC))


def _due_in_range(v: dt.datetime) -> dt.datetime:
    if not DUE_RANGE[0] <= v < DUE_RANGE[1]:
        raise ValueError("due date must lie between 2000 and 2099")
    return v


DueAt = Annotated[AwareDatetime, AfterValidator(_due_in_range)]


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


class NewFinding(Body):
    patrol: Id | None = Field(None, description="the patrol it was found on (its item is then marked)")
    category: ItemCode = Field(description="a checklist item code, or \"other\"")
    severity: Severity = Severity.MINOR
    description: Description
    window: Id | None = None
    clerk: Id | None = Field(None, description="user id of the clerk it is about")
    area: ShortText = ""
    responsible: Id | None = Field(None, description="user id of who fixes it (default: the clerk, or whoever "
                                                     "is signed in at the window)")
    responsible_name: ShortText = Field("", description="who fixes it, when not a user (e.g. the cleaning firm)")
    due_at: DueAt | None = Field(None, description="with its UTC offset; default by severity: 72 h, 24 h, 4 h")


class FindingNote(Body):
    note: LongText = Field("", description="what was done (rectify), why (reopen), an answer or remark")


class Comment(Body):
    note: Description


class FindingChange(Body):
    severity: Severity | None = None
    due_at: DueAt | None = Field(None, description="with its UTC offset")
    responsible: Id | None = None
    responsible_name: ShortText | None = None


class Acknowledge(Body):
    note: ShortText = ""


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


class RuleChange(Body):
    kind: AlertKind
    queue: Annotated[StrictStr, StringConstraints(pattern=r"^[A-Za-z]{1,2}$")] | None = None
    enabled: StrictBool = True
    threshold: Annotated[StrictFloat | StrictInt, Field(ge=0, le=100000)] | None = None
    inherit: StrictBool = Field(False, description="drop this setting: the hall's (or the default) applies")


class RulesSpec(Body):
    rules: list[RuleChange] = Field(min_length=1, max_length=200)


# -- the alert evaluator ---------------------------------------------------------------------------------

class AlertEvaluator:
    """Evaluates every hall's alert rules every `interval` seconds (and on demand), on the store's clock."""

    def __init__(self, app: web.Application, interval: float) -> None:
        self.app = app
        self.interval = interval
        self.runs = 0
        self._task: asyncio.Task[None] | None = None

    async def run_once(self) -> dict[int, dict[str, int]]:
        store = self.app[STORE]
        result = await store.write(lambda tx: alerts.evaluate_all(tx, store.rules))
        self.runs += 1
        return result

    async def _loop(self) -> None:
        while True:
            try:
                result = await self.run_once()
                for hid, r in result.items():
                    if r["raised"] or r["cleared"]:
                        log.info("hall %s alerts: %d raised, %d cleared, %d active", hid, r["raised"], r["cleared"],
                                 r["active"])
            except Exception:
                log.exception("alert evaluation failed; will retry")
            await asyncio.sleep(self.interval)

    async def start(self, app: web.Application) -> None:
        self._task = asyncio.create_task(self._loop(), name="hallops-alerts")

    async def stop(self, app: web.Application) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


ALERTS = web.AppKey("alert_evaluator", AlertEvaluator)
PATROLS = web.AppKey("patrol_reads", PatrolReads)
ALERT_READS = web.AppKey("alert_reads", alerts.AlertReads)
PHOTOS = web.AppKey("photo_files", PhotoFiles)


def _alert_interval(app: web.Application) -> float:
    section = getattr(app[CONFIG], "alerts", None)  # `[alerts] interval_seconds` once the config has it
    value = getattr(section, "interval_seconds", None)
    return float(value) if value else DEFAULT_ALERT_INTERVAL


def setup(app: web.Application) -> None:
    """Reads, photo files, and the alert evaluator.

    The evaluator starts in on_startup and stops in on_shutdown, not in a cleanup_ctx: feature contexts are
    entered before the database's (create_app appends that one last), so a cleanup_ctx task would run before
    the database opens and after it closes. on_startup runs after every context, on_shutdown before any
    cleanup."""
    store = app[STORE]
    app[PATROLS] = PatrolReads(store.db, store.rules)
    app[ALERT_READS] = alerts.AlertReads(store.db)
    app[PHOTOS] = PhotoFiles(app[DATABASE].data_dir.resolve() / "photos")
    evaluator = AlertEvaluator(app, _alert_interval(app))
    app[ALERTS] = evaluator
    app.on_startup.append(evaluator.start)
    app.on_shutdown.append(evaluator.stop)


# -- pages -----------------------------------------------------------------------------------------------

@routes.get("/manager/{hall}", summary="The floor manager's tablet: live hall, alerts, patrols, findings",
            roles=SUPERVISORS, page=True)
async def tablet_page(request: web.Request, actor: Actor) -> web.Response:
    store = request.app[STORE]
    hall = await store.resolve_hall(request.match_info["hall"], actor)
    hid = int(hall["id"])
    layout = await store.hall_layout(hid)
    reads = request.app[PATROLS]
    return render(request, "manager/tablet.html", hall=layout["hall"], boot={
        "hall": layout["hall"], "windows": [{k: w[k] for k in ("id", "number", "name", "name_en", "area", "key_window")}
                                            for w in layout["windows"] if w["active"]],
        "queues": [{k: q[k] for k in ("id", "prefix", "name", "name_en")} for q in layout["queues"]],
        "checklist": await reads.checklist(hid), "staff": await reads.staff(hid),
        "user": {"id": actor.user_id, "name": patrols.actor_name(actor), "role": actor.role.value},
        "severities": [s.value for s in Severity], "alert_interval": request.app[ALERTS].interval})


# -- the dashboard ---------------------------------------------------------------------------------------

@routes.get("/api/v1/halls/{hall}/dashboard",
            summary="The manager's dashboard: hall state, tickets by hour, patrol quota, active alerts, findings",
            roles=SUPERVISORS)
async def dashboard(request: web.Request, actor: Actor) -> web.Response:
    store, hid = request.app[STORE], await hall_id(request, actor)
    now = store.now()
    state = await store.hall_state(hid)
    figures = await alerts.floor_figures(store.db, hid, now, store.rules)
    return json_response({
        **state, **figures,
        "quota": await request.app[PATROLS].quota(hid, now),
        "alerts": await request.app[ALERT_READS].alerts(hid, now, active_only=True),
        "findings": await request.app[PATROLS].finding_counts(hid, now),
    })


# -- settings and checklist ------------------------------------------------------------------------------

@routes.get("/api/v1/halls/{hall}/patrol-settings", summary="Opening hours and the daily patrol quota",
            roles=STAFF)
async def get_settings(request: web.Request, actor: Actor) -> web.Response:
    return json_response((await request.app[PATROLS].settings(await hall_id(request, actor))).raw)


@routes.patch("/api/v1/halls/{hall}/patrol-settings", summary="Change opening hours or the daily patrol quota",
              roles=SUPERVISORS, body=SettingsChange)
async def change_settings(request: web.Request, actor: Actor, body: SettingsChange) -> web.Response:
    hid = await hall_id(request, actor)
    ch = body.model_dump(exclude_unset=True)
    return json_response(await request.app[STORE].write(lambda tx: patrols.update_settings(tx, hid, ch, actor)))


@routes.get("/api/v1/halls/{hall}/checklist", summary="The patrol checklist of this hall", roles=STAFF)
async def get_checklist(request: web.Request, actor: Actor) -> web.Response:
    return json_response({"items": await request.app[PATROLS].checklist(await hall_id(request, actor))})


@routes.add("PUT", "/api/v1/halls/{hall}/checklist", roles=SUPERVISORS, body=ChecklistSpec,
            summary="Replace the patrol checklist (items left out are retired)")
async def put_checklist(request: web.Request, actor: Actor, body: ChecklistSpec) -> web.Response:
    hid = await hall_id(request, actor)
    items = [i.model_dump() for i in body.items]
    out = await request.app[STORE].write(lambda tx: patrols.set_checklist(tx, hid, items, actor))
    return json_response({"items": out})


# -- patrols ---------------------------------------------------------------------------------------------

@routes.get("/api/v1/halls/{hall}/patrol-quota", summary="Today's patrol quota, progress, schedule and patrols",
            roles=STAFF)
async def patrol_quota(request: web.Request, actor: Actor) -> web.Response:
    hid = await hall_id(request, actor)
    return json_response(await request.app[PATROLS].quota(hid, request.app[STORE].now()))


@routes.get("/api/v1/halls/{hall}/patrols", summary="Patrols, newest first", roles=SUPERVISORS,
            query=(("day", "service day YYYY-MM-DD (default: all)"),))
async def list_patrols(request: web.Request, actor: Actor) -> web.Response:
    hid = await hall_id(request, actor)
    day = request.query.get("day")
    if day is not None:
        try:
            dt.date.fromisoformat(day)
        except ValueError:
            raise InvalidInput(E.BAD_QUERY, "day 应为 YYYY-MM-DD (day must be YYYY-MM-DD)", field="day") from None
    return json_response({"patrols": await request.app[PATROLS].patrols(hid, day)})


@routes.post("/api/v1/halls/{hall}/patrols", summary="Start a patrol (全面巡查 or 重点窗口抽查)", roles=SUPERVISORS,
             body=StartPatrol, responses={201: "started"})
async def start_patrol(request: web.Request, actor: Actor, body: StartPatrol) -> web.Response:
    store, hid = request.app[STORE], await hall_id(request, actor)
    pid = await store.write(lambda tx: patrols.start_patrol(tx, store.rules, hall_id=hid, kind=body.kind,
                                                            window_id=body.window, note=body.note, actor=actor))
    return json_response(await request.app[PATROLS].patrol(pid, actor, store.now()), status=201)


@routes.get("/api/v1/patrols/{patrol_id:\\d+}", summary="A patrol with its checklist and findings",
            roles=SUPERVISORS)
async def get_patrol(request: web.Request, actor: Actor) -> web.Response:
    return json_response(await request.app[PATROLS].patrol(path_int(request, "patrol_id"), actor,
                                                           request.app[STORE].now()))


async def _patrol_reply(request: web.Request, actor: Actor, pid: int) -> web.Response:
    return json_response(await request.app[PATROLS].patrol(pid, actor, request.app[STORE].now()))


@routes.post("/api/v1/patrols/{patrol_id:\\d+}/checks", summary="Answer one checklist item: pass, or finding",
             roles=SUPERVISORS, body=CheckItem)
async def check_item(request: web.Request, actor: Actor, body: CheckItem) -> web.Response:
    pid = path_int(request, "patrol_id")
    await request.app[STORE].write(lambda tx: patrols.check_item(tx, patrol_id=pid, item=body.item,
                                                                 result=body.result, note=body.note, actor=actor))
    return await _patrol_reply(request, actor, pid)


@routes.post("/api/v1/patrols/{patrol_id:\\d+}/finish", summary="Finish a patrol (every item answered)",
             roles=SUPERVISORS, body=FinishPatrol, responses={200: "done", 409: "items left, or not open"})
async def finish_patrol(request: web.Request, actor: Actor, body: FinishPatrol) -> web.Response:
    pid = path_int(request, "patrol_id")
    await request.app[STORE].write(lambda tx: patrols.finish_patrol(tx, patrol_id=pid, note=body.note, actor=actor))
    return await _patrol_reply(request, actor, pid)


@routes.post("/api/v1/patrols/{patrol_id:\\d+}/cancel", summary="Cancel a patrol that has no findings",
             roles=SUPERVISORS)
async def cancel_patrol(request: web.Request, actor: Actor) -> web.Response:
    pid = path_int(request, "patrol_id")
    await request.app[STORE].write(lambda tx: patrols.cancel_patrol(tx, patrol_id=pid, actor=actor))
    return await _patrol_reply(request, actor, pid)


# -- findings --------------------------------------------------------------------------------------------

@routes.get("/api/v1/halls/{hall}/findings", summary="Findings (clerks: about their window or themselves)",
            roles=STAFF, query=(("status", "open | rectifying | rectified | verified | reopened"),
                                ("window", "window id"), ("overdue", "1: overdue only"),
                                ("open", "1: not yet verified")))
async def list_findings(request: web.Request, actor: Actor) -> web.Response:
    hid = await hall_id(request, actor)
    status = request.query.get("status")
    if status is not None and status not in set(FindingStatus):
        raise InvalidInput(E.BAD_QUERY, f"status 无效 (bad status {status!r})", field="status")
    window = query_int(request, "window", 0) or None
    out = await request.app[PATROLS].findings(
        hid, actor, request.app[STORE].now(), status=status, window_id=window,
        overdue=request.query.get("overdue") == "1", open_only=request.query.get("open") == "1")
    return json_response({"findings": out})


@routes.post("/api/v1/halls/{hall}/findings", summary="Record a finding (问题)", roles=SUPERVISORS,
             body=NewFinding, responses={201: "recorded"})
async def create_finding(request: web.Request, actor: Actor, body: NewFinding) -> web.Response:
    hid = await hall_id(request, actor)
    spec = body.model_dump()
    out = await request.app[STORE].write(lambda tx: patrols.create_finding(tx, hall_id=hid, spec=spec, actor=actor))
    return json_response(out, status=201)


@routes.get("/api/v1/findings/{finding_id:\\d+}", summary="A finding with its photos and history", roles=STAFF)
async def get_finding(request: web.Request, actor: Actor) -> web.StreamResponse:
    return json_response(await request.app[PATROLS].finding(path_int(request, "finding_id"), actor,
                                                            request.app[STORE].now()))


@routes.patch("/api/v1/findings/{finding_id:\\d+}", summary="Change severity, due date or who fixes it",
              roles=SUPERVISORS, body=FindingChange)
async def change_finding(request: web.Request, actor: Actor, body: FindingChange) -> web.StreamResponse:
    fid = path_int(request, "finding_id")
    ch = body.model_dump(exclude_unset=True)
    await request.app[STORE].write(lambda tx: patrols.update_finding(tx, finding_id=fid, changes=ch, actor=actor))
    return await get_finding(request, actor)


_ACTION_SUMMARY = {
    FindingAction.START: ("Begin rectifying (the person responsible answers)", STAFF),
    FindingAction.RECTIFY: ("Report the fix: what was done (note required)", STAFF),
    FindingAction.VERIFY: ("Verify the fix (managers; never one's own rectification)", SUPERVISORS),
    FindingAction.REOPEN: ("Send the fix back (note required)", SUPERVISORS),
}


def _finding_route(action: FindingAction) -> None:
    summary, roles = _ACTION_SUMMARY[action]

    async def handler(request: web.Request, actor: Actor, body: FindingNote) -> web.StreamResponse:
        fid = path_int(request, "finding_id")
        await request.app[STORE].write(lambda tx: patrols.finding_action(tx, finding_id=fid, action=action,
                                                                         note=body.note, actor=actor))
        return await get_finding(request, actor)
    handler.__name__ = f"finding_{action.value}"
    routes.post(f"/api/v1/findings/{{finding_id:\\d+}}/{action.value}", summary=summary, roles=roles,
                body=FindingNote, responses={200: "the finding after the step", 409: "illegal now"})(handler)


for _action in FindingAction:
    _finding_route(_action)


@routes.post("/api/v1/findings/{finding_id:\\d+}/comment", summary="Answer or remark on a finding", roles=STAFF,
             body=Comment)
async def comment_finding(request: web.Request, actor: Actor, body: Comment) -> web.StreamResponse:
    fid = path_int(request, "finding_id")
    await request.app[STORE].write(lambda tx: patrols.comment(tx, finding_id=fid, note=body.note, actor=actor))
    return await get_finding(request, actor)


async def _read_limited(request: web.Request, limit: int) -> bytes:
    """The raw body, refused as soon as it passes `limit` (the app's 1 MB JSON limit does not apply here)."""
    if request.content_length is not None and request.content_length > limit:
        raise web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=request.content_length)
    chunks, size = [], 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=size)
        chunks.append(chunk)
    return b"".join(chunks)


@routes.post("/api/v1/findings/{finding_id:\\d+}/photos",
             summary="Add a photo: the raw image as the body (JPEG, PNG or WebP, at most 5 MB)", roles=STAFF,
             query=(("stage", "found (managers) or rectified (default for clerks)"),),
             responses={201: "stored", 413: "over 5 MB", 415: "not a JPEG, PNG or WebP image"})
async def add_photo(request: web.Request, actor: Actor) -> web.Response:
    fid = path_int(request, "finding_id")
    stage = request.query.get("stage") or ("found" if actor.is_supervisor else "rectified")
    if stage not in ("found", "rectified"):
        raise InvalidInput(E.BAD_QUERY, "stage 应为 found 或 rectified (stage must be found or rectified)",
                           field="stage")
    store, files = request.app[STORE], request.app[PHOTOS]
    # Refuse early (before reading 5 MB) when the finding is not there for this actor.
    finding = await request.app[PATROLS].finding(fid, actor, store.now())
    data = await _read_limited(request, MAX_PHOTO_BYTES)
    mime = sniff_image(data[:16])
    if mime is None:
        raise UnsupportedMediaType(E.UNSUPPORTED_MEDIA_TYPE,
                               "照片须为 JPEG、PNG 或 WebP 图像 (a photo must be a JPEG, PNG or WebP image)")
    hall = await store.resolve_hall(finding["hall_id"], actor)
    month = dt.datetime.fromtimestamp(store.now(), zone(hall["timezone"])).strftime("%Y-%m")
    rel = await asyncio.to_thread(files.save, finding["hall_id"], data, mime, month)
    try:
        photo = await store.write(lambda tx: patrols.add_photo(
            tx, finding_id=fid, stage=stage, path=rel, mime=mime, size=len(data), sha256=photo_digest(data),
            actor=actor))
    except BaseException:
        await asyncio.to_thread(files.remove, rel)  # no file without its row
        raise
    return json_response(photo, status=201)


@routes.get("/api/v1/finding-photos/{photo_id:\\d+}", summary="A finding's photo (staff who may see the finding)",
            roles=STAFF, responses={200: "the image"})
async def get_photo(request: web.Request, actor: Actor) -> web.StreamResponse:
    row = await request.app[PATROLS].photo(path_int(request, "photo_id"), actor)
    path = request.app[PHOTOS].path(row["path"])
    if not await asyncio.to_thread(path.is_file):
        raise web.HTTPNotFound()
    return web.FileResponse(path, headers={"Content-Type": row["mime"], "Cache-Control": "private, max-age=86400",
                                           "X-Content-Type-Options": "nosniff",
                                           "Content-Disposition": "inline"})


# -- alerts ----------------------------------------------------------------------------------------------

@routes.get("/api/v1/halls/{hall}/alerts", summary="The alert log (active first), or only the active ones",
            roles=SUPERVISORS, query=(("active", "1: only active alerts"), ("limit", "at most (default 200)")))
async def list_alerts(request: web.Request, actor: Actor) -> web.Response:
    hid = await hall_id(request, actor)
    out = await request.app[ALERT_READS].alerts(hid, request.app[STORE].now(),
                                                active_only=request.query.get("active") == "1",
                                                limit=query_int(request, "limit", 200, lo=1, hi=1000))
    return json_response({"alerts": out})


@routes.post("/api/v1/alerts/{alert_id:\\d+}/acknowledge", summary="Acknowledge an alert (by a named manager)",
             roles=SUPERVISORS, body=Acknowledge, responses={200: "acknowledged", 409: "already acknowledged"})
async def acknowledge_alert(request: web.Request, actor: Actor, body: Acknowledge) -> web.Response:
    aid = path_int(request, "alert_id")
    return json_response(await request.app[STORE].write(
        lambda tx: alerts.acknowledge(tx, alert_id=aid, note=body.note, actor=actor)))


@routes.post("/api/v1/halls/{hall}/alerts/evaluate", summary="Evaluate the alert rules now (all halls)",
             roles=SUPERVISORS, body=Empty)
async def evaluate_alerts(request: web.Request, actor: Actor, body: Empty) -> web.Response:
    hid = await hall_id(request, actor)
    result = await request.app[ALERTS].run_once()
    return json_response(result.get(hid, {"raised": 0, "cleared": 0, "active": 0}))


@routes.get("/api/v1/halls/{hall}/alert-rules", summary="Alert rules: per hall, and per queue where it applies",
            roles=SUPERVISORS)
async def get_rules(request: web.Request, actor: Actor) -> web.Response:
    return json_response(await request.app[ALERT_READS].rules(await hall_id(request, actor)))


@routes.add("PUT", "/api/v1/halls/{hall}/alert-rules", summary="Set alert thresholds (per hall, or per queue)",
            roles=SUPERVISORS, body=RulesSpec)
async def put_rules(request: web.Request, actor: Actor, body: RulesSpec) -> web.Response:
    hid = await hall_id(request, actor)
    changes = [r.model_dump() for r in body.rules]
    await request.app[STORE].write(lambda tx: alerts.set_rules(tx, hall_id=hid, changes=changes, actor=actor))
    return json_response(await request.app[ALERT_READS].rules(hid))


# The clerks' side (/findings/mine and its API) is served from this table too.
routes.routes.extend(findings_clerk.routes.routes)
