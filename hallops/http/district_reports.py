"""The district's briefing over HTTP (issue 10): a row per centre of a hall's subtree, the totals and the
centres' ranking, as JSON, as a page in the reports area and as a PDF.

Handlers parse and respond; the use case (`Reports.district_briefing`) decides which centres the actor sees and
computes the figures. Nothing is kept: the briefing is made when asked.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from aiohttp import web

from hallops.domain.actors import Actor
from hallops.domain.errors import E, InvalidInput
from hallops.domain.model import Role
from hallops.domain.stats import PeriodKind, parse_date
from hallops.http.api import RouteTable, hall_of, json_response
from hallops.http.keys import USECASES
from hallops.http.web import JINJA, render
from hallops.reports import render as rendering

routes = RouteTable("reports")
SUPERVISORS = frozenset({Role.ADMIN, Role.MANAGER})
KINDS = {"day": PeriodKind.DAILY, "week": PeriodKind.WEEKLY, "month": PeriodKind.MONTHLY,
         "daily": PeriodKind.DAILY, "weekly": PeriodKind.WEEKLY, "monthly": PeriodKind.MONTHLY}
QUERY = (("period", "day | week | month (default: day)"),
         ("date", "a day of the period, YYYY-MM-DD (default: the hall's today)"))


def _asked(request: web.Request) -> tuple[PeriodKind, dt.date | None]:
    q = request.query
    kind = KINDS.get(q.get("period", "day"))
    if kind is None:
        raise InvalidInput(E.BAD_PERIOD, "period 应为 day、week 或 month (period: day, week or month)",
                           field="period")
    return kind, parse_date(q["date"], "date") if "date" in q else None


async def _briefing(request: web.Request, actor: Actor) -> dict[str, Any]:
    kind, day = _asked(request)
    return await request.app[USECASES].reports.district_briefing(actor, hall_of(request)["id"], kind, day)


@routes.get("/api/v1/halls/{hall}/district-briefing", summary="The briefing of a hall and every centre below it: "
            "a row per centre, the totals and the centres' ranking", roles=SUPERVISORS, query=QUERY)
async def district_briefing(request: web.Request, actor: Actor) -> web.Response:
    return json_response(await _briefing(request, actor))


@routes.get("/reports/{hall}/district", summary="The district briefing as a page", roles=SUPERVISORS, page=True,
            query=QUERY)
async def district_page(request: web.Request, actor: Actor) -> web.Response:
    hall = hall_of(request)
    d = await _briefing(request, actor)
    period = {"daily": "day", "weekly": "week", "monthly": "month"}[d["period"]["kind"]]
    return render(request, "reports/district.html", hall=hall, period=period,
                  date=request.query.get("date", d["period"]["from"]), links=True,
                  **rendering.district_context(d, hall["timezone"]))


@routes.get("/reports/{hall}/district.pdf", summary="The district briefing as PDF (A4 landscape, CJK font "
            "embedded)", roles=SUPERVISORS, page=True, query=QUERY)
async def district_pdf(request: web.Request, actor: Actor) -> web.Response:
    hall = hall_of(request)
    d = await _briefing(request, actor)
    pdf = await asyncio.to_thread(rendering.render_district_pdf, request.app[JINJA], d, hall["timezone"])
    name = f"district-{hall['code']}-{d['period']['kind']}-{d['period']['from']}.pdf"
    return web.Response(body=pdf, content_type="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="{name}"', "Cache-Control": "no-store"})
