"""Posting a briefing to work-group robots (WeCom 企业微信, DingTalk 钉钉), retried with backoff.

Publishing stores one delivery per webhook with its message fixed; a worker (hallops/usecases/briefings.py,
a background loop) claims what is due, posts it outside any transaction and records the outcome. A post
counts as sent only when the robot answers HTTP 200 with errcode 0 (both robots answer 200 with a non-zero
errcode on a bad key or a rate limit). A failed post is retried after base, 2·base, 4·base … seconds (store
clock) and, after the last attempt, stays "failed" on the manager's page until someone retries it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.parse
from dataclasses import dataclass
from typing import Any

import aiohttp

from hallops.storage.reports import DueDelivery


@dataclass
class ReportSettings:
    """Timings of the background work (tests shorten them)."""

    retry_base_seconds: float = 30.0
    retry_cap_seconds: float = 1800.0
    max_attempts: int = 6
    poll_seconds: float = 5.0
    post_timeout_seconds: float = 10.0
    scheduler_seconds: float = 30.0

    @property
    def lease_seconds(self) -> float:
        """How long a claimed delivery is held from other workers: longer than one post may take."""
        return self.post_timeout_seconds + 50.0


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{round(v * 100, 1)}%"


def summary_markdown(b: dict[str, Any], link: str) -> tuple[str, str]:
    """(title, markdown text) of a briefing's short summary: the few numbers a work group reads."""
    d = b["data"]
    t = d["stats"]["totals"]
    w = t["wait_minutes"]
    kind = {"daily": "日报", "weekly": "周报", "monthly": "月报"}[b["kind"]]
    title = f"{d['hall']['name']}{kind}（{d['period']['label']}）"
    lines = [f"### {title}",
             f"> 取号 **{t['issued']}** 张，办结 **{t['served']}** 件（办结率 {_pct(t['served_rate'])}），"
             f"过号 {t['no_show']} 张",
             f"> 平均等候 {w['mean'] if w['mean'] is not None else '—'} 分钟，"
             f"目标时长内叫号 {_pct(t['within_target_rate'])}"]
    p = d.get("patrols", {})
    if p.get("available"):
        lines.append(f"> 巡查 全面 {p['full']}/{p['full_quota']} 次，抽查 {p['spot']}/{p['spot_quota']} 次；"
                     f"问题 新增 {p['raised']}、整改 {p['rectified']}、未结 {p['open']}（超期 {len(p['overdue'])}）")
    for key in ("ratings", "cases"):
        sec = d.get(key, {})
        if not sec.get("available"):
            lines.append(f"> {sec.get('note', '')}")
        elif key == "ratings":
            lines.append(f"> 好差评 {sec['total']} 件，差评 {sec['bad']} 件，满意率 {_pct(sec['satisfaction_rate'])}")
        else:
            lines.append(f"> 咨询投诉 受理 {sec['received']} 件，办结 {sec['closed']} 件，超期 {sec['overdue']} 件")
    if b.get("annotation"):
        lines.append(f"\n批注：{b['annotation']}")
    lines.append(f"\n[查看完整简报]({link})")
    return title, "\n".join(lines)


def message_body(kind: str, title: str, text: str) -> str:
    """The JSON a robot expects: both take markdown, DingTalk wants a title beside it."""
    if kind == "wecom":
        return json.dumps({"msgtype": "markdown", "markdown": {"content": text}}, ensure_ascii=False)
    return json.dumps({"msgtype": "markdown", "markdown": {"title": title, "text": text}}, ensure_ascii=False)


def signed_url(kind: str, url: str, secret: str, now: float) -> str:
    """DingTalk 加签: timestamp (ms) and base64 HMAC-SHA256 of "timestamp\\nsecret", added to the URL."""
    if kind != "dingtalk" or not secret:
        return url
    ts = str(int(now * 1000))
    digest = hmac.new(secret.encode(), f"{ts}\n{secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest).decode())
    return f"{url}{'&' if '?' in url else '?'}timestamp={ts}&sign={sign}"


def shown_webhook(r: dict[str, Any]) -> dict[str, Any]:
    """A webhook as shown: the secret is never sent back, and the URL's key only by its tail."""
    url = r["url"]
    shown = url if len(url) < 24 else url[:url.find("?") + 1 if "?" in url else 24] + "…" + url[-4:]
    return {"id": r["id"], "kind": r["kind"], "label": r["label"], "url": shown, "has_secret": bool(r["secret"]),
            "active": bool(r["active"])}


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one post came to: sent when `error` is None."""

    http_status: int | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.error is None


def _answer_error(status: int, text: str) -> str | None:
    if status != 200:
        return f"HTTP {status}: {text[:200]}"
    try:
        answer = json.loads(text) if text else {}
    except ValueError:
        answer = {}
    if isinstance(answer, dict) and answer.get("errcode", 0) != 0:
        return f"errcode {answer.get('errcode')}: {str(answer.get('errmsg', ''))[:200]}"
    return None


async def post(session: aiohttp.ClientSession, d: DueDelivery, now: float) -> Outcome:
    """Post one delivery's message to its robot; never raises for the robot's or the network's failures."""
    url = signed_url(d.kind, d.url, d.secret, now)
    try:
        async with session.post(url, data=d.message.encode(),
                                headers={"Content-Type": "application/json; charset=utf-8"}) as resp:
            status = resp.status
            text = await resp.text()
    except (aiohttp.ClientError, TimeoutError) as e:
        return Outcome(None, f"{type(e).__name__}: {e}"[:300])
    return Outcome(status, _answer_error(status, text))
