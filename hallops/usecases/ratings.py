"""好差评: rating a visit (the window's pad, the citizen's phone), the follow-up of bad ratings, the calendar
and deadline settings, 办件编号, and reporting upward to the province (the outbox and its delivery loop).

Who rates is decided by hallops/domain/ratings.py: only the citizen — on the pad of the window that served
them, or from the phone page that holds their ticket's token. A signed-in staff member never rates, even
holding a citizen's link.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import TYPE_CHECKING, Any

import aiohttp

from hallops.domain.actors import Actor
from hallops.domain.calendar import CountFrom, WorkCalendar
from hallops.domain.errors import E, Forbidden, InvalidInput
from hallops.domain.model import STAFF_ROLES, Role
from hallops.domain.ratings import (
    ANSWER_RESULTS,
    ANSWER_WAYS,
    INDICATORS,
    LEVEL_LABELS,
    REASONS,
    FollowupAction,
    check_rater,
)
from hallops.domain.stats import check_day
from hallops.reports.publish import message_body, post
from hallops.storage.reports import DueDelivery
from hallops.usecases.patrols import STAFF, SUPERVISORS, require_role

if TYPE_CHECKING:
    from hallops.usecases import Context

log = logging.getLogger(__name__)
ADMINS = frozenset({Role.ADMIN})
RETRY_BASE_SECONDS = 30.0
RETRY_CAP_SECONDS = 1800.0
MAX_ATTEMPTS = 6
POST_TIMEOUT_SECONDS = 10.0


def choices() -> dict[str, Any]:
    """The pad's and the phone's buttons: levels, indicators, reasons (Chinese first, English second)."""
    return {"levels": [{"key": k.value, "label": zh, "label_en": en} for k, (zh, en) in LEVEL_LABELS.items()],
            "indicators": [{"key": k, "label": zh, "label_en": en} for k, zh, en in INDICATORS],
            "reasons": [{"key": k, "label": zh, "label_en": en} for k, zh, en in REASONS],
            "answer_ways": [{"key": k, "label": zh} for k, zh in ANSWER_WAYS],
            "answer_results": [{"key": k, "label": zh} for k, zh in ANSWER_RESULTS]}


def retry_delay(attempts: int) -> float:
    return min(RETRY_BASE_SECONDS * 2 ** (attempts - 1), RETRY_CAP_SECONDS)


class Ratings:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.port = ctx.ports.ratings
        self.session: aiohttp.ClientSession | None = None  # the delivery loop's, made on first use

    # -- rating ------------------------------------------------------------------------------------------------

    async def pad(self, actor: Actor) -> dict[str, Any]:
        """What the window's pad shows now: its window, and the visit just finished there if still unrated."""
        require_role(actor, {Role.RATING_PAD})
        if actor.window_id is None:
            raise Forbidden(E.WRONG_PAD, "评价器令牌须绑定窗口 (a rating pad token must be bound to a window)")
        window = await self.port.window_info(actor.window_id)
        return {"window": window, "offer": await self.port.pad_current(actor.window_id, self.ctx.clock()),
                **choices()}

    async def rate_on_pad(self, actor: Actor, ticket_id: int, spec: dict[str, Any]) -> dict[str, Any]:
        require_role(actor, {Role.RATING_PAD})
        return await self.port.rate(ticket_id, Role.RATING_PAD.value, actor.window_id, spec)

    async def by_token(self, actor: Actor | None, token: str) -> dict[str, Any]:
        """The citizen's view of their visit's rating (the phone page, or the slip's QR code)."""
        t = await self.port.ticket_by_token(token)
        return {**await self.port.rating_state(t["id"], self.ctx.clock()), **choices()}

    async def rate_by_token(self, actor: Actor | None, token: str, spec: dict[str, Any]) -> dict[str, Any]:
        if actor is not None and actor.role in STAFF_ROLES:
            check_rater(actor.role.value, None, None)  # staff never rate, even with a citizen's link
        if actor is not None and actor.role is not Role.RATING_PAD and actor.role not in STAFF_ROLES:
            raise Forbidden(E.STAFF_CANNOT_RATE, "设备不能代替群众评价 (devices do not rate for citizens)")
        t = await self.port.ticket_by_token(token)
        return await self.port.rate(t["id"], "citizen", None, spec)

    async def list_ratings(self, actor: Actor, hall_id: int, day_from: dt.date, day_to: dt.date, *, bad_only: bool,
                   window_id: int | None) -> list[dict[str, Any]]:
        require_role(actor, SUPERVISORS)
        actor.check_hall(hall_id)
        start, end = await self.bounds(hall_id, day_from, day_to)
        return await self.port.ratings(hall_id, start, end, bad_only=bad_only, window_id=window_id)

    async def bounds(self, hall_id: int, day_from: dt.date, day_to: dt.date) -> tuple[float, float]:
        check_day(day_from, "from")
        check_day(day_to, "to")
        return await self.port.bounds_of(hall_id, day_from, day_to)

    async def expire_unrated(self) -> dict[int, int]:
        """The loop's step: visits whose time to rate ran out are recorded unrated."""
        return await self.port.expire_unrated()

    # -- follow-ups ---------------------------------------------------------------------------------------------

    async def followups(self, actor: Actor, hall_id: int, *, open_only: bool) -> list[dict[str, Any]]:
        require_role(actor, STAFF)
        actor.check_hall(hall_id)
        return await self.port.followups(hall_id, actor, self.ctx.clock(), open_only=open_only)

    async def followup(self, actor: Actor, followup_id: int) -> dict[str, Any]:
        require_role(actor, STAFF)
        return await self.port.followup(followup_id, actor)

    async def followup_act(self, actor: Actor, followup_id: int, action: FollowupAction, note: str, way: str = "",
                           result: str = "") -> dict[str, Any]:
        require_role(actor, STAFF)
        await self.port.followup_act(followup_id, action, actor, note, way, result)
        return await self.port.followup(followup_id, actor)

    # -- settings, calendar, department heads, 办件编号 -------------------------------------------------------

    async def settings(self, actor: Actor, hall_id: int) -> dict[str, Any]:
        require_role(actor, SUPERVISORS)
        actor.check_hall(hall_id)
        s = await self.port.settings(hall_id)
        return {**s, "province_token": "***" if s["province_token"] else ""}

    async def save_settings(self, actor: Actor, hall_id: int, changes: dict[str, Any]) -> dict[str, Any]:
        require_role(actor, ADMINS)
        actor.check_hall(hall_id)
        await self.port.save_settings(hall_id, changes, actor)
        return await self.settings(actor, hall_id)

    async def calendar(self, actor: Actor, hall_id: int, year: int) -> dict[str, Any]:
        """The year's days off and make-up working days as the hall's deadlines count them, and where from."""
        require_role(actor, STAFF)
        actor.check_hall(hall_id)
        cal = await self._calendar(hall_id)
        days, years = await self.port.calendar_rows(hall_id)
        special = []
        d = dt.date(year, 1, 1)
        while d.year == year:
            worked, settled = cal.day(d)
            if worked != (d.weekday() < 5):
                special.append({"day": d.isoformat(), "workday": worked, "settled": settled})
            d += dt.timedelta(days=1)
        return {"year": year, "known": cal.is_known_year(year), "special_days": special,
                "overrides": [{**r, "workday": bool(r["workday"])} for r in days], "confirmed_years": years}

    async def _calendar(self, hall_id: int) -> WorkCalendar:
        days, years = await self.port.calendar_rows(hall_id)
        return WorkCalendar({dt.date.fromisoformat(r["day"]): bool(r["workday"]) for r in days},
                            frozenset(int(y["year"]) for y in years))

    async def set_calendar(self, actor: Actor, hall_id: int, days: list[dict[str, Any]],
                           years: list[dict[str, Any]]) -> dict[str, Any]:
        require_role(actor, ADMINS)
        actor.check_hall(hall_id)
        for d in days:
            check_day(d["day"], "day")
        await self.port.set_days(hall_id, [(d["day"].isoformat(), d["workday"], d.get("note") or "") for d in days],
                                 [(y["year"], y["confirmed"], y.get("note") or "") for y in years], actor)
        return await self.calendar(actor, hall_id, days[0]["day"].year if days else
                                   (years[0]["year"] if years else dt.date.today().year))

    async def deadline(self, actor: Actor, hall_id: int, received: dt.date, working_days: int | None,
                       kind: str) -> dict[str, Any]:
        """Preview: when is something received on `received` due, by this hall's calendar and rules."""
        require_role(actor, STAFF)
        actor.check_hall(hall_id)
        check_day(received, "received")
        s = await self.port.settings(hall_id)
        days = working_days or int(s[f"{kind}_days"])
        try:
            d = (await self._calendar(hall_id)).deadline(received, days, CountFrom(s["count_from"]))
        except ValueError as e:
            raise InvalidInput(E.INVALID_INPUT, f"工作日数无效 ({e})", field="days") from None
        return d.as_json()

    async def set_department_head(self, actor: Actor, hall_id: int, department_id: int, user_id: int | None) -> None:
        require_role(actor, ADMINS)
        actor.check_hall(hall_id)
        await self.port.set_department_head(hall_id, department_id, user_id, actor)

    async def set_case_numbers(self, actor: Actor, ticket_id: int, numbers: dict[str, str]) -> dict[str, str]:
        """办件编号 of a finished visit, as the clerk enters it at the finish (or later)."""
        require_role(actor, STAFF)
        return await self.port.set_case_numbers(ticket_id, actor, numbers)

    # -- reporting upward ------------------------------------------------------------------------------------------

    async def deliveries(self, actor: Actor, hall_id: int) -> list[dict[str, Any]]:
        require_role(actor, SUPERVISORS)
        actor.check_hall(hall_id)
        return await self.port.deliveries(hall_id)

    async def retry_delivery(self, actor: Actor, hall_id: int, delivery_id: int) -> None:
        require_role(actor, SUPERVISORS)
        actor.check_hall(hall_id)
        await self.port.retry_delivery(delivery_id, hall_id)

    async def deliver_due(self) -> int:
        """The loop's step: post what is due (province and robots) outside any transaction, record each outcome."""
        due = await self.port.claim_due(POST_TIMEOUT_SECONDS + 50)
        if not due:
            return 0
        if self.session is None or self.session.closed:
            self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=POST_TIMEOUT_SECONDS))
        for d in due:
            status, error = await self._post(d)
            retry_at = None
            if error is not None and d["attempts"] < MAX_ATTEMPTS:
                retry_at = self.ctx.clock() + retry_delay(d["attempts"])
            if error is not None:
                log.warning("quality delivery %s (%s) failed: %s", d["id"], d["target"], error)
            await self.port.record_attempt(d["id"], error is None, status, error, retry_at)
        return len(due)

    async def _post(self, d: dict[str, Any]) -> tuple[int | None, str | None]:
        assert self.session is not None
        body = json.loads(d["body"])
        if d["target"] == "webhook":
            if d["robot_url"] is None:
                return None, "webhook removed"
            out = await post(self.session, DueDelivery(d["id"], d["attempts"], message_body(
                d["robot_kind"], body["title"], body["text"]), d["robot_kind"], d["robot_url"], d["robot_secret"]),
                self.ctx.clock())
            return out.http_status, out.error
        return await post_province(self.session, d["settings"]["province_url"], d["settings"]["province_token"],
                                   d["id"], body)

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()


