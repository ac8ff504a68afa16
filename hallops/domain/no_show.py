"""Auto-no-show (自动过号): after the last allowed recall, a hall may have a called ticket marked no-show by
itself once a set number of seconds has passed since that recall. The server decides and acts (a background
loop); the clerk's page only shows the countdown."""

from __future__ import annotations

from dataclasses import dataclass

from hallops.domain.model import TicketStatus


@dataclass(frozen=True, slots=True)
class AutoNoShow:
    recall_limit: int  # the configured recall limit; 0: no limit, so never automatic
    seconds: int  # the hall's setting; 0: the clerk decides

    @property
    def enabled(self) -> bool:
        return self.recall_limit > 0 and self.seconds > 0

    def due_at(self, status: TicketStatus, recall_count: int, called_at: float | None) -> float | None:
        """When the ticket becomes no-show by itself, or None when it never will as it stands."""
        if not self.enabled or status is not TicketStatus.CALLED or called_at is None:
            return None
        if recall_count < self.recall_limit:
            return None
        return called_at + self.seconds

    def is_due(self, status: TicketStatus, recall_count: int, called_at: float | None, now: float) -> bool:
        due = self.due_at(status, recall_count, called_at)
        return due is not None and now >= due
