"""Declaring an API route once: path, method, roles, request body model and summary.

The same declarations build the aiohttp router, enforce roles and parse bodies (in `wrap`), and
describe the API as OpenAPI (`openapi_document`), so the document cannot drift from what is served.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from aiohttp import web
from pydantic import BaseModel, ValidationError

from hallops.domain.actors import Actor
from hallops.domain.errors import E, Forbidden, InvalidInput, NotFound, Unauthorized, UnsupportedMediaType
from hallops.domain.model import Role
from hallops.http.keys import ACTOR_KEY, HALL_KEY, USECASES

RouteHandler = Callable[..., Awaitable[web.StreamResponse]]
MAX_ID = 2**63 - 1
_HALL_REF = re.compile(r"[0-9]{1,19}|[a-z0-9][a-z0-9-]{0,63}")  # an id, or a code as storage/layout.py takes
# What any request may carry, checked once for every route (`check_input`), before a handler sees it.
MAX_DEPTH = 32  # nesting of a JSON body: the deepest real body is 4
MIN_INT, MAX_INT = -(2**63), 2**63 - 1  # what both databases store
FIRST_YEAR, LAST_YEAR = 1970, 2200  # dates a hall can mean; year 1 or 9999 only breaks date arithmetic
MAX_QUERY_VALUE = 2000
# A whole date (year, month and day, maybe a time): "1111-11" is an appointment code, not a date.
_DATE_LIKE = re.compile(r"(\d{4,})-\d{1,2}-\d{1,2}(?:[T ].*)?", re.ASCII)


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: RouteHandler
    name: str
    summary: str
    roles: frozenset[Role] | None  # None: public
    body: type[BaseModel] | None = None
    tag: str = "api"
    responses: dict[int, str] = field(default_factory=dict)
    query: tuple[tuple[str, str], ...] = ()  # (name, description)
    page: bool = False  # an HTML page: an anonymous visitor is sent to the sign-in page, not given 401


class RouteTable:
    """Collects the routes of one handler module."""

    def __init__(self, tag: str) -> None:
        self.tag = tag
        self.routes: list[Route] = []

    def add(self, method: str, path: str, *, summary: str, roles: Iterable[Role] | None,
            body: type[BaseModel] | None = None, responses: dict[int, str] | None = None,
            query: tuple[tuple[str, str], ...] = (), page: bool = False,
            ) -> Callable[[RouteHandler], RouteHandler]:
        def deco(fn: RouteHandler) -> RouteHandler:
            self.routes.append(Route(method, path, fn, f"{self.tag}.{fn.__name__}", summary,
                                     frozenset(roles) if roles is not None else None, body, self.tag,
                                     responses or {}, query, page))
            return fn
        return deco

    def get(self, path: str, **kw: Any) -> Callable[[RouteHandler], RouteHandler]:
        return self.add("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> Callable[[RouteHandler], RouteHandler]:
        return self.add("POST", path, **kw)

    def patch(self, path: str, **kw: Any) -> Callable[[RouteHandler], RouteHandler]:
        return self.add("PATCH", path, **kw)

    def delete(self, path: str, **kw: Any) -> Callable[[RouteHandler], RouteHandler]:
        return self.add("DELETE", path, **kw)


def require_actor(request: web.Request, roles: frozenset[Role] | None) -> Actor | None:
    actor: Actor | None = request.get(ACTOR_KEY)
    if roles is None:
        return actor
    if actor is None:
        raise Unauthorized(E.UNAUTHENTICATED, "请先登录或提供令牌 (sign in or send a bearer token)")
    if actor.role not in roles:
        raise Forbidden(E.FORBIDDEN,
                        f"角色 {actor.role.value} 无权执行此操作 (role {actor.role.value} may not do this)")
    return actor


async def parse_body(request: web.Request, model: type[BaseModel]) -> BaseModel:
    """JSON only (a form cannot post JSON cross-site without a preflight); empty means {}."""
    raw = await request.read()
    if not raw.strip():
        data: Any = {}
    else:
        if request.content_type != "application/json":
            raise UnsupportedMediaType(E.UNSUPPORTED_MEDIA_TYPE,
                                       "请求体须为 JSON (send Content-Type: application/json)")
        try:
            data = json.loads(raw)
        except RecursionError:
            raise _too_deep() from None
        except (ValueError, UnicodeDecodeError) as e:
            raise InvalidInput(E.BAD_JSON, f"请求体不是有效的 JSON (body is not valid JSON: {e})") from None
    if not isinstance(data, dict):
        raise InvalidInput(E.BAD_JSON, "请求体须为 JSON 对象 (body must be a JSON object)")
    check_json(data)
    try:
        parsed = model.model_validate(data)
    except ValidationError as e:
        errors = _field_errors(e)
        first = errors[0]
        raise InvalidInput(E.INVALID_INPUT, f"参数无效：{first['field']} — {first['message']} (invalid input)",
                           errors=errors) from None
    check_dates(parsed.model_dump(), "")
    return parsed


def _too_deep() -> InvalidInput:
    return InvalidInput(E.JSON_TOO_DEEP, f"请求体嵌套过深 (JSON nested deeper than {MAX_DEPTH})", limit=MAX_DEPTH)


def _out_of_range(field: str, what: str) -> InvalidInput:
    return InvalidInput(E.OUT_OF_RANGE, f"参数超出范围：{field or '(body)'} (out of range: {what})", field=field)


def check_json(data: Any) -> None:
    """Every body, before its model sees it: nesting at most MAX_DEPTH, integers that fit 64 bits, finite
    numbers, dates written as text within FIRST_YEAR–LAST_YEAR. Iterative, so a hostile body cannot exhaust
    the stack here either."""
    stack: list[tuple[Any, int, str]] = [(data, 1, "")]
    while stack:
        value, depth, path = stack.pop()
        if isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                raise _too_deep()
            items = value.items() if isinstance(value, dict) else enumerate(value)
            stack.extend((v, depth + 1, f"{path}.{k}" if path else str(k)) for k, v in items)
        elif isinstance(value, bool):
            continue
        elif isinstance(value, int) and not MIN_INT <= value <= MAX_INT:
            raise _out_of_range(path, "integers must fit in 64 bits")
        elif isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
            raise _out_of_range(path, "numbers must be finite")
        elif isinstance(value, str) and "\x00" in value:
            # No field means a NUL byte, and PostgreSQL cannot store one: refused alike on both backends.
            raise InvalidInput(E.BAD_TEXT, f"参数含不可见的空字符：{path or '(body)'} (a NUL character in "
                                           f"{path or 'the body'})", field=path)


def check_dates(value: Any, path: str) -> None:
    """Dates and times a model parsed must lie between FIRST_YEAR and LAST_YEAR."""
    if isinstance(value, dt.date):  # datetime is a date too
        if not FIRST_YEAR <= value.year <= LAST_YEAR:
            raise InvalidInput(E.DATE_OUT_OF_RANGE, f"日期超出范围：{path} (dates must lie in {FIRST_YEAR}–"
                                                    f"{LAST_YEAR})", field=path)
    elif isinstance(value, dict):
        for k, v in value.items():
            check_dates(v, f"{path}.{k}" if path else str(k))
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            check_dates(v, f"{path}.{i}" if path else str(i))


def check_url_parts(request: web.Request) -> None:
    """Path and query values of every route: a path part with a non-ASCII digit names nothing (404); a query
    value too long, a number past 64 bits or a date outside FIRST_YEAR–LAST_YEAR is refused (422)."""
    for value in request.match_info.values():
        if "\x00" in value or any(ch.isdigit() and not ch.isascii() for ch in value):
            raise NotFound(E.NOT_FOUND, "资源不存在 (not found)")
    for name, value in request.query.items():
        if "\x00" in value or "\x00" in name:
            raise InvalidInput(E.BAD_TEXT, f"参数 {name!r} 含空字符 (a NUL character in the query)", field=name)
        if len(value) > MAX_QUERY_VALUE:
            raise InvalidInput(E.BAD_QUERY, f"参数 {name} 过长 ({name} is too long)", field=name)
        if value.isascii() and value.isdigit() and (len(value) > 19 or int(value) > MAX_INT):
            raise InvalidInput(E.BAD_QUERY, f"参数 {name} 超出范围 ({name}: integers must fit in 64 bits)", field=name)
        m = _DATE_LIKE.fullmatch(value)
        if m and not FIRST_YEAR <= int(m.group(1)) <= LAST_YEAR:
            raise InvalidInput(E.DATE_OUT_OF_RANGE, f"参数 {name} 超出范围 ({name}: dates must lie in {FIRST_YEAR}–"
                                            f"{LAST_YEAR})", field=name)


def _field_errors(e: ValidationError) -> list[dict[str, str]]:
    """One entry per field, named as the client sent it: pydantic's branch tags for a value that may be a
    string or a number ("queue.constrained-str") are not the client's words."""
    out: dict[str, str] = {}
    for err in e.errors():
        field = ".".join(str(p) for p in err["loc"] if isinstance(p, int) or ("-" not in str(p) and
                         not str(p).startswith(("constrained", "function"))))
        out.setdefault(field, err["msg"])
    return [{"field": f, "message": m} for f, m in out.items()]


