"""CDN recognition from the shipped ranges, an operator's file and an ASN database, and
start-up refusing a missing or corrupt data file."""

import ipaddress
import json
import subprocess
import sys
from pathlib import Path

import pytest

from hub.geo.cdn import CdnDataError, CdnRanges, open_hosting_networks
from hub.settings import Settings
from tests.support.mmdb import write_asn_mmdb, write_country_mmdb
from tests.support.processes import ROOT, hub_environment


def ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    return ipaddress.ip_address(text)


@pytest.mark.parametrize(
    ("address", "provider"),
    [
        ("104.16.1.1", "cloudflare"),
        ("2606:4700::6810:1", "cloudflare"),
        ("::ffff:104.16.1.1", "cloudflare"),
        ("151.101.1.69", "fastly"),
        ("13.32.0.1", "cloudfront"),
        ("2600:9000::1", "cloudfront"),
        ("23.32.0.1", "akamai"),
        ("142.250.1.1", "google"),
        ("45.60.1.1", "imperva"),
        ("186.2.160.1", "ddos-guard"),
        ("193.0.6.139", None),
        ("2001:67c:2e8::1", None),
    ],
)
def test_the_shipped_ranges_recognise_the_big_providers(address: str, provider: str | None) -> None:
    networks = open_hosting_networks(None, None)

    found = networks.lookup(ip(address)).cdn

    assert (found.id if found else None) == provider


def test_the_shipped_ranges_say_when_they_were_made() -> None:
    ranges = CdnRanges.open(None)

    assert ranges.as_of == "2026-12-01"
    assert {p.country for p in ranges.providers.values()} <= {"US", "RU"}


def test_an_operator_file_replaces_the_shipped_ranges(tmp_path: Path) -> None:
    path = tmp_path / "ranges.json"
    path.write_text(
        json.dumps(
            {
                "as_of": "2027-01-01",
                "providers": [
                    {
                        "id": "edge-co",
                        "name": "Edge Co",
                        "country": "SE",
                        "ranges": ["10.0.0.0/8", "10.1.0.0/16", "10.2.3.0/24"],
                    }
                ],
            }
        )
    )
    networks = open_hosting_networks(None, path)

    assert networks.lookup(ip("10.2.3.4")).cdn.id == "edge-co"  # type: ignore[union-attr]
    assert networks.lookup(ip("10.200.0.1")).cdn.id == "edge-co"  # type: ignore[union-attr]
    assert networks.lookup(ip("104.16.1.1")).cdn is None


def test_an_asn_database_recognises_a_provider_by_its_asn(tmp_path: Path) -> None:
    asn = write_asn_mmdb(tmp_path / "asn.mmdb", {"198.18.0.0/15": (13335, "CLOUDFLARENET")})
    networks = open_hosting_networks(asn, None)

    edge = networks.lookup(ip("198.18.0.1"))

    assert edge.cdn is not None and edge.cdn.id == "cloudflare"
    assert (edge.network.asn, edge.network.name) == (13335, "CLOUDFLARENET")  # type: ignore[union-attr]
    assert networks.lookup(ip("193.0.6.139")).network is None


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        json.dumps({"providers": [{"id": "x", "name": "X", "country": "US", "ranges": ["1.2.3"]}]}),
        json.dumps({"providers": [{"id": "Bad/Id", "name": "X", "country": "US", "ranges": []}]}),
        json.dumps({"nothing": []}),
    ],
)
def test_a_corrupt_ranges_file_names_the_setting(tmp_path: Path, content: str) -> None:
    path = tmp_path / "ranges.json"
    path.write_text(content)

    with pytest.raises(CdnDataError, match="HUB_CDN_RANGES"):
        open_hosting_networks(None, path)


def test_a_country_database_is_not_an_asn_database(tmp_path: Path) -> None:
    countries = write_country_mmdb(tmp_path / "c.mmdb", {"198.18.0.0/15": "NL"})

    with pytest.raises(CdnDataError, match=r"HUB_ASN_DB.*not an ASN"):
        open_hosting_networks(countries, None)


@pytest.mark.parametrize("setting", ["HUB_ASN_DB", "HUB_CDN_RANGES"])
@pytest.mark.parametrize("problem", ["missing", "corrupt"])
def test_a_missing_or_corrupt_data_file_stops_start_up(
    settings: Settings, tmp_path: Path, setting: str, problem: str
) -> None:
    path = tmp_path / "data-file"
    if problem == "corrupt":
        path.write_bytes(b"\x00garbage\xff" * 10)

    process = subprocess.run(
        [sys.executable, "-m", "hub", "serve", "--port", "9"],
        env=hub_environment(settings, **{setting: str(path)}),
        cwd=ROOT,
        capture_output=True,
        timeout=120,
    )

    assert process.returncode != 0
    assert setting in process.stderr.decode()
