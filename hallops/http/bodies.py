"""Request bodies of the JSON API. `extra="forbid"`: an unknown field is an error, not silently ignored."""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, StringConstraints

from hallops.domain.halltree import Level
from hallops.domain.model import Channel, CrossRegionScope, Priority, QueueKind, Role, TransferPlacement, WindowKind

QueueRef = Annotated[StrictStr, StringConstraints(pattern=r"^[A-Za-z]{1,2}$")] | Annotated[StrictInt, Field(ge=1)]
HallRef = Annotated[StrictStr, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")] | Annotated[
    StrictInt, Field(ge=1)]
Text = Annotated[StrictStr, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ShortText = Annotated[StrictStr, StringConstraints(strip_whitespace=True, max_length=200)]
Code = Annotated[StrictStr, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]
Id = Annotated[StrictInt, Field(ge=1, le=2**63 - 1)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IssueTicket(Body):
    queue: QueueRef = Field(description="queue prefix (\"A\") or id")
    channel: Channel = Channel.KIOSK
    priority: Priority | None = None
    hall: HallRef | None = Field(None, description="hall id or code; needed only where several halls exist")
    appointment_at: AwareDatetime | None = Field(
        None, description="slot start of a checked-in appointment (channel appointment, within 12 h of now)")


class Empty(Body):
    pass


class FinishTicket(Body):
    items: list[Id | Code] = Field(default_factory=list, max_length=50,
                                   description="service items handled (ids or codes)")
    case_number: Annotated[StrictStr, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9\-_]{4,64}$")
                           ] | None = Field(None, description="办件编号: the province's case number of this visit, "
                                                              "the key its rating is reported under")


class TransferTicket(Body):
    queue: QueueRef | None = None
    window: Id | None = Field(None, description="window id: only that window may call the ticket")
    placement: TransferPlacement = TransferPlacement.END


class OpenWindow(Body):
    clerk: Annotated[StrictStr, StringConstraints(max_length=32)] | None = Field(
        None, description="username of the clerk (managers opening a window for someone)")


class PauseWindow(Body):
    reason: Text


class CloseDay(Body):
    through_today: StrictBool = True


class Login(Body):
    username: Annotated[StrictStr, StringConstraints(max_length=64)]
    password: Annotated[StrictStr, StringConstraints(max_length=256)]


class HallSpec(Body):
    code: Code
    name: Text
    name_en: ShortText = ""
    timezone: Annotated[StrictStr, StringConstraints(max_length=64)] = "Asia/Shanghai"
    notice: Annotated[StrictStr, StringConstraints(max_length=2000)] = ""
    level: Level = Field(Level.DISTRICT, description="district | street | new_town | community")
    parent: Code | None = Field(None, description="the code of the centre it hangs under (none: a district centre)")


class HallChange(Body):
    name: Text | None = None
    name_en: ShortText | None = None
    timezone: Annotated[StrictStr, StringConstraints(max_length=64)] | None = None
    notice: Annotated[StrictStr, StringConstraints(max_length=2000)] | None = None
    level: Level | None = None
    parent: Code | None = Field(None, description="move it under this centre (its code)")


class DepartmentSpec(Body):
    code: Code
    name: Text
    name_en: ShortText = ""


class DepartmentChange(Body):
    name: Text | None = None
    name_en: ShortText | None = None


Prefix = Annotated[StrictStr, StringConstraints(pattern=r"^[A-Z]{1,2}$")]
Hours = Annotated[StrictStr, StringConstraints(max_length=200)]


class QueueSpec(Body):
    prefix: Prefix
    name: Text
    name_en: ShortText = ""
    category: ShortText = ""
    category_en: ShortText = ""
    kind: QueueKind = QueueKind.GENERAL
    department: Code | None = None
    target_wait_minutes: Annotated[StrictInt, Field(ge=1, le=240)] = 20
    daily_cap: Annotated[StrictInt, Field(ge=0, le=9999)] = 0
    hours: Hours = "00:00-24:00"
    avg_service_minutes: Annotated[StrictInt, Field(ge=1, le=120)] = 8


class QueueChange(Body):
    prefix: Prefix | None = None
    name: Text | None = None
    name_en: ShortText | None = None
    category: ShortText | None = None
    category_en: ShortText | None = None
    kind: QueueKind | None = None
    department: Code | None = None
    target_wait_minutes: Annotated[StrictInt, Field(ge=1, le=240)] | None = None
    daily_cap: Annotated[StrictInt, Field(ge=0, le=9999)] | None = None
    hours: Hours | None = None
    avg_service_minutes: Annotated[StrictInt, Field(ge=1, le=120)] | None = None
    active: StrictBool | None = None


class ServiceItemSpec(Body):
    code: Code
    name: Text
    name_en: ShortText = ""
    department: Code | None = None
    queue: Prefix | None = None


class ServiceItemChange(Body):
    name: Text | None = None
    name_en: ShortText | None = None
    department: Code | None = None
    queue: Prefix | None = None
    active: StrictBool | None = None


class WindowSpec(Body):
    number: Annotated[StrictInt, Field(ge=1, le=9999)]
    name: Text
    name_en: ShortText = ""
    kind: WindowKind = WindowKind.GENERAL
    scope: CrossRegionScope | None = None
    key_window: StrictBool = False
    area: ShortText = ""
    queues: list[Prefix] = Field(min_length=1, max_length=100)


class WindowChange(Body):
    number: Annotated[StrictInt, Field(ge=1, le=9999)] | None = None
    name: Text | None = None
    name_en: ShortText | None = None
    kind: WindowKind | None = None
    scope: CrossRegionScope | None = None
    key_window: StrictBool | None = None
    area: ShortText | None = None
    queues: list[Prefix] | None = Field(None, min_length=1, max_length=100)
    active: StrictBool | None = None


class UserSpec(Body):
    username: Annotated[StrictStr, StringConstraints(max_length=32)]
    display_name: Text
    role: Role
    password: Annotated[StrictStr, StringConstraints(min_length=8, max_length=256)]
    hall: HallRef | None = None


class TokenSpec(Body):
    role: Role
    hall: HallRef | None = None
    window: Id | None = None
    label: ShortText = ""


NULLABLE = frozenset({"scope", "department", "queue"})


def changes(body: BaseModel) -> dict[str, object]:
    """The fields a PATCH body really sent; null clears only what may be empty (a scope, a department)."""
    return {k: v for k, v in body.model_dump(mode="json", exclude_unset=True).items()
            if v is not None or k in NULLABLE}
