"""Statistics and briefing reports over HTTP: the JSON API, CSV/XLSX export, the briefing page, A4 and PDF.

Handlers parse, call one use case (`request.app[USECASES].reports` / `.briefings`) and respond; the figures,
briefings and deliveries live in the use cases. `setup` registers the two background loops: the daily
briefing's scheduler and the webhook publisher.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from typing import Annotated, Any, Literal

from aiohttp import web
from pydantic import Field, StrictBool, StrictStr, StringConstraints

from hallops.background import Loop, register
from hallops.domain.actors import Actor
from hallops.domain.errors import E, InvalidInput
from hallops.domain.model import Role
from hallops.domain.stats import Period, PeriodKind, parse_date
from hallops.http.api import RouteTable, hall_of, json_response, path_int
from hallops.http.bodies import Body
from hallops.http.cases import QUALITY_COLUMNS, UNNAMED, quality_sections
from hallops.http.keys import USECASES
from hallops.http.web import JINJA, render
from hallops.reports import render as rendering
from hallops.reports.figures import DIMS
from hallops.usecases.briefings import Briefings
from hallops.usecases.reports import PeriodAsked, Reports, Scope

routes = RouteTable("reports")
SUPERVISORS = frozenset({Role.ADMIN, Role.MANAGER})
# Home-page tiles: {"zh": …, "en": …, "href": "/…/{hall}", "roles": {"clerk", …}}
TILES: list[dict[str, Any]] = [{"zh": "统计与简报", "en": "Statistics & briefings", "href": "/reports/{hall}",
                                "roles": {Role.ADMIN.value, Role.MANAGER.value}}]
STATS_QUERY = (("period", "daily | weekly | monthly (with date) or custom (with from, to)"),
               ("date", "a day of the period, YYYY-MM-DD (default: today)"),
               ("from", "first service day, YYYY-MM-DD"), ("to", "last service day, YYYY-MM-DD"),
               ("by", f"dimensions, comma-separated: {', '.join(DIMS[1:])} (default: all; with scope=subtree "
                      "also centre)"),
               ("scope", "hall (default): the hall alone; subtree: the hall and every centre below it that you see, "
                         "summed (with a row per centre)"))


# -- request bodies ---------------------------------------------------------------------------------------

class GenerateBriefing(Body):
    kind: Literal["daily", "weekly", "monthly"] = "daily"
    date: dt.date | None = Field(None, description="a day of the period (default: today)")


class Annotation(Body):
    text: Annotated[StrictStr, StringConstraints(strip_whitespace=True, max_length=500)]


class WebhookIn(Body):
    kind: Literal["wecom", "dingtalk"]
    url: Annotated[StrictStr, StringConstraints(strip_whitespace=True, pattern=r"^https?://\S+$", max_length=500)]
    secret: Annotated[StrictStr, StringConstraints(strip_whitespace=True, max_length=200)] = ""
    label: Annotated[StrictStr, StringConstraints(strip_whitespace=True, max_length=100)] = ""


class WebhookPatch(Body):
    active: StrictBool


class SettingsPatch(Body):
    daily_at: Annotated[StrictStr, StringConstraints(pattern=r"^\d{2}:\d{2}$")] | None = None
    base_url: Annotated[StrictStr, StringConstraints(strip_whitespace=True, pattern=r"^(https?://\S+)?$",
                                                     max_length=300)] | None = None


# -- helpers ----------------------------------------------------------------------------------------------

def _reports(request: web.Request) -> Reports:
    return request.app[USECASES].reports


def _briefings(request: web.Request) -> Briefings:
    return request.app[USECASES].briefings


def _period(request: web.Request) -> PeriodAsked:
    q = request.query
    kind = q.get("period", "custom" if "from" in q else "daily")
    kind = {"day": "daily", "week": "weekly", "month": "monthly"}.get(kind, kind)  # as the district briefing's
    try:
        pk = PeriodKind(kind)
    except ValueError:
        raise InvalidInput(E.BAD_PERIOD, "period 应为 daily、weekly、monthly 或 custom (bad period)",
                           field="period") from None
    if pk is PeriodKind.CUSTOM:
        if "from" not in q or "to" not in q:
            raise InvalidInput(E.BAD_PERIOD, "自定义周期须给出 from 和 to (give from and to)", field="from")
        return PeriodAsked(pk, start=parse_date(q["from"], "from"), end=parse_date(q["to"], "to"))
    return PeriodAsked(pk, day=parse_date(q["date"], "date") if "date" in q else None)


def _dims(request: web.Request) -> list[str]:
    by = request.query.get("by")
    return [d.strip() for d in by.split(",") if d.strip()] if by else list(DIMS)


def _scope(request: web.Request) -> Scope:
    try:
        return Scope(request.query.get("scope", Scope.HALL.value))
    except ValueError:
        raise InvalidInput(E.BAD_QUERY, "scope 应为 hall 或 subtree (scope: hall or subtree)", field="scope") from None


async def _statistics(request: web.Request, actor: Actor) -> dict[str, Any]:
    return await _reports(request).statistics(actor, hall_of(request)["id"], _period(request), _dims(request),
                                              _scope(request))


# -- statistics -------------------------------------------------------------------------------------------

@routes.get("/api/v1/halls/{hall}/stats", summary="Ticket statistics of a period, by dimension",
            roles=SUPERVISORS, query=STATS_QUERY)
async def stats(request: web.Request, actor: Actor) -> web.Response:
    return json_response(await _statistics(request, actor))


EXPORT_COLUMNS = (
    ("label", "名称"), ("issued", "取号"), ("served", "办结"), ("no_show", "过号"), ("cancelled", "取消"),
    ("expired", "日终未办"), ("transferred", "转移"), ("served_rate", "办结率"),
    ("within_target_rate", "目标内叫号率"), ("wait_minutes.mean", "平均等候(分)"),
    ("wait_minutes.median", "等候中位数(分)"), ("wait_minutes.p90", "P90等候(分)"),
    ("wait_minutes.max", "最长等候(分)"),
    ("service_minutes.mean", "平均办理(分)"), ("service_minutes.median", "办理中位数(分)"),
    ("service_minutes.p90", "P90办理(分)"), ("service_minutes.max", "最长办理(分)"), ("bundle", "一件事一次办"),
    ("single", "单部门"), ("appointments", "预约"), ("appointments_kept", "预约办结"),
    ("appointments_missed", "预约爽约"),
    # Counted where the work was done (hall, window and clerk rows only; see hallops/reports/figures.py).
    ("calls", "叫号"), ("recalls", "重呼"), ("call_backs", "回呼"), ("transfers_out", "转出"))
DIM_ZH = {"totals": "合计", "centre": "中心", "queue": "业务", "window": "窗口", "clerk": "工作人员",
          "department": "部门", "channel": "渠道", "hour": "时段"}
# Over a subtree: the centre each row belongs to; the totals, channels and hours are every centre's.
CENTRE_ZH, ALL_CENTRES = "中心", "全部中心"
# The subtree workbook's sheet of each centre's patrols, open items, ratings and cases.
CENTRE_QUALITY_COLUMNS = (
    ("centre", "中心"), ("level_zh", "层级"), ("full", "全面巡查"), ("full_quota", "应全面巡查"), ("spot", "重点抽查"),
    ("spot_quota", "应重点抽查"), ("patrol_coverage", "巡查完成率"), ("findings_open", "未整改问题"),
    ("findings_overdue", "其中超期"), ("followups_open", "差评回访未结"), ("followups_overdue", "其中超期"),
    ("cases_received", "咨询投诉受理"), ("cases_closed", "办结"), ("cases_on_time", "按时办结"),
    ("cases_open", "未结"), ("cases_overdue", "其中超期"), ("rated", "评价数"), ("bad", "差评"),
    ("satisfaction_rate", "满意率"))


def _cell(row: dict[str, Any], path: str) -> Any:
    v: Any = row
    for p in path.split("."):
        v = v.get(p) if isinstance(v, dict) else None
    return v


def _export_rows(data: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    out = [("totals", [data["totals"]])]
    out += [(d, data[d]) for d in ("centre", *DIMS[1:]) if d in data]
    return out


def _subtree(data: dict[str, Any]) -> bool:
    return data.get("scope") == Scope.SUBTREE.value


def _centre_of(row: dict[str, Any]) -> str:
    return str(row.get("centre") or ALL_CENTRES)


def _filename(data: dict[str, Any], ext: str) -> str:
    p = data["period"]
    scope = "-subtree" if _subtree(data) else ""
    return f"hallops-{data['hall']['code']}{scope}-{p['from']}_{p['to']}.{ext}"


@routes.get("/api/v1/halls/{hall}/stats.csv", summary="Statistics as CSV (UTF-8 with BOM for Excel)",
            roles=SUPERVISORS, query=STATS_QUERY)
async def stats_csv(request: web.Request, actor: Actor) -> web.Response:
    data = await _statistics(request, actor)
    centre = [CENTRE_ZH] if _subtree(data) else []
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["维度", *centre, *[zh for _, zh in EXPORT_COLUMNS]])
    for dim, rows in _export_rows(data):
        for r in rows:
            w.writerow([DIM_ZH[dim], *[_centre_of(r) for _ in centre],
                        *["" if _cell(r, c) is None else _cell(r, c) for c, _ in EXPORT_COLUMNS]])
    return web.Response(body=("\ufeff" + buf.getvalue()).encode(), content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{_filename(data, "csv")}"'})


def _table(wb: Any, title: str, columns: Sequence[tuple[str, str]], rows: Iterable[list[Any]], width: int) -> Any:
    """A sheet: bold headings, the rows, rates as percentages, the first column `width` wide."""
    from openpyxl.styles import Font

    ws = wb.create_sheet(title)
    ws.append([zh for _, zh in columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(row)
    for col, (key, _) in zip(ws.iter_cols(min_row=2), columns, strict=False):
        if key.endswith(("_rate", "_coverage")):
            for cell in col:
                cell.number_format = "0.0%"
    ws.column_dimensions["A"].width = width
    return ws


def _xlsx(data: dict[str, Any], quality: dict[str, Any] | None,
          centres: list[dict[str, Any]] | None = None) -> bytes:
    """A sheet per dimension, the days, then the period's 好差评 and 咨询投诉 figures (issue 12); over a subtree
    each sheet's rows name their centre, and the last sheet holds each centre's patrols, open items, ratings and
    cases (`centres`)."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    subtree = _subtree(data)
    for dim, rows in _export_rows(data):
        if not subtree:
            ws = _table(wb, DIM_ZH[dim], EXPORT_COLUMNS, ([_cell(r, c) for c, _ in EXPORT_COLUMNS] for r in rows), 28)
            ws.freeze_panes = "B2"
            continue
        # A centre's row is named by its level (its name is the label); every other row by its centre.
        first = ("level_zh", "层级") if dim == "centre" else ("centre", CENTRE_ZH)
        lead = (lambda r: r["level_zh"]) if dim == "centre" else _centre_of
        cells = ([lead(r), *[_cell(r, c) for c, _ in EXPORT_COLUMNS]] for r in rows)
        ws = _table(wb, DIM_ZH[dim], (first, *EXPORT_COLUMNS), cells, 24)
        ws.column_dimensions["B"].width = 28
        ws.freeze_panes = "C2"
    days = wb.create_sheet("每日")
    days.append(["日期", "取号", "办结", "过号", "平均等候(分)"])
    for d in data["days"]:
        days.append([d["day"], d["issued"], d["served"], d["no_show"], d["mean_wait_minutes"]])
    if centres is not None:
        _table(wb, "中心-巡查与质量", CENTRE_QUALITY_COLUMNS,
               ([r.get(k) for k, _ in CENTRE_QUALITY_COLUMNS] for r in centres), 28)
    for what, dim, rows in quality_sections(quality) if quality is not None else []:
        _table(wb, f"{what}-{dim}", (("name", "名称"), *QUALITY_COLUMNS),
               ([UNNAMED if r["name"] is None else r["name"], *[r.get(k) for k, _ in QUALITY_COLUMNS]] for r in rows),
               24)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@routes.get("/api/v1/halls/{hall}/stats.xlsx", summary="Statistics as an Excel workbook (a sheet per dimension, "
            "then ratings and cases of the same period)",
            roles=SUPERVISORS, query=STATS_QUERY)
