"""Per-module mutation score from a finished `mutmut run` (see MUTATION.md); prints a Markdown table.

    python tests/domain/mutation_score.py [mutants/hallops/domain]

Killed counts pytest failures, timeouts and type-check catches, as mutmut's own summary does; a mutant no
test reaches ("no tests") counts as a survivor.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

KILLED = {1, 3, 24, -24, 36, 37, 152, 255}


def main(folder: str = "mutants/hallops/domain") -> None:
    rows, killed_all, total_all = [], 0, 0
    for meta in sorted(Path(folder).glob("*.py.meta")):
        codes = json.loads(meta.read_text())["exit_code_by_key"].values()
        total = len(codes)
        if not total:
            continue
        killed = sum(1 for c in codes if c in KILLED)
        untested = sum(1 for c in codes if c in (5, 33))
        rows.append(f"| {meta.name.removesuffix('.meta')} | {killed} | {total} | {100 * killed / total:.1f}% "
                    f"| {untested} |")
        killed_all, total_all = killed_all + killed, total_all + total
    print("| module | killed | mutants | score | reached by no test |")
    print("|---|---:|---:|---:|---:|")
    print("\n".join(rows))
    print(f"| **all** | **{killed_all}** | **{total_all}** | **{100 * killed_all / max(total_all, 1):.1f}%** | |")


if __name__ == "__main__":
    main(*sys.argv[1:])
