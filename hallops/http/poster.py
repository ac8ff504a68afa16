"""The 一码取号 poster: an A4 or A3 PDF per hall with its name, the QR code of /m/{hall}, and three steps in
Chinese and English, to print and pin at the entrance. Rendered by WeasyPrint in a worker thread (a PDF
takes a few hundred milliseconds: never on the event loop)."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import qrcode
import qrcode.image.svg
from aiohttp import web

from hallops.domain.actors import Actor
from hallops.domain.errors import E, InvalidInput
from hallops.domain.model import Role
from hallops.http.api import RouteTable, hall_of
from hallops.http.keys import USECASES
from hallops.http.kiosk import fallback_url
from hallops.http.web import JINJA

routes = RouteTable("poster")
TILES: list[dict[str, Any]] = [
    {"zh": "一码取号海报", "en": "Phone-ticket QR poster (PDF)", "href": "/m/{hall}/poster.pdf",
     "roles": {"admin", "manager"}},
]
SUPERVISORS = frozenset({Role.ADMIN, Role.MANAGER})
SIZES = ("A4", "A3")


def poster_pdf(html: str) -> bytes:
    import weasyprint  # imported here: only the poster pays for it

    pdf: bytes = weasyprint.HTML(string=html).write_pdf()
    return pdf


@routes.get("/m/{hall}/poster.pdf", summary="The hall's 一码取号 poster, A4 or A3 PDF", roles=SUPERVISORS, page=True,
            query=(("size", "A4 (default) or A3"),))
async def poster(request: web.Request, actor: Actor) -> web.Response:
    hall = hall_of(request)
    actor.check_hall(hall["id"])
    size = request.query.get("size", "A4").upper()
    if size not in SIZES:
        raise InvalidInput(E.BAD_POSTER_SIZE, "纸张应为 A4 或 A3 (size must be A4 or A3)", field="size")
    base = await request.app[USECASES].kiosk.base_url(hall["id"], fallback_url(request))
    url = f"{base}/m/{hall['code']}"
    svg = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, border=2,
                      error_correction=qrcode.constants.ERROR_CORRECT_M).to_string()
    html = request.app[JINJA].get_template("phone/poster.html").render(
        hall=hall, size=size, url=url, qr=base64.b64encode(svg).decode())
    pdf = await asyncio.to_thread(poster_pdf, html)
    return web.Response(body=pdf, content_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="poster-{hall["code"]}-{size}.pdf"', "Cache-Control": "no-store"})


def setup(app: web.Application) -> None:
    """The poster has no background work."""
