"""Webhook URLs (PROTOCOL 5, no SSRF): https on public addresses only, checked when a
hotline registers one and again before every push, which dials only the vetted address."""

import asyncio
import ipaddress
import threading
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from hub.delivery.sender import PushResult, Sender, Signed
from hub.delivery.signer import sign
from hub.delivery.targets import UnsafeTarget, WebhookTargets
from hub.signing import load_or_create
from tests.conftest import Hub, ServerThread
from tests.support.receiver import Receiver

ADDRESSES = {
    "hooks.hotline.example": ["203.0.113.50", "2001:db8::50"],
    "internal.hotline.example": ["10.0.0.8"],
    "mixed.hotline.example": ["203.0.113.51", "192.168.1.1"],
    "v6.hotline.example": ["2001:db8::60"],
    "mapped.hotline.example": ["::ffff:127.0.0.1"],
}


def resolver(table: dict[str, list[str]]) -> Callable[[str], Sequence[Any]]:
    return lambda host: [ipaddress.ip_address(a) for a in table.get(host, [])]


STRICT = WebhookTargets(allow_private=False, resolve=resolver(ADDRESSES))
LAB = WebhookTargets(allow_private=True, resolve=resolver(ADDRESSES))


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://hooks.hotline.example/h", "must be an https URL"),
        ("ftp://hooks.hotline.example/h", "must be an https URL"),
        ("not a url", "is not a valid URL"),
        ("https://user:pw@hooks.hotline.example/h", "must not contain credentials"),
        ("https://internal.hotline.example/h", "host must resolve to public addresses only"),
        ("https://mixed.hotline.example/h", "host must resolve to public addresses only"),
        ("https://mapped.hotline.example/h", "host must resolve to public addresses only"),
        ("https://unknown.hotline.example/h", "host does not resolve"),
        ("https://127.0.0.1/h", "host must resolve to public addresses only"),
        ("https://[::1]:8443/h", "host must resolve to public addresses only"),
        ("https://169.254.169.254/latest", "host must resolve to public addresses only"),
        ("https://0x7f.1/h", "host must resolve to public addresses only"),
    ],
)
def test_a_webhook_must_be_https_on_public_addresses(url: str, problem: str) -> None:
    assert STRICT.check(url) == problem


def test_a_good_webhook_is_vetted_to_one_of_its_addresses_ipv4_first() -> None:
    target = STRICT.vet("https://Hooks.Hotline.Example/in?x=1#frag")
    assert target.url == "https://hooks.hotline.example/in?x=1"
    assert (target.scheme, target.host, target.port) == ("https", "hooks.hotline.example", 443)
    assert str(target.address) == "203.0.113.50"
    assert str(STRICT.vet("https://v6.hotline.example:8443/").address) == "2001:db8::60"
    assert STRICT.vet("https://[2001:db8::70]/").host == "2001:db8::70"


def test_private_webhooks_are_allowed_only_when_the_operator_says_so() -> None:
    assert LAB.check("http://127.0.0.1:8080/h") is None
    assert LAB.check("https://internal.hotline.example/h") is None
    assert LAB.check("ftp://127.0.0.1/h") == "must be an https URL"
    assert LAB.check("http://unknown.hotline.example/h") == "host does not resolve"


def test_registration_refuses_webhooks_that_could_reach_inside(
    hub_with: Callable[..., ServerThread],
) -> None:
    hub = hub_with(allow_private_webhooks=False)
    api = Hub(hub.url)
    body = {"id": "NL-MELDPUNT", "name": "Meldpunt", "countries": ["NL"]}
    for url in ("http://127.0.0.1:9/h", "https://private.example.com/h", "https://10.0.0.1/h"):
        answer = api.admin.post("/v1/hotlines", json={**body, "webhook_url": url})
        assert answer.status_code == 422, answer.text
        assert answer.json()["errors"][0]["loc"] == ["body", "webhook_url"]
    created = api.admin.post(
        "/v1/hotlines", json={**body, "webhook_url": "https://files.example.net/hook"}
    )
    assert created.status_code == 201, created.text
    changed = api.admin.patch(
        "/v1/hotlines/NL-MELDPUNT", json={"webhook_url": "https://nowhere.example.org/h"}
    )
    assert changed.status_code == 422
    assert changed.json()["errors"][0]["msg"] == "host does not resolve"
    api.close()


def signed_event(tmp_path: Any) -> Signed:
    key = load_or_create(tmp_path / "key.pem")
    body = b'{"data":{},"id":"evt_1","type":"t"}'
    return Signed("evt_1", 1700000000, sign(key, "evt_1", 1700000000, body), body)


def push(sender: Sender, url: str, event: Signed) -> PushResult:
    async def run() -> PushResult:
        try:
            return await sender.push(url, event)
        finally:
            await sender.aclose()

    return asyncio.run(run())


def test_a_push_dials_the_vetted_address_and_keeps_the_hosts_name(tmp_path: Any) -> None:
    event = signed_event(tmp_path)
    with Receiver(load_or_create(tmp_path / "key.pem").private_key.public_key()) as receiver:
        port = receiver.server.server_address[1]
        lab = WebhookTargets(True, resolver({"hooks.hotline.example": ["127.0.0.1"]}))
        sender = Sender(lab, connect_timeout=2, total_timeout=5, max_connections=4)

        result = push(sender, f"http://hooks.hotline.example:{port}/in", event)

        assert result == PushResult(True)
        [received] = receiver.pushes
        assert received.host == f"hooks.hotline.example:{port}"
        assert received.verified and received.body == event.body


def test_a_push_is_refused_when_the_name_now_points_inside(tmp_path: Any) -> None:
    """DNS rebinding: public at registration, private when the push is about to go."""
    answers = iter([["203.0.113.50"], ["127.0.0.1"]])
    targets = WebhookTargets(False, lambda host: [ipaddress.ip_address(a) for a in next(answers)])
    assert targets.check("https://hooks.hotline.example/in") is None
    sender = Sender(targets, connect_timeout=1, total_timeout=2, max_connections=1)

    result = push(sender, "https://hooks.hotline.example/in", signed_event(tmp_path))

    assert result == PushResult(
        False, "webhook refused: host must resolve to public addresses only"
    )


def test_redirects_are_not_followed_and_errors_name_no_url(tmp_path: Any) -> None:

    class Redirect(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["content-length"]))
            self.send_response(307)
            self.send_header("location", "http://127.0.0.1:1/elsewhere")
            self.send_header("retry-after", "120")
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    try:
        sender = Sender(LAB, connect_timeout=1, total_timeout=2, max_connections=1)
        url = f"http://127.0.0.1:{server.server_address[1]}/in"
        assert push(sender, url, signed_event(tmp_path)) == PushResult(False, "HTTP 307", 120.0)
        closed = Sender(LAB, connect_timeout=1, total_timeout=2, max_connections=1)
        assert push(closed, "http://127.0.0.1:1/in", signed_event(tmp_path)) == PushResult(
            False, "could not connect"
        )
    finally:
        server.shutdown()
        server.server_close()


def test_unsafe_target_messages_never_repeat_the_url() -> None:
    with pytest.raises(UnsafeTarget) as refused:
        STRICT.vet("https://internal.hotline.example/secret-path")
    assert "internal" not in str(refused.value) and "secret" not in str(refused.value)
