"""Use cases of briefings (简报): generate and keep, annotate, publish to work groups, and the two background
steps — the daily briefing when its time comes, and delivering what is due to the robots.

Posting to a robot happens outside every transaction: a delivery is claimed in one write job, posted, and its
outcome recorded in another (a write job may run twice on PostgreSQL, a post must not).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import aiohttp

from hallops.domain.actors import Actor
from hallops.domain.errors import E, InvalidInput
from hallops.domain.stats import Period, PeriodKind, backoff_seconds
from hallops.reports.briefing import assemble
from hallops.reports.publish import Outcome, ReportSettings, message_body, post, shown_webhook, summary_markdown
from hallops.reports.scheduler import due_day
from hallops.reports.service import Statistics
from hallops.storage.reports import DueDelivery
from hallops.usecases.reports import supervise

if TYPE_CHECKING:
    from hallops.usecases import Context

log = logging.getLogger(__name__)
SCHEDULER = "scheduler"  # who generated a briefing made on time


def check_hhmm(value: str) -> str:
    try:
        t = dt.time.fromisoformat(value)
    except ValueError:
        raise InvalidInput(E.BAD_TIME, f"时间格式应为 HH:MM (time must be HH:MM: {value!r})") from None
    return t.strftime("%H:%M")


def _by(actor: Actor) -> str:
    return actor.display_name or actor.role.value


class Briefings:
    def __init__(self, ctx: Context, stats: Statistics) -> None:
        self.port = ctx.ports.reports
        self.stats = stats
        self.rules = ctx.ports.rules
        self.now = ctx.clock
        self.settings = ReportSettings()
        # Called when deliveries were queued (the publisher's loop wakes up instead of waiting its interval).
        self.on_queued: list[Callable[[], None]] = []
        self._caught_up: set[int] = set()

    # -- kept briefings ------------------------------------------------------------------------------------

    async def kept(self, actor: Actor, hall_id: int) -> list[dict[str, Any]]:
        supervise(actor, hall_id)
        return await self.port.briefings(hall_id)

    async def generate(self, actor: Actor, hall_id: int, kind: PeriodKind, day: dt.date | None) -> dict[str, Any]:
        """Generate (or regenerate) the briefing of the period holding `day` (default: the hall's today)."""
        supervise(actor, hall_id)
        day = day or self.stats.today(await self.port.hall_meta(hall_id))
        return await self.port.briefing(await self._generate(hall_id, Period.of(kind, day), _by(actor)))

    async def get(self, actor: Actor, briefing_id: int) -> dict[str, Any]:
        """A kept briefing with its figures and its deliveries."""
        b = await self._briefing(actor, briefing_id)
        return b | {"deliveries": await self.port.deliveries(b["hall_id"], b["id"])}

    async def view(self, actor: Actor, briefing_id: int) -> dict[str, Any]:
        """What the briefing's page and print forms show: the briefing, its hall and its deliveries."""
        b = await self._briefing(actor, briefing_id)
        return {"briefing": b, "hall": await self.port.hall(b["hall_id"]),
                "deliveries": await self.port.deliveries(b["hall_id"], b["id"])}

    async def regenerate(self, actor: Actor, briefing_id: int) -> dict[str, Any]:
        """Recompute a kept briefing's figures (its annotation and publication stay)."""
        b = await self._briefing(actor, briefing_id)
        period = Period(PeriodKind(b["kind"]), dt.date.fromisoformat(b["period_start"]),
                        dt.date.fromisoformat(b["period_end"]))
        return await self.port.briefing(await self._generate(b["hall_id"], period, _by(actor)))

    async def annotate(self, actor: Actor, briefing_id: int, text: str) -> dict[str, Any]:
        """Set the manager's short comment."""
        b = await self._briefing(actor, briefing_id)
        await self.port.annotate(b["id"], b["hall_id"], text, _by(actor))
        return await self.port.briefing(b["id"])

    async def _briefing(self, actor: Actor, briefing_id: int) -> dict[str, Any]:
        b = await self.port.briefing(briefing_id)
        supervise(actor, b["hall_id"])
        return b

    async def _generate(self, hall_id: int, period: Period, by: str) -> int:
        data = await assemble(self.stats, hall_id, period)
        return await self.port.save_briefing(hall_id, period.kind.value, period.start.isoformat(),
                                             period.end.isoformat(), data, by)

    # -- publication -----------------------------------------------------------------------------------

    async def publish(self, actor: Actor, briefing_id: int, origin: str) -> dict[str, Any]:
        """Queue the briefing's summary for every active webhook of its hall; `origin` (this server as the
        request reached it) makes the link when the hall set no base URL."""
        b = await self._briefing(actor, briefing_id)
        hooks = await self.port.webhooks(b["hall_id"], active_only=True)
        base = (await self.port.settings(b["hall_id"]))["base_url"].rstrip("/") or origin.rstrip("/")
        link = f"{base}/reports/briefings/{b['id']}"
        title, text = summary_markdown(b, link)
        messages = {h["id"]: message_body(h["kind"], title, text) for h in hooks}
        ids = await self.port.publish(b["id"], b["hall_id"], _by(actor), messages)
        self._queued()
        return {"deliveries": ids, "link": link, "text": text}

    async def deliveries(self, actor: Actor, hall_id: int) -> list[dict[str, Any]]:
        supervise(actor, hall_id)
        return await self.port.deliveries(hall_id)

    async def retry(self, actor: Actor, hall_id: int, delivery_id: int) -> dict[str, Any]:
        """Retry a failed (or still pending) delivery now."""
        supervise(actor, hall_id)
        await self.port.retry_delivery(delivery_id, hall_id)
        self._queued()
        return {"id": delivery_id, "state": "pending"}

    def _queued(self) -> None:
        for wake in self.on_queued:
            wake()

    # -- webhooks and settings ---------------------------------------------------------------------------

    async def webhooks(self, actor: Actor, hall_id: int) -> list[dict[str, Any]]:
        supervise(actor, hall_id)
        return [shown_webhook(h) for h in await self.port.webhooks(hall_id)]

    async def add_webhook(self, actor: Actor, hall_id: int, kind: str, url: str, secret: str = "",
                          label: str = "") -> dict[str, Any]:
        supervise(actor, hall_id)
        return shown_webhook(await self.port.add_webhook(hall_id, kind, label, url, secret, actor))

    async def set_webhook_active(self, actor: Actor, hall_id: int, webhook_id: int, active: bool) -> dict[str, Any]:
        supervise(actor, hall_id)
        return shown_webhook(await self.port.set_webhook_active(hall_id, webhook_id, active, actor))

    async def settings_of(self, actor: Actor, hall_id: int) -> dict[str, Any]:
        supervise(actor, hall_id)
        return await self.port.settings(hall_id)

    async def save_settings(self, actor: Actor, hall_id: int, daily_at: str | None,
                            base_url: str | None) -> dict[str, Any]:
        """Change when the daily briefing is made (local HH:MM) or the base of published links."""
        supervise(actor, hall_id)
        values = {"daily_at": None if daily_at is None else check_hhmm(daily_at), "base_url": base_url}
        return await self.port.save_settings(hall_id, values, actor)

    # -- background steps ----------------------------------------------------------------------------------

    async def generate_due(self) -> list[int]:
        """Generate each hall's daily briefing once its time has come, unless kept already or the day had no
        tickets; the first time for a hall, roll up the closed days it misses."""
        made = []
        for h in await self.port.all_settings():
            await self._catch_up(h["hall_id"])
            day = due_day(self.now(), h["timezone"], h["daily_at"], self.rules)
            if day is None or await self.port.find_briefing(h["hall_id"], "daily", day.isoformat()) is not None:
                continue
            if not await self.port.has_tickets(h["hall_id"], day.isoformat()):
                continue
            made.append(await self._generate(h["hall_id"], Period.day(day), SCHEDULER))
            log.info("daily briefing of hall %s for %s generated", h["hall_id"], day)
        return made

    async def _catch_up(self, hall_id: int) -> None:
        if hall_id in self._caught_up:
            return
        built = await self.stats.catch_up(hall_id)
        if built:
            log.info("rolled up %d closed days of hall %s", built, hall_id)
        self._caught_up.add(hall_id)

    async def deliver_due(self) -> int:
        """Post every delivery that is due; returns how many were attempted."""
        due = await self.port.claim_due(self.settings.lease_seconds)
        if not due:
            return 0
        timeout = aiohttp.ClientTimeout(total=self.settings.post_timeout_seconds)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            for d in due:
                await self._record(d, await post(session, d, self.now()))
        return len(due)

    async def _record(self, d: DueDelivery, outcome: Outcome) -> None:
        attempt = d.attempts + 1
        next_at = None
        if not outcome.ok and attempt < self.settings.max_attempts:
            next_at = self.now() + backoff_seconds(attempt, self.settings.retry_base_seconds,
                                                   self.settings.retry_cap_seconds)
        if outcome.ok:
            log.info("briefing delivery %s sent (attempt %d)", d.id, attempt)
        else:
            log.warning("briefing delivery %s failed (attempt %d): %s%s", d.id, attempt, outcome.error,
                        "" if next_at is not None else "; giving up")
        await self.port.record_attempt(d.id, outcome.ok, outcome.http_status, outcome.error, next_at)
