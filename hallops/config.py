"""Settings: one TOML file, every key with a sane default, validated at start.

The file is chosen by `--config` or HALLOPS_CONFIG; the database by `--db` or HALLOPS_DB, which win over the
file. A bad file stops start-up with a message that names the key (`service_day.rollover: ...`).
"""

from __future__ import annotations

import datetime as dt
import os
import tomllib
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from hallops.domain.policy import PolicyParams

DEFAULT_DB = Path("var/hallops.db")


class ConfigError(Exception):
    pass


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServerConfig(_Section):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)
    # Seconds a graceful stop waits for requests in flight; systemd's TimeoutStopSec is longer.
    shutdown_timeout: float = Field(10.0, gt=0, le=120)


class DatabaseConfig(_Section):
    # A SQLite file (the embedded default), or a postgresql://USER@HOST/DB URL (several server processes).
    path: str = str(DEFAULT_DB)
    # FULL: an acknowledged ticket survives a power cut, not only a crash of the process.
    synchronous: Literal["FULL", "NORMAL"] = "FULL"
    busy_timeout_ms: int = Field(5000, ge=0, le=60000)
    # Read connections: followers (screens, phones, background loops) may hold all but one, which is kept for
    # the counters' requests (hallops/storage/lanes.py).
    readers: int = Field(3, ge=1, le=16)
    # Write jobs waiting together commit as one transaction (one fsync), each in its own savepoint.
    max_batch: int = Field(64, ge=1, le=1000)
    # PostgreSQL: writer threads (each its own connection and transaction), and where files kept beside the
    # database live (photos, the voice cache); on SQLite that is the database file's folder.
    writers: int = Field(4, ge=1, le=32)
    data_dir: Path = Path("var")

    @property
    def is_postgres(self) -> bool:
        return self.path.startswith(("postgresql://", "postgres://"))

    @property
    def files_dir(self) -> Path:
        return self.data_dir if self.is_postgres else Path(self.path).resolve().parent

    def options(self) -> dict[str, Any]:
        """What `open_database` takes from this section."""
        return {"synchronous": self.synchronous, "busy_timeout_ms": self.busy_timeout_ms, "readers": self.readers,
                "max_batch": self.max_batch, "writers": self.writers, "data_dir": self.data_dir}


class ServiceDayConfig(_Section):
    timezone: str = "Asia/Shanghai"
    # The service day starts here (local time); tickets still waiting from the day before expire.
    rollover: dt.time = dt.time(3, 0)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as e:
            raise ValueError(f"unknown time zone {v!r}") from e
        return v

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class TicketsConfig(_Section):
    recall_limit: int = Field(3, ge=0, le=20)  # 0: no limit
    idempotency_hours: int = Field(24, ge=1, le=168)


class PolicyConfig(_Section):
    aging_step_minutes: float = Field(5, ge=0, le=240)
    priority_boost_minutes: float = Field(60, ge=0, le=1440)
    appointment_boost_minutes: float = Field(30, ge=0, le=1440)

    def params(self) -> PolicyParams:
        return PolicyParams(aging_step=self.aging_step_minutes * 60,
                            priority_boost=self.priority_boost_minutes * 60,
                            appointment_boost=self.appointment_boost_minutes * 60)


class SecurityConfig(_Section):
    session_hours: float = Field(12, gt=0, le=24 * 30)
    # Set true behind HTTPS so the session cookie is never sent in clear.
    cookie_secure: bool = False
    # A verified bearer token is remembered this long; a revoked token stops working within it.
    token_cache_seconds: float = Field(10, ge=0, le=300)
    # Password-hash checks run at once per process; more sign-ins wait (issue 14: guessing must not slow the hall).
    hash_concurrency: int = Field(1, ge=1, le=16)
    # Reverse proxies whose X-Forwarded-For is believed (addresses or networks, e.g. "10.0.0.0/8"): every
    # per-address limit (sign-in, phone tickets) counts the client behind them, not the proxy.
    trusted_proxies: list[str] = Field(default_factory=list)
    # Who may read /metrics without a token (networks); anyone else needs an admin token.
    metrics_networks: list[str] = Field(default_factory=lambda: ["127.0.0.0/8", "::1/128"])

    @field_validator("trusted_proxies", "metrics_networks")
    @classmethod
    def _networks(cls, v: list[str]) -> list[str]:
        import ipaddress

        for net in v:
            try:
                ipaddress.ip_network(net, strict=False)
            except ValueError as e:
                raise ValueError(f"not an address or network: {net!r}") from e
        return v


