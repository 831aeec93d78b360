"""Receiving the hub's pushes: `verify_webhook` checks a Standard Webhooks v1a request,
`Receiver` verifies, drops stale and duplicate events and hands the rest on (`hubctl listen`)."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Mapping
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import rfc8785

from clients._signatures import TOLERANCE, PublicKeys, public_keys, verify
from clients.errors import WebhookVerificationError
from schemas.events import EventOut

__all__ = [
    "TOLERANCE",
    "Receiver",
    "WebhookVerificationError",
    "verify_event",
    "verify_webhook",
]

MAX_BODY = 1024 * 1024


def verify_webhook(
    headers: Mapping[str, str],
    body: bytes,
    keys: PublicKeys,
    *,
    tolerance: int | None = TOLERANCE,
    now: float | None = None,
) -> dict[str, Any]:
    """The event a webhook request carries, once its v1a signature by one of the hub's
    `keys` (`whpk_…`, raw bytes, the /v1/keys document…) and its timestamp are checked.

    Raises `WebhookVerificationError`. `tolerance` is the oldest timestamp accepted, in
    seconds: 5 minutes, the Standard Webhooks default, since the hub signs each attempt
    when it sends it (None accepts any age). Timestamps more than 5 minutes ahead are
    refused. Replays within the window are dropped by event id (`Receiver`).
    """
    message_id = verify(headers, body, keys, tolerance=tolerance, now=now)
    try:
        event = json.loads(body)
    except ValueError:
        raise WebhookVerificationError("the signed body is not JSON") from None
    if not isinstance(event, dict) or event.get("id") != message_id:
        raise WebhookVerificationError("the event id does not match the webhook-id header")
    return event


def verify_event(
    event: EventOut | Mapping[str, Any],
    keys: PublicKeys,
    *,
    tolerance: int | None = TOLERANCE,
    now: float | None = None,
) -> EventOut:
    """Checks a pulled event's `signature`: the hub signs the RFC 8785 (JCS) form of
    `{id, type, created_at, data}` when it serves it, so `tolerance` (5 minutes; None for
    any age, e.g. for events kept and checked later) applies as to a push."""
    if not isinstance(event, EventOut):
        event = EventOut.model_validate(event)
    body = rfc8785.dumps(
        {"id": event.id, "type": event.type, "created_at": event.created_at, "data": event.data}
    )
    headers = {
        "webhook-id": event.id,
        "webhook-timestamp": str(event.timestamp),
        "webhook-signature": event.signature,
    }
    verify(headers, body, keys, tolerance=tolerance, now=now)
    return event


class Receiver:
    """Verifies pushes, drops stale and duplicate ones, and hands each new event to
    `callback` and/or appends it to `out` (JSON lines); seen ids persist in `seen_file`.

    Answers: 204 new event, 200 duplicate, 400 malformed, 401 bad signature or stale,
    500 when the callback fails (the hub pushes again). The default `tolerance` is 5
    minutes (each attempt is signed when sent); `tolerance=None` accepts pushes of any
    age, safe as long as `seen_file` keeps every id.
    """

    def __init__(
        self,
        keys: PublicKeys,
        callback: Callable[[dict[str, Any]], None] | None = None,
        *,
        out: str | os.PathLike[str] | None = None,
        seen_file: str | os.PathLike[str] | None = None,
        tolerance: int | None = TOLERANCE,
    ) -> None:
        self.keys = public_keys(keys)
        self.callback = callback
        self.out = Path(out) if out is not None else None
        if seen_file is None and self.out is not None:
            seen_file = self.out.with_name(self.out.name + ".seen")
        self.seen_file = Path(seen_file) if seen_file is not None else None
        self.tolerance = tolerance
        self._lock = threading.Lock()
        self.seen: set[str] = set()
        if self.seen_file is not None and self.seen_file.exists():
            self.seen = {line for line in self.seen_file.read_text().split() if line}

    def handle(self, headers: Mapping[str, str], body: bytes) -> tuple[int, str]:
        """One push: returns the HTTP status to answer and a short reason."""
        try:
            event = verify_webhook(headers, body, self.keys, tolerance=self.tolerance)
        except WebhookVerificationError as error:
            return HTTPStatus.UNAUTHORIZED, str(error)
        event_id = str(event["id"])
        with self._lock:
            if event_id in self.seen:
                return HTTPStatus.OK, "duplicate"
            # Handed on first, then marked seen: a crash in between means a redelivery,
            # never a lost event.
            if self.callback is not None:
                self.callback(event)
            if self.out is not None:
                with self.out.open("ab") as file:
                    file.write(json.dumps(event, separators=(",", ":")).encode() + b"\n")
            if self.seen_file is not None:
                with self.seen_file.open("a") as file:
                    file.write(event_id + "\n")
            self.seen.add(event_id)
        return HTTPStatus.NO_CONTENT, "accepted"

    def server(self, host: str = "127.0.0.1", port: int = 8080) -> ThreadingHTTPServer:
        """A stdlib HTTP server that feeds POSTs to `handle`; call `serve_forever()`."""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            server_version = "hubctl-listen"

            def do_POST(self) -> None:
                length = self.headers.get("content-length", "")
                if not length.isdigit() or int(length) > MAX_BODY:
                    self._answer(HTTPStatus.BAD_REQUEST, "a body with Content-Length is required")
                    return
                body = self.rfile.read(int(length))
                try:
                    status, reason = receiver.handle(dict(self.headers.items()), body)
                except Exception as error:  # the callback failed: not delivered, the hub retries
                    status, reason = HTTPStatus.INTERNAL_SERVER_ERROR, type(error).__name__
                self._answer(status, reason)

            def _answer(self, status: int, reason: str) -> None:
                payload = b"" if status == HTTPStatus.NO_CONTENT else reason.encode() + b"\n"
                self.send_response(status)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # the CLI reports events itself; no per-request noise on stderr

        return ThreadingHTTPServer((host, port), Handler)