async def stats_xlsx(request: web.Request, actor: Actor) -> web.Response:
    data = await _statistics(request, actor)
    p = data["period"]
    period = Period(PeriodKind.CUSTOM, dt.date.fromisoformat(p["from"]), dt.date.fromisoformat(p["to"]))
    if _subtree(data):  # each centre's own ratings and cases: one row each on the last sheet
        body = await asyncio.to_thread(_xlsx, data, None, await _reports(request).centre_quality(
            actor, hall_of(request)["id"], period))
    else:
        quality = await request.app[USECASES].cases.figures(actor, hall_of(request)["id"], period)
        body = await asyncio.to_thread(_xlsx, data, quality)
    return web.Response(body=body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f'attachment; filename="{_filename(data, "xlsx")}"'})


# -- briefings --------------------------------------------------------------------------------------------

@routes.get("/api/v1/halls/{hall}/briefings", summary="Kept briefings, newest first", roles=SUPERVISORS)
async def list_briefings(request: web.Request, actor: Actor) -> web.Response:
    return json_response({"briefings": await _briefings(request).kept(actor, hall_of(request)["id"])})


@routes.post("/api/v1/halls/{hall}/briefings", summary="Generate (or regenerate) the briefing of a period",
             roles=SUPERVISORS, body=GenerateBriefing, responses={201: "the kept briefing"})
