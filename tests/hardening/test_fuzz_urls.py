"""Issue 9: URL normalisation fuzzed (hypothesis). Whatever a hotline sends, the case key
is either refused with InvalidUrl or is a URL of the form PROTOCOL 4.1 promises (no
credentials, no fragment, lower-case host, no default port, normalised escapes), and
normalising it again changes nothing."""

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from hub.urls import MAX_URL_LENGTH, InvalidUrl, normalise_url

SCHEMES = st.sampled_from(["http", "https", "HTTP", "hTTps", "ftp", "file", "javascript", "ws"])
SEPARATORS = st.sampled_from(["://", ":/", ":\\\\", ":", ":///", "://\\"])
LABEL = st.text("abcxyzABC019-_ÄéßİﬀⅨ．。%", min_size=1, max_size=12)
HOSTS = st.one_of(
    st.lists(LABEL, min_size=1, max_size=4).map(".".join).map(lambda h: h + ".example"),
    st.builds("{}.{}".format, LABEL, st.sampled_from(["com", "net", "local", "onion", "arpa"])),
    st.sampled_from(
        [
            "203.0.113.7",
            "0x7f.1",
            "2130706433",
            "0300.0250.1.1",
            "[2001:67c:2e8::1]",
            "[::ffff:127.0.0.1]",
            "[fe80::1%25eth0]",
            "localhost",
            "xn--zz.example",
            "files.example.net.",
            "%66iles.example.net",
        ]
    ),
)
USERINFO = st.one_of(st.just(""), st.builds("{}@".format, st.text("ab:%@", max_size=6)))
PORTS = st.one_of(
    st.just(""),
    st.integers(min_value=0, max_value=70000).map(":{}".format),
    st.sampled_from([":", ":80", ":443", ":0080", ":x"]),
)
SEGMENT = st.one_of(
    st.sampled_from([".", "..", "%2e", "%2E%2e", "%7e", "%7E", "%41", "%zz", "%", "~", "a b"]),
    st.text(min_size=0, max_size=8),
)
PATHS = st.lists(SEGMENT, max_size=6).map(lambda s: "/" + "/".join(s))
TAILS = st.one_of(
    st.just(""), st.builds("{}{}".format, st.sampled_from(["?", "#", "?#"]), st.text(max_size=10))
)

URLS = st.one_of(
    st.builds("{}{}{}{}{}{}{}".format, SCHEMES, SEPARATORS, USERINFO, HOSTS, PORTS, PATHS, TAILS),
    st.text(max_size=40),
    # Near the length limit: escapes that normalisation may decode or keep.
    st.builds(
        "https://files.example.net/{}".format,
        st.text("a%7eé€", min_size=MAX_URL_LENGTH - 60, max_size=MAX_URL_LENGTH),
    ),
)
ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
UNRESERVED = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


@settings(max_examples=1000)
@given(URLS)
@example("https://user:pass@files.example.net/")
@example("https://FILES.example.net:443/a/./b/../%7e%41?q=%7e#frag")
@example("http://0x7f.1/")
def test_a_reported_url_normalises_to_a_stable_case_key_or_is_refused(raw: str) -> None:
    try:
        normal = normalise_url(raw)
    except InvalidUrl as refused:
        assert str(refused)  # a message the sender is shown
        return
    url = normal.url
    scheme, _, rest = url.partition("://")
    authority = re.split(r"[/?]", rest, maxsplit=1)[0]
    assert scheme in ("http", "https")
    assert "#" not in url and "@" not in authority
    assert authority == authority.lower()
    assert not authority.endswith({"http": ":80", "https": ":443"}[scheme])
    path = rest[len(authority) :].partition("?")[0]
    assert path.startswith("/")
    for escaped in ESCAPE.findall(path):
        assert escaped == escaped.upper() and chr(int(escaped, 16)) not in UNRESERVED
    again = normalise_url(url)
    assert again.url == url and again.host == normal.host and again.host_ip == normal.host_ip
