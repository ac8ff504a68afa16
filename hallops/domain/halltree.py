"""The district's network of centres as a tree: a district centre (区级政务服务中心) guides and inspects street
centres (街道便民服务中心) and new-town centres (新城便民服务中心), which in turn have community centres
(社区便民服务站). Every centre is a real hall with its own windows, queues, hours, screens and staff.

Who may see which centres follows the tree (`scope_of`): an administrator or manager bound to a centre acts on
it and every centre below it (a district manager on all, a street manager on its street and its communities);
a clerk and every device token (kiosk, screen, rating pad) on their own hall only.

Pure: the tree comes in as a mapping of hall id → parent id.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping

from hallops.domain.errors import E, InvalidInput
from hallops.domain.model import Role


class Level(enum.StrEnum):
    DISTRICT = "district"  # 区级政务服务中心
    STREET = "street"  # 街道便民服务中心
    NEW_TOWN = "new_town"  # 新城便民服务中心
    COMMUNITY = "community"  # 社区便民服务站


LEVEL_ZH = {Level.DISTRICT: "区级中心", Level.STREET: "街道中心", Level.NEW_TOWN: "新城中心",
            Level.COMMUNITY: "社区中心"}
LEVEL_EN = {Level.DISTRICT: "District centre", Level.STREET: "Street centre", Level.NEW_TOWN: "New-town centre",
            Level.COMMUNITY: "Community centre"}
# Which level a centre of each level may hang under (None: the top of a tree).
PARENT_LEVELS: dict[Level, frozenset[Level | None]] = {
    Level.DISTRICT: frozenset({None}),
    Level.STREET: frozenset({Level.DISTRICT}),
    Level.NEW_TOWN: frozenset({Level.DISTRICT}),
    Level.COMMUNITY: frozenset({Level.STREET, Level.NEW_TOWN}),
}
# Roles whose hall binding reaches down the tree; the others stay on their own hall.
TREE_ROLES = frozenset({Role.ADMIN, Role.MANAGER})


def check_parent(level: Level, parent_level: Level | None) -> None:
    """A community hangs under a street or new-town centre, those under the district centre, which is a top."""
    if parent_level not in PARENT_LEVELS[level]:
        allowed = "、".join(LEVEL_ZH[p] if p else "无（顶层）" for p in sorted(PARENT_LEVELS[level], key=str))
        raise InvalidInput(E.BAD_PARENT, f"{LEVEL_ZH[level]}的上级须为{allowed} (a {level.value} centre cannot hang "
                           f"under {parent_level.value if parent_level else 'nothing'})", field="parent")


def children_of(parents: Mapping[int, int | None]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for hall, parent in sorted(parents.items()):
        if parent is not None:
            out.setdefault(parent, []).append(hall)
    return out


def subtree(parents: Mapping[int, int | None], root: int) -> frozenset[int]:
    """The root and every hall below it (a hall missing from the mapping has no children)."""
    kids = children_of(parents)
    seen, todo = {root}, [root]
    while todo:
        for k in kids.get(todo.pop(), ()):
            if k not in seen:  # a cycle cannot be stored (check_no_cycle), but never loop on one
                seen.add(k)
                todo.append(k)
    return frozenset(seen)


def ancestors(parents: Mapping[int, int | None], hall: int) -> list[int]:
    """From the hall's parent up to the top."""
    out: list[int] = []
    p = parents.get(hall)
    while p is not None and p not in out and p != hall:
        out.append(p)
        p = parents.get(p)
    return out


def check_no_cycle(parents: Mapping[int, int | None], hall: int, new_parent: int | None) -> None:
    if new_parent is not None and (new_parent == hall or hall in ancestors(parents, new_parent)):
        raise InvalidInput(E.BAD_PARENT, "上级不能是本中心或其下级 (a centre cannot hang under itself or a centre "
                           "below it)", field="parent")


def scope_of(role: Role, hall_id: int | None, parents: Mapping[int, int | None]) -> frozenset[int] | None:
    """The halls an actor bound to `hall_id` may see: None for every hall (an unbound account)."""
    if hall_id is None:
        return None
    if role in TREE_ROLES:
        return subtree(parents, hall_id)
    return frozenset({hall_id})


def depth_first(parents: Mapping[int, int | None], roots: Iterable[int]) -> list[int]:
    """The halls under `roots` in tree order (a parent before its children, siblings by id)."""
    kids = children_of(parents)
    out: list[int] = []

    def walk(h: int) -> None:
        out.append(h)
        for k in kids.get(h, ()):
            if k not in out:
                walk(k)
    for r in roots:
        walk(r)
    return out
