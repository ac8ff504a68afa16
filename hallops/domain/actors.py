"""Who is acting: a signed-in staff member or a device/script token, with the checks of where they may act.

A domain value: use cases check it, and storage checks it inside a transaction when a check and its write
must see the same rows."""

from __future__ import annotations

from dataclasses import dataclass

from hallops.domain.errors import E, Forbidden, NotFound
from hallops.domain.model import STAFF_ROLES, Priority, Role


@dataclass(frozen=True, slots=True)
class Actor:
    role: Role
    user_id: int | None = None  # staff signed in with a password
    display_name: str = ""
    hall_id: int | None = None  # None: every hall
    window_id: int | None = None  # a device or script token bound to one window
    token_id: int | None = None
    address: str | None = None  # where the request came from (the audit log's "from where")
    # The halls a hall-bound actor may see (hallops/domain/halltree.py `scope_of`: a manager's centre and the
    # centres below it); None with a hall: that hall alone.
    scope: frozenset[int] | None = None

    @property
    def is_supervisor(self) -> bool:
        return self.role in (Role.ADMIN, Role.MANAGER)

    def sees(self, hall_id: int) -> bool:
        if self.hall_id is None:
            return True
        if self.scope is not None:
            return hall_id in self.scope
        return hall_id == self.hall_id

    def check_hall(self, hall_id: int) -> None:
        """Another hall's objects do not exist for a hall-bound actor (outside the part of the tree they hold)."""
        if not self.sees(hall_id):
            raise NotFound(E.NOT_FOUND, "不存在或无权访问 (not found)")

    def check_window(self, window_id: int, signed_in_user_id: int | None) -> None:
        """A clerk acts only on the window they are signed in to (or their token is bound to)."""
        if self.is_supervisor:
            return
        if self.role is Role.CLERK:
            if self.window_id is not None and self.window_id == window_id:
                return
            if self.user_id is not None and signed_in_user_id == self.user_id:
                return
            raise Forbidden(E.NOT_YOUR_WINDOW, "只能操作本人登录的窗口 (you are not signed in to this window)")
        raise Forbidden(E.FORBIDDEN, "无权操作窗口 (this role cannot act on windows)")

    def check_window_view(self, window_id: int, signed_in_user_id: int | None) -> None:
        """A clerk sees the console of a window they may act on (`check_window`), or, signed in with a password,
        of a window nobody is signed in to (to open it): never a window another clerk is serving at (its
        citizen's ticket, history and figures are theirs)."""
        if self.role is Role.CLERK and self.window_id is None and signed_in_user_id is None:
            return
        self.check_window(window_id, signed_in_user_id)

    def check_priority(self, priority: Priority) -> None:
        """Elderly and disabled priority are given on sight, by a kiosk's buttons or by staff; the green channel
        (绿色通道: urgent cases a supervisor lets through) only by staff. A kiosk never offers it."""
        if priority is Priority.GREEN_CHANNEL and self.role not in STAFF_ROLES:
            raise Forbidden(E.PRIORITY_NOT_ON_KIOSK, "绿色通道须由工作人员办理 (the green channel is given by staff, "
                            "not at a kiosk)")
