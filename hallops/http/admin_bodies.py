"""Request bodies of the admin console's API (issue 13), beside the model's own in bodies.py."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StrictBool, StrictInt, StrictStr, StringConstraints

from hallops.domain.model import Channel, Priority, Role
from hallops.http.bodies import Body, Code, HallRef, Id, Prefix, ShortText, Text

StandardCode = Annotated[StrictStr, StringConstraints(pattern=r"^[0-9A-Za-z][0-9A-Za-z-]{3,63}$")]
# Long enough for any passphrase; the rule itself (length, common passwords) is domain/passwords.py's, so a
# short or common one gets its own error code rather than a generic one.
Password = Annotated[StrictStr, StringConstraints(min_length=1, max_length=1024)]


class DepartmentChange(Body):
    name: Text | None = None
    name_en: ShortText | None = None
    active: StrictBool | None = None


class ServiceItemSpec(Body):
    code: Code
    standard_code: StandardCode | None = None
    name: Text
    name_en: ShortText = ""
    department: Code | None = None
    queue: Prefix | None = None


class ServiceItemChange(Body):
    standard_code: StandardCode | None = None
    name: Text | None = None
    name_en: ShortText | None = None
    department: Code | None = None
    queue: Prefix | None = None
    active: StrictBool | None = None


class BundleSpec(Body):
    code: Code
    name: Text
    name_en: ShortText = ""
    queue: Prefix | None = None
    items: list[Code] = Field(min_length=2, max_length=50)


class BundleChange(Body):
    name: Text | None = None
    name_en: ShortText | None = None
    queue: Prefix | None = None
    items: list[Code] | None = Field(None, min_length=2, max_length=50)
    active: StrictBool | None = None


class UserSpec(Body):
    username: Annotated[StrictStr, StringConstraints(max_length=32)]
    display_name: Text
    role: Role
    password: Password
    hall: HallRef | None = None
    window: Id | None = None
    must_change_password: StrictBool = True


class UserChange(Body):
    display_name: Text | None = None
    role: Role | None = None
    hall: HallRef | None = None
    window: Id | None = None


class TokenSpec(Body):
    role: Role
    hall: HallRef | None = None
    window: Id | None = None
    label: ShortText = ""
    user: Id | None = None


class PasswordChange(Body):
    current: Annotated[StrictStr, StringConstraints(max_length=1024)]
    password: Password


class ResetCode(Body):
    code: Annotated[StrictStr, StringConstraints(min_length=1, max_length=64)]


class ResetUse(Body):
    code: Annotated[StrictStr, StringConstraints(min_length=1, max_length=64)]
    password: Password


class Empty(Body):
    pass


NULLABLE_USER = frozenset({"hall", "window"})
Limit = Annotated[StrictInt, Field(ge=1, le=500)]


class BundleTicket(Body):
    channel: Channel = Channel.KIOSK
    priority: Priority = Priority.NONE
