"""HTML pages: the jinja2 environment over web/templates (and displays/), and the static files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web

from hallops import __version__
from hallops.http.keys import ACTOR_KEY, CSRF_KEY

ROOT = Path(__file__).resolve().parents[2]
WEB_DIR = ROOT / "web"
DISPLAYS_DIR = ROOT / "displays"

JINJA = web.AppKey("jinja", jinja2.Environment)


def setup_web(app: web.Application) -> None:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(WEB_DIR / "templates"), str(DISPLAYS_DIR / "templates")]),
        autoescape=jinja2.select_autoescape(["html"]),
        enable_async=False, trim_blocks=True, lstrip_blocks=True)
    env.filters["tojson_attr"] = lambda v: json.dumps(v, ensure_ascii=False)
    env.globals["version"] = __version__
    app[JINJA] = env
    app.router.add_static("/static", WEB_DIR / "static", name="static", append_version=True)
    if (DISPLAYS_DIR / "static").is_dir():
        app.router.add_static("/displays/static", DISPLAYS_DIR / "static", name="display_static",
                              append_version=True)


def render(request: web.Request, template: str, status: int = 200, **ctx: Any) -> web.Response:
    env = request.app[JINJA]
    actor = request.get(ACTOR_KEY)
    html = env.get_template(template).render(
        actor=actor, csrf_token=request.get(CSRF_KEY, ""), request=request,
        static=lambda path: str(request.app.router["static"].url_for(filename=path)), **ctx)
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8",
                        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
                                 "Referrer-Policy": "same-origin", "X-Frame-Options": "DENY"})
