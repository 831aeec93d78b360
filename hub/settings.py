"""The hub's configuration: one pydantic-settings class read from HUB_* variables.

Nothing else in the service reads os.environ; docs/protocol.md section 8 names the settings.
"""

import difflib
import math
import os
from collections import Counter
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MIN_ADMIN_TOKEN_LENGTH = 32
# A random 32-hex-digit token (128 bits) scores at least ~86 bits by the estimate below.
MIN_TOKEN_BITS = 80
# HUB_* names that are not hub settings but are expected in a hub's environment:
# hubctl's own variables and the test suite's database.
NOT_SETTINGS = {"HUB_URL", "HUB_TOKEN", "HUB_TEST_DATABASE_URL"}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HUB_", extra="ignore", frozen=True)

    database_url: str = "sqlite:///./hub.db"
    # PostgreSQL connections one process keeps open (docs/operations.md, connection budget).
    database_pool_size: Annotated[int, Field(ge=1, le=100)] = 10
    admin_token: SecretStr | None = None
    signing_key: Path | None = None
    # Files the hub can rebuild from the database: PDQ index snapshots (docs/operations.md).
    data_dir: Path | None = None
    geoip_db: Path | None = None
    asn_db: Path | None = None  # GeoLite2-ASN or DB-IP ASN .mmdb (docs/cdn.md)
    cdn_ranges: Path | None = None  # replaces the shipped CDN ranges (docs/cdn.md)
    static_hosts: Path | None = None
    allow_private_webhooks: bool = False
    pdq_threshold: Annotated[int, Field(ge=0, le=255)] = 31
    # Below: wire-relevant ones are in docs/protocol.md section 8; all in docs/operations.md.
    log_origin: Annotated[str, Field(min_length=1, pattern=r"^[^\s+]+$")] = "hotline-hub.local/log"
    dns_timeout: Annotated[float, Field(gt=0, le=30)] = 2.0
    rate_limit_per_second: Annotated[float, Field(ge=0)] = 50.0
    rate_limit_burst: Annotated[int, Field(ge=1)] = 500
    # Failed token checks one client address may make per window before 429 (0: no limit).
    auth_failure_limit: Annotated[int, Field(ge=0)] = 10
    auth_failure_window: Annotated[float, Field(gt=0, le=86400)] = 60.0
    inprocess_worker: bool | None = None
    # Delivery (docs/delivery.md): webhook timeouts in seconds, how long a claimed event
    # stays leased to one worker, how often an idle worker looks for due events, and how
    # many pushes one worker has in flight.
    webhook_connect_timeout: Annotated[float, Field(gt=0, le=60)] = 5.0
    webhook_timeout: Annotated[float, Field(gt=0, le=120)] = 10.0
    delivery_lease_seconds: Annotated[float, Field(gt=0, le=3600)] = 60.0
    delivery_poll_interval: Annotated[float, Field(gt=0, le=10)] = 0.05
    delivery_concurrency: Annotated[int, Field(ge=1, le=1000)] = 32
    log_level: str = "INFO"
    # How long a console sign-in lasts (docs/console.md).
    console_session_minutes: Annotated[int, Field(ge=1, le=7 * 24 * 60)] = 480
    # Metrics (docs/operations.md): a bearer token for /metrics, or a separate address
    # (`host:port`) that serves only the metrics; neither set, /metrics answers 404.
    metrics_token: SecretStr | None = None
    metrics_address: Annotated[str, Field(pattern=r"^[^\s:]*:[0-9]{1,5}$")] | None = None
    # Retention (docs/operations.md): cases closed longer than this many days are purged.
    retention_days: Annotated[int, Field(ge=1, le=36500)] | None = None

    @field_validator("admin_token")
    @classmethod
    def _strong_admin_token(cls, token: SecretStr | None) -> SecretStr | None:
        # A guessable bootstrap token would hand the whole hub to anyone: refuse to start.
        return _strong_token("HUB_ADMIN_TOKEN", token)

    @field_validator("metrics_token")
    @classmethod
    def _strong_metrics_token(cls, token: SecretStr | None) -> SecretStr | None:
        return _strong_token("HUB_METRICS_TOKEN", token)

    @model_validator(mode="after")
    def _lease_outlasts_a_push(self) -> "Settings":
        # A lease shorter than a push would let a second worker push the same event.
        if self.delivery_lease_seconds <= self.webhook_timeout:
            raise ValueError("HUB_DELIVERY_LEASE_SECONDS must be longer than HUB_WEBHOOK_TIMEOUT")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @cached_property
    def sqlite_path(self) -> Path | None:
        """The SQLite database file, absolute; None for PostgreSQL or an in-memory database."""
        if self.is_sqlite and ":///" in self.database_url:
            db_path = self.database_url.split(":///", 1)[1].split("?", 1)[0]
            if db_path and db_path != ":memory:":
                return Path(db_path).resolve()
        return None

    @cached_property
    def signing_key_path(self) -> Path:
        """The key file: HUB_SIGNING_KEY, else `hub-signing-key.pem` beside the SQLite file."""
        if self.signing_key is not None:
            return self.signing_key
        if self.sqlite_path is not None:
            return self.sqlite_path.parent / "hub-signing-key.pem"
        return Path("hub-signing-key.pem").resolve()

    @cached_property
    def data_path(self) -> Path | None:
        """HUB_DATA_DIR, else `hub-data` beside the SQLite file; None: no snapshots."""
        if self.data_dir is not None:
            return self.data_dir
        if self.sqlite_path is not None:
            return self.sqlite_path.parent / "hub-data"
        return None

    @property
    def runs_inprocess_worker(self) -> bool:
        return self.is_sqlite if self.inprocess_worker is None else self.inprocess_worker


def estimated_bits(secret: str) -> float:
    """Length times the Shannon entropy of the secret's own character frequencies: an
    upper bound for a guessable secret ("a" * 32 scores 0, "ab" * 16 scores 32)."""
    counts = Counter(secret)
    return -sum(n * math.log2(n / len(secret)) for n in counts.values())


def weakness(secret: str) -> str | None:
    """Why a bootstrap secret is too weak to start with (docs/operations.md), or None."""
    if len(secret) < MIN_ADMIN_TOKEN_LENGTH:
        return f"must be at least {MIN_ADMIN_TOKEN_LENGTH} characters"
    if (secret + secret).find(secret, 1) < len(secret):
        return "must not repeat a shorter string"
    if estimated_bits(secret) < MIN_TOKEN_BITS:
        return (
            f"has too little entropy (about {estimated_bits(secret):.0f} bits, at least "
            f"{MIN_TOKEN_BITS} needed): use e.g. `openssl rand -hex 32`"
        )
    return None


def _strong_token(name: str, token: SecretStr | None) -> SecretStr | None:
    problem = weakness(token.get_secret_value()) if token is not None else None
    if problem:
        raise ValueError(f"{name} {problem}")
    return token


def unknown_variables(environ: Mapping[str, str] | None = None) -> list[str]:
    """HUB_* variables that are no setting (a typo such as HUB_DATABSE_URL), each with
    the setting it most likely meant: warned about at start, since they change nothing."""
    environ = os.environ if environ is None else environ
    known = {f"HUB_{name.upper()}" for name in Settings.model_fields}
    warnings = []
    for name in sorted(environ):
        upper = name.upper()
        if not upper.startswith("HUB_") or upper in known or upper in NOT_SETTINGS:
            continue
        close = difflib.get_close_matches(upper, sorted(known), n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        warnings.append(f"{name} is not a hub setting and is ignored{hint}")
    return warnings