async def create_briefing(request: web.Request, actor: Actor, body: GenerateBriefing) -> web.Response:
    b = await _briefings(request).generate(actor, hall_of(request)["id"], PeriodKind(body.kind), body.date)
    return json_response(b, status=201)


@routes.get("/api/v1/briefings/{briefing_id}", summary="One kept briefing with its figures", roles=SUPERVISORS)
async def get_briefing(request: web.Request, actor: Actor) -> web.Response:
    return json_response(await _briefings(request).get(actor, path_int(request, "briefing_id")))


@routes.post("/api/v1/briefings/{briefing_id}/regenerate", summary="Recompute a kept briefing's figures",
             roles=SUPERVISORS)
async def regenerate(request: web.Request, actor: Actor) -> web.Response:
    return json_response(await _briefings(request).regenerate(actor, path_int(request, "briefing_id")))


@routes.post("/api/v1/briefings/{briefing_id}/annotation", summary="Set the manager's short comment",
             roles=SUPERVISORS, body=Annotation)
async def annotate(request: web.Request, actor: Actor, body: Annotation) -> web.Response:
    return json_response(await _briefings(request).annotate(actor, path_int(request, "briefing_id"), body.text))


@routes.post("/api/v1/briefings/{briefing_id}/publish", summary="Post the summary to the hall's work groups",
             roles=SUPERVISORS, responses={202: "deliveries queued"})
