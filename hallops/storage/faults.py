"""What went wrong with the storage underneath, in words the HTTP layer can use without knowing the driver.

`classify(exc)` names a fault the operator must fix (disk full, database read-only, database file gone,
database unreachable) or returns None for anything else. The error middleware answers such a fault with 503
and its code; `FaultLog` logs each fault once when it starts and once when it clears, not once per request.
"""

from __future__ import annotations

import errno
import logging
import sqlite3
import time

log = logging.getLogger(__name__)

DISK_FULL = "disk_full"
READ_ONLY = "database_read_only"
GONE = "database_gone"
UNAVAILABLE = "database_unavailable"


def classify(exc: BaseException) -> str | None:
    """The fault behind `exc`, or None when it is not a storage fault."""
    for e in _chain(exc):
        code = _one(e)
        if code is not None:
            return code
    return None


def _chain(exc: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen and len(out) < 8:
        out.append(e)
        seen.add(id(e))
        e = e.__cause__ or e.__context__
    return out


def _one(e: BaseException) -> str | None:
    if isinstance(e, OSError) and not isinstance(e, ConnectionError):
        if e.errno in (errno.ENOSPC, errno.EDQUOT):
            return DISK_FULL
        if e.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            return READ_ONLY
        if e.errno == errno.ENOENT:
            return GONE
        return None
    if isinstance(e, sqlite3.Error):
        text = str(e).lower()
        if "full" in text:  # "database or disk is full"
            return DISK_FULL
        if "readonly" in text or "read-only" in text or "read only" in text:
            return READ_ONLY
        if "no such table" in text or "unable to open" in text or "disk i/o" in text:
            return GONE
        return None
    module = type(e).__module__
    if module.startswith("psycopg"):
        name = type(e).__name__
        sqlstate = getattr(e, "sqlstate", None) or ""
        if name == "DiskFull" or sqlstate == "53100":
            return DISK_FULL
        if name == "ReadOnlySqlTransaction" or sqlstate == "25006":
            return READ_ONLY
        if name in ("OperationalError", "PoolTimeout", "InterfaceError") or sqlstate.startswith(("08", "57P")):
            return UNAVAILABLE
    return None


class FaultLog:
    """Logs a storage fault when it begins and when it ends: a full disk at a busy hour is one log line, not
    one per request."""

    def __init__(self) -> None:
        self.current: str | None = None
        self.count = 0
        self.last_at = 0.0  # monotonic

    def recent(self, seconds: float) -> str | None:
        """The fault standing, if it was seen within `seconds` (a small probe write may pass while real
        writes fail on a full disk: readiness believes the real ones)."""
        if self.current is not None and time.monotonic() - self.last_at < seconds:
            return self.current
        return None

    def seen(self, code: str, exc: BaseException, where: str) -> None:
        self.count += 1
        self.last_at = time.monotonic()
        if code != self.current:
            log.error("storage fault %s (%s) at %s: %s", code, type(exc).__name__, where, exc)
            self.current = code

    def cleared(self) -> None:
        if self.current is not None:
            log.warning("storage fault %s cleared: writes succeed again", self.current)
            self.current = None
