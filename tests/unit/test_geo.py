"""Hosting address and country (PROTOCOL 4.2): static hosts, DNS through getaddrinfo
only, the embedded country data and an operator's MaxMind database; all offline."""

import ipaddress
import json
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hub.geo.country import (
    CountryDbError,
    EmbeddedCountryDb,
    MaxMindCountryDb,
    open_country_db,
)
from hub.geo.resolver import HostResolver, StaticHosts
from tests.support.mmdb import write_country_mmdb

ip = ipaddress.ip_address


@pytest.fixture
def static_hosts(tmp_path: Path) -> StaticHosts:
    path = tmp_path / "hosts.json"
    hosts = {
        "files.example.net": ["2001:db8::7", "203.0.113.7"],
        "Mixed.Example.NET": ["10.0.0.5", "127.0.0.1", "198.51.100.9", "2001:db8::9"],
        "only-v6.example": ["fd00::1", "2001:db8::6"],
        "private.example": ["10.0.0.1", "192.168.1.1", "::1"],
        "bücher.example": ["192.0.2.44"],
    }
    path.write_text(json.dumps(hosts), encoding="utf-8")
    return StaticHosts.from_file(path)


class TestStaticHosts:
    def test_a_record_wins_over_aaaa(self, static_hosts: StaticHosts) -> None:
        resolver = HostResolver(static_hosts)
        assert resolver.resolve("files.example.net") == ip("203.0.113.7")

    def test_private_addresses_are_skipped(self, static_hosts: StaticHosts) -> None:
        resolver = HostResolver(static_hosts)
        assert resolver.resolve("mixed.example.net") == ip("198.51.100.9")
        assert resolver.resolve("only-v6.example") == ip("2001:db8::6")

    def test_host_with_only_private_addresses_is_unresolvable(
        self, static_hosts: StaticHosts
    ) -> None:
        assert HostResolver(static_hosts).resolve("private.example") is None

    def test_unknown_host_is_unresolvable_without_dns(
        self, static_hosts: StaticHosts, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(socket, "getaddrinfo", _no_dns)
        assert HostResolver(static_hosts).resolve("www.example.org") is None

    def test_hosts_are_compared_as_lower_case_punycode(self, static_hosts: StaticHosts) -> None:
        resolver = HostResolver(static_hosts)
        assert resolver.resolve("xn--bcher-kva.example") == ip("192.0.2.44")
        assert resolver.resolve("FILES.example.net.") == ip("203.0.113.7")

    def test_ip_literal_host_is_its_own_address(self, static_hosts: StaticHosts) -> None:
        resolver = HostResolver(static_hosts)
        assert resolver.resolve("2001:db8::1") == ip("2001:db8::1")
        assert resolver.resolve("10.0.0.1") is None

    @pytest.mark.parametrize(
        "content",
        ['["203.0.113.7"]', '{"a.example": "203.0.113.7"}', '{"a.example": ["nope"]}', "{"],
    )
    def test_bad_file_fails_at_load(self, tmp_path: Path, content: str) -> None:
        path = tmp_path / "hosts.json"
        path.write_text(content, encoding="utf-8")
        with pytest.raises(ValueError, match="static hosts file"):
            StaticHosts.from_file(path)

    def test_missing_file_fails_at_load(self, tmp_path: Path) -> None:
        with pytest.raises(ValueError, match="cannot read"):
            StaticHosts.from_file(tmp_path / "absent.json")


def _no_dns(*args: object, **kwargs: object) -> list[object]:
    raise AssertionError("DNS must not be asked")


class TestDns:
    def test_localhost_resolves_to_loopback_which_is_not_public(self) -> None:
        # Answered from the hosts file, so no network is needed.
        assert HostResolver().resolve("localhost") is None

    def test_a_before_aaaa_and_private_skipped(self, monkeypatch: pytest.MonkeyPatch) -> None:
        answers = {
            socket.AF_INET: ["10.0.0.1", "203.0.113.7"],
            socket.AF_INET6: ["2001:db8::1"],
        }
        monkeypatch.setattr(socket, "getaddrinfo", _fake_getaddrinfo(answers))
        assert HostResolver().resolve("files.example.net") == ip("203.0.113.7")

    def test_aaaa_when_no_public_a(self, monkeypatch: pytest.MonkeyPatch) -> None:
        answers = {socket.AF_INET: ["127.0.0.1"], socket.AF_INET6: ["fe80::1%eth0", "2001:db8::1"]}
        monkeypatch.setattr(socket, "getaddrinfo", _fake_getaddrinfo(answers))
        assert HostResolver().resolve("files.example.net") == ip("2001:db8::1")

    def test_unknown_name_is_unresolvable(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(socket, "getaddrinfo", _fake_getaddrinfo({}))
        assert HostResolver().resolve("nothing.example") is None

    def test_timeout_is_unresolvable(self, monkeypatch: pytest.MonkeyPatch) -> None:
        release = threading.Event()

        def hanging_getaddrinfo(*args: object, **kwargs: object) -> list[object]:
            release.wait(5)
            raise socket.gaierror(socket.EAI_AGAIN, "gave up")

        monkeypatch.setattr(socket, "getaddrinfo", hanging_getaddrinfo)
        try:
            assert HostResolver(timeout=0.05).resolve("slow.example") is None
        finally:
            release.set()

    def test_onion_names_are_not_sent_to_dns(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(socket, "getaddrinfo", _no_dns)
        assert HostResolver().resolve("abcdefghijklmnop.onion") is None


def _fake_getaddrinfo(
    answers: dict[socket.AddressFamily, list[str]],
) -> Callable[..., list[tuple[object, ...]]]:
    def getaddrinfo(
        host: str, port: object, family: socket.AddressFamily, type: socket.SocketKind
    ) -> list[tuple[object, ...]]:
        if family not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        if family == socket.AF_INET:
            return [(family, type, 6, "", (a, 0)) for a in answers[family]]
        return [(family, type, 6, "", (a, 0, 0, 0)) for a in answers[family]]

    return getaddrinfo


class TestEmbeddedCountryDb:
    @pytest.mark.parametrize(
        ("address", "country"),
        [
            ("193.0.6.139", "NL"),
            ("8.8.8.8", "US"),
            ("2001:4860:4860::8888", "US"),
            ("2a00:1450:4001::1", "IE"),
            ("::ffff:193.0.6.139", "NL"),
            ("10.0.0.1", None),
            ("203.0.113.7", None),
            ("2001:db8::1", None),
        ],
    )
    def test_country(self, address: str, country: str | None) -> None:
        assert EmbeddedCountryDb().country(ip(address)) == country

    def test_is_the_default(self) -> None:
        assert isinstance(open_country_db(None), EmbeddedCountryDb)


class TestMaxMindCountryDb:
    @pytest.fixture
    def db(self, tmp_path: Path) -> Iterator[MaxMindCountryDb]:
        path = write_country_mmdb(
            tmp_path / "country.mmdb",
            {
                "203.0.113.0/24": "NL",
                "2001:db8::/32": "DE",
                "198.51.100.0/24": {"registered_country": {"iso_code": "fr"}},
                "192.0.2.0/24": {"continent": {"code": "EU"}},
            },
        )
        lookup = open_country_db(path)
        assert isinstance(lookup, MaxMindCountryDb)
        yield lookup
        lookup.close()

    @pytest.mark.parametrize(
        ("address", "country"),
        [
            ("203.0.113.7", "NL"),
            ("::ffff:203.0.113.7", "NL"),
            ("2001:db8::1", "DE"),
            ("198.51.100.1", "FR"),
            ("192.0.2.1", None),
            ("8.8.8.8", None),
            ("2a00:1450:4001::1", None),
        ],
    )
    def test_country(self, db: MaxMindCountryDb, address: str, country: str | None) -> None:
        assert db.country(ip(address)) == country

    def test_missing_file_fails_at_construction(self, tmp_path: Path) -> None:
        with pytest.raises(CountryDbError, match="does not exist"):
            MaxMindCountryDb(tmp_path / "absent.mmdb")

    def test_invalid_file_fails_at_construction(self, tmp_path: Path) -> None:
        path = tmp_path / "garbage.mmdb"
        path.write_bytes(b"not a maxmind database" * 10)
        with pytest.raises(CountryDbError, match="not a usable MaxMind database"):
            open_country_db(path)
