"""Identity providers (一码取号): the port is `hallops.domain.identity.IdentityProvider`; `build` picks the
adapter the configuration names ([identity] provider = "fake" | "http")."""

from __future__ import annotations

from hallops.config import IdentityConfig
from hallops.domain.identity import IdentityProvider
from hallops.identity.fake import FakeIdentity
from hallops.identity.http import HttpIdentity


def build(cfg: IdentityConfig) -> IdentityProvider:
    if cfg.provider == "http":
        return HttpIdentity(cfg.url, cfg.app_key, cfg.app_secret, timeout=cfg.timeout_seconds)
    return FakeIdentity()


__all__ = ["FakeIdentity", "HttpIdentity", "build"]
