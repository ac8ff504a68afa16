"""What archiving (the console's "delete") may not do to the day: pure checks over counts storage reads.

Archiving keeps the row, so history keeps its names; these rules refuse an archive or a change that would
break the hall's day, with the reason.
"""

from __future__ import annotations

from collections.abc import Iterable

from hallops.domain.errors import Conflict, E


def check_queue_archivable(prefix: str, active_tickets: int) -> None:
    if active_tickets:
        raise Conflict(E.QUEUE_HAS_TICKETS, f"业务类型 {prefix} 还有 {active_tickets} 张未办完的号，不能删除 "
                                            f"(queue {prefix} still has {active_tickets} unfinished tickets)",
                       tickets=active_tickets)


def check_queues_keep_a_window(orphaned: Iterable[str]) -> None:
    """`orphaned`: prefixes of active queues no active window would serve after the change."""
    lost = sorted(orphaned)
    if lost:
        names = "、".join(lost)
        raise Conflict(E.LAST_WINDOW_FOR_QUEUE, f"业务类型 {names} 将没有窗口办理：这是办理它的最后一个窗口 "
                                                f"(this is the last window serving queue {', '.join(lost)})",
                       queues=lost)


def check_item_archivable(code: str, tickets_today: int, bundles: Iterable[str]) -> None:
    if tickets_today:
        raise Conflict(E.ITEM_IN_USE_TODAY, f"事项 {code} 今天已有 {tickets_today} 张号办理，明天再删除 "
                                            f"(item {code} is on {tickets_today} of today's tickets)",
                       tickets=tickets_today)
    names = sorted(bundles)
    if names:
        raise Conflict(E.ITEM_IN_BUNDLE, f"事项 {code} 属于一件事 {'、'.join(names)}，请先从中移除 "
                                         f"(item {code} is part of bundle {', '.join(names)})", bundles=names)


def check_department_archivable(code: str, active_queues: int, active_items: int) -> None:
    if active_queues or active_items:
        raise Conflict(E.DEPARTMENT_IN_USE, f"部门 {code} 还有 {active_queues} 个业务类型、{active_items} 个事项，"
                                            f"请先移走或删除 (department {code} still has {active_queues} queues "
                                            f"and {active_items} items)", queues=active_queues, items=active_items)
