"""When a hall's daily briefing is due: at a set local time after closing, for the service day that is ending.

Pure: the time is passed in (the store's clock, so tests and a hall replaying a day move it by hand). The
background loop that acts on it is `Briefings.generate_due` (hallops/usecases/briefings.py); a day without
tickets (a weekend) gets no briefing.
"""

from __future__ import annotations

import datetime as dt

from hallops.storage.rules import Rules, service_day_of, zone


def due_day(now: float, tz_name: str, daily_at: str, rules: Rules) -> dt.date | None:
    """The service day whose daily briefing time has come at `now`, or None before that time."""
    day = dt.date.fromisoformat(service_day_of(now, tz_name, rules))
    at = dt.datetime.combine(day, dt.time.fromisoformat(daily_at), tzinfo=zone(tz_name))
    if at.time() < rules.rollover:  # a time after midnight belongs to the day that is ending
        at += dt.timedelta(days=1)
    return day if now >= at.timestamp() else None
