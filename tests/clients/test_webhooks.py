"""Receiving pushes: `verify_webhook` accepts the hub's v1a signatures in every key
spelling and refuses tampered, stale, future and foreign ones; `Receiver` deduplicates."""

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from clients import HubClient
from clients.webhooks import Receiver, WebhookVerificationError, verify_event, verify_webhook
from hub.settings import Settings
from tests.clients.tlog import Signer
from tests.conftest import Hub, ServerThread, report

HUB_KEY = Ed25519PrivateKey.generate()
RAW = HUB_KEY.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
WHPK = "whpk_" + base64.b64encode(RAW).decode()


def push(
    event_id: str = "evt_1", timestamp: int | None = None, key: Ed25519PrivateKey = HUB_KEY
) -> tuple[dict[str, str], bytes]:
    body = json.dumps(
        {
            "id": event_id,
            "type": "referral.created",
            "created_at": "2026-11-29T10:00:00Z",
            "data": {},
        }
    ).encode()
    timestamp = int(time.time()) if timestamp is None else timestamp
    signature = key.sign(f"{event_id}.{timestamp}.".encode() + body)
    headers = {
        "Webhook-Id": event_id,
        "Webhook-Timestamp": str(timestamp),
        "Webhook-Signature": "v1a," + base64.b64encode(signature).decode(),
    }
    return headers, body


@pytest.mark.parametrize(
    "keys",
    [
        WHPK,
        RAW,
        base64.b64encode(RAW).decode(),
        HUB_KEY.public_key(),
        [Ed25519PrivateKey.generate().public_key(), WHPK],
        {"keys": [Signer("hub.example/log", HUB_KEY).jwk()]},
        Signer("hub.example/log", HUB_KEY).verifier_key,
    ],
    ids=["whpk", "raw", "base64", "object", "list", "jwks", "verifier-key"],
)
def test_a_hub_signed_push_verifies_with_any_spelling_of_the_key(keys: Any) -> None:
    headers, body = push()
    assert verify_webhook(headers, body, keys)["id"] == "evt_1"


def test_several_signatures_verify_if_one_does() -> None:
    headers, body = push()
    headers["Webhook-Signature"] = "v1,aGVsbG8= v1a,AAAA " + headers["Webhook-Signature"]
    assert verify_webhook(headers, body, WHPK)["type"] == "referral.created"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda h, b: (h, b.replace(b"referral", b"Referral")), "no valid v1a signature"),
        (lambda h, b: ({**h, "Webhook-Id": "evt_2"}, b), "no valid v1a signature"),
        (lambda h, b: ({k: v for k, v in h.items() if k != "Webhook-Signature"}, b), "missing"),
        (lambda h, b: ({**h, "Webhook-Timestamp": "soon"}, b), "not a number"),
    ],
    ids=["body", "id", "no-signature", "bad-timestamp"],
)
def test_tampered_pushes_are_refused(change: Any, message: str) -> None:
    headers, body = change(*push())
    with pytest.raises(WebhookVerificationError, match=message):
        verify_webhook(headers, body, WHPK)


def test_the_default_tolerance_is_the_standard_webhooks_five_minutes() -> None:
    now = int(time.time())
    with pytest.raises(WebhookVerificationError, match="too old"):
        verify_webhook(*push(timestamp=now - 301), WHPK, now=now)
    with pytest.raises(WebhookVerificationError, match="future"):
        verify_webhook(*push(timestamp=now + 301), WHPK, now=now)
    assert verify_webhook(*push(timestamp=now - 299), WHPK, now=now)


def test_any_age_is_accepted_when_tolerance_is_off(tmp_path: Path) -> None:
    """A receiver that checks pushes it stored earlier turns the age check off."""
    old = push("evt_old", timestamp=int(time.time()) - 3 * 86400)
    assert verify_webhook(*old, WHPK, tolerance=None)["id"] == "evt_old"
    receiver = Receiver(WHPK, out=tmp_path / "events.jsonl", tolerance=None)
    assert receiver.handle(*old)[0] == 204
    assert receiver.handle(*old) == (200, "duplicate")
    assert Receiver(WHPK).handle(*old)[0] == 401


def test_a_push_signed_by_someone_else_is_refused() -> None:
    with pytest.raises(WebhookVerificationError):
        verify_webhook(*push(key=Ed25519PrivateKey.generate()), WHPK)


def test_an_event_id_that_differs_from_the_header_is_refused() -> None:
    body = json.dumps({"id": "evt_other", "type": "x"}).encode()
    timestamp = int(time.time())
    signature = HUB_KEY.sign(f"evt_1.{timestamp}.".encode() + body)
    headers = {
        "webhook-id": "evt_1",
        "webhook-timestamp": str(timestamp),
        "webhook-signature": "v1a," + base64.b64encode(signature).decode(),
    }
    with pytest.raises(WebhookVerificationError, match="does not match"):
        verify_webhook(headers, body, WHPK)


