"""Findings over HTTP: recording, changing, each step of a finding's life, remarks and photos.

Each handler parses, calls one use case (hallops/usecases/findings.py) and responds; the routes are served
from the manager feature's table (manager.py). The clerks' page and "my findings": findings_clerk.py.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from aiohttp import web
from pydantic import AfterValidator, AwareDatetime, Field, StrictStr, StringConstraints

from hallops.domain.actors import Actor
from hallops.domain.errors import E, InvalidInput
from hallops.domain.model import Role
from hallops.domain.patrols import MAX_PHOTO_BYTES, FindingAction, FindingStatus, Severity
from hallops.http.api import RouteTable, hall_of, json_response, path_int, query_int
from hallops.http.bodies import Body, Id, ShortText
from hallops.http.keys import USECASES
from hallops.wire import iso
from hallops.wire.findings import finding_detail_json, finding_json, photo_json

routes = RouteTable("findings")
SUPERVISORS = frozenset({Role.ADMIN, Role.MANAGER})
STAFF = frozenset({Role.ADMIN, Role.MANAGER, Role.CLERK})

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
    due_at: DueAt | None = Field(None, description="with its UTC offset; default: the end of the working day "
                                                   "the severity allows (minor 5, major 3, serious 1 working "
                                                   "days, counted from the day found; the hall may change them)")


class FindingNote(Body):
    note: LongText = Field("", description="what was done (rectify), why (reopen), an answer or remark")


class Comment(Body):
    note: Description


class FindingChange(Body):
    severity: Severity | None = None
    due_at: DueAt | None = Field(None, description="with its UTC offset")
    responsible: Id | None = None
    responsible_name: ShortText | None = None


# -- routes ----------------------------------------------------------------------------------------------

@routes.get("/api/v1/halls/{hall}/findings", summary="Findings (clerks: about their window or themselves)",
            roles=STAFF, query=(("status", "open | rectifying | rectified | verified | reopened"),
                                ("window", "window id"), ("overdue", "1: overdue only"),
                                ("open", "1: not yet verified")))
async def list_findings(request: web.Request, actor: Actor) -> web.Response:
    status = request.query.get("status")
    if status is not None and status not in set(FindingStatus):
        raise InvalidInput(E.BAD_QUERY, f"status 无效 (bad status {status!r})", field="status")
    out = await request.app[USECASES].findings.list(
        actor, int(hall_of(request)["id"]), status=FindingStatus(status) if status else None,
        window_id=query_int(request, "window", 0) or None, overdue=request.query.get("overdue") == "1",
        open_only=request.query.get("open") == "1")
    return json_response({"findings": [finding_json(f) for f in out]})


@routes.post("/api/v1/halls/{hall}/findings", summary="Record a finding (问题)", roles=SUPERVISORS,
             body=NewFinding, responses={201: "recorded"})
async def create_finding(request: web.Request, actor: Actor, body: NewFinding) -> web.Response:
    out = await request.app[USECASES].findings.open(actor, int(hall_of(request)["id"]), body.model_dump())
    return json_response(finding_json(out), status=201)


@routes.get("/api/v1/halls/{hall}/finding-dues", summary="By when a finding made now is due, per severity, "
            "when no date is given (working days on the hall's calendar)", roles=SUPERVISORS)
async def finding_dues(request: web.Request, actor: Actor) -> web.Response:
    out = await request.app[USECASES].findings.default_dues(actor, int(hall_of(request)["id"]))
    return json_response({sev: {"due_at": iso(d["due_at"]), "provisional": d["provisional"]}
                          for sev, d in out.items()})


@routes.get("/api/v1/findings/{finding_id:\\d+}", summary="A finding with its photos and history", roles=STAFF)
async def get_finding(request: web.Request, actor: Actor) -> web.Response:
    return json_response(finding_detail_json(await request.app[USECASES].findings.get(
        actor, path_int(request, "finding_id"))))


@routes.patch("/api/v1/findings/{finding_id:\\d+}", summary="Change severity, due date or who fixes it",
              roles=SUPERVISORS, body=FindingChange)
async def change_finding(request: web.Request, actor: Actor, body: FindingChange) -> web.Response:
    return json_response(finding_detail_json(await request.app[USECASES].findings.update(
        actor, path_int(request, "finding_id"), body.model_dump(exclude_unset=True))))


_ACTION_SUMMARY = {
    FindingAction.START: ("Begin rectifying (the person responsible answers)", STAFF),
    FindingAction.RECTIFY: ("Report the fix: what was done (note required)", STAFF),
    FindingAction.VERIFY: ("Verify the fix (managers; never one's own rectification)", SUPERVISORS),
    FindingAction.REOPEN: ("Send the fix back (note required)", SUPERVISORS),
}


def _finding_route(action: FindingAction) -> None:
    summary, roles = _ACTION_SUMMARY[action]

    async def handler(request: web.Request, actor: Actor, body: FindingNote) -> web.Response:
        return json_response(finding_detail_json(await request.app[USECASES].findings.act(
            actor, path_int(request, "finding_id"), action, body.note)))
    handler.__name__ = f"finding_{action.value}"
    routes.post(f"/api/v1/findings/{{finding_id:\\d+}}/{action.value}", summary=summary, roles=roles,
                body=FindingNote, responses={200: "the finding after the step", 409: "illegal now"})(handler)


for _action in FindingAction:
    _finding_route(_action)


@routes.post("/api/v1/findings/{finding_id:\\d+}/comment", summary="Answer or remark on a finding", roles=STAFF,
             body=Comment)
async def comment_finding(request: web.Request, actor: Actor, body: Comment) -> web.Response:
    return json_response(finding_detail_json(await request.app[USECASES].findings.comment(
        actor, path_int(request, "finding_id"), body.note)))


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
    photo = await request.app[USECASES].findings.add_photo(
        actor, path_int(request, "finding_id"), request.query.get("stage"),
        lambda: _read_limited(request, MAX_PHOTO_BYTES))
    return json_response(photo_json(photo), status=201)


@routes.get("/api/v1/finding-photos/{photo_id:\\d+}", summary="A finding's photo (staff who may see the finding)",
            roles=STAFF, responses={200: "the image"})
async def get_photo(request: web.Request, actor: Actor) -> web.StreamResponse:
    found = await request.app[USECASES].findings.photo_file(actor, path_int(request, "photo_id"))
    if found is None:
        raise web.HTTPNotFound()
    path, mime = found
    return web.FileResponse(path, headers={"Content-Type": mime, "Cache-Control": "private, max-age=86400",
                                           "X-Content-Type-Options": "nosniff", "Content-Disposition": "inline"})
