"""The case key of PROTOCOL 4.1: which reported URLs are accepted and what they become,
as one table of accepted URLs and one of rejected ones."""

import ipaddress

import pytest

from hub.urls import (
    MAX_URL_LENGTH,
    InvalidUrl,
    NormalisedUrl,
    is_public_ip,
    normalise_url,
)

ACCEPTED = [
    # scheme and host case
    ("https://files.example.net/a/b.jpg", "https://files.example.net/a/b.jpg"),
    ("HTTP://Files.EXAMPLE.net/A/B.jpg", "http://files.example.net/A/B.jpg"),
    ("HtTpS://example.com", "https://example.com/"),
    # IDNA to punycode
    ("http://Bücher.example/x", "http://xn--bcher-kva.example/x"),
    ("http://BÜCHER.example/", "http://xn--bcher-kva.example/"),
    ("http://xn--bcher-kva.example/", "http://xn--bcher-kva.example/"),
    ("http://公司.cn/", "http://xn--55qx5d.cn/"),
    ("http://ex%41mple.com/", "http://example.com/"),
    # default ports
    ("http://example.com:80/a", "http://example.com/a"),
    ("https://example.com:443/a", "https://example.com/a"),
    ("http://example.com:443/a", "http://example.com:443/a"),
    ("https://example.com:80/a", "https://example.com:80/a"),
    ("http://example.com:8080/a", "http://example.com:8080/a"),
    ("http://example.com:0080/a", "http://example.com/a"),
    # empty path
    ("http://example.com", "http://example.com/"),
    ("http://example.com?q=1", "http://example.com/?q=1"),
    # percent-encoding in the path
    ("http://example.com/%7e", "http://example.com/~"),
    ("http://example.com/%7E", "http://example.com/~"),
    ("http://example.com/a%2fb", "http://example.com/a%2Fb"),
    ("http://example.com/%41%62%2D%5f%2e", "http://example.com/Ab-_."),
    ("http://example.com/%e2%82%ac", "http://example.com/%E2%82%AC"),
    ("http://example.com/%zz%", "http://example.com/%zz%"),
    ("http://example.com/é", "http://example.com/%C3%A9"),
    ("http://example.com/a b", "http://example.com/a%20b"),
    # the query is kept as sent
    ("http://example.com/p?%7e=%7E&B=%2f", "http://example.com/p?%7e=%7E&B=%2f"),
    ("http://example.com/p?", "http://example.com/p?"),
    ("http://example.com/p?a b", "http://example.com/p?a%20b"),
    # fragments
    ("http://example.com/a#top", "http://example.com/a"),
    ("http://example.com/a?q#frag?x", "http://example.com/a?q"),
    ("http://example.com/a?#", "http://example.com/a?"),
    # dot segments, also escaped
    ("http://example.com/a/./b/../c", "http://example.com/a/c"),
    ("http://example.com/a/%2e%2E/c", "http://example.com/c"),
    ("http://example.com/../../x", "http://example.com/x"),
    ("http://example.com/a%2e/b", "http://example.com/a./b"),
    # backslashes are slashes in special schemes
    ("http:\\\\example.com\\a\\b", "http://example.com/a/b"),
    # IPv4 number forms, canonicalised then judged
    ("http://0xcb.0.113.7/", "http://203.0.113.7/"),
    ("http://3405803783/", "http://203.0.113.7/"),
    ("http://0313.0.0161.07/", "http://203.0.113.7/"),
    ("http://8.8.8.8:80/", "http://8.8.8.8/"),
    # IPv6 literals
    ("http://[2001:DB8:0:0::1]:443/", "http://[2001:db8::1]:443/"),
    ("https://[2001:4860:4860::8888]:443", "https://[2001:4860:4860::8888]/"),
    ("http://[::ffff:203.0.113.7]/", "http://[::ffff:cb00:7107]/"),
    # whitespace and control characters, as WHATWG treats them
    ("  http://example.com/a \n", "http://example.com/a"),
    ("http://exa\tmple.com/a\nb", "http://example.com/ab"),
    ("http://example.com/a\x01b", "http://example.com/a%01b"),
    # a trailing dot is kept, as in WHATWG
    ("http://example.com./", "http://example.com./"),
    # empty userinfo is no credential and disappears
    ("http://@example.com/", "http://example.com/"),
    (
        "http://example.com/a?x=http://u:p@other.example/",
        "http://example.com/a?x=http://u:p@other.example/",
    ),
]

