"""Hand-made mutants of the state tables, which mutmut does not mutate (they are module-level data).

    python -m tests.domain.table_mutants

For the ticket, window and finding tables, every single change of one cell is made in memory — a state
added to or removed from an action's allowed set, or an action's target changed to any other state — and the
table test of tests/domain, which states every cell literally, is run against it. Prints killed/total.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, MutableMapping
from typing import Any

from hallops.domain import patrols, tickets, windows
from tests.domain import test_patrol_rules, test_tickets, test_windows


def _mutants(table: MutableMapping[Any, tuple[frozenset[Any], Any]], states: list[Any]) -> Iterator[None]:
    """Apply each one-cell change to `table` in turn (yield while applied), then restore it."""
    for action, (allowed, target) in list(table.items()):
        changes = [(allowed ^ {s}, target) for s in states] + [(allowed, t) for t in states if t != target]
        for change in changes:
            table[action] = change
            try:
                yield
            finally:
                table[action] = (allowed, target)


def _killed(cells: list[tuple[Any, Any, Any]], check: Callable[[Any, Any, Any], None]) -> bool:
    for cell in cells:
        try:
            check(*cell)
        except KeyboardInterrupt:
            raise
        except BaseException:  # pytest's failures are BaseExceptions; any error fails the test too
            return True
    return False


def main() -> None:
    cases: list[tuple[str, Any, list[Any], Any, Any]] = [
        ("tickets", tickets.TRANSITIONS, list(tickets.S), test_tickets.CELLS,
         test_tickets.test_every_status_and_action),
        ("windows", windows.WINDOW_TRANSITIONS, list(windows.W), test_windows.CELLS,
         test_windows.test_every_state_and_action),
        ("findings", patrols.FINDING_TRANSITIONS, list(patrols.F), test_patrol_rules.CELLS,
         test_patrol_rules.test_every_finding_status_and_action),
    ]
    for name, table, states, cells, check in cases:
        killed = total = 0
        assert not _killed(cells, check), f"{name}: the table test fails on the unmutated table"
        for _ in _mutants(table, states):
            total += 1
            killed += _killed(cells, check)
        print(f"{name}: {killed}/{total} table mutants killed")


if __name__ == "__main__":
    main()
