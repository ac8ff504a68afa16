"""The admin console's pages (issue 13): one page per section of a hall's setup, staff accounts, device tokens
and the audit log; every user's own password page and the one-time reset page. The pages call the JSON API
(http/admin.py, http/session.py) from web/static/admin/admin.js."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from hallops.domain.actors import Actor
from hallops.domain.errors import E, NotFound
from hallops.domain.model import STAFF_ROLES, Role
from hallops.http.api import RouteTable, hall_of
from hallops.http.keys import USECASES
from hallops.http.web import render

routes = RouteTable("admin_pages")
ADMIN = frozenset({Role.ADMIN})
TILES: list[dict[str, Any]] = [
    {"zh": "管理后台", "en": "Admin console", "href": "/admin/{hall}/windows", "roles": {Role.ADMIN.value}},
    {"zh": "修改我的密码", "en": "My password", "href": "/account/password",
     "roles": {Role.ADMIN.value, Role.MANAGER.value, Role.CLERK.value}},
]

# (path part, 中文, English): a hall's setup, in the order an administrator sets a centre up.
HALL_SECTIONS = (
    ("departments", "部门", "Departments"),
    ("items", "事项", "Service items"),
    ("bundles", "一件事", "Bundles"),
    ("queues", "业务类型", "Queues"),
    ("windows", "窗口", "Windows"),
    ("checklist", "巡查清单", "Patrol checklist"),
    ("alerts", "预警阈值", "Alert thresholds"),
    ("deadlines", "办理时限", "Deadlines"),
    ("notices", "屏幕公告", "Screen notices"),
    ("tokens", "设备令牌", "Device tokens"),
)
GLOBAL_SECTIONS = (
    ("halls", "大厅", "Halls"),
    ("users", "员工账号", "Staff accounts"),
    ("audit", "审计日志", "Audit log"),
)
_NAMES = {s[0]: s for s in HALL_SECTIONS + GLOBAL_SECTIONS}


def setup(app: web.Application) -> None:
    """Nothing to start: the pages are served from the route table."""


async def _page(request: web.Request, actor: Actor, section: str, hall: dict[str, Any] | None) -> web.Response:
    halls = await request.app[USECASES].halls.list(actor)
    if hall is None and halls:
        hall = halls[0]
    return render(request, "admin/section.html", section=section, title=_NAMES[section], hall=hall, halls=halls,
                  hall_sections=HALL_SECTIONS, global_sections=GLOBAL_SECTIONS)


@routes.get("/admin", summary="Admin console: the first hall's windows", roles=ADMIN, page=True)
async def admin_home(request: web.Request, actor: Actor) -> web.Response:
    halls = await request.app[USECASES].halls.list(actor)
    if not halls:
        raise web.HTTPFound("/admin/halls")
    raise web.HTTPFound(f"/admin/{halls[0]['code']}/windows")


@routes.get("/admin/halls", summary="Admin console: halls", roles=ADMIN, page=True)
async def halls_page(request: web.Request, actor: Actor) -> web.Response:
    return await _page(request, actor, "halls", None)


@routes.get("/admin/users", summary="Admin console: staff accounts", roles=ADMIN, page=True)
async def users_page(request: web.Request, actor: Actor) -> web.Response:
    return await _page(request, actor, "users", None)


@routes.get("/admin/audit", summary="Admin console: the audit log", roles=ADMIN, page=True)
async def audit_page(request: web.Request, actor: Actor) -> web.Response:
    return await _page(request, actor, "audit", None)


@routes.get("/admin/{hall}/{section}", summary="Admin console: one section of a hall's setup", roles=ADMIN,
            page=True)
async def hall_page(request: web.Request, actor: Actor) -> web.Response:
    section = request.match_info["section"]
    if section not in {s[0] for s in HALL_SECTIONS}:
        raise NotFound(E.NOT_FOUND, "页面不存在 (no such page)")
    return await _page(request, actor, section, hall_of(request))


@routes.get("/account/password", summary="Change your own password", roles=STAFF_ROLES, page=True)
async def password_page(request: web.Request, actor: Actor) -> web.Response:
    return render(request, "admin/password.html")


@routes.get("/reset", summary="Set a new password with a one-time code (the code rides in the #fragment)",
            roles=None, page=True)
async def reset_page(request: web.Request, actor: Actor | None) -> web.Response:
    return render(request, "admin/reset.html")
