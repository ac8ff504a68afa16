"""Changing the hall model, staff accounts and tokens (admins; managers may edit a hall's notice), archiving
("delete"), the item-list import, bundles, and the audit log: the admin console's API (issue 13)."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import qrcode
import qrcode.image.svg
from aiohttp import web

from hallops.domain.actors import Actor
from hallops.domain.errors import E, InvalidInput
from hallops.domain.item_import import MAX_BYTES
from hallops.domain.model import Role
from hallops.http import admin_bodies as ab
from hallops.http import bodies
from hallops.http.api import RouteTable, hall_of, json_response, path_int, query_int
from hallops.http.keys import USECASES
from hallops.http.tickets import idempotency
from hallops.usecases.audit import parse_when

routes = RouteTable("admin")
ADMIN = frozenset({Role.ADMIN})
SUPERVISORS = frozenset({Role.ADMIN, Role.MANAGER})
ISSUERS = frozenset({Role.ADMIN, Role.MANAGER, Role.CLERK, Role.KIOSK})


@routes.post("/api/v1/halls", summary="Create a hall", roles=ADMIN, body=bodies.HallSpec, responses={201: "created"})
async def create_hall(request: web.Request, actor: Actor, body: bodies.HallSpec) -> web.Response:
    hall = await request.app[USECASES].layout.create_hall(actor, body.model_dump(mode="json"))
    return json_response(hall, status=201)


@routes.patch("/api/v1/halls/{hall}", summary="Change a hall (managers: the notice only)", roles=SUPERVISORS,
              body=bodies.HallChange)
async def update_hall(request: web.Request, actor: Actor, body: bodies.HallChange) -> web.Response:
    hall = await request.app[USECASES].layout.update_hall(actor, hall_of(request)["id"], bodies.changes(body))
    return json_response(hall)


def _create(path: str, kind: str, body_model: type[bodies.Body], summary: str) -> None:
    async def handler(request: web.Request, actor: Actor, body: bodies.Body) -> web.Response:
        obj = await request.app[USECASES].layout.create(actor, kind, hall_of(request)["id"],
                                                        body.model_dump(mode="json"))
        return json_response(obj, status=201)
    handler.__name__ = f"create_{kind}"
    routes.post(f"/api/v1/halls/{{hall}}/{path}", summary=summary, roles=ADMIN, body=body_model,
                responses={201: "created"})(handler)


def _update(path: str, kind: str, body_model: type[bodies.Body], summary: str) -> None:
    async def handler(request: web.Request, actor: Actor, body: bodies.Body) -> web.Response:
        obj = await request.app[USECASES].layout.update(actor, kind, path_int(request, "obj_id"),
                                                        bodies.changes(body))
        return json_response(obj)
    handler.__name__ = f"update_{kind}"
    routes.patch(f"/api/v1/{path}/{{obj_id:\\d+}}", summary=summary, roles=ADMIN, body=body_model)(handler)


_create("departments", "departments", bodies.DepartmentSpec, "Add a department")
_update("departments", "departments", ab.DepartmentChange, "Change a department")
_create("queues", "queues", bodies.QueueSpec, "Add a queue (业务类型)")
_update("queues", "queues", bodies.QueueChange, "Change a queue")
_create("service-items", "service_items", ab.ServiceItemSpec, "Add a service item (事项)")
_update("service-items", "service_items", ab.ServiceItemChange, "Change a service item")
_create("windows", "windows", bodies.WindowSpec, "Add a window")
_update("windows", "windows", bodies.WindowChange, "Change a window and its queues")
_create("bundles", "bundles", ab.BundleSpec, "Add a bundle (一件事一次办): items served window after window")
_update("bundles", "bundles", ab.BundleChange, "Change a bundle")


def _archive(path: str, kind: str) -> None:
    async def handler(request: web.Request, actor: Actor) -> web.Response:
        obj = await request.app[USECASES].layout.archive(actor, kind, path_int(request, "obj_id"))
        return json_response(obj)
    handler.__name__ = f"archive_{kind}"
    routes.delete(f"/api/v1/{path}/{{obj_id:\\d+}}", roles=ADMIN,
                  summary=f"Delete (archive) a {kind[:-1]}: history keeps its name; refused when it would break "
                          "the day")(handler)


for _path, _kind in (("departments", "departments"), ("queues", "queues"), ("service-items", "service_items"),
                     ("windows", "windows"), ("bundles", "bundles")):
    _archive(_path, _kind)


@routes.post("/api/v1/bundles/{bundle_id:\\d+}/tickets", roles=ISSUERS, body=ab.BundleTicket,
             summary="Issue a bundle's ticket (一件事一次办): finished at each stop, it goes on to the next with its "
                     "number; retry-safe with an Idempotency-Key header",
             responses={201: "issued", 200: "the same ticket again, for a repeated Idempotency-Key"})
async def issue_bundle_ticket(request: web.Request, actor: Actor, body: ab.BundleTicket) -> web.Response:
    bundle_id = path_int(request, "bundle_id")
    ticket, created = await request.app[USECASES].bundles.issue(
        actor, bundle_id, channel=body.channel, priority=body.priority,
        idempotency=idempotency(request, actor, f"bundle {bundle_id} {body.model_dump_json()}"))
    return json_response(ticket, status=201 if created else 200,
                         headers=None if created else {"Idempotent-Replayed": "true"})


@routes.get("/api/v1/halls/{hall}/admin", summary="The hall's model as the console edits it (archived included)",
            roles=ADMIN)
async def admin_view(request: web.Request, actor: Actor) -> web.Response:
    return json_response(await request.app[USECASES].layout.admin_view(actor, int(hall_of(request)["id"])))


@routes.post("/api/v1/halls/{hall}/service-items/import", roles=ADMIN,
             summary="Import the item list (body: the CSV or XLSX file); ?apply=1 applies, else a dry run",
             query=(("filename", "the file's name (.csv or .xlsx)"), ("apply", "1: apply; 0 (default): dry run")),
             responses={200: "the plan (dry run) or the counts (applied)"})
async def import_items(request: web.Request, actor: Actor) -> web.Response:
    data = await _read_upload(request)
    out = await request.app[USECASES].layout.import_items(
        actor, int(hall_of(request)["id"]), request.query.get("filename", ""), data,
        apply=query_int(request, "apply", 0, hi=1) == 1)
    return json_response(out)


async def _read_upload(request: web.Request) -> bytes:
    """The raw body up to the import limit (larger than the app's JSON limit: a whole centre's list)."""
    buf = io.BytesIO()
    async for chunk in request.content.iter_chunked(64 * 1024):
        buf.write(chunk)
        if buf.tell() > MAX_BYTES:
            raise InvalidInput(E.IMPORT_TOO_LARGE, f"文件超过 {MAX_BYTES // 1024 // 1024} MB (the file is larger "
                                                   f"than {MAX_BYTES // 1024 // 1024} MB)")
    return buf.getvalue()


@routes.get("/api/v1/users", summary="Staff accounts", roles=ADMIN)
async def list_users(request: web.Request, actor: Actor) -> web.Response:
    return json_response({"users": await request.app[USECASES].accounts.users(actor)})


@routes.post("/api/v1/users", summary="Add a staff account", roles=ADMIN, body=ab.UserSpec,
             responses={201: "created"})
async def add_user(request: web.Request, actor: Actor, body: ab.UserSpec) -> web.Response:
    user = await request.app[USECASES].accounts.add_user(
        actor, username=body.username, display_name=body.display_name, role=body.role, password=body.password,
        hall=body.hall, window=body.window, must_change=body.must_change_password)
    return json_response(user, status=201)


@routes.get("/api/v1/users/{user_id:\\d+}", summary="One staff account", roles=ADMIN)
async def get_user(request: web.Request, actor: Actor) -> web.Response:
    return json_response(await request.app[USECASES].accounts.user(actor, path_int(request, "user_id")))


@routes.patch("/api/v1/users/{user_id:\\d+}", summary="Change a staff account's name, role, hall or window scope",
              roles=ADMIN, body=ab.UserChange)
async def change_user(request: web.Request, actor: Actor, body: ab.UserChange) -> web.Response:
    changes = {k: v for k, v in body.model_dump(mode="json", exclude_unset=True).items()
               if v is not None or k in ab.NULLABLE_USER}
    return json_response(await request.app[USECASES].accounts.update_user(actor, path_int(request, "user_id"),
                                                                           changes))


@routes.post("/api/v1/users/{user_id:\\d+}/disable", roles=ADMIN, body=ab.Empty,
             summary="Disable an account: its sessions and tokens stop at once; its history stays")
async def disable_user(request: web.Request, actor: Actor, body: ab.Empty) -> web.Response:
    return json_response(await request.app[USECASES].accounts.set_active(actor, path_int(request, "user_id"), False))


@routes.post("/api/v1/users/{user_id:\\d+}/enable", summary="Enable a disabled account", roles=ADMIN,
             body=ab.Empty)
async def enable_user(request: web.Request, actor: Actor, body: ab.Empty) -> web.Response:
    return json_response(await request.app[USECASES].accounts.set_active(actor, path_int(request, "user_id"), True))


@routes.post("/api/v1/users/{user_id:\\d+}/reset-password", roles=ADMIN, body=ab.Empty,
             summary="A one-time code and link for the user to set a new password (never a password)")
async def reset_password(request: web.Request, actor: Actor, body: ab.Empty) -> web.Response:
    out = await request.app[USECASES].accounts.reset_password(actor, path_int(request, "user_id"))
    return json_response(out | {"link": f"{request.scheme}://{request.host}{out['link']}"})


@routes.post("/api/v1/users/{user_id:\\d+}/force-password-change", roles=ADMIN, body=ab.Empty,
             summary="Make the user change their password at their next sign-in")
async def force_password_change(request: web.Request, actor: Actor, body: ab.Empty) -> web.Response:
    return json_response(await request.app[USECASES].accounts.force_password_change(actor,
                                                                                    path_int(request, "user_id")))


@routes.get("/api/v1/tokens", summary="Device and script tokens (never their secrets), with their last use",
            roles=ADMIN)
async def list_tokens(request: web.Request, actor: Actor) -> web.Response:
    return json_response({"tokens": await request.app[USECASES].accounts.tokens(actor)})


@routes.post("/api/v1/tokens", summary="Create a token; its secret is shown once (with a QR code to pair a device)",
             roles=ADMIN, body=ab.TokenSpec, responses={201: "created; body has token, pair_url and qr_svg"})
async def create_token(request: web.Request, actor: Actor, body: ab.TokenSpec) -> web.Response:
    token, info = await request.app[USECASES].accounts.create_token(actor, role=body.role, hall=body.hall,
                                                                   window=body.window, label=body.label,
                                                                   user=body.user)
    url = pair_url(request, info, token)
    return json_response(info | {"token": token, "pair_url": url, "qr_svg": _qr(url or token)}, status=201)


def pair_url(request: web.Request, info: dict[str, Any], token: str) -> str | None:
    """The address a device opens once to pair (the token in the fragment, never sent to a server log)."""
    base = f"{request.scheme}://{request.host}"
    hall = info.get("hall_id")
    if hall is None:
        return None
    if info["role"] == Role.KIOSK:
        return f"{base}/kiosk/{hall}#token={token}"
    if info["role"] == Role.DISPLAY:
        return f"{base}/displays/{hall}/lobby?token={token}"
    if info["role"] == Role.RATING_PAD:
        return f"{base}/pad/{hall}#token={token}"
    return None


def _qr(data: str) -> str:
    img = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    out = img.to_string()
    return out.decode() if isinstance(out, bytes) else str(out)


@routes.delete("/api/v1/tokens/{token_id:\\d+}", summary="Revoke a token", roles=ADMIN,
               responses={204: "revoked"})
async def revoke_token(request: web.Request, actor: Actor) -> web.Response:
    await request.app[USECASES].accounts.revoke_token(actor, path_int(request, "token_id"))
    return web.Response(status=204)


# -- the audit log ------------------------------------------------------------------------------------------

AUDIT_QUERY = (("action", "an action or its start: user. / window.update / signin.failed"),
               ("actor", "part of who acted"), ("target", "what kind of object: user, window, token …"),
               ("since", "YYYY-MM-DD (Shanghai) or an ISO time"), ("until", "YYYY-MM-DD (inclusive) or an ISO time"),
               ("q", "part of the summary"), ("hall", "a hall id"), ("before_id", "paging: older than this id"),
               ("limit", "1–500 (default 100)"))


def _filters(request: web.Request) -> dict[str, Any]:
    q = request.query
    try:
        since, until = parse_when(q.get("since")), parse_when(q.get("until"), end=True)
    except ValueError as e:
        raise InvalidInput(E.BAD_DATE, "日期格式应为 YYYY-MM-DD (dates as YYYY-MM-DD)", field="since") from e
    hall = query_int(request, "hall", 0)
    before = query_int(request, "before_id", 0)
    return {"action": q.get("action") or None, "actor": q.get("actor") or None,
            "target_kind": q.get("target") or None, "since": since, "until": until, "text": q.get("q") or None,
            "hall_id": hall or None, "before_id": before or None}


@routes.get("/api/v1/audit", summary="The audit log, newest first, filtered", roles=ADMIN, query=AUDIT_QUERY)
async def audit_log(request: web.Request, actor: Actor) -> web.Response:
    rows = await request.app[USECASES].audit.entries(actor, _filters(request), query_int(request, "limit", 100,
                                                                                         lo=1, hi=500))
    return json_response({"entries": rows, "next_before_id": rows[-1]["id"] if rows else None})


@routes.get("/api/v1/audit/export", summary="The audit log as CSV or XLSX (?format=xlsx)", roles=ADMIN,
            query=(*AUDIT_QUERY[:-2], ("format", "csv (default) or xlsx")))
async def audit_export(request: web.Request, actor: Actor) -> web.Response:
    fmt = request.query.get("format", "csv")
    if fmt not in ("csv", "xlsx"):
        raise InvalidInput(E.BAD_QUERY, "format 应为 csv 或 xlsx (format: csv or xlsx)", field="format")
    data, media = await request.app[USECASES].audit.export(actor, _filters(request), fmt)
    name = f"hallops-audit-{dt.date.today().isoformat()}.{fmt}"
    return web.Response(body=data, headers={"Content-Type": media,
                                            "Content-Disposition": f'attachment; filename="{name}"'})