async def publish(request: web.Request, actor: Actor) -> web.Response:
    out = await _briefings(request).publish(actor, path_int(request, "briefing_id"), str(request.url.origin()))
    return json_response(out, status=202)


@routes.get("/api/v1/halls/{hall}/report-deliveries", summary="Recent webhook deliveries (failed ones stay)",
            roles=SUPERVISORS)
async def list_deliveries(request: web.Request, actor: Actor) -> web.Response:
    return json_response({"deliveries": await _briefings(request).deliveries(actor, hall_of(request)["id"])})


@routes.post("/api/v1/halls/{hall}/report-deliveries/{delivery_id}/retry", summary="Retry a failed delivery now",
             roles=SUPERVISORS)
async def retry(request: web.Request, actor: Actor) -> web.Response:
    return json_response(await _briefings(request).retry(actor, hall_of(request)["id"],
                                                         path_int(request, "delivery_id")))


# -- webhooks and settings ------------------------------------------------------------------------------

@routes.get("/api/v1/halls/{hall}/report-webhooks", summary="Work-group webhooks (secrets never shown)",
            roles=SUPERVISORS)
async def list_webhooks(request: web.Request, actor: Actor) -> web.Response:
    return json_response({"webhooks": await _briefings(request).webhooks(actor, hall_of(request)["id"])})


@routes.post("/api/v1/halls/{hall}/report-webhooks", summary="Add a WeCom or DingTalk robot webhook",
             roles=SUPERVISORS, body=WebhookIn, responses={201: "the webhook"})
