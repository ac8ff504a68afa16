"""Findings (问题) and their rectification (整改): recording one, changing it, each step of its life (start,
rectify, verify, reopen), remarks, photos, and the clerk's "my findings".

Managers record, change, verify and reopen findings; clerks see those about their window or themselves and
answer them. Which step is legal, who may verify (never one's own rectification) and the escalation of
repeated findings are decided by hallops/domain/patrols.py inside the write job, on the rows it loaded.
A photo's file is written before the job that records it (a PostgreSQL job may run twice) and removed when
the job fails: see storage/findings.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from hallops.domain.actors import Actor
from hallops.domain.model import Role
from hallops.domain.patrols import FindingAction, FindingStatus, image_type, photo_stage
from hallops.usecases.halls import Halls
from hallops.usecases.patrols import STAFF, SUPERVISORS, require_role, with_overdue

if TYPE_CHECKING:
    from hallops.usecases import Context


def my_counts(findings: list[dict[str, Any]]) -> dict[str, int]:
    """What the clerk's page counts: still open, overdue, waiting for their answer."""
    return {"open": sum(1 for f in findings if f["status"] != FindingStatus.VERIFIED),
            "overdue": sum(1 for f in findings if f["overdue"]),
            "to_answer": sum(1 for f in findings if f["status"] in (FindingStatus.OPEN, FindingStatus.REOPENED))}


class Findings:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.port = ctx.ports.findings

    async def list(self, actor: Actor, hall_id: int, *, status: FindingStatus | None = None,
                   window_id: int | None = None, overdue: bool = False, open_only: bool = False
                   ) -> list[dict[str, Any]]:
        """The hall's findings this actor may see: overdue first, then what waits for action, then the newest."""
        require_role(actor, STAFF)
        actor.check_hall(hall_id)
        now = self.ctx.clock()
        rows = await self.port.findings(hall_id, actor, now, status=status, window_id=window_id, overdue=overdue,
                                        open_only=open_only)
        return [with_overdue(r, now) for r in rows]

    async def open(self, actor: Actor, hall_id: int, spec: dict[str, Any]) -> dict[str, Any]:
        """Record a finding (on a patrol, whose item is then marked, or on its own)."""
        require_role(actor, SUPERVISORS)
        actor.check_hall(hall_id)
        return with_overdue(await self.port.create(hall_id, spec, actor), self.ctx.clock())

    async def default_dues(self, actor: Actor, hall_id: int) -> dict[str, dict[str, Any]]:
        """By when a finding made now is due, per severity, when the manager gives no date (the form shows it)."""
        require_role(actor, SUPERVISORS)
        actor.check_hall(hall_id)
        dues = await self.port.default_dues(hall_id)
        return {sev.value: {"due_at": due, "provisional": provisional} for sev, (due, provisional) in dues.items()}

    async def get(self, actor: Actor, finding_id: int) -> dict[str, Any]:
        """A finding with its photos and history, if this actor may see it."""
        require_role(actor, STAFF)
        return with_overdue(await self.port.finding(finding_id, actor), self.ctx.clock())

    async def update(self, actor: Actor, finding_id: int, changes: dict[str, Any]) -> dict[str, Any]:
        """Change its severity, due date or who fixes it."""
        require_role(actor, SUPERVISORS)
        await self.port.update(finding_id, changes, actor)
        return await self.get(actor, finding_id)

    async def act(self, actor: Actor, finding_id: int, action: FindingAction, note: str) -> dict[str, Any]:
        require_role(actor, STAFF)
        await self.port.act(finding_id, action, note, actor)
        return await self.get(actor, finding_id)

    async def comment(self, actor: Actor, finding_id: int, note: str) -> dict[str, Any]:
        require_role(actor, STAFF)
        await self.port.comment(finding_id, note, actor)
        return await self.get(actor, finding_id)

    async def add_photo(self, actor: Actor, finding_id: int, stage: str | None,
                        read: Callable[[], Awaitable[bytes]]) -> dict[str, Any]:
        """Keep a photo of what was found (managers) or of the fix; JPEG, PNG or WebP, told by its bytes.
        `read` gives the upload; it is called only once the finding is known to be there for this actor, so a
        refused upload is not read first."""
        require_role(actor, STAFF)
        chosen = photo_stage(stage, actor.is_supervisor)
        finding = await self.get(actor, finding_id)
        data = await read()
        mime = image_type(data)
        hall = await Halls(self.ctx).resolve(actor, int(finding["hall_id"]))
        month = dt.datetime.fromtimestamp(self.ctx.clock(), ZoneInfo(hall["timezone"])).strftime("%Y-%m")
        return await self.port.add_photo(finding_id, finding["hall_id"], chosen, data, mime, month, actor)

    async def photo_file(self, actor: Actor, photo_id: int) -> tuple[Path, str] | None:
        """A photo's file and its type, if this actor may see its finding; None when the file is missing."""
        require_role(actor, STAFF)
        return await self.port.photo_file(photo_id, actor)

    async def mine(self, actor: Actor, hall_ref: str | None, *, include_verified: bool) -> dict[str, Any]:
        """The findings about a clerk's window or themselves, with their window and the counts."""
        require_role(actor, STAFF)
        hall_id = await self._my_hall(actor, hall_ref)
        window = await self.port.clerk_window(actor) if actor.role is Role.CLERK else None
        now = self.ctx.clock()
        findings = [with_overdue(r, now) for r in await self.port.findings(hall_id, actor, now,
                                                                           open_only=not include_verified)]
        return {"hall_id": hall_id, "window": window, "findings": findings, "counts": my_counts(findings)}

    async def _my_hall(self, actor: Actor, ref: str | None) -> int:
        """The hall asked for, else the actor's own, else the only one there is."""
        return await Halls(self.ctx).hall_id_for(actor, ref)
