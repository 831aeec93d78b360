"""Reported URL -> case key: WHATWG parsing (ada-url) plus the steps of PROTOCOL 4.1,
and the checks of PROTOCOL 4 on scheme, length and host; never fetches anything.

Percent-encoding: WHATWG leaves escapes as written (`%7e` and `%7E` stay distinct), so
after parsing we apply RFC 3986 6.2.2.2 ourselves, in the path only: escapes of
unreserved characters (ALPHA DIGIT - . _ ~) are decoded and the hex digits of all other
escapes are upper-cased. Decoding `%2E` cannot create a new dot segment, because WHATWG
has already removed every segment that is `.`/`..` in any of its escaped spellings. The
query is kept exactly as WHATWG serialises it, as PROTOCOL 4.1 requires.
"""

import codecs
import ipaddress
import re
from dataclasses import dataclass

import ada_url

MAX_URL_LENGTH = 2048

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Names that by definition never lead to a public host; kept short on purpose.
SPECIAL_USE_SUFFIXES = (
    "localhost",  # RFC 6761: loopback
    "local",  # RFC 6762: multicast DNS on the local link
    "internal",  # ICANN 2024: reserved for private networks
    "arpa",  # infrastructure (reverse zones) and home.arpa (RFC 8375, home networks)
    "invalid",  # RFC 6761: guaranteed never to exist
)

# docs/protocol.md's own example reports 203.0.113.7, so documentation ranges count as public.
DOCUMENTATION_NETWORKS = tuple(
    ipaddress.ip_network(net)
    for net in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
)
# IETF protocol assignments: older Pythons (3.11.7 included) call 192.0.0.8 global.
IETF_PROTOCOL_ASSIGNMENTS = ipaddress.IPv4Network("192.0.0.0/24")
# Only 2000::/3 is allocated as global unicast; this also rules out fec0::/10 and
# ff00::/8, which Python 3.11's is_global accepts.
GLOBAL_UNICAST_V6 = ipaddress.IPv6Network("2000::/3")

_DNS_LABEL = re.compile(r"[a-z0-9_-]{1,63}")
_PERCENT_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


class InvalidUrl(ValueError):
    """A reported URL the hub does not accept; the message is safe to show the sender."""


@dataclass(frozen=True, slots=True)
class NormalisedUrl:
    url: str
    host: str
    host_ip: IPAddress | None


def is_public_ip(ip: IPAddress) -> bool:
    """True for a public unicast address; IPv4-mapped and 6to4 addresses are judged by
    the IPv4 address they carry (Teredo, 2001::/32, is never public)."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped if ip.ipv4_mapped is not None else ip.sixtofour
        if embedded is not None:
            ip = embedded
    if any(ip in net for net in DOCUMENTATION_NETWORKS):
        return True
    if not ip.is_global or ip.is_multicast or ip.is_reserved:
        return False
    if isinstance(ip, ipaddress.IPv4Address):
        return ip not in IETF_PROTOCOL_ASSIGNMENTS
    return ip in GLOBAL_UNICAST_V6


def normalise_url(raw: str) -> NormalisedUrl:
    """Parse and normalise a reported URL into its case key.

    URLs with credentials (`user:pass@`) are rejected rather than stripped: userinfo is
    not part of the case key (the same resource would otherwise get one key per login),
    and it may carry personal data, which the hub must not store. Raises InvalidUrl.
    """
    if not isinstance(raw, str):
        raise InvalidUrl("URL must be a string")
    if len(raw) > MAX_URL_LENGTH:
        raise InvalidUrl(f"URL is longer than {MAX_URL_LENGTH} characters")
    try:
        parts = ada_url.parse_url(raw)
    except ValueError:
        # Also covers strings that are not valid UTF-8 (lone surrogates).
        raise InvalidUrl("not a valid absolute URL") from None
    if parts["protocol"] not in ("http:", "https:"):
        raise InvalidUrl("URL scheme must be http or https")
    if parts["username"] or parts["password"]:
        raise InvalidUrl("URL must not contain credentials (user:password@)")

    host, host_ip = _check_host(parts["hostname"], parts["host_type"])

    # '#' and '?' are percent-encoded everywhere before the query in WHATWG's
    # serialisation, so the first of each delimits the fragment and the query.
    without_fragment = parts["href"].partition("#")[0]
    _, question_mark, query = without_fragment.partition("?")
    port = f":{parts['port']}" if parts["port"] else ""
    path = _PERCENT_ESCAPE.sub(_normalise_escape, parts["pathname"])
    url = f"{parts['protocol']}//{parts['hostname']}{port}{path}{question_mark}{query}"
    # Percent-encoding and punycode can make the key longer than what was sent; a key
    # past the limit would be refused when normalised again (it must be stable).
    if len(url) > MAX_URL_LENGTH:
        raise InvalidUrl(f"URL is longer than {MAX_URL_LENGTH} characters once normalised")
    return NormalisedUrl(url=url, host=host, host_ip=host_ip)


def normalise_webhook_url(raw: str) -> str:
    """A webhook URL as WHATWG serialises it, without its fragment (`\\` becomes `/`, the
    host is lower-cased and punycoded); the caller has checked that it parses."""
    return ada_url.parse_url(raw)["href"].partition("#")[0]


def _check_host(hostname: str, host_type: ada_url.HostType) -> tuple[str, IPAddress | None]:
    if host_type == ada_url.HostType.IPV4 or host_type == ada_url.HostType.IPV6:
        host = hostname.strip("[]")
        host_ip = ipaddress.ip_address(host)
        if not is_public_ip(host_ip):
            raise InvalidUrl("URL host is not a public IP address")
        return host, host_ip

    # WHATWG has already lower-cased the name and converted it to punycode (UTS 46).
    name = hostname.removesuffix(".")
    labels = name.split(".")
    if len(labels) < 2:
        raise InvalidUrl("URL host must be a DNS name with a dot or a public IP address")
    if len(name) > 253 or not all(_is_dns_label(label) for label in labels):
        raise InvalidUrl("URL host is not a valid DNS name")
    if labels[-1] in SPECIAL_USE_SUFFIXES:
        raise InvalidUrl(f"URL host is under .{labels[-1]}, which is never public")
    return hostname, None


def _is_dns_label(label: str) -> bool:
    if not _DNS_LABEL.fullmatch(label):
        return False
    if not label.startswith("xn--"):
        return True
    # ada-url 4 passes invalid punycode (`xn--zz`, `xn--abc-`) that UTS 46 rejects:
    # a valid label decodes and encodes back to itself.
    try:
        decoded = codecs.decode(label[4:].encode("ascii"), "punycode")
        return bool(decoded) and ada_url.idna_to_ascii(decoded) == label.encode("ascii")
    except (UnicodeError, ValueError):
        return False


def _normalise_escape(match: re.Match[str]) -> str:
    char = chr(int(match.group(1), 16))
    return char if char in _UNRESERVED else f"%{match.group(1).upper()}"
