"""The kiosk (touch screen): its page, the menu a citizen chooses from, the kiosk's own hall and printer, and
the managers' settings of the citizen-facing pages (check-in windows, phone-ticket limits, the console's
no-show rule, the public address) and of the kiosks' printers.

Kiosk authentication: the kiosk is a device with a kiosk token. The installer opens
`/kiosk/{hall}#token=hop_…` once: the fragment never leaves the browser (so the token is never in an access
log, a proxy log or a Referer), the page moves it to localStorage and wipes it from the address bar, and
sends it as `Authorization: Bearer` on every call. Bearer calls need no CSRF token (a browser never adds
them by itself), and the kiosk page itself is a public shell without secrets. A cookie would have needed a
device session type in the core, and a `?token=` query would be written to every access log.

Printing is in http/printing.py, the phone in http/phones.py, appointments in http/appointments.py.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aiohttp import web
from pydantic import Field, StrictBool, StrictInt, StrictStr, StringConstraints

from hallops.domain.actors import Actor
from hallops.domain.model import Role
from hallops.http.api import RouteTable, hall_of, json_response, path_int
from hallops.http.bodies import Body
from hallops.http.keys import USECASES
from hallops.http.web import render
from hallops.storage.views import iso
from hallops.usecases.kiosk import Kiosk

routes = RouteTable("kiosk")
TILES: list[dict[str, Any]] = []

KIOSK = frozenset({Role.KIOSK})
SUPERVISORS = frozenset({Role.ADMIN, Role.MANAGER})
STAFF = frozenset({Role.ADMIN, Role.MANAGER, Role.CLERK})


class CitizenSettings(Body):
    checkin_early_minutes: Annotated[StrictInt, Field(ge=0, le=240)] | None = None
    checkin_late_minutes: Annotated[StrictInt, Field(ge=0, le=240)] | None = None
    mobile_per_device_hour: Annotated[StrictInt, Field(ge=0, le=20)] | None = None
    mobile_per_address_hour: Annotated[StrictInt, Field(ge=1, le=10000)] | None = None
    mobile_enabled: StrictBool | None = None
    no_show_after_recalls_seconds: Annotated[StrictInt, Field(ge=0, le=1800)] | None = None
    search_integrated_first: StrictBool | None = None
    person_daily_limit: Annotated[StrictInt, Field(ge=0, le=50)] | None = None
    retention_days: Annotated[StrictInt, Field(ge=1, le=365)] | None = None
    sms_ahead_default: Annotated[StrictInt, Field(ge=1, le=20)] | None = None
    booking_days_ahead: Annotated[StrictInt, Field(ge=1, le=60)] | None = None
    booking_missed_limit: Annotated[StrictInt, Field(ge=0, le=20)] | None = None
    booking_missed_window_days: Annotated[StrictInt, Field(ge=1, le=365)] | None = None
    booking_block_days: Annotated[StrictInt, Field(ge=1, le=365)] | None = None
    public_base_url: Annotated[StrictStr, StringConstraints(
        pattern=r"^(https?://[A-Za-z0-9.:\[\]-]+(/[A-Za-z0-9._~/-]*)?)?$", max_length=200)] | None = None


class KioskPrinter(Body):
    mode: Literal["escpos", "browser", "none"]
    host: Annotated[StrictStr, StringConstraints(pattern=r"^[A-Za-z0-9.:-]*$", max_length=100)] = ""
    port: Annotated[StrictInt, Field(ge=1, le=65535)] = 9100


def _kiosk(request: web.Request) -> Kiosk:
    return request.app[USECASES].kiosk


def fallback_url(request: web.Request) -> str:
    """The address this request used: where phones reach us unless the hall set a public address."""
    return f"{request.scheme}://{request.host}"


# -- the kiosk -----------------------------------------------------------------------------------------

@routes.get("/kiosk/{hall}", summary="Kiosk page (touch screen); the device token comes in the URL fragment",
            roles=None, page=True)
async def kiosk_page(request: web.Request, actor: Actor | None) -> web.Response:
    return render(request, "kiosk/kiosk.html", hall=hall_of(request))


@routes.get("/api/v1/halls/{hall}/menu", summary="Public: queues by category with their service items and "
            "waiting counts, and the bundles (一件事一次办) with their steps (kiosk and phone menus)", roles=None)
async def menu(request: web.Request, actor: Actor | None) -> web.Response:
    layout, state, offered = await _kiosk(request).menu_sources(hall_of(request)["id"])
    return json_response(menu_json(layout, state, offered), headers={"Cache-Control": "no-store"})


def menu_json(layout: dict[str, Any], state: dict[str, Any], offered: list[dict[str, Any]]) -> dict[str, Any]:
    """The active queues by category, each with its active service items and how many wait; the bundles that
    can be issued, with how many wait at their first stop. The bundles' entry is a category marked
    `bundles`: the one whose queues are all bundle queues (the bundle windows'), else one of its own."""
    waiting = {q["prefix"]: q["waiting"] for q in state["queues"]}
    items: dict[str, list[str]] = {}
    for i in layout["service_items"]:
        if i["active"] and i["queue"]:
            items.setdefault(i["queue"], []).append(i["name"])
    queues = [{"prefix": q["prefix"], "name": q["name"], "name_en": q["name_en"], "category": q["category"],
               "category_en": q["category_en"], "kind": q["kind"], "hours": q["hours"],
               "waiting": waiting.get(q["prefix"], 0), "items": items.get(q["prefix"], [])}
              for q in layout["queues"] if q["active"]]
    cats: dict[str, dict[str, Any]] = {}
    for q in queues:
        c = cats.setdefault(q["category"] or "其他", {"zh": q["category"] or "其他", "en": q["category_en"] or "Other",
                                                      "queues": []})
        c["queues"].append(q["prefix"])
    bundles = [b | {"waiting": waiting.get(b["stops"][0], 0)} for b in offered if b["stops"]]
    if bundles:
        kinds = {q["prefix"]: q["kind"] for q in queues}
        home = next((c for c in cats.values() if all(kinds[p] == "bundle" for p in c["queues"])), None) or \
            cats.setdefault("一件事一次办", {"zh": "一件事一次办", "en": "One-stop bundles", "queues": []})
        home["bundles"] = True
    return {"hall": layout["hall"] | {"seq": state["seq"]}, "categories": list(cats.values()), "queues": queues,
            "bundles": bundles}


@routes.get("/api/v1/kiosk/me", summary="This kiosk: its hall and printer", roles=KIOSK,
            query=(("hall", "the hall's code or id, when the kiosk token is not bound to one"),))
async def kiosk_me(request: web.Request, actor: Actor) -> web.Response:
    kiosk = _kiosk(request)
    hall, printer = await kiosk.me(actor, request.query.get("hall"))
    return json_response({"hall": {k: hall[k] for k in ("id", "code", "name", "name_en")},
                          "printer": {"mode": printer["mode"]},
                          "base_url": await kiosk.base_url(hall["id"], fallback_url(request))})


# -- settings and printers (managers) ------------------------------------------------------------------

@routes.get("/api/v1/halls/{hall}/citizen-settings", summary="Check-in windows, phone-ticket limits, console "
            "no-show rule, public address", roles=STAFF)
async def get_settings(request: web.Request, actor: Actor) -> web.Response:
    return json_response(await _kiosk(request).settings(actor, hall_of(request)["id"]))


@routes.patch("/api/v1/halls/{hall}/citizen-settings", summary="Change the citizen settings", roles=SUPERVISORS,
              body=CitizenSettings)
async def patch_settings(request: web.Request, actor: Actor, body: CitizenSettings) -> web.Response:
    return json_response(await _kiosk(request).save_settings(actor, hall_of(request)["id"],
                                                             body.model_dump(exclude_none=True)))


@routes.get("/api/v1/halls/{hall}/kiosk-printers", summary="Kiosks with their printers and last faults",
            roles=SUPERVISORS)
async def list_printers(request: web.Request, actor: Actor) -> web.Response:
    kiosks = await _kiosk(request).printers(actor, hall_of(request)["id"])
    return json_response({"kiosks": [k | {"last_fault_at": iso(k["last_fault_at"])} for k in kiosks]})


@routes.add("PUT", "/api/v1/kiosk-printers/{token_id:\\d+}", summary="Set a kiosk's printer (by its token id)",
            roles=SUPERVISORS, body=KioskPrinter)
async def put_printer(request: web.Request, actor: Actor, body: KioskPrinter) -> web.Response:
    return json_response(await _kiosk(request).set_printer(actor, token_id=path_int(request, "token_id"),
                                                           mode=body.mode, host=body.host, port=body.port))


def setup(app: web.Application) -> None:
    """The kiosk has no background work: everything it does is a request."""
