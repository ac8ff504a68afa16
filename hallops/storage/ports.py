"""The ports: what the application layer (hallops/usecases/) may ask of storage, one object per subject.

Each port is a class in its subject's storage module (tickets.py, patrols.py, …) holding the database, with
async methods that run whole write jobs (`db.write(lambda tx: …)`) or snapshot reads and return plain values
(dicts of column values, domain objects). The SQL is written once for both backends (see db.py). `Ports`
gathers them; `create_app` builds it once from the open database.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from hallops.storage.accounts import AccountStore, SigningKeys
from hallops.storage.alerts import AlertsPort
from hallops.storage.appointments import AppointmentsPort
from hallops.storage.audit import AuditStore
from hallops.storage.bundles import BundlesPort
from hallops.storage.cases import CasesPort
from hallops.storage.citizens import CitizensPort
from hallops.storage.console import ConsolePort
from hallops.storage.db import Database
from hallops.storage.district import DistrictPort
from hallops.storage.findings import FindingsPort
from hallops.storage.halls import HallStore, HallTree
from hallops.storage.kiosk import KioskPort
from hallops.storage.layout import LayoutStore
from hallops.storage.patrols import PatrolsPort
from hallops.storage.phones import PhonesPort
from hallops.storage.ratings import RatingsPort
from hallops.storage.reports import ReportsPort
from hallops.storage.rules import Rules
from hallops.storage.signin import SignInCounters
from hallops.storage.supervision import SupervisionPort
from hallops.storage.tickets import TicketStore


@dataclass(frozen=True)
class Ports:
    db: Database  # for storage's own use and the health check; never handed to the layers above
    rules: Rules
    accounts: AccountStore
    keys: SigningKeys
    layout: LayoutStore

    @classmethod
    def build(cls, db: Database, rules: Rules) -> Ports:
        tree = HallTree(db)  # one per process: layout changes forget it, accounts read it to scope actors
        return cls(db, rules, accounts=AccountStore(db, tree=tree), keys=SigningKeys(db),
                   layout=LayoutStore(db, rules, tree=tree))

    async def schema_versions(self) -> list[int]:
        """The migrations the database has (opening it applied what was missing)."""
        return [int(r[0]) for r in await self.db.all("SELECT version FROM schema_migrations ORDER BY version")]

    # The heart of the hall: tickets and windows, halls and their event log.
    @cached_property
    def tickets(self) -> TicketStore:
        return TicketStore(self.db, self.rules)

    @cached_property
    def halls(self) -> HallStore:
        return HallStore(self.db, self.rules)

    @cached_property
    def district(self) -> DistrictPort:
        """The district board's reads: the tree's centres and their floor figures."""
        return DistrictPort(self.db, self.rules)

    # The floor manager's subjects (patrols, findings, alerts): built on first use, one each per Ports.
    @cached_property
    def patrols(self) -> PatrolsPort:
        return PatrolsPort(self.db, self.rules)

    @cached_property
    def findings(self) -> FindingsPort:
        return FindingsPort(self.db)

    @cached_property
    def supervision(self) -> SupervisionPort:
        """Supervision visits of sub-centres (巡察) and the district's plan to visit them all."""
        return SupervisionPort(self.db)

    @cached_property
    def alerts(self) -> AlertsPort:
        return AlertsPort(self.db, self.rules)

    # The citizen's and the clerk's pages (kiosk, phones, appointments, the console's reads).
    @cached_property
    def kiosk(self) -> KioskPort:
        return KioskPort(self.db)

    @cached_property
    def phones(self) -> PhonesPort:
        return PhonesPort(self.db, self.rules, self.keys.key)

    @cached_property
    def appointments(self) -> AppointmentsPort:
        return AppointmentsPort(self.db, self.rules)

    @cached_property
    def citizens(self) -> CitizensPort:
        return CitizensPort(self.db, self.rules)

    @cached_property
    def console(self) -> ConsolePort:
        return ConsolePort(self.db)

    # Statistics and briefings (roll-ups, kept briefings, webhooks and deliveries).
    @cached_property
    def reports(self) -> ReportsPort:
        return ReportsPort(self.db)

    # 好差评 and their follow-ups, consultation/complaint cases (issue 12).
    @cached_property
    def ratings(self) -> RatingsPort:
        return RatingsPort(self.db)

    @cached_property
    def cases(self) -> CasesPort:
        return CasesPort(self.db)

    # The audit log of the admin console (issue 13): read here, written by each change's own write job.
    @cached_property
    def audit(self) -> AuditStore:
        return AuditStore(self.db)

    @cached_property
    def bundles(self) -> BundlesPort:
        return BundlesPort(self.db)

    # Sign-in attempts, counted before the password is checked (issue 14).
    @cached_property
    def signin(self) -> SignInCounters:
        return SignInCounters(self.db)