REJECTED = [
    ("javascript:alert(1)", "http or https"),
    ("ftp://example.com/file", "http or https"),
    ("data:image/png;base64,AAAA", "http or https"),
    ("file:///etc/passwd", "http or https"),
    ("ws://example.com/", "http or https"),
    ("/relative/path", "valid absolute URL"),
    ("example.com/a", "valid absolute URL"),
    ("", "valid absolute URL"),
    ("http://", "valid absolute URL"),
    ("http://exa mple.com/", "valid absolute URL"),
    ("http://example.com:65536/", "valid absolute URL"),
    ("http://[fe80::1%25eth0]/", "valid absolute URL"),
    ("http://\ud800.com/", "valid absolute URL"),
    ("http://user:pw@example.com/", "credentials"),
    ("http://user@example.com/", "credentials"),
    ("http://:pw@example.com/", "credentials"),
    ("http://localhost/", "with a dot"),
    ("http://intranet/", "with a dot"),
    ("http://app.localhost/", ".localhost"),
    ("http://printer.local/", ".local"),
    ("http://db.internal/", ".internal"),
    ("http://router.home.arpa/", ".arpa"),
    ("http://1.0.0.127.in-addr.arpa./", ".arpa"),
    ("http://nothing.invalid/", ".invalid"),
    ("http://ex!ample.com/", "not a valid DNS name"),
    ("http://a..example.com/", "not a valid DNS name"),
    ("http://xn--zz.com/", "not a valid DNS name"),
    ("http://xn--abc-.com/", "not a valid DNS name"),
    (f"http://{'a' * 64}.com/", "not a valid DNS name"),
    (f"http://{('a' * 63 + '.') * 4}com/", "not a valid DNS name"),
    ("http://127.0.0.1/", "not a public IP"),
    ("http://0x7f.1/", "not a public IP"),
    ("http://2130706433/", "not a public IP"),
    ("http://10.1.2.3/", "not a public IP"),
    ("http://192.168.0.1/", "not a public IP"),
    ("http://0300.0250.0.1/", "not a public IP"),
    ("http://169.254.169.254/", "not a public IP"),
    ("http://100.64.0.1/", "not a public IP"),
    ("http://0.0.0.0/", "not a public IP"),
    ("http://224.0.0.1/", "not a public IP"),
    ("http://255.255.255.255/", "not a public IP"),
    ("http://[::1]/", "not a public IP"),
    ("http://[fe80::1]/", "not a public IP"),
    ("http://[fd00::1]/", "not a public IP"),
    ("http://[::ffff:127.0.0.1]/", "not a public IP"),
    ("http://[2002:c0a8:1::]/", "not a public IP"),
    (f"http://example.com/{'a' * (MAX_URL_LENGTH - 18)}", "longer than 2048"),
]


@pytest.mark.parametrize(("raw", "expected"), ACCEPTED)
def test_accepted_url_becomes_its_case_key(raw: str, expected: str) -> None:
    assert normalise_url(raw).url == expected


@pytest.mark.parametrize(("raw", "message"), REJECTED)
def test_rejected_url_says_why(raw: str, message: str) -> None:
    with pytest.raises(InvalidUrl, match=message):
        normalise_url(raw)


def test_tables_are_large_enough() -> None:
    assert len(ACCEPTED) + len(REJECTED) >= 40


def test_normalising_twice_changes_nothing() -> None:
    for raw, expected in ACCEPTED:
        assert normalise_url(expected).url == expected, raw


def test_longest_dns_name_is_accepted() -> None:
    host = ("a" * 63 + ".") * 3 + "b" * 57 + ".com"
    assert len(host) == 253
    assert normalise_url(f"http://{host}/").host == host


def test_url_of_exactly_the_limit_is_accepted() -> None:
    raw = "http://example.com/" + "a" * (MAX_URL_LENGTH - 19)
    assert len(raw) == MAX_URL_LENGTH
    assert normalise_url(raw).url == raw


def test_dns_host_has_no_ip() -> None:
    assert normalise_url("http://Bücher.example:80/") == NormalisedUrl(
        url="http://xn--bcher-kva.example/", host="xn--bcher-kva.example", host_ip=None
    )


def test_ip_literal_host_is_given_without_brackets() -> None:
    v6 = normalise_url("http://[2001:db8::7]:8080/x")
    assert v6.host == "2001:db8::7"
    assert v6.host_ip == ipaddress.IPv6Address("2001:db8::7")
    v4 = normalise_url("http://0xcb.0.113.7/")
    assert v4.host == "203.0.113.7"
    assert v4.host_ip == ipaddress.IPv4Address("203.0.113.7")


def test_invalid_url_is_a_value_error() -> None:
    assert issubclass(InvalidUrl, ValueError)
    with pytest.raises(InvalidUrl):
        normalise_url(None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("ip", "public"),
    [
        ("8.8.8.8", True),
        ("193.0.6.139", True),
        ("203.0.113.7", True),
        ("192.0.2.1", True),
        ("198.51.100.1", True),
        ("2001:db8::1", True),
        ("2a00:1450:4001::1", True),
        ("::ffff:8.8.8.8", True),
        ("2002:808:808::1", True),
        ("10.0.0.1", False),
        ("172.16.0.1", False),
        ("127.0.0.1", False),
        ("169.254.1.1", False),
        ("100.64.0.1", False),
        ("192.0.0.8", False),
        ("198.18.0.1", False),
        ("224.0.0.1", False),
        ("240.0.0.1", False),
        ("0.0.0.0", False),
        ("::", False),
        ("::1", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("fec0::1", False),
        ("ff0e::1", False),
        ("::ffff:10.0.0.1", False),
        ("2002:a00:1::", False),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", False),
        ("64:ff9b::808:808", False),
    ],
)
def test_public_unicast_addresses(ip: str, public: bool) -> None:
    assert is_public_ip(ipaddress.ip_address(ip)) is public
