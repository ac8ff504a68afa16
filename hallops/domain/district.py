"""The district's live view: one row of figures per centre, and which centre is worst off.

A row is built from the centre's hall state (hallops/domain/hallstate.py, folded from its events: queues with
their waiting lines and oldest ticket, windows and their states, today's counters) and its floor figures (the
day's patrols against quota, open and overdue findings, open bad-rating follow-ups, overdue cases), read as
counts. The longest wait is carried as the oldest waiting ticket's issue time per queue, so a client moves it
on with its clock between updates (and orders the rows, worst first: web/static/district/district.js).

Pure: the caller passes the instant.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Row = dict[str, Any]

# What a centre's floor figures are when nothing was read yet (a centre just added).
EMPTY_FLOOR: Mapping[str, int] = {"full_done": 0, "full_quota": 0, "spot_done": 0, "spot_quota": 0,
                                  "findings_open": 0, "findings_overdue": 0, "followups_open": 0,
                                  "cases_overdue": 0}


def centre_row(hall: Mapping[str, Any], state: Mapping[str, Any] | None, floor: Mapping[str, int] | None,
               rev: int) -> Row:
    """A centre's row of the district view (`hall`: id, code, name, level, parent_id)."""
    row: Row = {"hall_id": hall["id"], "code": hall["code"], "name": hall["name"], "level": hall["level"],
                "parent_id": hall["parent_id"], "rev": rev}
    if state is None:
        row.update(seq=0, windows_open=0, windows_paused=0, windows_total=0, waiting=0, issued=0, served=0,
                   no_show=0, queues=[])
    else:
        windows = state["windows"]
        today = state["today"]
        row.update(
            seq=state["seq"],
            windows_open=sum(1 for w in windows if w["state"] == "open"),
            windows_paused=sum(1 for w in windows if w["state"] == "paused"),
            windows_total=len(windows),
            waiting=sum(q["waiting"] for q in state["queues"]),
            issued=today["issued"], served=today["served"], no_show=today["no_show"],
            queues=[{"prefix": q["prefix"], "name": q["name"], "waiting": q["waiting"],
                     "oldest_at": q.get("oldest_at") if q["waiting"] else None,
                     "target_wait_minutes": q["target_wait_minutes"]} for q in state["queues"]])
    row.update(dict(EMPTY_FLOOR) | dict(floor or {}))
    return row
