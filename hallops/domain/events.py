"""Every event the hall raises, by name, with what its payload carries.

Each change is recorded as an event in the same transaction (with the hall's next sequence number); screens,
tablets, phones and other server processes follow them. The payloads are JSON objects; the keys listed here
are the ones clients may rely on (`ticket`, `window` are the shapes of hallops/storage/views.py).
"""

from __future__ import annotations

from enum import StrEnum


class Ev(StrEnum):
    # Tickets: payload {"ticket": ticket, "window": window | null, …}; those of an action on a ticket + "was": the
    # status it left; called, cancelled and transferred + "queues": [{"id", "waiting", "oldest_at"}], the waiting
    # lines they changed as they are now (screens apply them: hallops/domain/hallstate.py)
    TICKET_ISSUED = "ticket.issued"  # + "people_ahead", "service_day"
    TICKET_CALLED = "ticket.called"  # + "reason": "call" | "call_back" | "auto"; a call-back + "started_at"
    TICKET_RECALLED = "ticket.recalled"
    TICKET_STARTED = "ticket.started"
    TICKET_PARKED = "ticket.parked"
    TICKET_FINISHED = "ticket.finished"  # + "items", "service_seconds" (since it started)
    TICKET_NO_SHOW = "ticket.no_show"  # + "auto": true when the recall limit ran out
    TICKET_CANCELLED = "ticket.cancelled"
    TICKET_TRANSFERRED = "ticket.transferred"  # + "from", "to"
    TICKET_EXPIRED = "ticket.expired"
    DAY_CLOSED = "day.closed"  # {"expired": n, "expired_ids", "windows_closed": [numbers], "service_day",
    #                             "queues" (as above, every queue of the hall), "today": {status: n}}
    # Windows: payload {"window": window state}
    WINDOW_OPENED = "window.opened"
    WINDOW_PAUSED = "window.paused"  # + "reason"
    WINDOW_RESUMED = "window.resumed"
    WINDOW_CLOSED = "window.closed"
    # The hall's layout and settings
    # {"kind", "id"}; + "archived": true; an import: {"kind": "service_items", "import": {counts}}
    LAYOUT_CHANGED = "layout.changed"
    HALL_CITIZEN_SETTINGS = "hall.citizen_settings"
    # Appointments
    APPOINTMENTS_SLOTS_ADDED = "appointments.slots_added"
    APPOINTMENTS_BOOKED = "appointments.booked"
    # Patrols and findings: payload {"patrol": …} / {"finding": …}
    PATROL_STARTED = "patrol.started"
    PATROL_CHECKED = "patrol.checked"
    PATROL_FINISHED = "patrol.finished"
    PATROL_CANCELLED = "patrol.cancelled"
    PATROL_SETTINGS_CHANGED = "patrol.settings_changed"
    PATROL_CHECKLIST_CHANGED = "patrol.checklist_changed"
    FINDING_OPENED = "finding.opened"
    FINDING_UPDATED = "finding.updated"
    FINDING_COMMENTED = "finding.commented"
    FINDING_PHOTO_ADDED = "finding.photo_added"
    FINDING_ESCALATED = "finding.escalated"
    FINDING_RECTIFYING = "finding.rectifying"
    FINDING_RECTIFIED = "finding.rectified"
    FINDING_VERIFIED = "finding.verified"
    FINDING_REOPENED = "finding.reopened"
    # Alerts: payload {"alert": …}
    ALERT_RAISED = "alert.raised"
    ALERT_CLEARED = "alert.cleared"
    ALERT_ACKNOWLEDGED = "alert.acknowledged"
    ALERT_RULES_CHANGED = "alert.rules_changed"
    # 好差评 and cases (issue 12): payload {"rating": …} / {"followup": …} / {"case": …}
    RATING_GIVEN = "rating.given"  # + "bad": true when a follow-up was opened
    RATING_UNRATED = "rating.unrated"  # {"count"}: visits whose time to rate ran out
    FOLLOWUP_CHANGED = "followup.changed"  # + "action"
    CASE_CHANGED = "case.changed"  # + "action"
    DEADLINE_SCAN = "deadline.scan"  # {"day", "due_soon": [...], "overdue": [...]}


# The events a lobby screen announces.
CALLS = frozenset({Ev.TICKET_CALLED, Ev.TICKET_RECALLED})
