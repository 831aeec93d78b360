"""The country of a hosting address (PROTOCOL 4.2): the embedded iptocc data by default,
or the operator's MaxMind database (HUB_GEOIP_DB); both offline, no lookups on the wire.

The embedded data is as fresh as the installed iptocc release; upgrade it with
`pip install -U iptocc` (its versions follow the RIR delegation files).
"""

import ipaddress
from pathlib import Path
from typing import Any, Protocol

import iptocc
import maxminddb

from hub.urls import IPAddress


class CountryLookup(Protocol):
    def country(self, ip: IPAddress) -> str | None:
        """ISO 3166-1 alpha-2 code, upper-case, or None when the address has none."""
        ...


class CountryDbError(RuntimeError):
    """The configured MaxMind database cannot be used; the hub must not start."""


def _as_looked_up(ip: IPAddress) -> IPAddress:
    # Judged as is_public_ip judges them: by the IPv4 address they carry.
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped if ip.ipv4_mapped is not None else ip.sixtofour
        if embedded is not None:
            return embedded
    return ip


def _iso_code(value: Any) -> str | None:
    if isinstance(value, str) and len(value) == 2 and value.isascii() and value.isalpha():
        return value.upper()
    return None


class EmbeddedCountryDb:
    """Country from the RIR delegation data shipped in the iptocc wheel."""

    def country(self, ip: IPAddress) -> str | None:
        return _iso_code(iptocc.country_code(str(_as_looked_up(ip))))


class MaxMindCountryDb:
    """Country from a GeoIP2/GeoLite2 (or DB-IP) Country or City `.mmdb` file."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise CountryDbError(f"MaxMind database {self.path} does not exist")
        try:
            self._reader = maxminddb.open_database(self.path)
        except (OSError, ValueError, maxminddb.InvalidDatabaseError) as exc:
            raise CountryDbError(f"{self.path} is not a usable MaxMind database: {exc}") from None

    def country(self, ip: IPAddress) -> str | None:
        try:
            record = self._reader.get(_as_looked_up(ip))
        except ValueError:  # an IPv6 address asked of an IPv4-only database
            return None
        if not isinstance(record, dict):
            return None
        # registered_country: where the block is registered, for records with no country.
        for key in ("country", "registered_country"):
            section = record.get(key)
            if isinstance(section, dict):
                code = _iso_code(section.get("iso_code"))
                if code is not None:
                    return code
        return None

    def close(self) -> None:
        self._reader.close()


def open_country_db(path: Path | None) -> CountryLookup:
    """The operator's MaxMind database when a path is configured, else the embedded one."""
    if path is None:
        return EmbeddedCountryDb()
    return MaxMindCountryDb(path)