class HealthConfig(_Section):
    # /readyz and writes answer 503 below this much free space where the database lives (megabytes).
    min_free_mb: int = Field(64, ge=0, le=1_000_000)


class AlertsConfig(_Section):
    # How often the alert rules are evaluated against the live hall (seconds).
    interval_seconds: float = Field(15, gt=0, le=3600)


class IdentityConfig(_Section):
    # Who says who a scanned identity code (渝快码) or a typed ID number belongs to: "fake" is our local
    # provider (demo, tests; hallops/identity/fake.py), "http" the city's service (hallops/identity/http.py).
    provider: Literal["fake", "http"] = "fake"
    url: str = ""            # http: the service's base URL, e.g. https://ykm.example.gov.cn
    app_key: str = ""        # http: the key and secret the service issued to this centre
    app_secret: str = ""
    timeout_seconds: float = Field(3, gt=0, le=30)
    session_minutes: int = Field(5, ge=1, le=60)  # a scan stays good this long for taking a ticket


class SmsConfig(_Section):
    # "fake" is our local provider (demo, tests; hallops/sms/fake.py); "tencent" Tencent Cloud SMS (TC3-HMAC-
    # SHA256), "aliyun" Alibaba Cloud SMS (ACS3-HMAC-SHA256): hallops/sms/clouds.py.
    provider: Literal["fake", "tencent", "aliyun"] = "fake"
    secret_id: str = ""
    secret_key: str = ""
    app_id: str = ""         # tencent: SmsSdkAppId
    sign_name: str = ""      # the approved signature, e.g. 两江政务
    region: str = "ap-guangzhou"
    endpoint: str = ""       # "" = the cloud's public endpoint; tests point it at a local server
    # Template ids per kind of message (approved in the cloud's console); parameters in hallops/domain/sms.py.
    templates: dict[str, str] = Field(default_factory=dict)
    timeout_seconds: float = Field(5, gt=0, le=60)
    interval_seconds: float = Field(3, gt=0, le=600)  # how often the queue is looked at (also woken by news)

    @field_validator("templates")
    @classmethod
    def _kinds(cls, v: dict[str, str]) -> dict[str, str]:
        bad = sorted(set(v) - {"near", "called", "booked", "reminder", "cancelled"})
        if bad:
            raise ValueError(f"unknown message kinds: {', '.join(bad)}")
        return v


class Config(_Section):
    server: ServerConfig = ServerConfig()
    database: DatabaseConfig = DatabaseConfig()
    service_day: ServiceDayConfig = ServiceDayConfig()
    tickets: TicketsConfig = TicketsConfig()
    policy: PolicyConfig = PolicyConfig()
    security: SecurityConfig = SecurityConfig()
    alerts: AlertsConfig = AlertsConfig()
    health: HealthConfig = HealthConfig()
    identity: IdentityConfig = IdentityConfig()
    sms: SmsConfig = SmsConfig()


def load_config(path: str | Path | None = None, db: str | Path | None = None,
                env: dict[str, str] | None = None) -> Config:
    """Read the TOML file (if any), apply HALLOPS_DB / --db, validate everything."""
    env = dict(os.environ) if env is None else env
    path = path or env.get("HALLOPS_CONFIG")
    raw: dict = {}
    if path:
        try:
            raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError as e:
            raise ConfigError(f"config file not found: {path}") from e
        except tomllib.TOMLDecodeError as e:
            raise ConfigError(f"config file {path} is not valid TOML: {e}") from e
    db = db or env.get("HALLOPS_DB")
    if db:
        raw.setdefault("database", {})["path"] = str(db)
    try:
        return Config.model_validate(raw)
    except ValidationError as e:
        lines = []
        for err in e.errors():
            key = ".".join(str(p) for p in err["loc"])
            lines.append(f"{key}: {err['msg']}")
        raise ConfigError(f"invalid configuration{' in ' + str(path) if path else ''}:\n  "
                          + "\n  ".join(lines)) from None
