"""A table of legal moves between states, shared by tickets, windows and findings.

Each action lists the states it may start from and the state it leads to; an illegal move raises
Conflict naming both, in Chinese and English, and changes nothing.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from hallops.domain.errors import Conflict, E

S = TypeVar("S", bound=enum.StrEnum)
A = TypeVar("A", bound=enum.StrEnum)


@dataclass(frozen=True)
class Transitions(Generic[S, A]):
    noun_zh: str  # 号票, 窗口, 问题
    noun_en: str
    moves: Mapping[A, tuple[frozenset[S], S]]
    state_zh: Mapping[S, str]
    action_zh: Mapping[A, str]
    detail_key: str = "status"

    def next(self, current: S, action: A) -> S:
        allowed, target = self.moves[action]
        if current not in allowed:
            raise Conflict(E.ILLEGAL_TRANSITION,
                f"{self.noun_zh}状态为“{self.state_zh[current]}”，不能{self.action_zh[action]} "
                f"(cannot {action.value} a {self.noun_en} that is {current.value})",
                **{self.detail_key: current.value, "action": action.value})
        return target
