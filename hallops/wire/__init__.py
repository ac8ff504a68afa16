"""The wire format: the JSON shapes of the API and of event payloads, as pure functions of plain mappings
(rows read by name). Storage builds event payloads with them inside the write (an event is stored with its
change); http/ shapes responses with them. Nothing here reads a database or a clock."""

from __future__ import annotations

import datetime as dt


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
