"""Server logs as IT staff read them: times in the hall's own zone (the pages show it too), the request id of
the request a line belongs to, and no floods from libraries (WeasyPrint logs hundreds of CSS warnings per
briefing PDF)."""

from __future__ import annotations

import contextvars
import datetime as dt
import logging
from zoneinfo import ZoneInfo

REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"
# Libraries whose warnings are about their input, not about the server: kept to errors.
QUIET = ("weasyprint", "fontTools", "fontTools.subset", "fontTools.ttLib", "PIL", "aiohttp.access")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


class ZoneFormatter(logging.Formatter):
    """ISO 8601 times with the hall's offset, e.g. 2026-12-01T09:30:00.123+08:00."""

    def __init__(self, fmt: str, zone: ZoneInfo) -> None:
        super().__init__(fmt)
        self.zone = zone

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return dt.datetime.fromtimestamp(record.created, self.zone).isoformat(timespec="milliseconds")


def configure(zone: ZoneInfo) -> None:
    """Re-dress the root logger's handlers (set up by the CLI) for a running server."""
    root = logging.getLogger()
    for handler in root.handlers:
        handler.setFormatter(ZoneFormatter(FORMAT, zone))
        if not any(isinstance(f, RequestIdFilter) for f in handler.filters):
            handler.addFilter(RequestIdFilter())
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.ERROR)
