"""Text messages to citizens: what each says, when a failed one is tried again, and how often one number may
be texted. Pure; the queue lives in storage (sms_outbox), the sending loop in usecases/citizens.py, the
providers in hallops/sms/.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

RETRY_AFTER = (15.0, 60.0, 300.0, 900.0, 3600.0)  # seconds after the 1st, 2nd … failure; then it has failed
PER_NUMBER_HOUR = 6       # texts one number may get in an hour (a family member may follow several tickets)
MIN_GAP_SECONDS = 20.0    # between two texts to one number: a burst of news is spread out
AHEAD_MIN, AHEAD_MAX = 1, 20
KINDS = ("near", "called", "booked", "reminder", "cancelled")


@dataclass(frozen=True, slots=True)
class Decision:
    send: bool
    later_until: float = 0.0  # when not now: the earliest it may go


def retry_at(attempts: int, now: float) -> float | None:
    """When to try again after `attempts` failed tries (None: give up)."""
    if attempts > len(RETRY_AFTER):
        return None
    return now + RETRY_AFTER[attempts - 1]


def may_send(sent_to_number: Sequence[float], now: float) -> Decision:
    """Whether a number may get a text now, given when it got its texts of the last hour."""
    recent = sorted(t for t in sent_to_number if t > now - 3600)
    if recent and now - recent[-1] < MIN_GAP_SECONDS:
        return Decision(False, recent[-1] + MIN_GAP_SECONDS)
    if len(recent) >= PER_NUMBER_HOUR:
        return Decision(False, recent[-PER_NUMBER_HOUR] + 3600)
    return Decision(True)


def text(kind: str, p: Mapping[str, object]) -> str:
    """The message as the fake provider (and the staff's list) shows it; cloud templates carry the same
    parameters, approved in the cloud's console."""
    hall = p.get("hall", "")
    if kind == "near":
        return (f"【{hall}】您的号 {p['number']} 前面还有 {p['ahead']} 人，请回到大厅留意叫号。"
                f"(Ticket {p['number']}: {p['ahead']} ahead, please come back.)")
    if kind == "called":
        return (f"【{hall}】请 {p['number']} 号到 {p['window']} 号窗口办理。"
                f"(Ticket {p['number']}: please go to window {p['window']}.)")
    if kind == "booked":
        return (f"【{hall}】预约成功：{p['item']} {p['when']}，预约码 {p['code']}，请提前到大厅签到。"
                f"(Booked {p['when']}, code {p['code']}.)")
    if kind == "reminder":
        return (f"【{hall}】提醒：您预约了明天 {p['when']} 的 {p['item']}，预约码 {p['code']}。"
                f"(Reminder: booking tomorrow {p['when']}, code {p['code']}.)")
    if kind == "cancelled":
        return f"【{hall}】您 {p['when']} 的预约已取消。(Your booking {p['when']} is cancelled.)"
    raise ValueError(f"unknown message kind {kind!r}")


def template_params(kind: str, p: Mapping[str, object]) -> list[str]:
    """The ordered parameters of a cloud template of this kind (both clouds take them as strings)."""
    order = {"near": ("number", "ahead"), "called": ("number", "window"), "booked": ("item", "when", "code"),
             "reminder": ("when", "item", "code"), "cancelled": ("when",)}[kind]
    return [str(p[k]) for k in order]


def should_text_near(ahead: int, threshold: int, already: bool) -> bool:
    return not already and 0 <= ahead <= threshold
