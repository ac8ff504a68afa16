"""The few SQL fragments that place a ticket in its queue, and the ticket's columns as storage reads them.

The JSON shapes moved to hallops/wire/ (outside storage); they are named here too for the storage modules that
import them from this module."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hallops.domain.policy import BOOST_CLASSES, PolicyParams
from hallops.storage.db import Row
from hallops.wire import iso
from hallops.wire.tickets import ticket_brief, ticket_json, window_brief


def _line(targeted: bool) -> str:
    """The waiting line a ticket stands in: its queue, or the one window it was transferred to."""
    return ("target_window_id = :tw AND status = 'waiting'" if targeted
            else "queue_id = :q AND status = 'waiting' AND target_window_id IS NULL")


def ahead_sql(targeted: bool, *, from_end: bool = False) -> str:
    """How many stand before a key in a line: per boost class, an index range count (see policy.py).

    Counting runs over the index from the front; `from_end` counts those behind instead and takes them
    from the line's length (waiting_lines, kept by triggers), which is cheap for a ticket just issued."""
    line = _line(targeted)
    if not from_end:
        parts = [f"(SELECT count(*) FROM tickets WHERE {line} AND boost_class = {c} AND sort_at < :lim{c}) + "
                 f"(SELECT count(*) FROM tickets WHERE {line} AND boost_class = {c} AND sort_at = :lim{c} "
                 f"AND id < :id)" for c in BOOST_CLASSES]
        return "SELECT " + " + ".join(parts)
    length = ("SELECT coalesce(sum(n), 0) FROM waiting_lines WHERE queue_id = 0 AND target_window_id = :tw"
              if targeted else
              "SELECT coalesce(sum(n), 0) FROM waiting_lines WHERE queue_id = :q AND target_window_id = 0")
    # Row values follow the index order (sort_at, then rowid): one range per class; +1 for the ticket itself.
    behind = [f"(SELECT count(*) FROM tickets WHERE {line} AND boost_class = {c} AND (sort_at, id) > (:lim{c}, :id))"
              for c in BOOST_CLASSES]
    return f"SELECT ({length}) - 1 - " + " - ".join(behind)


def ahead_args(p: PolicyParams, r: Row) -> dict[str, Any]:
    """Arguments of `ahead_sql` for the ticket row `r`: in class c, a ticket stands before r when its
    sort_at is below r's sort_at + (boost of c − r's boost); for r's own class that is r's sort_at itself,
    exactly, so r never miscounts itself through rounding."""
    args: dict[str, Any] = {"id": r["id"], "q": r["queue_id"], "tw": r["target_window_id"]}
    own = p.class_boost(r["boost_class"])
    for c in BOOST_CLASSES:
        args[f"lim{c}"] = r["sort_at"] + (p.class_boost(c) - own) if c != r["boost_class"] else r["sort_at"]
    return args


def ends_sql(targeted: bool) -> str:
    """The first and last sort_at of each boost class in a line (8 columns: min0, max0, min1, …)."""
    line = _line(targeted)
    cols = [f"(SELECT {fn}(sort_at) FROM tickets WHERE {line} AND boost_class = {c})"
            for c in BOOST_CLASSES for fn in ("min", "max")]
    return "SELECT " + ", ".join(cols)


def line_ends(p: PolicyParams, row: Sequence[Any]) -> tuple[float | None, float | None]:
    """The smallest and largest key in a line, from the row of `ends_sql`."""
    firsts = [row[2 * i] - p.class_boost(c) for i, c in enumerate(BOOST_CLASSES) if row[2 * i] is not None]
    lasts = [row[2 * i + 1] - p.class_boost(c) for i, c in enumerate(BOOST_CLASSES) if row[2 * i + 1] is not None]
    return (min(firsts) if firsts else None, max(lasts) if lasts else None)



TICKET_COLUMNS = """t.id, t.hall_id, t.service_day, t.number, t.queue_id, t.origin_queue_id, t.token, t.channel,
    t.priority, t.boost_class, t.status, t.issued_at, t.sort_at, t.appointment_at, t.first_called_at, t.called_at,
    t.started_at, t.ended_at, t.window_id, t.target_window_id, t.clerk_user_id, t.recall_count, t.transfer_count,
    t.park_count,
    q.prefix AS queue_prefix, q.name AS queue_name, q.name_en AS queue_name_en,
    w.number AS window_number, w.name AS window_name"""

TICKET_FROM = """tickets t JOIN queues q ON q.id = t.queue_id LEFT JOIN windows w ON w.id = t.window_id"""


__all__ = ["TICKET_COLUMNS", "TICKET_FROM", "ahead_args", "ahead_sql", "ends_sql", "iso", "line_ends", "ticket_brief",
           "ticket_json", "window_brief"]
