"""Tiny GeoIP2-Country-shaped `.mmdb` files for tests, written with mmdb-writer, so
country lookups through MaxMindCountryDb can be tested without a real database."""

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mmdb_writer import MMDBWriter
from netaddr import IPSet


def write_country_mmdb(path: Path, countries: Mapping[str, str | Mapping[str, Any]]) -> Path:
    """Write `{cidr: "NL"}` (or `{cidr: full record}`) as an IPv6 database that also
    answers IPv4, as GeoIP2-Country does; returns path."""
    writer = MMDBWriter(
        ip_version=6,
        ipv4_compatible=True,
        database_type="GeoIP2-Country",
        languages=["en"],
        description={"en": "hub test country database"},
    )
    for cidr, value in countries.items():
        if isinstance(value, str):
            record: Mapping[str, Any] = {
                "country": {"iso_code": value},
                "registered_country": {"iso_code": value},
            }
        else:
            record = value
        writer.insert_network(IPSet([cidr]), dict(record))
    writer.to_db_file(str(path))
    return path


def write_asn_mmdb(path: Path, networks: Mapping[str, tuple[int, str]]) -> Path:
    """Write `{cidr: (asn, organisation)}` shaped as GeoLite2-ASN is; returns path."""
    writer = MMDBWriter(
        ip_version=6,
        ipv4_compatible=True,
        database_type="GeoLite2-ASN",
        languages=["en"],
        description={"en": "hub test ASN database"},
    )
    for cidr, (asn, name) in networks.items():
        writer.insert_network(
            IPSet([cidr]),
            {"autonomous_system_number": asn, "autonomous_system_organization": name},
        )
    writer.to_db_file(str(path))
    return path
