"""What a printed ticket says: the slip made from the ticket's row and its public status (pure)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from hallops.printing.escpos import TicketSlip

PRIORITY_TEXT = {"none": "", "elderly": "老年人优先"}
OTHER_PRIORITY_TEXT = "优先办理"


def priority_text(priority: str) -> str:
    """The line a priority ticket carries: the elderly are named (the clerk looks for them), the others not."""
    return PRIORITY_TEXT.get(priority, OTHER_PRIORITY_TEXT)


def appointment_text(appointment_at: float | None, timezone: str) -> str:
    if not appointment_at:
        return ""
    return "预约 " + dt.datetime.fromtimestamp(appointment_at, ZoneInfo(timezone)).strftime("%H:%M")


def ticket_slip(t: Mapping[str, Any], *, people_ahead: int, wait_text: str, status_url: str) -> TicketSlip:
    """`t`: the ticket with its queue's names, its hall's name and time zone (KioskPort.ticket_for_print)."""
    return TicketSlip(hall_name=t["hall_name"], number=t["number"], queue_name=t["queue_name"],
                      queue_name_en=t["queue_name_en"], issued_at=t["issued_at"], timezone=t["timezone"],
                      people_ahead=people_ahead, wait_text=wait_text, status_url=status_url,
                      priority_text=priority_text(t["priority"]),
                      appointment_text=appointment_text(t["appointment_at"], t["timezone"]))
