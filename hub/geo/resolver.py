"""The hosting address of a reported host (PROTOCOL 4.2): the first public unicast
address, A records before AAAA, from a static hosts file or from DNS; never a connection.
"""

import ipaddress
import json
import socket
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import ada_url

from hub.urls import IPAddress, is_public_ip

DEFAULT_DNS_TIMEOUT = 2.0

# Bounded so a hanging system resolver cannot make the hub spawn thread after thread;
# a stuck getaddrinfo finishes on its own when the resolver gives up.
_DNS_POOL = ThreadPoolExecutor(max_workers=8, thread_name_prefix="hub-dns")

# RFC 7686: .onion names must not be sent to DNS; they have no hosting address to find.
_NOT_IN_DNS = ("onion",)


def _host_key(host: str) -> str:
    """Lower-case punycode without a trailing dot, the form normalise_url gives hosts."""
    name = host.strip().removesuffix(".")
    if name.isascii():
        return name.lower()
    return ada_url.idna_to_ascii(name).decode("ascii")


class StaticHosts:
    """A fixed host -> addresses map used instead of DNS (HUB_STATIC_HOSTS)."""

    def __init__(self, hosts: Mapping[str, Sequence[str]]) -> None:
        self._hosts: dict[str, tuple[IPAddress, ...]] = {}
        for host, addresses in hosts.items():
            if isinstance(addresses, str):
                raise ValueError(f"static host {host!r}: expected a list of addresses")
            try:
                parsed = tuple(ipaddress.ip_address(a) for a in addresses)
            except ValueError as exc:
                raise ValueError(f"static host {host!r}: {exc}") from None
            self._hosts[_host_key(host)] = parsed

    @classmethod
    def from_file(cls, path: Path) -> "StaticHosts":
        """Read JSON `{"host": ["ip", ...]}`; raises ValueError naming the file if bad."""
        try:
            hosts = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ValueError(f"cannot read static hosts file {path}: {exc}") from None
        if not isinstance(hosts, dict):
            raise ValueError(f"static hosts file {path}: expected a JSON object")
        try:
            return cls(hosts)
        except ValueError as exc:
            raise ValueError(f"static hosts file {path}: {exc}") from None

    def addresses(self, host: str) -> tuple[IPAddress, ...]:
        """The addresses listed for host, in file order; empty when it is not listed."""
        return self._hosts.get(_host_key(host), ())


class HostResolver:
    """Resolves a URL host to its hosting address; None when it has no public address."""

    def __init__(
        self,
        static_hosts: StaticHosts | None = None,
        timeout: float = DEFAULT_DNS_TIMEOUT,
    ) -> None:
        self._static_hosts = static_hosts
        self._timeout = timeout

    def resolve(self, host: str) -> IPAddress | None:
        try:
            literal = ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            pass
        else:
            return literal if is_public_ip(literal) else None
        if host.lower().removesuffix(".").rpartition(".")[2] in _NOT_IN_DNS:
            return None

        if self._static_hosts is not None:
            listed = self._static_hosts.addresses(host)
            v4 = [a for a in listed if a.version == 4]
            v6 = [a for a in listed if a.version == 6]
            return _first_public(v4) or _first_public(v6)
        return self._resolve_dns(host)

    def _resolve_dns(self, host: str) -> IPAddress | None:
        deadline = time.monotonic() + self._timeout
        # Both queries start at once so a missing A record costs no extra round trip.
        queries = [
            _DNS_POOL.submit(_getaddrinfo, host, family)
            for family in (socket.AF_INET, socket.AF_INET6)
        ]
        for query in queries:
            found = _first_public(_result(query, deadline))
            if found is not None:
                return found
        return None


def _getaddrinfo(host: str, family: socket.AddressFamily) -> list[IPAddress]:
    # getaddrinfo only asks the system resolver; it opens no connection to the host.
    infos = socket.getaddrinfo(host, None, family=family, type=socket.SOCK_STREAM)
    addresses: list[IPAddress] = []
    for *_, sockaddr in infos:
        try:
            addresses.append(ipaddress.ip_address(sockaddr[0]))
        except ValueError:  # e.g. a scoped link-local "fe80::1%eth0", never public
            continue
    return addresses


def _result(query: "Future[list[IPAddress]]", deadline: float) -> list[IPAddress]:
    try:
        return query.result(timeout=max(0.0, deadline - time.monotonic()))
    except (TimeoutError, OSError, UnicodeError):
        # Timeout, NXDOMAIN/no data (gaierror) or a name the codec refuses: unresolvable.
        return []


def _first_public(addresses: Sequence[IPAddress]) -> IPAddress | None:
    return next((a for a in addresses if is_public_ip(a)), None)
