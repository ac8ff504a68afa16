"""What a call says, in each language: pure, so the words are tested without any audio.

A ticket number is read sign by sign — "A012" is "A 零 一 二", never "twelve" — because a citizen
compares what they hear with the slip in their hand. A window number is read as a number (5 号窗口).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

ZH_DIGITS = "零一二三四五六七八九"
EN_DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
TICKET_RE = re.compile(r"[A-Z]{1,3}\d{1,5}")


class Lang(StrEnum):
    ZH = "zh"
    EN = "en"


class Kind(StrEnum):
    CALL = "call"
    RECALL = "recall"


@dataclass(frozen=True, slots=True)
class Announcement:
    ticket: str   # "A012"
    window: int   # 5
    kind: Kind = Kind.CALL

    def __post_init__(self) -> None:
        if not TICKET_RE.fullmatch(self.ticket):
            raise ValueError(f"not a ticket number: {self.ticket!r}")
        if not 0 < self.window < 10000:
            raise ValueError(f"not a window number: {self.window!r}")


def spell_zh(ticket: str) -> str:
    return " ".join(ZH_DIGITS[int(c)] if c.isdigit() else c for c in ticket)


def spell_en(ticket: str) -> str:
    return ", ".join(EN_DIGITS[int(c)] if c.isdigit() else c for c in ticket)


def sentence(a: Announcement, lang: Lang) -> str:
    if lang is Lang.ZH:
        # Spoken without the screen's "办理": a call must be said within 4 s, chime included (issue 15).
        if a.kind is Kind.RECALL:  # "重呼" takes the place of "请": a recall is said as quickly as a call
            return f"重呼 {spell_zh(a.ticket)} 号到 {a.window} 号窗口"
        return f"请 {spell_zh(a.ticket)} 号到 {a.window} 号窗口"
    text = f"Number {spell_en(a.ticket)}, please go to window {a.window}."
    return f"Repeat call. {text}" if a.kind is Kind.RECALL else text


def display_text(a: Announcement) -> str:
    """The Chinese sentence as shown on screen (the number as printed on the slip)."""
    text = f"请 {a.ticket} 号到 {a.window} 号窗口办理"
    return f"重呼 {text}" if a.kind is Kind.RECALL else text
