"""Retries a request whose transaction lost a deadlock or a serialization check.

Every transaction takes its locks in one documented order (docs/architecture.md), so a
deadlock should not happen; this is the safety net if one does. PostgreSQL then rolls the
loser back (SQLSTATE 40P01, or 40001 for a serialization failure) and nothing of it is
kept, so running the request again is what a client's retry would do, minus the client
seeing a 500. The body is replayed from memory: only bodies of a known, bounded length
are retried (a streamed hash-list import has its own per-part transactions).
"""

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any

from hub.outage import sqlstate_of

ATTEMPTS = 4
MAX_REPLAYED_BODY = 8 * 1024 * 1024
RETRIED_STATES = frozenset({"40P01", "40001"})
logger = logging.getLogger("hub")

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


def lost_a_lock(exc: BaseException) -> bool:
    """True for a deadlock victim or a serialization failure, however it is wrapped."""
    return sqlstate_of(exc) in RETRIED_STATES


class RetryLostLocks:
    """ASGI middleware: runs a request again, with a short random pause, when it failed
    only because the database chose it as a deadlock or serialization victim."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        length = _content_length(scope)
        if scope["type"] != "http" or length is None or length > MAX_REPLAYED_BODY:
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        for attempt in range(1, ATTEMPTS + 1):
            run = _Attempt(body, receive, send)
            try:
                await self.app(scope, run.receive, run.send)
                return
            except Exception as exc:
                if run.started or attempt == ATTEMPTS or not lost_a_lock(exc):
                    raise
                logger.warning(
                    "transaction lost a lock; running the request again",
                    extra={"attempt": attempt, "sqlstate": sqlstate_of(exc)},
                )
                await asyncio.sleep(random.uniform(0.005, 0.05) * attempt)


class _Attempt:
    """One run of the request: the body once, then the client's own messages (a
    disconnect); remembers whether any of the response was sent."""

    def __init__(self, body: bytes, receive: Receive, send: Send) -> None:
        self._body: bytes | None = body
        self._receive = receive
        self._send = send
        self.started = False

    async def receive(self) -> dict[str, Any]:
        if self._body is None:
            return await self._receive()
        body, self._body = self._body, None
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(self, message: dict[str, Any]) -> None:
        self.started = True
        await self._send(message)


def _content_length(scope: Scope) -> int | None:
    if scope.get("method") in {"GET", "HEAD", "OPTIONS", "DELETE"}:
        return 0
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks)
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)
