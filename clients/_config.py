"""Where `hubctl` finds the hub and its credentials: flags, then HUB_URL / HUB_TOKEN /
HUBCTL_SIGNING_KEY, then the config file (~/.config/hubctl/config.toml or --config,
its [profiles.NAME] table chosen by --profile or HUBCTL_PROFILE)."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["ConfigError", "Profile", "default_config_path", "default_state_dir", "load_profile"]

KEYS = ("hub", "token", "signing_key", "timeout")


class ConfigError(ValueError):
    """The configuration is missing something a command needs, or cannot be read."""


def _xdg(variable: str, fallback: str) -> Path:
    value = os.environ.get(variable)
    return Path(value) if value else Path.home() / fallback


def default_config_path() -> Path:
    return _xdg("XDG_CONFIG_HOME", ".config") / "hubctl" / "config.toml"


def default_state_dir() -> Path:
    return _xdg("XDG_STATE_HOME", ".local/state") / "hubctl"


@dataclass(frozen=True)
class Profile:
    url: str | None = None
    token: str | None = None
    signing_key: str | None = None
    timeout: float = 30.0
    warnings: tuple[str, ...] = ()

    def require_url(self) -> str:
        if not self.url:
            raise ConfigError(
                "no hub address: pass --hub, set HUB_URL or put hub in the config file"
            )
        return self.url

    def require_url_and_token(self) -> str:
        """The hub's address, once both it and a token are known; else says what is missing."""
        if not self.url and not self.token:
            raise ConfigError(
                "no hub address and no token: pass --hub and --token, set HUB_URL and "
                "HUB_TOKEN, or put hub and token in the config file"
            )
        if not self.token:
            raise ConfigError(
                "no token: pass --token, set HUB_TOKEN or put token in the config file"
            )
        return self.require_url()


def _read(path: Path, profile: str | None) -> tuple[dict[str, Any], bool]:
    """The settings of the file (and profile), and whether the file holds any token."""
    try:
        data = tomllib.loads(path.read_text())
    except OSError as error:
        raise ConfigError(f"cannot read {path}: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path} is not valid TOML: {error}") from None
    # A typo must not pass silently: unknown settings are refused.
    unknown = set(data) - {*KEYS, "profiles"}
    values = {k: v for k, v in data.items() if k in KEYS}
    if profile is not None:
        profiles = data.get("profiles", {})
        if profile not in profiles:
            raise ConfigError(f"{path} has no [profiles.{profile}] table")
        unknown |= set(profiles[profile]) - set(KEYS)
        values.update({k: v for k, v in profiles[profile].items() if k in KEYS})
    if unknown:
        raise ConfigError(f"{path}: unknown settings {sorted(unknown)}")
    tables = [data, *(t for t in data.get("profiles", {}).values() if isinstance(t, dict))]
    return values, any("token" in table for table in tables)


def _readable_by_others(path: Path, holds_token: bool) -> tuple[str, ...]:
    if holds_token and os.name == "posix" and path.stat().st_mode & 0o077:
        return (f"{path} holds a token and others can read it: chmod 600 {path}",)
    return ()


def load_profile(
    *,
    url: str | None = None,
    token: str | None = None,
    signing_key: str | None = None,
    timeout: float | None = None,
    config: Path | None = None,
    profile: str | None = None,
) -> Profile:
    """Flags (already merged with the environment by the CLI) over the config file."""
    path = config or default_config_path()
    from_file: dict[str, Any] = {}
    warnings: tuple[str, ...] = ()
    if config is not None or path.exists() or profile is not None:
        if not path.exists():
            raise ConfigError(f"config file {path} does not exist")
        from_file, holds_token = _read(path, profile)
        warnings = _readable_by_others(path, holds_token)
    try:
        return Profile(
            url=url or from_file.get("hub"),
            token=token or from_file.get("token"),
            signing_key=signing_key or from_file.get("signing_key"),
            timeout=float(timeout or from_file.get("timeout") or 30.0),
            warnings=warnings,
        )
    except (TypeError, ValueError) as error:
        raise ConfigError(f"{path}: {error}") from None
