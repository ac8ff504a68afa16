"""咨询投诉 cases over HTTP (register, import CSV/JSON, each step), the daily deadline scan, the figures and the
windows' quality scores, and the staff page that shows them all (/quality/{hall}). Handlers parse, call one use
case (usecases/cases.py, usecases/ratings.py) and respond.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from aiohttp import web
from pydantic import AwareDatetime, ConfigDict, Field, StrictInt, StrictStr, StringConstraints

from hallops.background import Loop, register
from hallops.domain.actors import Actor
from hallops.domain.calendar import MAX_WORKING_DAYS
from hallops.domain.cases import MAX_EXTENSION_DAYS, CaseAction, CaseStatus, Kind, Source
from hallops.domain.errors import E, InvalidInput
from hallops.domain.model import Role
from hallops.domain.stats import Period, PeriodKind
from hallops.http.api import RouteTable, hall_of, json_response, path_int
from hallops.http.bodies import Body, Id
from hallops.http.keys import USECASES
from hallops.http.ratings import DELIVERY_LOOP
from hallops.http.web import render

routes = RouteTable("cases")
SUPERVISORS = frozenset({Role.ADMIN, Role.MANAGER})
STAFF = frozenset({Role.ADMIN, Role.MANAGER, Role.CLERK})
TILES: list[dict[str, Any]] = []
MAX_IMPORT_BYTES = 2 * 1024 * 1024

Subject = Annotated[StrictStr, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[StrictStr, StringConstraints(strip_whitespace=True, max_length=4000)]
Short = Annotated[StrictStr, StringConstraints(strip_whitespace=True, max_length=64)]


class NewCase(Body):
    source: Source
    kind: Kind = Kind.CONSULTATION
    subject: Subject
    content: LongText = ""
    ref: Short = Field("", description="the source's own number (12345 工单号 …); unique per source")
    citizen_name: Short = ""
    citizen_phone: Annotated[StrictStr, StringConstraints(pattern=r"^[0-9+\- ]{0,20}$")] = ""
    department: Id | Annotated[StrictStr, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")] | None = Field(
        None, description="department id or code")
    assignee: Id | None = Field(None, description="user id of who works it")
    window: Id | None = Field(None, description="the window it concerns (counts in the window's score)")
    received_at: AwareDatetime | None = Field(None, description="when the source received it (default: now)")
    working_days: Annotated[StrictInt, Field(ge=1, le=MAX_WORKING_DAYS)] | None = Field(
        None, description="default: the hall's for the kind")


class ImportRow(NewCase):
    """One imported row: CSV cells are text, so numbers are accepted as text too."""

    department: Id | Annotated[StrictStr, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")] | None = None
    working_days: Annotated[int, Field(ge=1, le=MAX_WORKING_DAYS)] | None = None
    model_config = ConfigDict(extra="forbid", strict=False)


class CaseStep(Body):
    note: LongText = ""
    days: Annotated[StrictInt, Field(ge=0, le=MAX_EXTENSION_DAYS)] = Field(0, description="extension: working days")
    department: Id | Annotated[StrictStr, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")] | None = None
    assignee: Id | None = None


def _uc(request: web.Request) -> Any:
    return request.app[USECASES].cases


def _hall_id(request: web.Request) -> int:
    return int(hall_of(request)["id"])


@routes.post("/api/v1/halls/{hall}/cases", summary="Register a consultation or complaint (咨询投诉)",
             roles=SUPERVISORS, body=NewCase, responses={201: "registered", 409: "its source number exists"})
async def create_case(request: web.Request, actor: Actor, body: NewCase) -> web.Response:
    return json_response(await _uc(request).create(actor, _hall_id(request), body.model_dump()), status=201)


@routes.post("/api/v1/halls/{hall}/cases/import", summary="Import cases: CSV with a header row, or a JSON array; "
             "all or nothing, a bad row named by its line and field", roles=SUPERVISORS,
             responses={201: "imported", 400: "a bad row"})
async def import_cases(request: web.Request, actor: Actor) -> web.Response:
    raw = await request.content.read(MAX_IMPORT_BYTES + 1)
    if len(raw) > MAX_IMPORT_BYTES:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_IMPORT_BYTES, actual_size=len(raw))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(E.BAD_IMPORT, "文件须为 UTF-8 编码 (the file must be UTF-8)") from None
    fmt = "json" if request.content_type == "application/json" else "csv"
    out = await _uc(request).import_text(actor, _hall_id(request), text, fmt,
                                         lambda row: ImportRow.model_validate(row).model_dump())
    return json_response({"imported": len(out), "cases": out}, status=201)


@routes.get("/api/v1/halls/{hall}/cases", summary="Cases (clerks: those assigned to them)", roles=STAFF,
            query=(("status", "received | assigned | in_progress | replied | closed"), ("open", "1: not closed"),
                   ("overdue", "1: overdue only")))
async def list_cases(request: web.Request, actor: Actor) -> web.Response:
    status = request.query.get("status")
    if status is not None and status not in set(CaseStatus):
        raise InvalidInput(E.BAD_QUERY, f"status 无效 (bad status {status!r})", field="status")
    return json_response({"cases": await _uc(request).list_cases(
        actor, _hall_id(request), status=status, open_only=request.query.get("open") == "1",
        overdue=request.query.get("overdue") == "1")})


@routes.get("/api/v1/cases/{case_id:\\d+}", summary="A case with its audited history", roles=STAFF)
async def get_case(request: web.Request, actor: Actor) -> web.Response:
    return json_response(await _uc(request).get(actor, path_int(request, "case_id")))


def _case_route(action: CaseAction) -> None:
    async def handler(request: web.Request, actor: Actor, body: CaseStep) -> web.Response:
        return json_response(await _uc(request).act(actor, path_int(request, "case_id"), action, body.model_dump()))
    handler.__name__ = f"case_{action.value}"
    path = action.value.replace("_", "-")
    routes.post(f"/api/v1/cases/{{case_id:\\d+}}/{path}", summary=f"Case step: {action.value}", roles=STAFF,
                body=CaseStep, responses={409: "illegal now"})(handler)


for _a in CaseAction:
    _case_route(_a)


# -- the scan, the figures, the scores ----------------------------------------------------------------------------

@routes.get("/api/v1/halls/{hall}/deadline-scan", summary="The last daily scan: due within a working day, overdue",
            roles=STAFF)
async def last_scan(request: web.Request, actor: Actor) -> web.Response:
    return json_response({"scan": await _uc(request).last_scan(actor, _hall_id(request))})


@routes.post("/api/v1/halls/{hall}/deadline-scan", summary="Scan now (and push to the work group)",
             roles=SUPERVISORS)
async def scan_now(request: web.Request, actor: Actor) -> web.Response:
    out = await _uc(request).scan_now(actor, _hall_id(request))
    _wake_delivery(request)
    return json_response({"scan": out})


def _wake_delivery(request: web.Request) -> None:
    loop = request.app.get(DELIVERY_LOOP)
    if loop is not None:
        loop.wake()


def _period(request: web.Request) -> Period:
    kind = request.query.get("period", "month")
    kinds = {"day": PeriodKind.DAILY, "daily": PeriodKind.DAILY, "week": PeriodKind.WEEKLY,
             "weekly": PeriodKind.WEEKLY, "month": PeriodKind.MONTHLY, "monthly": PeriodKind.MONTHLY}
    try:
        if kind == "custom":
            return Period(PeriodKind.CUSTOM, dt.date.fromisoformat(request.query.get("from", "")),
                          dt.date.fromisoformat(request.query.get("to", "")))
        if kind not in kinds:
            raise InvalidInput(E.BAD_PERIOD, f"period 无效 (bad period {kind!r})", field="period")
        day = request.query.get("date")
        return Period.of(kinds[kind], dt.date.fromisoformat(day) if day else _today(request))
    except ValueError:
        raise InvalidInput(E.BAD_DATE, "日期格式应为 YYYY-MM-DD (dates are YYYY-MM-DD)", field="date") from None


def _today(request: web.Request) -> dt.date:
    return dt.datetime.fromtimestamp(request.app[USECASES].ctx.clock(), ZoneInfo(hall_of(request)["timezone"])).date()


@routes.get("/api/v1/halls/{hall}/quality-figures", summary="Completion, on-time, satisfaction and overdue figures "
            "by department and window", roles=SUPERVISORS,
            query=(("period", "day | week | month | custom"), ("date", "YYYY-MM-DD"), ("from", "custom: first day"),
                   ("to", "custom: last day")))
async def figures(request: web.Request, actor: Actor) -> web.Response:
    return json_response(await _uc(request).figures(actor, _hall_id(request), _period(request)))


# The figures' columns and sections, as this CSV and the statistics workbook (http/reports.py) export them.
QUALITY_COLUMNS = (("rated", "评价数"), ("bad", "差评"), ("unrated", "未评价"), ("satisfaction_rate", "满意率"),
                   ("received", "受理"), ("closed", "办结"), ("on_time", "按时办结"), ("overdue", "超期"),
                   ("completion_rate", "办结率"), ("on_time_rate", "按时办结率"))
UNNAMED = "（未指定）"


def quality_sections(f: dict[str, Any]) -> list[tuple[str, str, list[dict[str, Any]]]]:
    """(category, dimension, rows) of the quality figures: ratings by department, window and day; cases by
    department and day."""
    return [("好差评", "部门", f["ratings"]["by_department"]), ("好差评", "窗口", f["ratings"]["by_window"]),
            ("好差评", "日期", f["ratings"]["by_day"]), ("咨询投诉", "部门", f["cases"]["by_department"]),
            ("咨询投诉", "日期", f["cases"]["by_day"])]


@routes.get("/api/v1/halls/{hall}/quality-figures.csv", summary="The figures as CSV (UTF-8 with BOM for Excel): "
            "ratings by department, window and day; cases by department and day", roles=SUPERVISORS,
            query=(("period", "day | week | month | custom"), ("date", "YYYY-MM-DD"), ("from", "custom: first day"),
                   ("to", "custom: last day")))
async def figures_csv(request: web.Request, actor: Actor) -> web.Response:
    f = await _uc(request).figures(actor, _hall_id(request), _period(request))
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["类别", "维度", "名称", *[zh for _, zh in QUALITY_COLUMNS]])
    for what, dim, rows in quality_sections(f):
        for r in rows:
            w.writerow([what, dim, r["name"] if r["name"] is not None else UNNAMED,
                        *["" if r.get(k) is None else r[k] for k, _ in QUALITY_COLUMNS]])
    name = f"quality-{f['period']['from']}-{f['period']['to']}.csv"
    return web.Response(body=("\ufeff" + buf.getvalue()).encode(), content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})


@routes.get("/api/v1/halls/{hall}/window-scores", summary="The month's window ranking (红旗窗口, 服务之星), each "
            "score explained by its parts", roles=SUPERVISORS, query=(("month", "YYYY-MM (default: this month)"),))
async def window_scores(request: web.Request, actor: Actor) -> web.Response:
    month = request.query.get("month")
    try:
        day = dt.date.fromisoformat(f"{month}-01") if month else _today(request)
    except ValueError:
        raise InvalidInput(E.BAD_DATE, "月份格式应为 YYYY-MM (month is YYYY-MM)", field="month") from None
    return json_response(await _uc(request).window_scores(actor, _hall_id(request), day))


# -- the staff page -------------------------------------------------------------------------------------------------

@routes.get("/quality/{hall}", summary="Ratings, follow-ups, cases and the daily scan (staff page)", roles=STAFF,
            page=True)
async def quality_page(request: web.Request, actor: Actor) -> web.Response:
    return render(request, "ratings/quality.html", hall=hall_of(request),
                  is_supervisor=actor.is_supervisor, is_admin=actor.role is Role.ADMIN)


def setup(app: web.Application) -> None:
    """The daily scan: checked every minute, run once per hall and working day at its scan time."""
    uc = app[USECASES].cases
    async def step() -> None:
        if await uc.scan_due():
            if DELIVERY_LOOP in app:
                app[DELIVERY_LOOP].wake()
    register(app, Loop("deadline-scan", 60.0, step, delay_first=True))