@pytest.fixture
def receiver_url(tmp_path: Path) -> Iterator[tuple[str, Receiver]]:
    received: list[dict[str, Any]] = []
    receiver = Receiver(WHPK, received.append, out=tmp_path / "events.jsonl")
    receiver.received = received  # type: ignore[attr-defined]
    server = receiver.server("127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", receiver
    server.shutdown()
    server.server_close()


def test_the_receiver_keeps_new_events_once_and_refuses_bad_ones(
    receiver_url: tuple[str, Receiver], tmp_path: Path
) -> None:
    url, receiver = receiver_url
    headers, body = push("evt_1")
    assert httpx.post(url, headers=headers, content=body).status_code == 204
    assert httpx.post(url, headers=headers, content=body).status_code == 200  # duplicate
    stale = push("evt_2", timestamp=int(time.time()) - 600)
    assert httpx.post(url, headers=stale[0], content=stale[1]).status_code == 401
    forged = push("evt_3", key=Ed25519PrivateKey.generate())
    assert httpx.post(url, headers=forged[0], content=forged[1]).status_code == 401

    assert [e["id"] for e in receiver.received] == ["evt_1"]  # type: ignore[attr-defined]
    lines = (tmp_path / "events.jsonl").read_text().splitlines()
    assert [json.loads(line)["id"] for line in lines] == ["evt_1"]
    assert (tmp_path / "events.jsonl.seen").read_text() == "evt_1\n"

    # A restarted receiver remembers what it has seen.
    again = Receiver(WHPK, out=tmp_path / "events.jsonl")
    assert again.handle(*push("evt_1")) == (200, "duplicate")
    assert again.handle(*push("evt_4"))[0] == 204


def test_hub_pushes_reach_a_receiver_and_pulled_events_verify(
    settings_for: Callable[..., Settings], tmp_path: Path
) -> None:
    # The delivery worker runs in the serving process here, on SQLite and PostgreSQL alike.
    with ServerThread(settings_for(inprocess_worker=True)) as hub:
        api = Hub(hub.url)
        try:
            _push_and_pull(hub, api, tmp_path)
        finally:
            api.close()


def _push_and_pull(hub: ServerThread, api: Hub, tmp_path: Path) -> None:
    with HubClient(hub.url) as anonymous:
        keys = anonymous.keys()
    received: list[dict[str, Any]] = []
    arrived = threading.Event()

    def keep(event: dict[str, Any]) -> None:
        received.append(event)
        arrived.set()

    receiver = Receiver(keys, keep, out=tmp_path / "events.jsonl")
    server = receiver.server("127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        api.register(
            "NL-MELDPUNT", ["NL"], webhook_url=f"http://127.0.0.1:{server.server_address[1]}/hook"
        )
        iwf = api.register("GB-IWF", ["GB"])
        assert iwf.post("/v1/reports", json=report()).status_code == 201
        assert arrived.wait(timeout=15), "the hub did not push within 15 s"
    finally:
        server.shutdown()
        server.server_close()
    assert received[0]["type"] == "referral.created"
    with HubClient(hub.url, api.token("hotline", "NL-MELDPUNT")) as meldpunt:
        pulled = list(meldpunt.events.pull())
    assert [verify_event(e, keys).id for e in pulled] == [received[0]["id"]]
    tampered = pulled[0].model_copy(update={"data": {**pulled[0].data, "to": "XX-EVIL"}})
    with pytest.raises(WebhookVerificationError):
        verify_event(tampered, keys)


def test_hubctl_listen_keeps_verified_pushes(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    out = tmp_path / "events.jsonl"
    root = Path(__file__).resolve().parents[2]
    listener = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "clients.cli",
            "listen",
            "--port",
            str(port),
            "--out",
            str(out),
            "--key",
            WHPK,
        ],
        env={**os.environ, "PYTHONPATH": str(root), "XDG_CONFIG_HOME": str(tmp_path)},
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                answer = httpx.post(
                    f"http://127.0.0.1:{port}/", headers=push("evt_9")[0], content=push("evt_9")[1]
                )
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "hubctl listen did not start"
                time.sleep(0.05)
        assert answer.status_code == 204
        assert (
            httpx.post(
                f"http://127.0.0.1:{port}/", headers=push("evt_9")[0], content=push("evt_9")[1]
            ).status_code
            == 200
        )
    finally:
        listener.send_signal(signal.SIGINT)
        assert listener.wait(timeout=10) == 0
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == ["evt_9"]
    assert "evt_9 referral.created" in (listener.stderr.read() if listener.stderr else "")