def wrap(route: Route) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    has_hall = "{hall}" in route.path

    async def handler(request: web.Request) -> web.StreamResponse:
        if route.page and route.roles is not None and request.get(ACTOR_KEY) is None:
            raise web.HTTPFound(f"/login?next={quote(request.path_qs, safe='')}")
        actor = require_actor(request, route.roles)
        check_url_parts(request)
        if has_hall:
            # The hall in the URL (code or id) is resolved once, here: another hall than a hall-bound actor's
            # does not exist for them. Handlers read it with `hall_of(request)`.
            request[HALL_KEY] = await resolve_hall(request, actor, request.match_info["hall"])
        if route.body is not None:
            body = await parse_body(request, route.body)
            return await route.handler(request, actor, body)
        return await route.handler(request, actor)
    handler.__name__ = route.handler.__name__
    return handler


async def resolve_hall(request: web.Request, actor: Actor | None, ref: str | int) -> dict[str, Any]:
    """A hall by its code or id, as `actor` may see it (anonymous visitors see every hall by code)."""
    text = str(ref)
    if not _HALL_REF.fullmatch(text) or (text.isdigit() and int(text) > MAX_ID):
        # No hall has such an id or code (codes are what layout accepts); the database is not asked.
        raise NotFound(E.HALL_NOT_FOUND, f"大厅不存在 (no hall {text[:24]!r})")
    return await request.app[USECASES].halls.resolve(actor or Actor(Role.ADMIN, hall_id=None),
                                                     int(text) if text.isdigit() else text)


