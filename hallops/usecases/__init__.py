"""The application layer: one method per use case, the only door through which anything changes the hall.

A use case takes the actor and plain arguments (ids, domain values, dicts of changes), checks the rules —
who may do it (roles, hall, window) and what the domain allows (`hallops/domain/` decides, as pure code) —
and calls storage through its ports (`hallops/storage/ports.py`). It never sees SQL, a transaction or a
database object; handlers (hallops/http/) parse and respond and never see storage. Where a rule must be
checked against rows inside the same transaction as the write (call next, transitions), the port loads the
rows and hands them to a pure domain function given by the use case, in the transaction.

One module per subject: `tickets.py`, `windows.py`, `halls.py`, `patrols.py`, `findings.py`, `alerts.py`,
`kiosk.py`, `phones.py`, `appointments.py`, `reports.py`, `accounts.py`, `layout.py`. `UseCases` holds one
object per subject; `create_app` builds it once and hangs it on the app (`http/keys.py`: USECASES).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from hallops.config import Config
from hallops.storage.ports import Ports
from hallops.usecases.accounts import Accounts
from hallops.usecases.alerts import Alerts
from hallops.usecases.appointments import Appointments
from hallops.usecases.audit import Audit
from hallops.usecases.briefings import Briefings
from hallops.usecases.bundles import Bundles
from hallops.usecases.cases import Cases
from hallops.usecases.citizens import Citizens
from hallops.usecases.console import Console
from hallops.usecases.district import District
from hallops.usecases.findings import Findings
from hallops.usecases.floor import Floor
from hallops.usecases.halls import Halls
from hallops.usecases.kiosk import Kiosk
from hallops.usecases.layout import Layout
from hallops.usecases.patrols import Patrols
from hallops.usecases.phones import Phones
from hallops.usecases.ratings import Ratings
from hallops.usecases.reports import Reports
from hallops.usecases.supervision import Supervision
from hallops.usecases.tickets import Tickets
from hallops.usecases.windows import Windows


@dataclass(frozen=True)
class Context:
    """What every subject's use cases are built with."""

    ports: Ports
    config: Config
    clock: Callable[[], float]


@dataclass(frozen=True)
class UseCases:
    ctx: Context

    @classmethod
    def build(cls, ports: Ports, config: Config, clock: Callable[[], float]) -> UseCases:
        return cls(Context(ports, config, clock))

    # The heart of the hall: tickets, windows, halls.
    @cached_property
    def tickets(self) -> Tickets:
        return Tickets(self.ctx)

    @cached_property
    def windows(self) -> Windows:
        return Windows(self.ctx)

    @cached_property
    def halls(self) -> Halls:
        return Halls(self.ctx)

    @cached_property
    def district(self) -> District:
        return District(self.ctx)

    @property
    def accounts(self) -> Accounts:
        return Accounts(self.ctx)

    @property
    def layout(self) -> Layout:
        return Layout(self.ctx)

    @property
    def audit(self) -> Audit:
        return Audit(self.ctx)

    @property
    def bundles(self) -> Bundles:
        return Bundles(self.ctx)

    @property
    def patrols(self) -> Patrols:
        return Patrols(self.ctx)

    @property
    def findings(self) -> Findings:
        return Findings(self.ctx)

    @property
    def supervision(self) -> Supervision:
        return Supervision(self.ctx)

    @property
    def floor(self) -> Floor:
        return Floor(self.ctx)

    @cached_property
    def alerts(self) -> Alerts:
        # One object for the server's life: it counts the evaluations (the loop's and those asked for).
        return Alerts(self.ctx)

    # The citizen's and the clerk's pages: built on first use, one each per UseCases.
    @cached_property
    def kiosk(self) -> Kiosk:
        return Kiosk(self.ctx)

    @cached_property
    def phones(self) -> Phones:
        return Phones(self.ctx)

    @cached_property
    def appointments(self) -> Appointments:
        return Appointments(self.ctx)

    @cached_property
    def citizens(self) -> Citizens:
        # One for the server's life: it holds the identity and SMS providers (issue 15).
        return Citizens(self.ctx)

    @cached_property
    def console(self) -> Console:
        return Console(self.ctx)

    # Statistics and briefings: one object each for the server's life (the roll-up lock, the publisher's hooks).
    @cached_property
    def reports(self) -> Reports:
        return Reports(self.ctx)

    @cached_property
    def briefings(self) -> Briefings:
        return Briefings(self.ctx, self.reports.stats)

    # 好差评 and their follow-ups, cases (issue 12): one each for the server's life (the delivery session).
    @cached_property
    def ratings(self) -> Ratings:
        return Ratings(self.ctx)

    @cached_property
    def cases(self) -> Cases:
        return Cases(self.ctx)
