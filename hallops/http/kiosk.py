"""The citizen's pages: kiosk ticketing, the phone ticket page, appointments."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from hallops.http.api import RouteTable

routes = RouteTable("kiosk")
# Home-page tiles: {"zh": …, "en": …, "href": "/…/{hall}", "roles": {"clerk", …}}
TILES: list[dict[str, Any]] = []


def setup(app: web.Application) -> None:
    """Hang this feature's resources and background tasks on the app (cleanup_ctx)."""
