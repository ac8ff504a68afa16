"""Words of the hall as types: enums for every closed set, frozen values for what the rules read."""

from __future__ import annotations

import enum


class TicketStatus(enum.StrEnum):
    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    PARKED = "parked"
    DONE = "done"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


ACTIVE_STATUSES = frozenset({TicketStatus.WAITING, TicketStatus.CALLED, TicketStatus.SERVING,
                             TicketStatus.PARKED})
FINAL_STATUSES = frozenset(TicketStatus) - ACTIVE_STATUSES


class Channel(enum.StrEnum):
    KIOSK = "kiosk"
    MOBILE = "mobile"
    APPOINTMENT = "appointment"
    HELP_DESK = "help_desk"


class Priority(enum.StrEnum):
    NONE = "none"
    ELDERLY = "elderly"
    DISABLED = "disabled"
    GREEN_CHANNEL = "green_channel"


class QueueKind(enum.StrEnum):
    GENERAL = "general"
    INTEGRATED = "integrated"
    CROSS_REGION = "cross_region"
    BUNDLE = "bundle"
    HELP_DESK = "help_desk"


class WindowKind(enum.StrEnum):
    GENERAL = "general"
    CROSS_REGION = "cross_region"
    INTEGRATED = "integrated"
    BUNDLE = "bundle"
    HELP_DESK = "help_desk"


class CrossRegionScope(enum.StrEnum):
    """异地通办 scopes: which other offices a cross-region window acts for."""

    CROSS_PROVINCE = "cross_province"  # 跨省通办
    CHUANYU = "chuanyu"  # 川渝通办
    CROSS_COUNTY = "cross_county"  # 跨区县通办
    FOUR_DISTRICT = "four_district"  # 四区通办


class WindowState(enum.StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    PAUSED = "paused"


class TransferPlacement(enum.StrEnum):
    FRONT = "front"
    END = "end"
    ISSUE_TIME = "issue_time"


class Role(enum.StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    CLERK = "clerk"
    KIOSK = "kiosk"
    DISPLAY = "display"
    RATING_PAD = "rating_pad"  # the window's 好差评 pad, facing the citizen (issue 12)


STAFF_ROLES = frozenset({Role.ADMIN, Role.MANAGER, Role.CLERK})
DEVICE_ROLES = frozenset({Role.KIOSK, Role.DISPLAY, Role.RATING_PAD})
