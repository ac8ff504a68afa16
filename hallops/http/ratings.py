"""好差评 over HTTP: the window's rating pad (page and API), the citizen's rating from the phone page, bad-rating
follow-ups and appeals, the working-day calendar and deadline settings, 办件编号, reporting upward and the
local fake province receiver. Handlers parse, call one use case (usecases/ratings.py) and respond.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from aiohttp import web
from pydantic import Field, StrictBool, StrictInt, StrictStr, StringConstraints

from hallops.background import Loop, register
from hallops.domain.actors import Actor
from hallops.domain.calendar import MAX_WORKING_DAYS, CountFrom
from hallops.domain.errors import E, InvalidInput
from hallops.domain.model import Role
from hallops.domain.ratings import MAX_COMMENT, FollowupAction, Level
from hallops.http.api import RouteTable, hall_of, json_response, path_int
from hallops.http.bodies import Body, Id
from hallops.http.keys import USECASES
from hallops.http.web import render

routes = RouteTable("ratings")
SUPERVISORS = frozenset({Role.ADMIN, Role.MANAGER})
STAFF = frozenset({Role.ADMIN, Role.MANAGER, Role.CLERK})
ADMIN = frozenset({Role.ADMIN})
PAD = frozenset({Role.RATING_PAD})
TILES: list[dict[str, Any]] = [{"zh": "好差评与咨询投诉", "en": "Ratings & cases", "href": "/quality/{hall}",
                                "roles": {Role.ADMIN.value, Role.MANAGER.value, Role.CLERK.value}}]
FAKE_PROVINCE = web.AppKey("fake_province", list)

Comment = Annotated[StrictStr, StringConstraints(strip_whitespace=True, max_length=MAX_COMMENT)]
Note = Annotated[StrictStr, StringConstraints(strip_whitespace=True, max_length=2000)]
ItemCode = Annotated[StrictStr, StringConstraints(min_length=1, max_length=64)]
Score = Annotated[StrictInt, Field(ge=1, le=5)]
CaseNumber = Annotated[StrictStr, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9\-_]{4,64}$")]


class RatingBody(Body):
    level: Level
    indicators: dict[str, Score] = Field(default_factory=dict, description="efficiency, attitude, competence, "
                                                                            "convenience: 1–5 each")
    reasons: list[Annotated[StrictStr, StringConstraints(max_length=32)]] = Field(default_factory=list,
                                                                                  max_length=10)
    comment: Comment = ""
    item: ItemCode | None = Field(None, description="the item's code, to rate one item of a visit (一事一评)")


class PadRating(RatingBody):
    ticket: Id


class FollowupStep(Body):
    note: Note = ""
    way: Annotated[StrictStr, StringConstraints(max_length=16)] = Field("", description="answer: phone | sms | "
                                                                                        "visit | onsite")
    result: Annotated[StrictStr, StringConstraints(max_length=16)] = Field(
        "", description="answer: satisfied | basic | dissatisfied | unreachable")


class SettingsChange(Body):
    consultation_days: Annotated[StrictInt, Field(ge=1, le=MAX_WORKING_DAYS)] | None = None
    complex_days: Annotated[StrictInt, Field(ge=1, le=MAX_WORKING_DAYS)] | None = None
    followup_days: Annotated[StrictInt, Field(ge=1, le=MAX_WORKING_DAYS)] | None = None
    count_from: CountFrom | None = None
    # a patrol finding given no due date: working days by severity, and how they are counted
    finding_minor_days: Annotated[StrictInt, Field(ge=1, le=MAX_WORKING_DAYS)] | None = None
    finding_major_days: Annotated[StrictInt, Field(ge=1, le=MAX_WORKING_DAYS)] | None = None
    finding_serious_days: Annotated[StrictInt, Field(ge=1, le=MAX_WORKING_DAYS)] | None = None
    finding_count_from: CountFrom | None = None
    rating_limit_minutes: Annotated[StrictInt, Field(ge=1, le=60 * 24 * 30)] | None = None
    pad_minutes: Annotated[StrictInt, Field(ge=1, le=120)] | None = None
    scan_at: Annotated[StrictStr, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")] | None = None
    province_url: Annotated[StrictStr, StringConstraints(pattern=r"^(https?://\S{1,500})?$")] | None = None
    province_token: Annotated[StrictStr, StringConstraints(max_length=500)] | None = None
    rating_weight: Annotated[StrictInt, Field(ge=0, le=100)] | None = None
    wait_weight: Annotated[StrictInt, Field(ge=0, le=100)] | None = None
    finding_weight: Annotated[StrictInt, Field(ge=0, le=100)] | None = None
    case_weight: Annotated[StrictInt, Field(ge=0, le=100)] | None = None


class CalendarDay(Body):
    day: dt.date
    workday: StrictBool | None = Field(description="true: worked (make-up day), false: day off, null: remove")
    note: Annotated[StrictStr, StringConstraints(max_length=200)] = ""


class CalendarYear(Body):
    year: Annotated[StrictInt, Field(ge=2000, le=2099)]
    confirmed: StrictBool = Field(description="the hall has entered this year's days off and make-up days")
    note: Annotated[StrictStr, StringConstraints(max_length=200)] = ""


class CalendarChange(Body):
    days: list[CalendarDay] = Field(default_factory=list, max_length=400)
    years: list[CalendarYear] = Field(default_factory=list, max_length=10)


class DepartmentHead(Body):
    user: Id | None


class CaseNumbers(Body):
    case_number: CaseNumber | None = Field(None, description="办件编号 of the visit")
    items: dict[Annotated[StrictStr, StringConstraints(min_length=1, max_length=64)], CaseNumber] = Field(
        default_factory=dict, description="办件编号 per item code, where one visit handled several")


def _uc(request: web.Request) -> Any:
    return request.app[USECASES].ratings


# -- the rating pad ---------------------------------------------------------------------------------------------

@routes.get("/pad/{hall}", summary="The window's rating pad (好差评器): a device page, token in the fragment",
            roles=None, page=True)
async def pad_page(request: web.Request, actor: Actor | None) -> web.Response:
    return render(request, "ratings/pad.html", hall=hall_of(request))


@routes.get("/api/v1/rating-pad", summary="What the pad shows now: its window and the visit to rate, if any",
            roles=PAD)
async def pad_state(request: web.Request, actor: Actor) -> web.Response:
    return json_response(await _uc(request).pad(actor))


@routes.post("/api/v1/rating-pad/ratings", summary="Rate the visit the pad offers (only that window's visits)",
             roles=PAD, body=PadRating, responses={201: "rated", 409: "not finished, already rated or too late"})
async def pad_rate(request: web.Request, actor: Actor, body: PadRating) -> web.Response:
    spec = body.model_dump(exclude={"ticket"})
    return json_response(await _uc(request).rate_on_pad(actor, body.ticket, spec), status=201)


# -- the citizen's phone (the phone ticket page and the slip's QR code open it) ---------------------------------

@routes.get("/api/v1/ticket-status/{token}/rating", summary="Public: may this visit be rated, and what was rated",
            roles=None)
async def phone_state(request: web.Request, actor: Actor | None) -> web.Response:
    return json_response(await _uc(request).by_token(actor, request.match_info["token"]))


@routes.post("/api/v1/ticket-status/{token}/rating", summary="Public: the citizen rates their visit (or one item)",
             roles=None, body=RatingBody, responses={201: "rated", 403: "staff cannot rate", 409: "refused"})
async def phone_rate(request: web.Request, actor: Actor | None, body: RatingBody) -> web.Response:
    return json_response(await _uc(request).rate_by_token(actor, request.match_info["token"], body.model_dump()),
                         status=201)


@routes.get("/r/{token}", summary="The citizen's rating page (the slip's QR code)", roles=None, page=True)
async def phone_page(request: web.Request, actor: Actor | None) -> web.Response:
    return render(request, "ratings/phone.html", token=request.match_info["token"])


# -- ratings, follow-ups and appeals --------------------------------------------------------------------------------

def _day(request: web.Request, name: str, default: dt.date) -> dt.date:
    v = request.query.get(name)
    if v is None:
        return default
    try:
        return dt.date.fromisoformat(v)
    except ValueError:
        raise InvalidInput(E.BAD_DATE, f"日期格式应为 YYYY-MM-DD ({name} must be YYYY-MM-DD)", field=name) from None


@routes.get("/api/v1/halls/{hall}/ratings", summary="Ratings of a period (managers)", roles=SUPERVISORS,
            query=(("from", "YYYY-MM-DD"), ("to", "YYYY-MM-DD"), ("bad", "1: bad ones only"), ("window", "window id")))
async def list_ratings(request: web.Request, actor: Actor) -> web.Response:
    hall = hall_of(request)
    today = dt.datetime.fromtimestamp(request.app[USECASES].ctx.clock(), ZoneInfo(hall["timezone"])).date()
    frm, to = _day(request, "from", today - dt.timedelta(days=30)), _day(request, "to", today)
    window = request.query.get("window")
    out = await _uc(request).list_ratings(actor, int(hall["id"]), frm, to, bad_only=request.query.get("bad") == "1",
                                          window_id=int(window) if window and window.isdigit() else None)
    return json_response({"ratings": out})


@routes.get("/api/v1/halls/{hall}/followups", summary="Bad-rating follow-ups (clerks: theirs and their department's)",
            roles=STAFF, query=(("open", "1: not closed"),))
async def list_followups(request: web.Request, actor: Actor) -> web.Response:
    return json_response({"followups": await _uc(request).followups(actor, int(hall_of(request)["id"]),
                                                                    open_only=request.query.get("open") == "1")})


@routes.get("/api/v1/followups/{followup_id:\\d+}", summary="A follow-up with the visit's evidence and its log",
            roles=STAFF)
async def get_followup(request: web.Request, actor: Actor) -> web.Response:
    return json_response(await _uc(request).followup(actor, path_int(request, "followup_id")))


def _followup_route(action: FollowupAction) -> None:
    async def handler(request: web.Request, actor: Actor, body: FollowupStep) -> web.Response:
        return json_response(await _uc(request).followup_act(actor, path_int(request, "followup_id"), action,
                                                             body.note, body.way, body.result))
    handler.__name__ = f"followup_{action.value}"
    routes.post(f"/api/v1/followups/{{followup_id:\\d+}}/{action.value}", summary=f"Follow-up step: {action.value}",
                roles=STAFF, body=FollowupStep, responses={409: "illegal now"})(handler)


for _a in FollowupAction:
    _followup_route(_a)


# -- settings, calendar, department heads, 办件编号 --------------------------------------------------------------

@routes.get("/api/v1/halls/{hall}/quality-settings", summary="Deadlines, time limits, scan time, province endpoint",
            roles=SUPERVISORS)
async def get_settings(request: web.Request, actor: Actor) -> web.Response:
    return json_response(await _uc(request).settings(actor, int(hall_of(request)["id"])))


@routes.patch("/api/v1/halls/{hall}/quality-settings", summary="Change them (admins)", roles=ADMIN,
              body=SettingsChange)
async def patch_settings(request: web.Request, actor: Actor, body: SettingsChange) -> web.Response:
    return json_response(await _uc(request).save_settings(actor, int(hall_of(request)["id"]),
                                                          body.model_dump(exclude_none=True)))


@routes.get("/api/v1/halls/{hall}/calendar", summary="The year's days off and make-up days, and the overrides",
            roles=STAFF, query=(("year", "YYYY (default: this year)"),))
async def get_calendar(request: web.Request, actor: Actor) -> web.Response:
    year = request.query.get("year", "")
    y = int(year) if year.isdigit() and 2000 <= int(year) <= 2099 else dt.date.today().year
    return json_response(await _uc(request).calendar(actor, int(hall_of(request)["id"]), y))


@routes.post("/api/v1/halls/{hall}/calendar", summary="Override days (a local closure, a year not yet published) "
             "and confirm years (admins)", roles=ADMIN, body=CalendarChange)
async def set_calendar(request: web.Request, actor: Actor, body: CalendarChange) -> web.Response:
    return json_response(await _uc(request).set_calendar(actor, int(hall_of(request)["id"]),
                                                         [d.model_dump() for d in body.days],
                                                         [y.model_dump() for y in body.years]))


@routes.get("/api/v1/halls/{hall}/deadline", summary="When is something received on a day due (preview)",
            roles=STAFF, query=(("received", "YYYY-MM-DD"), ("kind", "consultation | complex | followup"),
                                ("days", "working days (default: the hall's for the kind)")))
async def deadline(request: web.Request, actor: Actor) -> web.Response:
    kind = request.query.get("kind", "consultation")
    if kind not in ("consultation", "complex", "followup"):
        raise InvalidInput(E.BAD_QUERY, "kind 无效 (bad kind)", field="kind")
    days = request.query.get("days", "")
    received = _day(request, "received", dt.date.today())
    return json_response(await _uc(request).deadline(actor, int(hall_of(request)["id"]), received,
                                                     int(days) if days.isdigit() else None, kind))


@routes.post("/api/v1/halls/{hall}/departments/{department_id:\\d+}/head", summary="Set the department's head "
             "(who shares its bad ratings' follow-ups)", roles=ADMIN, body=DepartmentHead, responses={204: "set"})
async def set_head(request: web.Request, actor: Actor, body: DepartmentHead) -> web.Response:
    await _uc(request).set_department_head(actor, int(hall_of(request)["id"]), path_int(request, "department_id"),
                                           body.user)
    return web.Response(status=204)


@routes.post("/api/v1/tickets/{ticket_id:\\d+}/case-numbers", summary="办件编号 of a finished visit (or its items)",
             roles=STAFF, body=CaseNumbers)
async def case_numbers(request: web.Request, actor: Actor, body: CaseNumbers) -> web.Response:
    numbers = dict(body.items)
    if body.case_number:
        numbers[""] = body.case_number
    if not numbers:
        raise InvalidInput(E.BAD_CASE_NUMBER, "请填写办件编号 (give a case number)", field="case_number")
    out = await _uc(request).set_case_numbers(actor, path_int(request, "ticket_id"), numbers)
    return json_response({"case_number": out.pop("", None), "items": out})


# -- reporting upward ----------------------------------------------------------------------------------------------

@routes.get("/api/v1/halls/{hall}/quality-deliveries", summary="Messages to the province and the work group, with "
            "their delivery state", roles=SUPERVISORS)
async def deliveries(request: web.Request, actor: Actor) -> web.Response:
    return json_response({"deliveries": await _uc(request).deliveries(actor, int(hall_of(request)["id"]))})


@routes.post("/api/v1/halls/{hall}/quality-deliveries/{delivery_id:\\d+}/retry", summary="Send a failed one again",
             roles=SUPERVISORS, responses={204: "queued"})
async def retry(request: web.Request, actor: Actor) -> web.Response:
    await _uc(request).retry_delivery(actor, int(hall_of(request)["id"]), path_int(request, "delivery_id"))
    request.app[DELIVERY_LOOP].wake()
    return web.Response(status=204)


@routes.post("/fake-province/evaluations", summary="A local stand-in for the province's 好差评 system (demo, "
             "tests): keeps what it is sent; ?fail=1 answers 503", roles=None)
async def fake_province(request: web.Request, actor: Actor | None) -> web.Response:
    if request.query.get("fail") == "1":
        return web.Response(status=503, text="unavailable")
    request.app[FAKE_PROVINCE].append({"headers": {"idempotency_key": request.headers.get("Idempotency-Key"),
                                                   "token": bool(request.headers.get("X-Auth-Token"))},
                                       "body": await request.json()})
    return json_response({"code": 0, "message": "ok"})


@routes.get("/fake-province/evaluations", summary="What the fake receiver was sent", roles=SUPERVISORS)
async def fake_province_list(request: web.Request, actor: Actor) -> web.Response:
    return json_response({"received": request.app[FAKE_PROVINCE]})


DELIVERY_LOOP = web.AppKey("quality_delivery_loop", Loop)


def setup(app: web.Application) -> None:
    """Background loops: reporting upward and to the work group, and recording unrated visits."""
    uc = app[USECASES].ratings
    app[FAKE_PROVINCE] = []
    app[DELIVERY_LOOP] = register(app, Loop("quality-delivery", 5.0, uc.deliver_due))
    register(app, Loop("ratings-unrated", 300.0, uc.expire_unrated, delay_first=True))

    async def close_session(app: web.Application) -> None:
        await uc.close()
    app.on_cleanup.append(close_session)