async def post_province(session: aiohttp.ClientSession, url: str, token: str, delivery_id: int,
                        body: dict[str, Any]) -> tuple[int | None, str | None]:
    """The HTTP adapter of the province's 好差评 system: POST the JSON body to the hall's endpoint with
    `X-Auth-Token: <token>` (the province issues it; kept apart from Authorization, which proxies and our own API
    read) and `Idempotency-Key: hallops-<delivery id>` (a retry of one message is
    recognised); accepted on HTTP 2xx with `{"code": 0}` (or an empty body). Anything else is retried."""
    if not url:
        return None, "no province endpoint configured"
    headers = {"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": f"hallops-{delivery_id}"}
    if token:
        headers["X-Auth-Token"] = token
    try:
        async with session.post(url, data=json.dumps(body, ensure_ascii=False).encode(), headers=headers) as resp:
            text = await resp.text()
            if not 200 <= resp.status < 300:
                return resp.status, f"HTTP {resp.status}: {text[:200]}"
            try:
                answer = json.loads(text) if text.strip() else {}
            except ValueError:
                return resp.status, f"not JSON: {text[:200]}"
            if isinstance(answer, dict) and answer.get("code", 0) not in (0, "0"):
                return resp.status, f"code {answer.get('code')}: {str(answer.get('message', ''))[:200]}"
            return resp.status, None
    except (aiohttp.ClientError, TimeoutError) as e:
        return None, f"{type(e).__name__}: {e}"[:300]
