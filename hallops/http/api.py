"""Declaring an API route once: path, method, roles, request body model and summary.

The same declarations build the aiohttp router, enforce roles and parse bodies (in `wrap`), and
describe the API as OpenAPI (`openapi_document`), so the document cannot drift from what is served.
"""

from __future__ import annotations

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
_HALL_REF = re.compile(r"^[0-9]{1,19}$|^[a-z0-9][a-z0-9-]{0,63}$")  # an id, or a code as storage/layout.py takes


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
        except (ValueError, UnicodeDecodeError) as e:
            raise InvalidInput(E.BAD_JSON, f"请求体不是有效的 JSON (body is not valid JSON: {e})") from None
    if not isinstance(data, dict):
        raise InvalidInput(E.BAD_JSON, "请求体须为 JSON 对象 (body must be a JSON object)")
    try:
        return model.model_validate(data)
    except ValidationError as e:
        errors = _field_errors(e)
        first = errors[0]
        raise InvalidInput(E.INVALID_INPUT, f"参数无效：{first['field']} — {first['message']} (invalid input)",
                           errors=errors) from None


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
    if (text.isdigit() and (len(text) > 19 or int(text) > MAX_ID)) or not _HALL_REF.match(text):
        # No hall has such an id or code (codes are what layout accepts); the database is not asked.
        raise NotFound(E.HALL_NOT_FOUND, f"大厅不存在 (no hall {text[:24]!r})")
    return await request.app[USECASES].halls.resolve(actor or Actor(Role.ADMIN, hall_id=None),
                                                     int(text) if text.isdigit() else text)


def hall_of(request: web.Request) -> dict[str, Any]:
    """The hall named in the URL, resolved by the route declaration (see `wrap`)."""
    return request[HALL_KEY]


def path_int(request: web.Request, name: str) -> int:
    value = request.match_info[name]
    if not value.isdigit() or int(value) > MAX_ID:
        raise NotFound(E.NOT_FOUND, f"资源不存在 (no such {name})")
    return int(value)


def query_int(request: web.Request, name: str, default: int, *, lo: int = 0, hi: int = MAX_ID) -> int:
    value = request.query.get(name)
    if value is None:
        return default
    if not re.fullmatch(r"\d{1,19}", value) or not lo <= int(value) <= hi:
        raise InvalidInput(E.BAD_QUERY, f"参数 {name} 应为 {lo}–{hi} 之间的整数 ({name} must be an integer "
                                        f"from {lo} to {hi})", field=name)
    return int(value)


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(text=json.dumps(data, ensure_ascii=False, separators=(",", ":")), status=status,
                        content_type="application/json", headers=headers)


def request_digest(body: BaseModel) -> str:
    return hashlib.sha256(body.model_dump_json().encode()).hexdigest()


def openapi_document(routes: Iterable[Route], version: str) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {}
    for r in routes:
        if r.page or not r.path.startswith("/api/"):
            continue
        op: dict[str, Any] = {"summary": r.summary, "operationId": r.name, "tags": [r.tag]}
        params = [{"name": p, "in": "path", "required": True,
                   "schema": {"type": "integer"} if p.endswith("_id") else {"type": "string"}}
                  for p in re.findall(r"{(\w+)(?::[^}]*)?}", r.path)]
        params += [{"name": n, "in": "query", "required": False, "description": d, "schema": {"type": "string"}}
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
        responses: dict[str, Any] = {str(k): {"description": v} for k, v in (r.responses or {200: "OK"}).items()}
        responses.setdefault("4XX", {"description": "Error: {\"error\": code, \"message\": text}",
                                     "content": {"application/json": {"schema": {
                                         "$ref": "#/components/schemas/Error"}}}})
        op["responses"] = responses
        path = re.sub(r"{(\w+):[^}]*}", r"{\1}", r.path)
        paths.setdefault(path, {})[r.method.lower()] = op
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
