"""Briefings as HTML (the page and the print document) and as PDF.

The page and the PDF share one template body (reports/_briefing.html; the district's, reports/_district.html);
the print document adds A4 page rules and is laid out by WeasyPrint, which embeds the subset of Noto Sans CJK
it uses, so the PDF reads the same on any machine. Everything here is blocking: callers run it in a worker
thread.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import jinja2

from hallops.reports.charts import briefing_charts
from hallops.storage.rules import zone

STATIC = Path(__file__).resolve().parents[2] / "web" / "static" / "reports"
KIND_ZH = {"daily": "日报", "weekly": "周报", "monthly": "月报"}


def local_time(ts: float | None, tz_name: str = "Asia/Shanghai") -> str:
    if ts is None:
        return ""
    return dt.datetime.fromtimestamp(ts, zone(tz_name)).strftime("%Y-%m-%d %H:%M")


def context(b: dict[str, Any], tz_name: str) -> dict[str, Any]:
    """What the briefing templates read: the kept briefing, its charts and a few labels."""
    return {"b": b, "d": b["data"], "charts": briefing_charts(b["data"]), "kind_zh": KIND_ZH[b["kind"]],
            "generated": local_time(b["generated_at"], tz_name), "annotated": local_time(b["annotated_at"], tz_name),
            "published": local_time(b["published_at"], tz_name)}


def render_print_html(env: jinja2.Environment, b: dict[str, Any], tz_name: str) -> str:
    css = (STATIC / "print.css").read_text(encoding="utf-8")
    return env.get_template("reports/briefing_print.html").render(css=css, **context(b, tz_name))


def render_pdf(env: jinja2.Environment, b: dict[str, Any], tz_name: str) -> bytes:
    import weasyprint  # imported here: only the PDF path pays for it

    html = render_print_html(env, b, tz_name)
    return weasyprint.HTML(string=html, base_url=str(STATIC)).write_pdf()


def district_context(d: dict[str, Any], tz_name: str) -> dict[str, Any]:
    """What the district briefing's templates read: its figures and when they were made."""
    return {"d": d, "generated": local_time(d["as_of"], tz_name)}


def render_district_print_html(env: jinja2.Environment, d: dict[str, Any], tz_name: str) -> str:
    # The hall briefing's print rules, then the district's (A4 landscape: a row per centre is wide).
    css = "\n".join((STATIC / name).read_text(encoding="utf-8") for name in ("print.css", "district.css"))
    return env.get_template("reports/district_print.html").render(css=css, links=False,
                                                                  **district_context(d, tz_name))


def render_district_pdf(env: jinja2.Environment, d: dict[str, Any], tz_name: str) -> bytes:
    import weasyprint

    html = render_district_print_html(env, d, tz_name)
    return weasyprint.HTML(string=html, base_url=str(STATIC)).write_pdf()
