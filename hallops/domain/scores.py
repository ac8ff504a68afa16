"""A window's quality score for the centre's monthly awards (红旗窗口, 服务之星), explained by its parts.

Four parts, each 0–100: ratings (mean level, 5 → 100, 1 → 0), waits (share of served visits called within the
queue's target), findings (100 less 20 for each patrol finding at the window, half of that given back when it
was fixed by its due time) and cases (share of the window's cases closed on time). A part with nothing to
measure is left out and the weights of the others are scaled up, so a window is never punished for a quiet
month; the score is None when no part had anything to measure.
"""

from __future__ import annotations

from dataclasses import dataclass, field

FINDING_PENALTY = 20.0


@dataclass(frozen=True, slots=True)
class WindowParts:
    ratings: list[int] = field(default_factory=list)  # 1–5 each
    served: int = 0
    within_target: int = 0
    findings: int = 0
    findings_fixed_on_time: int = 0
    cases: int = 0
    cases_on_time: int = 0


def window_score(p: WindowParts, weights: dict[str, float]) -> dict[str, object]:
    parts: dict[str, float | None] = {
        "rating": round((sum(p.ratings) / len(p.ratings) - 1) / 4 * 100, 1) if p.ratings else None,
        "wait": round(p.within_target / p.served * 100, 1) if p.served else None,
        "finding": max(0.0, 100 - FINDING_PENALTY * p.findings + FINDING_PENALTY / 2 * p.findings_fixed_on_time)
        if (p.findings or p.served or p.ratings) else None,
        "case": round(p.cases_on_time / p.cases * 100, 1) if p.cases else None,
    }
    used = {k: weights[k] for k, v in parts.items() if v is not None and weights.get(k, 0) > 0}
    total = sum(used.values())
    score = round(sum((parts[k] or 0.0) * w for k, w in used.items()) / total, 1) if total else None
    return {"score": score, "parts": parts, "weights": used,
            "facts": {"ratings": len(p.ratings), "served": p.served, "within_target": p.within_target,
                      "findings": p.findings, "findings_fixed_on_time": p.findings_fixed_on_time, "cases": p.cases,
                      "cases_on_time": p.cases_on_time}}