def hall_of(request: web.Request) -> dict[str, Any]:
    """The hall named in the URL, resolved by the route declaration (see `wrap`)."""
    return request[HALL_KEY]


def path_int(request: web.Request, name: str) -> int:
    value = request.match_info[name]
    if not (value.isascii() and value.isdigit()) or len(value) > 19 or int(value) > MAX_ID:
        raise NotFound(E.NOT_FOUND, f"资源不存在 (no such {name})")
    return int(value)


def query_int(request: web.Request, name: str, default: int, *, lo: int = 0, hi: int = MAX_ID) -> int:
    value = request.query.get(name)
    if value is None:
        return default
    if not re.fullmatch(r"\d{1,19}", value, re.ASCII) or not lo <= int(value) <= hi:
        raise InvalidInput(E.BAD_QUERY, f"参数 {name} 应为 {lo}–{hi} 之间的整数 ({name} must be an integer "
                                        f"from {lo} to {hi})", field=name)
    return int(value)


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(text=json.dumps(data, ensure_ascii=False, separators=(",", ":")), status=status,
                        content_type="application/json", headers=headers)


def request_digest(body: BaseModel) -> str:
    return hashlib.sha256(body.model_dump_json().encode()).hexdigest()


# Query parameters by name: their type in the OpenAPI document (everything else is a string).
_QUERY_SCHEMAS: dict[str, dict[str, Any]] = {
    **{n: {"type": "integer", "minimum": 0, "maximum": MAX_INT}
       for n in ("after", "limit", "window", "repeat", "volume", "days", "year")},
    **{n: {"type": "string", "format": "date"} for n in ("date", "day", "from", "to", "received")},
    **{n: {"type": "string", "enum": ["0", "1"]} for n in ("active", "all", "bad", "open", "overdue", "snapshot")},
    "month": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"},
}
# What a JSON answer is, by media: every JSON answer is an object or a list; a ticket has at least these.
_TICKET = {"type": "object", "required": ["id", "number", "status", "queue", "service_day"], "properties": {
    "id": {"type": "integer"}, "number": {"type": "string"}, "status": {"type": "string"},
    "queue": {"type": "string"}, "service_day": {"type": "string"}, "window_id": {"type": ["integer", "null"]}}}
_TICKET_ACTIONS = ("recall", "start", "park", "call_back", "finish", "no_show", "cancel")
_RETURNS_TICKET = {"tickets.issue", "tickets.get_ticket"}  # the ticket itself
_RETURNS_ACTED = {f"tickets.{a}" for a in (*_TICKET_ACTIONS, "transfer")} | {"windows.call_next"}  # {"ticket": …}
# Links for stateful testing: a ticket issued or called can be looked at and acted on by its id.
_TICKET_LINKS = {f"Ticket_{a}": {"operationId": f"tickets.{a}", "parameters": {"ticket_id": "$response.body#/id"}}
                 for a in ("get_ticket", *_TICKET_ACTIONS)}
