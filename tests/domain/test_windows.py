"""A window's own state machine, stated in full, and the rule that only an open window calls tickets."""

import pytest

from hallops.domain.errors import Conflict
from hallops.domain.model import WindowState as W
from hallops.domain.windows import WindowAction, next_window_state, require_open_for_calls

# Rows: the action; columns: the state it is tried on; a cell: the state after it, "-" when refused.
TABLE = """
          closed   open     paused
open      open     -        -
pause     -        paused   -
resume    -        -        open
close     -        closed   closed
"""


def _cells() -> list[tuple[W, WindowAction, W | None]]:
    header, *rows = [line.split() for line in TABLE.strip().splitlines()]
    return [(W(state), WindowAction(row[0]), None if cell == "-" else W(cell))
            for row in rows for state, cell in zip(header, row[1:], strict=True)]


CELLS = _cells()


def test_the_table_covers_every_state_and_every_action() -> None:
    assert {(s, a) for s, a, _ in CELLS} == {(s, a) for s in W for a in WindowAction}


@pytest.mark.parametrize(("state", "action", "after"), CELLS, ids=lambda v: str(v) if v else "refused")
def test_every_state_and_action(state: W, action: WindowAction, after: W | None) -> None:
    if after is not None:
        assert next_window_state(state, action) is after
        return
    with pytest.raises(Conflict) as e:
        next_window_state(state, action)
    assert e.value.code == "illegal_transition"
    assert e.value.detail == {"state": state.value, "action": action.value}


@pytest.mark.parametrize(("state", "action", "message"), [
    (W.CLOSED, WindowAction.PAUSE, "窗口状态为“未开放”，不能暂停 (cannot pause a window that is closed)"),
    (W.OPEN, WindowAction.OPEN, "窗口状态为“服务中”，不能开启 (cannot open a window that is open)"),
    (W.OPEN, WindowAction.RESUME, "窗口状态为“服务中”，不能恢复 (cannot resume a window that is open)"),
    (W.CLOSED, WindowAction.CLOSE, "窗口状态为“未开放”，不能关闭 (cannot close a window that is closed)"),
    (W.PAUSED, WindowAction.PAUSE, "窗口状态为“暂停服务”，不能暂停 (cannot pause a window that is paused)"),
])
def test_a_refusal_names_the_state_and_the_action(state: W, action: WindowAction, message: str) -> None:
    with pytest.raises(Conflict) as e:
        next_window_state(state, action)
    assert e.value.message == message


def test_an_open_window_may_call() -> None:
    require_open_for_calls(W.OPEN)


@pytest.mark.parametrize(("state", "message"), [
    (W.PAUSED, "窗口暂停服务，不能叫号 (window is paused; open or resume it first)"),
    (W.CLOSED, "窗口未开放，不能叫号 (window is closed; open or resume it first)"),
])
def test_a_paused_or_closed_window_calls_nobody(state: W, message: str) -> None:
    with pytest.raises(Conflict) as e:
        require_open_for_calls(state)
    assert (e.value.code, e.value.message, e.value.detail) == ("window_not_open", message, {"state": state.value})
