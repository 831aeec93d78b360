"""Which webhook URLs the hub may push to, and the one address it connects to: https on
public addresses only (no SSRF), checked at registration and again before every push.

Every address the host resolves to must be public, and the push connects to one of those
vetted addresses, so a DNS answer that changes in between cannot redirect it.
HUB_ALLOW_PRIVATE_WEBHOOKS=1 also allows http and private or loopback addresses (tests, labs).
"""

import ipaddress
import socket
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import ada_url

from hub.geo.resolver import StaticHosts
from hub.settings import Settings
from hub.urls import MAX_URL_LENGTH, IPAddress, is_public_ip

Resolve = Callable[[str], Sequence[IPAddress]]

# Bounded so a hanging system resolver cannot make the hub spawn thread after thread.
_DNS_POOL = ThreadPoolExecutor(max_workers=8, thread_name_prefix="hub-webhook-dns")
_DEFAULT_PORTS = {"https:": 443, "http:": 80}


class UnsafeTarget(ValueError):
    """A webhook URL the hub will not push to; the message never repeats the URL."""


@dataclass(frozen=True)
class Target:
    """A vetted webhook: its normalised URL, the URL's own host (for TLS and `Host`) and
    the address to dial."""

    url: str
    scheme: str
    host: str
    port: int
    address: IPAddress


def system_resolver(static_hosts: StaticHosts | None, timeout: float) -> Resolve:
    """Every address of a host: from the static hosts file when there is one, else DNS."""

    def resolve(host: str) -> list[IPAddress]:
        if static_hosts is not None:
            return list(static_hosts.addresses(host))
        query = _DNS_POOL.submit(socket.getaddrinfo, host, None, type=socket.SOCK_STREAM)
        try:
            infos = query.result(timeout=timeout)
        except (TimeoutError, OSError, UnicodeError):
            return []
        addresses: list[IPAddress] = []
        for *_, sockaddr in infos:
            try:
                address = ipaddress.ip_address(sockaddr[0])
            except ValueError:  # scoped link-local "fe80::1%eth0": kept, so it is refused
                address = ipaddress.IPv6Address("fe80::")
            if address not in addresses:
                addresses.append(address)
        return addresses

    return resolve


class WebhookTargets:
    """The webhook URL rules of PROTOCOL section 5."""

    def __init__(self, allow_private: bool, resolve: Resolve) -> None:
        self.allow_private = allow_private
        self._resolve = resolve

    @classmethod
    def from_settings(cls, settings: Settings) -> "WebhookTargets":
        static_hosts = (
            StaticHosts.from_file(settings.static_hosts) if settings.static_hosts else None
        )
        return cls(
            settings.allow_private_webhooks, system_resolver(static_hosts, settings.dns_timeout)
        )

    def check(self, url: str) -> str | None:
        """The registration hook: why `url` is refused, or None when it is acceptable."""
        try:
            self.vet(url)
        except UnsafeTarget as exc:
            return str(exc)
        return None

    def vet(self, url: str) -> Target:
        """Parses, resolves and checks `url`; raises UnsafeTarget."""
        try:
            parts = ada_url.parse_url(url)
        except ValueError:
            raise UnsafeTarget("is not a valid URL") from None
        scheme = parts["protocol"]
        if scheme != "https:" and not (self.allow_private and scheme == "http:"):
            raise UnsafeTarget("must be an https URL")
        if parts["username"] or parts["password"]:
            raise UnsafeTarget("must not contain credentials")
        host = parts["hostname"].strip("[]")
        if not host:
            raise UnsafeTarget("has no host")
        port = int(parts["port"]) if parts["port"] else _DEFAULT_PORTS[scheme]
        if port == 0:
            raise UnsafeTarget("port 0 is not a port one can connect to")
        try:
            addresses: Sequence[IPAddress] = [ipaddress.ip_address(host)]
        except ValueError:
            addresses = self._resolve(host)
        if not addresses:
            raise UnsafeTarget("host does not resolve")
        if not self.allow_private and not all(is_public_ip(a) for a in addresses):
            raise UnsafeTarget("host must resolve to public addresses only")
        address = next((a for a in addresses if a.version == 4), addresses[0])
        url_without_fragment = parts["href"].partition("#")[0]
        if len(url_without_fragment) > MAX_URL_LENGTH:  # escapes grow it; the column holds 2048
            raise UnsafeTarget(f"is longer than {MAX_URL_LENGTH} characters once normalised")
        return Target(url_without_fragment, scheme.rstrip(":"), host, port, address)
