"""Statistics and briefing reports: the JSON API, CSV/XLSX export, the briefing page and PDF, and the
background work (the daily briefing's scheduler and the webhook delivery worker)."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import datetime as dt
import io
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from aiohttp import web
from pydantic import Field, StrictBool, StrictStr, StringConstraints

from hallops.domain.actors import Actor
from hallops.domain.errors import E, InvalidInput
from hallops.domain.model import Role
from hallops.domain.stats import Period, PeriodKind, parse_date
from hallops.http.api import RouteTable, json_response, path_int
from hallops.http.bodies import Body
from hallops.http.keys import STORE
from hallops.http.web import JINJA, render
from hallops.reports import render as rendering
from hallops.reports.figures import DIMS
from hallops.reports.publish import Publisher, ReportSettings, message_body, summary_markdown
from hallops.reports.scheduler import generate
from hallops.reports.scheduler import run as run_scheduler
from hallops.reports.service import Statistics
from hallops.storage import reports as sql
from hallops.storage.store import Store

routes = RouteTable("reports")
SUPERVISORS = frozenset({Role.ADMIN, Role.MANAGER})
# Home-page tiles: {"zh": …, "en": …, "href": "/…/{hall}", "roles": {"clerk", …}}
TILES: list[dict[str, Any]] = [{"zh": "统计与简报", "en": "Statistics & briefings", "href": "/reports/{hall}",
                                "roles": {Role.ADMIN.value, Role.MANAGER.value}}]
STATS_QUERY = (("period", "daily | weekly | monthly (with date) or custom (with from, to)"),
               ("date", "a day of the period, YYYY-MM-DD (default: today)"),
               ("from", "first service day, YYYY-MM-DD"), ("to", "last service day, YYYY-MM-DD"),
               ("by", f"dimensions, comma-separated: {', '.join(DIMS[1:])} (default: all)"))


@dataclass
class Reports:
    stats: Statistics
    publisher: Publisher
    settings: ReportSettings


REPORTS = web.AppKey("reports", Reports)


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

def _runtime(request: web.Request) -> tuple[Store, Reports]:
    return request.app[STORE], request.app[REPORTS]


async def _hall(request: web.Request, actor: Actor) -> dict[str, Any]:
    return await request.app[STORE].resolve_hall(request.match_info["hall"], actor)


def _period(request: web.Request, today: dt.date) -> Period:
    q = request.query
    kind = q.get("period", "custom" if "from" in q else "daily")
    try:
        pk = PeriodKind(kind)
    except ValueError:
        raise InvalidInput(E.BAD_PERIOD, "period 应为 daily、weekly、monthly 或 custom (bad period)",
                           field="period") from None
    if pk is PeriodKind.CUSTOM:
        if "from" not in q or "to" not in q:
            raise InvalidInput(E.BAD_PERIOD, "自定义周期须给出 from 和 to (give from and to)", field="from")
        return Period(pk, parse_date(q["from"], "from"), parse_date(q["to"], "to"))
    return Period.of(pk, parse_date(q["date"], "date") if "date" in q else today)


def _dims(request: web.Request) -> list[str]:
    by = request.query.get("by")
    return [d.strip() for d in by.split(",") if d.strip()] if by else list(DIMS)


async def _statistics(request: web.Request, actor: Actor) -> dict[str, Any]:
    store, rep = _runtime(request)
    hall = await _hall(request, actor)
    meta = await sql.hall_meta(store.db, hall["id"])
    return await rep.stats.statistics(hall["id"], _period(request, rep.stats.today(meta)), _dims(request))


async def _briefing(request: web.Request, actor: Actor) -> dict[str, Any]:
    b = await sql.briefing(request.app[STORE].db, path_int(request, "briefing_id"))
    actor.check_hall(b["hall_id"])
    return b


def _by(actor: Actor) -> str:
    return actor.display_name or actor.role.value


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
DIM_ZH = {"totals": "合计", "queue": "业务", "window": "窗口", "clerk": "工作人员", "department": "部门",
          "channel": "渠道", "hour": "时段"}


def _cell(row: dict[str, Any], path: str) -> Any:
    v: Any = row
    for p in path.split("."):
        v = v.get(p) if isinstance(v, dict) else None
    return v


def _export_rows(data: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    out = [("totals", [data["totals"]])]
    out += [(d, data[d]) for d in DIMS[1:] if d in data]
    return out


def _filename(data: dict[str, Any], ext: str) -> str:
    p = data["period"]
    return f"hallops-{data['hall']['code']}-{p['from']}_{p['to']}.{ext}"


@routes.get("/api/v1/halls/{hall}/stats.csv", summary="Statistics as CSV (UTF-8 with BOM for Excel)",
            roles=SUPERVISORS, query=STATS_QUERY)
async def stats_csv(request: web.Request, actor: Actor) -> web.Response:
    data = await _statistics(request, actor)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["维度", *[zh for _, zh in EXPORT_COLUMNS]])
    for dim, rows in _export_rows(data):
        for r in rows:
            w.writerow([DIM_ZH[dim], *["" if _cell(r, c) is None else _cell(r, c) for c, _ in EXPORT_COLUMNS]])
    return web.Response(body=("\ufeff" + buf.getvalue()).encode(), content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{_filename(data, "csv")}"'})


def _xlsx(data: dict[str, Any]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)
    for dim, rows in _export_rows(data):
        ws = wb.create_sheet(DIM_ZH[dim])
        ws.append([zh for _, zh in EXPORT_COLUMNS])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for r in rows:
            ws.append([_cell(r, c) for c, _ in EXPORT_COLUMNS])
        for col, (c, _) in zip(ws.iter_cols(min_row=2), EXPORT_COLUMNS, strict=False):
            if c.endswith("_rate"):
                for cell in col:
                    cell.number_format = "0.0%"
        ws.column_dimensions["A"].width = 28
        ws.freeze_panes = "B2"
    days = wb.create_sheet("每日")
    days.append(["日期", "取号", "办结", "过号", "平均等候(分)"])
    for d in data["days"]:
        days.append([d["day"], d["issued"], d["served"], d["no_show"], d["mean_wait_minutes"]])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@routes.get("/api/v1/halls/{hall}/stats.xlsx", summary="Statistics as an Excel workbook (a sheet per dimension)",
            roles=SUPERVISORS, query=STATS_QUERY)
async def stats_xlsx(request: web.Request, actor: Actor) -> web.Response:
    data = await _statistics(request, actor)
    body = await asyncio.to_thread(_xlsx, data)
    return web.Response(body=body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f'attachment; filename="{_filename(data, "xlsx")}"'})


# -- briefings --------------------------------------------------------------------------------------------

@routes.get("/api/v1/halls/{hall}/briefings", summary="Kept briefings, newest first", roles=SUPERVISORS)
async def list_briefings(request: web.Request, actor: Actor) -> web.Response:
    hall = await _hall(request, actor)
    return json_response({"briefings": await sql.briefings(request.app[STORE].db, hall["id"])})


@routes.post("/api/v1/halls/{hall}/briefings", summary="Generate (or regenerate) the briefing of a period",
             roles=SUPERVISORS, body=GenerateBriefing, responses={201: "the kept briefing"})
async def create_briefing(request: web.Request, actor: Actor, body: GenerateBriefing) -> web.Response:
    store, rep = _runtime(request)
    hall = await _hall(request, actor)
    day = body.date or rep.stats.today(await sql.hall_meta(store.db, hall["id"]))
    bid = await generate(rep.stats, hall["id"], Period.of(PeriodKind(body.kind), day), _by(actor))
    return json_response(await sql.briefing(store.db, bid), status=201)


@routes.get("/api/v1/briefings/{briefing_id}", summary="One kept briefing with its figures", roles=SUPERVISORS)
async def get_briefing(request: web.Request, actor: Actor) -> web.Response:
    b = await _briefing(request, actor)
    b["deliveries"] = await sql.deliveries(request.app[STORE].db, b["hall_id"], b["id"])
    return json_response(b)


@routes.post("/api/v1/briefings/{briefing_id}/regenerate", summary="Recompute a kept briefing's figures",
             roles=SUPERVISORS)
async def regenerate(request: web.Request, actor: Actor) -> web.Response:
    store, rep = _runtime(request)
    b = await _briefing(request, actor)
    period = Period(PeriodKind(b["kind"]), dt.date.fromisoformat(b["period_start"]),
                    dt.date.fromisoformat(b["period_end"]))
    bid = await generate(rep.stats, b["hall_id"], period, _by(actor))
    return json_response(await sql.briefing(store.db, bid))


@routes.post("/api/v1/briefings/{briefing_id}/annotation", summary="Set the manager's short comment",
             roles=SUPERVISORS, body=Annotation)
async def annotate(request: web.Request, actor: Actor, body: Annotation) -> web.Response:
    store = request.app[STORE]
    b = await _briefing(request, actor)
    await store.db.write(lambda tx: sql.annotate(tx, b["id"], b["hall_id"], body.text, _by(actor)))
    return json_response(await sql.briefing(store.db, b["id"]))


def _link(request: web.Request, base_url: str, briefing_id: int) -> str:
    base = base_url.rstrip("/") or str(request.url.origin())
    return f"{base}/reports/briefings/{briefing_id}"


@routes.post("/api/v1/briefings/{briefing_id}/publish", summary="Post the summary to the hall's work groups",
             roles=SUPERVISORS, responses={202: "deliveries queued"})
async def publish(request: web.Request, actor: Actor) -> web.Response:
    store, rep = _runtime(request)
    b = await _briefing(request, actor)
    hooks = await sql.webhooks(store.db, b["hall_id"], active_only=True)
    link = _link(request, (await sql.settings(store.db, b["hall_id"]))["base_url"], b["id"])
    title, text = summary_markdown(b, link)
    messages = {h["id"]: message_body(h["kind"], title, text) for h in hooks}
    ids = await store.db.write(lambda tx: sql.publish(tx, b["id"], b["hall_id"], _by(actor), messages))
    rep.publisher.wake()
    return json_response({"deliveries": ids, "link": link, "text": text}, status=202)


@routes.get("/api/v1/halls/{hall}/report-deliveries", summary="Recent webhook deliveries (failed ones stay)",
            roles=SUPERVISORS)
async def list_deliveries(request: web.Request, actor: Actor) -> web.Response:
    hall = await _hall(request, actor)
    return json_response({"deliveries": await sql.deliveries(request.app[STORE].db, hall["id"])})


@routes.post("/api/v1/halls/{hall}/report-deliveries/{delivery_id}/retry", summary="Retry a failed delivery now",
             roles=SUPERVISORS)
async def retry(request: web.Request, actor: Actor) -> web.Response:
    store, rep = _runtime(request)
    hall = await _hall(request, actor)
    did = path_int(request, "delivery_id")
    await store.db.write(lambda tx: sql.retry_delivery(tx, did, hall["id"]))
    rep.publisher.wake()
    return json_response({"id": did, "state": "pending"})


# -- webhooks and settings ------------------------------------------------------------------------------

@routes.get("/api/v1/halls/{hall}/report-webhooks", summary="Work-group webhooks (secrets never shown)",
            roles=SUPERVISORS)
async def list_webhooks(request: web.Request, actor: Actor) -> web.Response:
    hall = await _hall(request, actor)
    hooks = await sql.webhooks(request.app[STORE].db, hall["id"])
    return json_response({"webhooks": [sql.webhook_json(h) for h in hooks]})


@routes.post("/api/v1/halls/{hall}/report-webhooks", summary="Add a WeCom or DingTalk robot webhook",
             roles=SUPERVISORS, body=WebhookIn, responses={201: "the webhook"})
async def add_webhook(request: web.Request, actor: Actor, body: WebhookIn) -> web.Response:
    hall = await _hall(request, actor)
    out = await request.app[STORE].db.write(lambda tx: sql.add_webhook(tx, hall["id"], body.kind, body.label,
                                                                       body.url, body.secret))
    return json_response(out, status=201)


@routes.patch("/api/v1/halls/{hall}/report-webhooks/{webhook_id}", summary="Switch a webhook on or off",
              roles=SUPERVISORS, body=WebhookPatch)
async def patch_webhook(request: web.Request, actor: Actor, body: WebhookPatch) -> web.Response:
    hall = await _hall(request, actor)
    wid = path_int(request, "webhook_id")
    return json_response(await request.app[STORE].db.write(
        lambda tx: sql.set_webhook_active(tx, hall["id"], wid, body.active)))


@routes.get("/api/v1/halls/{hall}/report-settings", summary="When the daily briefing is made; link base",
            roles=SUPERVISORS)
async def get_settings(request: web.Request, actor: Actor) -> web.Response:
    hall = await _hall(request, actor)
    return json_response(await sql.settings(request.app[STORE].db, hall["id"]))


@routes.patch("/api/v1/halls/{hall}/report-settings", summary="Change the daily briefing time or link base",
              roles=SUPERVISORS, body=SettingsPatch)
async def patch_settings(request: web.Request, actor: Actor, body: SettingsPatch) -> web.Response:
    hall = await _hall(request, actor)
    values = body.model_dump()
    if values["daily_at"] is not None:
        values["daily_at"] = sql.check_hhmm(values["daily_at"])
    return json_response(await request.app[STORE].db.write(lambda tx: sql.save_settings(tx, hall["id"], values)))


# -- pages ----------------------------------------------------------------------------------------------

@routes.get("/reports/{hall}", summary="Statistics and briefings of a hall", roles=SUPERVISORS, page=True)
async def reports_page(request: web.Request, actor: Actor) -> web.Response:
    store, rep = _runtime(request)
    hall = await _hall(request, actor)
    meta = await sql.hall_meta(store.db, hall["id"])
    today = rep.stats.today(meta)
    data = await rep.stats.statistics(hall["id"], Period.day(today), ["queue"])
    return render(request, "reports/index.html", hall=hall, today=today.isoformat(), stats=data,
                  briefings=await sql.briefings(store.db, hall["id"]),
                  deliveries=await sql.deliveries(store.db, hall["id"]),
                  webhooks=[sql.webhook_json(h) for h in await sql.webhooks(store.db, hall["id"])],
                  settings=await sql.settings(store.db, hall["id"]), local_time=rendering.local_time,
                  tz=hall["timezone"])


async def _page_briefing(request: web.Request, actor: Actor) -> tuple[dict[str, Any], dict[str, Any]]:
    b = await _briefing(request, actor)
    hall = await request.app[STORE].resolve_hall(b["hall_id"], actor)
    return b, hall


@routes.get("/reports/briefings/{briefing_id}", summary="A briefing as a page", roles=SUPERVISORS, page=True)
async def briefing_page(request: web.Request, actor: Actor) -> web.Response:
    b, hall = await _page_briefing(request, actor)
    ctx = await asyncio.to_thread(rendering.context, b, hall["timezone"])
    deliveries = await sql.deliveries(request.app[STORE].db, b["hall_id"], b["id"])
    return render(request, "reports/briefing.html", hall=hall, deliveries=deliveries,
                  local_time=rendering.local_time, tz=hall["timezone"], **ctx)


@routes.get("/reports/briefings/{briefing_id}/print", summary="A briefing as print-ready A4 HTML",
            roles=SUPERVISORS, page=True)
async def briefing_print(request: web.Request, actor: Actor) -> web.Response:
    b, hall = await _page_briefing(request, actor)
    html = await asyncio.to_thread(rendering.render_print_html, request.app[JINJA], b, hall["timezone"])
    return web.Response(text=html, content_type="text/html", charset="utf-8", headers={"Cache-Control": "no-store"})


@routes.get("/reports/briefings/{briefing_id}/pdf", summary="A briefing as PDF (A4, CJK font embedded)",
            roles=SUPERVISORS, page=True)
async def briefing_pdf(request: web.Request, actor: Actor) -> web.Response:
    b, hall = await _page_briefing(request, actor)
    pdf = await asyncio.to_thread(rendering.render_pdf, request.app[JINJA], b, hall["timezone"])
    name = f"briefing-{b['kind']}-{b['period_start']}.pdf"
    return web.Response(body=pdf, content_type="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="{name}"', "Cache-Control": "no-store"})


# -- background work --------------------------------------------------------------------------------------

def setup(app: web.Application) -> None:
    """The statistics service, the webhook worker and the daily scheduler.

    The tasks start in on_startup and stop (cancelled and awaited) in on_shutdown, not in a cleanup_ctx:
    feature contexts are entered before the database's (create_app appends it last), so a task started
    there would run before the database opens and after it closes."""
    settings = ReportSettings()
    store = app[STORE]
    app[REPORTS] = Reports(Statistics(store), Publisher(store, settings), settings)
    app[REPORT_TASKS] = []
    app.on_startup.append(_start)
    app.on_shutdown.append(_stop)


REPORT_TASKS = web.AppKey("report_tasks", list)


async def _start(app: web.Application) -> None:
    rep = app[REPORTS]
    app[REPORT_TASKS].extend([
        asyncio.create_task(rep.publisher.run(), name="hallops-report-publisher"),
        asyncio.create_task(run_scheduler(rep.stats, rep.settings), name="hallops-report-scheduler")])


async def _stop(app: web.Application) -> None:
    tasks = app[REPORT_TASKS]
    for t in tasks:
        t.cancel()
    for t in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await t
    tasks.clear()
