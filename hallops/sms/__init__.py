"""Text-message providers: `SmsProvider` is the port, `build` picks the adapter the configuration names
([sms] provider = "fake" | "tencent" | "aliyun")."""

from __future__ import annotations

from typing import Protocol

from hallops.config import SmsConfig


class SmsFailed(Exception):
    """The provider did not take the message. `retry`: worth trying again later (down, throttled, timeout)."""

    def __init__(self, message: str, *, retry: bool = True) -> None:
        super().__init__(message)
        self.retry = retry


class SmsProvider(Protocol):
    async def send(self, mobile: str, kind: str, params: dict[str, str], text: str) -> str:
        """Send one message; the provider's reference for it. Raises SmsFailed."""
        ...


def build(cfg: SmsConfig) -> SmsProvider:
    from hallops.sms.clouds import AliyunSms, TencentSms
    from hallops.sms.fake import FakeSms

    if cfg.provider == "tencent":
        return TencentSms(cfg)
    if cfg.provider == "aliyun":
        return AliyunSms(cfg)
    return FakeSms()
