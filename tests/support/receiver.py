"""A loopback webhook receiver: a real HTTP server in a thread that checks every push's
Standard Webhooks `v1a` signature with the hub's public key and nothing else.

It can be told to fail the first N pushes, to answer slowly, or never to answer.
"""

import base64
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)


def public_key_from_pem(path: Path) -> Ed25519PublicKey:
    """The public half of the hub's key file, as a receiver would be given it."""
    private = serialization.load_pem_private_key(path.read_bytes(), password=None)
    assert isinstance(private, Ed25519PrivateKey)
    return private.public_key()


def public_key_from_whpk(text: str) -> Ed25519PublicKey:
    """A Standard Webhooks public key string, `whpk_<base64>`, as /v1/keys lists it."""
    assert text.startswith("whpk_")
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(text.removeprefix("whpk_")))


def verify(
    public_key: Ed25519PublicKey, event_id: str, timestamp: str, body: bytes, header: str
) -> bool:
    """True when one `v1a` entry of a `webhook-signature` header verifies."""
    message = f"{event_id}.{timestamp}.".encode() + body
    for entry in header.split():
        version, _, encoded = entry.partition(",")
        if version != "v1a":
            continue
        try:
            public_key.verify(base64.b64decode(encoded, validate=True), message)
        except (InvalidSignature, ValueError):
            continue
        return True
    return False


@dataclass(frozen=True)
class Push:
    """One POST as received, whether the receiver then answered 2xx or not."""

    id: str
    timestamp: str
    signature: str
    body: bytes
    verified: bool
    path: str
    host: str
    answered: int | None
    received: float  # time.perf_counter() when the body had been read

    @property
    def event(self) -> dict[str, Any]:
        return json.loads(self.body)


class Receiver:
    """`url` takes pushes; `pushes` lists them all; `delivered` maps id -> accepted push."""

    def __init__(self, public_key: Ed25519PublicKey) -> None:
        self.public_key = public_key
        self.pushes: list[Push] = []
        self.fail_first = 0
        self.delay = 0.0
        self.silent = False
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as a real receiver would

            def do_POST(self) -> None:
                receiver._handle(self)

            def log_message(self, *_args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            request_queue_size = 256  # the default 5 drops connections of a busy worker
            daemon_threads = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/hub"

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("content-length", "0"))
        body = request.rfile.read(length)
        received = time.perf_counter()
        if len(body) < length:
            request.close_connection = True  # the sender died mid-request: no push at all
            return
        event_id = request.headers.get("webhook-id", "")
        timestamp = request.headers.get("webhook-timestamp", "")
        signature = request.headers.get("webhook-signature", "")
        verified = verify(self.public_key, event_id, timestamp, body, signature)
        with self._lock:
            failing = self.fail_first > 0
            if failing:
                self.fail_first -= 1
            silent, delay = self.silent, self.delay
        if delay and not silent:
            time.sleep(delay)
        answered = None if silent else 500 if failing or not verified else 204
        push = Push(
            event_id,
            timestamp,
            signature,
            body,
            verified,
            request.path,
            request.headers.get("host", ""),
            answered,
            received,
        )
        with self._changed:
            self.pushes.append(push)
            self._changed.notify_all()
        if answered is None:
            self._release.wait()  # until the test ends: the hub's timeout must cut it short
            request.close_connection = True
            return
        request.send_response(answered)
        request.send_header("content-length", "0")
        request.end_headers()

    @property
    def delivered(self) -> dict[str, Push]:
        with self._lock:
            return {p.id: p for p in self.pushes if p.answered is not None and p.answered < 300}

    def wait_for(self, predicate: Any, timeout: float = 10.0) -> list[Push]:
        """Waits until `predicate(pushes)` holds; returns the pushes so far."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate(self.pushes):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"receiver: condition not met, got {len(self.pushes)} pushes"
                    )
                self._changed.wait(remaining)
            return list(self.pushes)

    def wait_delivered(self, count: int, timeout: float = 10.0) -> dict[str, Push]:
        self.wait_for(
            lambda pushes: len({p.id for p in pushes if p.answered and p.answered < 300}) >= count,
            timeout,
        )
        return self.delivered

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._release.set()
        self.server.shutdown()
        self.server.server_close()
