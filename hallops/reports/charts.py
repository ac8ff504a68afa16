"""Charts of a briefing as SVG strings, drawn with matplotlib's SVG backend.

Why matplotlib: its SVG backend is a plain, well-kept renderer with no browser script or CSS in the output
(pygal's SVGs lean on embedded CSS and JavaScript that WeasyPrint does not run), its layout is exact, and
with svg.fonttype "none" the labels stay text: WeasyPrint sets them in the embedded Noto Sans CJK font, so
they print sharp and can be searched in the PDF. Only the object API (Figure, no pyplot) is used, which
keeps no global figure state; rc settings are applied under a lock because rc_context is process-wide.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from typing import Any, cast

FONT = "Noto Sans CJK SC"
RC: dict[str, Any] = {
    "svg.fonttype": "none", "font.family": [FONT, "DejaVu Sans"], "font.size": 9, "svg.hashsalt": "hallops",
    "axes.spines.top": False, "axes.spines.right": False, "axes.titlesize": 10, "axes.titleweight": "bold"}
RED, BLUE, GREY, GREEN, ORANGE = "#c8102e", "#0a5bd3", "#9aa5b1", "#16803c", "#d97706"
_lock = threading.Lock()


def _svg(draw: Callable[[Any], None], size: tuple[float, float]) -> str:
    import matplotlib
    from matplotlib.figure import Figure

    with _lock, matplotlib.rc_context(cast(Any, RC)):
        fig = Figure(figsize=size, layout="constrained")
        draw(fig)
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None})
    text = buf.getvalue()
    return text[text.index("<svg"):]  # drop the XML prolog and doctype: the SVG is inlined in HTML


def _legend(fig: Any, *axes: Any) -> None:
    """One legend under the plot, outside it, so it never covers a bar."""
    handles, labels = [], []
    for ax in axes:
        h, lab = ax.get_legend_handles_labels()
        handles += h
        labels += lab
    fig.legend(handles, labels, loc="outside lower center", ncols=len(labels), frameon=False)


def hourly(rows: list[dict[str, Any]]) -> str:
    """Arrivals (bars) and mean wait (line) by hour of issue."""
    hours = [r["label"].split(":")[0] for r in rows]
    issued = [r["issued"] for r in rows]
    wait = [r["wait_minutes"]["mean"] if r["wait_minutes"]["mean"] is not None else float("nan") for r in rows]

    def draw(fig: Any) -> None:
        ax = fig.add_subplot()
        ax.bar(hours, issued, color=BLUE, alpha=.8, label="取号量（张）")
        ax.set_xlabel("时段（时）")
        ax.set_ylabel("取号量（张）")
        ax2 = ax.twinx()
        ax2.plot(hours, wait, color=RED, marker="o", linewidth=2, label="平均等候（分钟）")
        ax2.set_ylabel("平均等候（分钟）")
        ax2.set_ylim(bottom=0)
        ax2.spines["right"].set_visible(True)
        ax.set_title("各时段取号量与平均等候时长")
        _legend(fig, ax, ax2)
    return _svg(draw, (7.0, 2.8))


def queue_waits(rows: list[dict[str, Any]]) -> str:
    """Mean and p90 wait per queue against the queue's target (a marker)."""
    rows = [r for r in rows if r["wait_minutes"]["n"]][::-1]
    names = [r["label"] for r in rows]
    mean = [r["wait_minutes"]["mean"] for r in rows]
    p90 = [r["wait_minutes"]["p90"] for r in rows]
    target = [r.get("target_wait_minutes") or 0 for r in rows]

    def draw(fig: Any) -> None:
        ax = fig.add_subplot()
        y = list(range(len(rows)))
        ax.barh([v + .2 for v in y], p90, height=.4, color=GREY, label="P90 等候")
        ax.barh([v - .2 for v in y], mean, height=.4,
                color=[RED if m > t else GREEN for m, t in zip(mean, target, strict=True)], label="平均等候")
        ax.scatter(target, y, marker="|", s=260, color="#1d2430", linewidths=2, label="目标时长", zorder=3)
        ax.set_yticks(y, names)
        ax.set_xlabel("分钟")
        ax.set_title("各业务等候时长与目标（红色：平均超过目标）")
        _legend(fig, ax)
    return _svg(draw, (7.0, max(2.2, .32 * len(rows) + 1.0)))


def window_load(rows: list[dict[str, Any]]) -> str:
    """Tickets served and mean service time per window."""
    names = [r["label"].split("号")[0] for r in rows]
    served = [r["served"] for r in rows]
    svc = [r["service_minutes"]["mean"] if r["service_minutes"]["mean"] is not None else float("nan") for r in rows]

    def draw(fig: Any) -> None:
        ax = fig.add_subplot()
        ax.bar(names, served, color=BLUE, alpha=.8, label="办结量（件）")
        ax.set_xlabel("窗口号")
        ax.set_ylabel("办结量（件）")
        ax2 = ax.twinx()
        ax2.plot(names, svc, color=ORANGE, marker=".", linestyle="none", markersize=9, label="平均办理（分钟）")
        ax2.set_ylabel("平均办理（分钟）")
        ax2.set_ylim(bottom=0)
        ax2.spines["right"].set_visible(True)
        ax.set_title("各窗口工作量")
        _legend(fig, ax, ax2)
    return _svg(draw, (7.0, 2.6))


def daily_trend(days: list[dict[str, Any]]) -> str:
    """Issued and served per day of a week or a month."""
    labels = [d["day"][5:].replace("-", "/") for d in days]
    issued = [d["issued"] for d in days]
    served = [d["served"] for d in days]

    def draw(fig: Any) -> None:
        ax = fig.add_subplot()
        x = list(range(len(days)))
        ax.bar([v - .2 for v in x], issued, width=.4, color=BLUE, alpha=.8, label="取号")
        ax.bar([v + .2 for v in x], served, width=.4, color=GREEN, alpha=.8, label="办结")
        step = 1 if len(days) <= 10 else 3
        ax.set_xticks(x[::step], labels[::step])
        ax.set_ylabel("张 / 件")
        ax.set_title("每日取号与办结")
        _legend(fig, ax)
    return _svg(draw, (7.0, 2.5))


def rating_levels(levels: list[dict[str, Any]]) -> str:
    """Ratings by level, from 非常满意 to 非常不满意."""
    names = [r["label"] for r in levels]
    counts = [r["count"] for r in levels]
    colors = [GREEN, GREEN, GREY, ORANGE, RED][:len(levels)]

    def draw(fig: Any) -> None:
        ax = fig.add_subplot()
        ax.bar(names, counts, color=colors)
        ax.set_ylabel("件")
        ax.set_title("好差评各等级数量")
    return _svg(draw, (7.0, 2.2))


def briefing_charts(data: dict[str, Any]) -> dict[str, str]:
    """Every chart a briefing shows, keyed by name (a chart with nothing to show is left out)."""
    s = data["stats"]
    out: dict[str, str] = {}
    if any(r["issued"] for r in s.get("hour", [])):
        out["hourly"] = hourly(s["hour"])
    if any(r["wait_minutes"]["n"] for r in s.get("queue", [])):
        out["queues"] = queue_waits(s["queue"])
    if s.get("window"):
        out["windows"] = window_load(s["window"])
    if data["period"]["kind"] != "daily" and len(s.get("days", [])) > 1:
        out["trend"] = daily_trend(s["days"])
    ratings = data.get("ratings", {})
    if ratings.get("available") and ratings.get("levels"):
        out["ratings"] = rating_levels(ratings["levels"])
    return out