async def add_webhook(request: web.Request, actor: Actor, body: WebhookIn) -> web.Response:
    out = await _briefings(request).add_webhook(actor, hall_of(request)["id"], body.kind, body.url,
                                                secret=body.secret, label=body.label)
    return json_response(out, status=201)


@routes.patch("/api/v1/halls/{hall}/report-webhooks/{webhook_id}", summary="Switch a webhook on or off",
              roles=SUPERVISORS, body=WebhookPatch)
async def patch_webhook(request: web.Request, actor: Actor, body: WebhookPatch) -> web.Response:
    return json_response(await _briefings(request).set_webhook_active(
        actor, hall_of(request)["id"], path_int(request, "webhook_id"), body.active))


@routes.get("/api/v1/halls/{hall}/report-settings", summary="When the daily briefing is made; link base",
            roles=SUPERVISORS)
async def get_settings(request: web.Request, actor: Actor) -> web.Response:
    return json_response(await _briefings(request).settings_of(actor, hall_of(request)["id"]))


@routes.patch("/api/v1/halls/{hall}/report-settings", summary="Change the daily briefing time or link base",
              roles=SUPERVISORS, body=SettingsPatch)
async def patch_settings(request: web.Request, actor: Actor, body: SettingsPatch) -> web.Response:
    return json_response(await _briefings(request).save_settings(actor, hall_of(request)["id"], body.daily_at,
                                                                 body.base_url))


# -- pages ----------------------------------------------------------------------------------------------

@routes.get("/reports/{hall}", summary="Statistics and briefings of a hall", roles=SUPERVISORS, page=True)
async def reports_page(request: web.Request, actor: Actor) -> web.Response:
    hall = hall_of(request)
    data = await _reports(request).overview(actor, hall["id"])
    return render(request, "reports/index.html", hall=hall, local_time=rendering.local_time, tz=hall["timezone"],
                  **data)


@routes.get("/reports/briefings/{briefing_id}", summary="A briefing as a page", roles=SUPERVISORS, page=True)
async def briefing_page(request: web.Request, actor: Actor) -> web.Response:
    v = await _briefings(request).view(actor, path_int(request, "briefing_id"))
    tz = v["hall"]["timezone"]
    ctx = await asyncio.to_thread(rendering.context, v["briefing"], tz)
    return render(request, "reports/briefing.html", hall=v["hall"], deliveries=v["deliveries"],
                  local_time=rendering.local_time, tz=tz, **ctx)


@routes.get("/reports/briefings/{briefing_id}/print", summary="A briefing as print-ready A4 HTML",
            roles=SUPERVISORS, page=True)
async def briefing_print(request: web.Request, actor: Actor) -> web.Response:
    v = await _briefings(request).view(actor, path_int(request, "briefing_id"))
    html = await asyncio.to_thread(rendering.render_print_html, request.app[JINJA], v["briefing"],
                                   v["hall"]["timezone"])
    return web.Response(text=html, content_type="text/html", charset="utf-8", headers={"Cache-Control": "no-store"})


@routes.get("/reports/briefings/{briefing_id}/pdf", summary="A briefing as PDF (A4, CJK font embedded)",
            roles=SUPERVISORS, page=True)
async def briefing_pdf(request: web.Request, actor: Actor) -> web.Response:
    v = await _briefings(request).view(actor, path_int(request, "briefing_id"))
    b = v["briefing"]
    pdf = await asyncio.to_thread(rendering.render_pdf, request.app[JINJA], b, v["hall"]["timezone"])
    name = f"briefing-{b['kind']}-{b['period_start']}.pdf"
    return web.Response(body=pdf, content_type="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="{name}"', "Cache-Control": "no-store"})


# -- background work --------------------------------------------------------------------------------------

PUBLISHER = "report-publisher"
SCHEDULER = "report-scheduler"


def setup(app: web.Application) -> None:
    """The webhook publisher (woken when deliveries are queued, else polling for retries that come due) and
    the daily briefing's scheduler, as background loops (hallops/background.py)."""
    briefings = app[USECASES].briefings
    publisher = register(app, Loop(PUBLISHER, briefings.settings.poll_seconds, briefings.deliver_due))
    briefings.on_queued.append(publisher.wake)
    register(app, Loop(SCHEDULER, briefings.settings.scheduler_seconds, briefings.generate_due))