_LINKS: dict[str, dict[int, dict[str, Any]]] = {
    "tickets.issue": {201: _TICKET_LINKS, 200: _TICKET_LINKS},
    "windows.call_next": {200: {f"Called_{a}": {"operationId": f"tickets.{a}",
                                                "parameters": {"ticket_id": "$response.body#/ticket/id"}}
                                for a in ("get_ticket", *_TICKET_ACTIONS)}},
    **{f"tickets.{a}": {200: {f"Acted_{b}": {"operationId": f"tickets.{b}",
                                             "parameters": {"ticket_id": "$response.body#/ticket/id"}}
                              for b in ("get_ticket", *_TICKET_ACTIONS)}} for a in _TICKET_ACTIONS},
}
_NOT_JSON = ("audio/", "image/", "pdf", "csv", "text/", "html", "websocket", "svg", "xlsx")


def _response(route: Route, status: int, text: str) -> dict[str, Any]:
    out: dict[str, Any] = {"description": text}
    if status in (101, 204) or (200 <= status < 300 and any(k in text.lower() for k in _NOT_JSON)):
        return out
    if status >= 400:
        schema: dict[str, Any] = {"$ref": "#/components/schemas/Error"}
    elif route.name in _RETURNS_TICKET:
        schema = {"$ref": "#/components/schemas/Ticket"}
    elif route.name in _RETURNS_ACTED:
        schema = {"type": "object", "required": ["ticket"], "properties": {
            "ticket": {"$ref": "#/components/schemas/Ticket"}}}
    else:
        schema = {"type": ["object", "array"]}
    out["content"] = {"application/json": {"schema": schema}}
    links = _LINKS.get(route.name, {}).get(status)
    if links:
        out["links"] = links
    return out


def openapi_document(routes: Iterable[Route], version: str) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {}
    for r in routes:
        if r.page or not r.path.startswith("/api/"):
            continue
        op: dict[str, Any] = {"summary": r.summary, "operationId": r.name, "tags": [r.tag]}
        params = [{"name": p, "in": "path", "required": True,
                   "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID} if p.endswith("_id")
                   else {"type": "string"}}
                  for p in re.findall(r"{(\w+)(?::[^}]*)?}", r.path)]
        params += [{"name": n, "in": "query", "required": False, "description": d,
                    "schema": _QUERY_SCHEMAS.get(n, {"type": "string"})}
                   for n, d in r.query]
        if params:
            op["parameters"] = params
        if r.body is not None:
            schema = r.body.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, sub in schema.pop("$defs", {}).items():
                schemas[name] = sub
            schemas[r.body.__name__] = schema
            op["requestBody"] = {"required": False, "content": {"application/json": {
                "schema": {"$ref": f"#/components/schemas/{r.body.__name__}"}}}}
        op["security"] = [] if r.roles is None else [{"bearer": []}, {"session": []}]
        if r.roles is not None:
            op["x-roles"] = sorted(role.value for role in r.roles)
        declared = dict(r.responses or {})
        if not any(200 <= k < 300 or k == 101 for k in declared):
            declared[200] = "OK"
        responses: dict[str, Any] = {str(k): _response(r, k, v) for k, v in sorted(declared.items())}
        responses.setdefault("4XX", {"description": "Error: {\"error\": code, \"message\": text}",
                                     "content": {"application/json": {"schema": {
                                         "$ref": "#/components/schemas/Error"}}}})
        responses.setdefault("503", {"description": "storage fault or busy: nothing changed; retry later",
                                     "content": {"application/json": {"schema": {
                                         "$ref": "#/components/schemas/Error"}}}})
        op["responses"] = responses
        path = re.sub(r"{(\w+):[^}]*}", r"{\1}", r.path)
        paths.setdefault(path, {})[r.method.lower()] = op
    schemas["Ticket"] = _TICKET
    schemas["Error"] = {"type": "object", "required": ["error", "message"], "properties": {
        "error": {"type": "string", "description": "machine-readable code"},
        "message": {"type": "string", "description": "readable text, Chinese then English"},
        "detail": {"type": "object"}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "hallops API", "version": version,
                 "description": "Hall operations and queue management (政务服务中心叫号与大厅管理)."},
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer", "description": "device or script token (hop_…)"},
            "session": {"type": "apiKey", "in": "cookie", "name": "hallops_session",
                        "description": "staff session; unsafe methods also need the X-CSRF-Token header"}}},
    }
