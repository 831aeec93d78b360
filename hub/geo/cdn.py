"""CDNs and reverse proxies in front of a hosting address, and the network (ASN) it is in.

Two offline sources: the operator's ASN database (HUB_ASN_DB, GeoLite2-ASN or DB-IP ASN
`.mmdb`) and the providers' published ranges (shipped in hub/geo/data, or HUB_CDN_RANGES).
"""

import bisect
import ipaddress
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import maxminddb

from hub.geo.country import _as_looked_up
from hub.urls import IPAddress

_PROVIDER_ID = "abcdefghijklmnopqrstuvwxyz0123456789-"


class CdnDataError(RuntimeError):
    """An ASN database or CDN ranges file cannot be used; the hub must not start."""


@dataclass(frozen=True)
class Provider:
    id: str
    name: str
    country: str
    asns: tuple[int, ...]


@dataclass(frozen=True)
class Network:
    asn: int
    name: str | None


class CdnRanges:
    """Which provider's published range holds an address: a bisect over sorted ranges."""

    def __init__(self, document: Any, origin: str) -> None:
        self.providers: dict[str, Provider] = {}
        spans: dict[int, list[tuple[int, int, str]]] = {4: [], 6: []}
        try:
            for entry in document["providers"]:
                provider = Provider(
                    id=_provider_id(entry["id"]),
                    name=str(entry["name"]),
                    country=_country(entry["country"]),
                    asns=tuple(int(asn) for asn in entry.get("asns", [])),
                )
                if provider.id in self.providers:
                    raise ValueError(f"provider {provider.id!r} is listed twice")
                self.providers[provider.id] = provider
                for cidr in entry["ranges"]:
                    net = ipaddress.ip_network(cidr)
                    spans[net.version].append(
                        (int(net.network_address), int(net.broadcast_address), provider.id)
                    )
        except (KeyError, TypeError, ValueError) as exc:
            raise CdnDataError(f"{origin}: not a usable CDN ranges file: {exc!r}") from None
        self._starts: dict[int, list[int]] = {}
        self._reach: dict[int, list[int]] = {}  # the furthest end of any range up to here
        self._spans: dict[int, list[tuple[int, int, str]]] = {}
        for version, found in spans.items():
            found.sort()
            self._spans[version] = found
            self._starts[version] = [start for start, _, _ in found]
            reach, furthest = [], -1
            for _, end, _ in found:
                furthest = max(furthest, end)
                reach.append(furthest)
            self._reach[version] = reach
        self.as_of = str(document.get("as_of", "unknown"))

    @classmethod
    def open(cls, path: Path | None) -> "CdnRanges":
        """The operator's file (HUB_CDN_RANGES) when given, else the shipped one."""
        if path is None:
            origin = "the shipped CDN ranges (hub/geo/data/cdn-ranges.json; see HUB_CDN_RANGES)"
            text = resources.files("hub.geo").joinpath("data/cdn-ranges.json").read_text("utf-8")
        else:
            origin = f"HUB_CDN_RANGES ({path})"
            try:
                text = Path(path).read_text(encoding="utf-8")
            except OSError as exc:
                raise CdnDataError(f"{origin}: cannot be read: {exc.strerror}") from None
            except UnicodeError:
                raise CdnDataError(f"{origin}: is not UTF-8 JSON") from None
        try:
            document = json.loads(text)
        except ValueError as exc:
            raise CdnDataError(f"{origin}: not JSON: {exc}") from None
        return cls(document, origin)

    def provider_of(self, ip: IPAddress) -> Provider | None:
        value, spans, reach = int(ip), self._spans[ip.version], self._reach[ip.version]
        index = bisect.bisect_right(self._starts[ip.version], value) - 1
        # Ranges may overlap: walk back while some earlier range still reaches the address.
        while index >= 0 and reach[index] >= value:
            start, end, provider = spans[index]
            if start <= value <= end:
                return self.providers[provider]
            index -= 1
        return None


class AsnDb:
    """The autonomous system of an address from a GeoLite2-ASN or DB-IP ASN database."""

    def __init__(self, path: Path) -> None:
        origin = f"HUB_ASN_DB ({path})"
        if not Path(path).is_file():
            raise CdnDataError(f"{origin}: the file does not exist")
        try:
            self._reader = maxminddb.open_database(path)
        except (OSError, ValueError, maxminddb.InvalidDatabaseError) as exc:
            raise CdnDataError(f"{origin}: not a usable ASN database: {exc}") from None
        if "ASN" not in self._reader.metadata().database_type.upper():
            kind = self._reader.metadata().database_type
            self._reader.close()
            raise CdnDataError(f"{origin}: is a {kind} database, not an ASN one")

    def network(self, ip: IPAddress) -> Network | None:
        try:
            record = self._reader.get(ip)
        except ValueError:  # an IPv6 address asked of an IPv4-only database
            return None
        if not isinstance(record, dict):
            return None
        asn = record.get("autonomous_system_number")
        if not isinstance(asn, int) or asn <= 0:
            return None
        name = record.get("autonomous_system_organization")
        return Network(asn, name[:200] if isinstance(name, str) and name else None)

    def close(self) -> None:
        self._reader.close()


@dataclass(frozen=True)
class Edge:
    """What the lookup says of one address: the CDN in front of it and its network."""

    cdn: Provider | None
    network: Network | None


class HostingNetworks:
    """CDN recognition and the network of an address, from the configured sources.

    With an ASN database, a provider is recognised by its ASNs; the ranges are asked too,
    as CloudFront and Google share their ASNs with ordinary hosting.
    """

    def __init__(self, ranges: CdnRanges, asn_db: AsnDb | None) -> None:
        self.ranges = ranges
        self.asn_db = asn_db
        self._by_asn = {asn: p for p in ranges.providers.values() for asn in p.asns}

    @property
    def providers(self) -> dict[str, Provider]:
        return self.ranges.providers

    def lookup(self, ip: IPAddress) -> Edge:
        ip = _as_looked_up(ip)
        network = self.asn_db.network(ip) if self.asn_db is not None else None
        cdn = self._by_asn.get(network.asn) if network is not None else None
        return Edge(cdn or self.ranges.provider_of(ip), network)


def open_hosting_networks(asn_db: Path | None, cdn_ranges: Path | None) -> HostingNetworks:
    """Both sources, checked now: a bad file stops start-up instead of failing requests."""
    ranges = CdnRanges.open(cdn_ranges)
    return HostingNetworks(ranges, AsnDb(asn_db) if asn_db is not None else None)


def _provider_id(value: Any) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= 32 or set(value) - set(_PROVIDER_ID):
        raise ValueError(f"provider id {value!r} must be 1..32 of a-z, 0-9 and '-'")
    return value


def _country(value: Any) -> str:
    if not isinstance(value, str) or len(value) != 2 or not value.isascii() or not value.isupper():
        raise ValueError(f"country {value!r} must be an upper-case ISO 3166-1 alpha-2 code")
    return value
