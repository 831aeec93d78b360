"""Pushes one stored event to a webhook: the exact body and signature, dialled only at the
address vetted just before, never following redirects, within a connect and a total timeout.
"""

import asyncio
from dataclasses import dataclass
from typing import Any

import httpcore

from hub.delivery.targets import Target, UnsafeTarget, WebhookTargets

USER_AGENT = b"hotline-exchange-hub/1"
# Enough for any acknowledgement; a larger answer is dropped with its connection.
MAX_ANSWER_BYTES = 64 * 1024
# An idle connection is kept this long for the next push to the same receiver.
KEEPALIVE_SECONDS = 30.0


@dataclass(frozen=True)
class PushResult:
    delivered: bool
    error: str | None = None  # a short reason, never a URL
    retry_after: float | None = None


@dataclass(frozen=True)
class Outgoing:
    """An event as claimed for a push: its id and the exact bytes to send."""

    id: str
    body: bytes


@dataclass(frozen=True)
class Signed:
    """What a push sends: the event's id, its webhook timestamp and signature, and its body."""

    id: str
    timestamp: int
    signature: str
    body: bytes


class _PinnedBackend(httpcore.AsyncNetworkBackend):
    """Dials the address vetted for a host and port, never what a later DNS answer says."""

    def __init__(self) -> None:
        self._inner = httpcore.AnyIOBackend()
        self._addresses: dict[tuple[str, int], str] = {}

    def pin(self, target: Target) -> None:
        self._addresses[(target.host, target.port)] = str(target.address)

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.AsyncNetworkStream:
        address = self._addresses.get((host, port))
        if address is None:
            raise httpcore.ConnectError("no vetted address for this host")
        return await self._inner.connect_tcp(
            address,
            port,
            timeout=timeout,
            local_address=local_address,
            socket_options=socket_options,
        )

    async def connect_unix_socket(self, *_args: Any, **_kwargs: Any) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("a webhook is never a unix socket")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class Sender:
    """Pushes over kept-alive connections, one push at a time on each; TLS names the URL's
    host (SNI). The worker bounds how many run at once, so no pool queues requests here."""

    def __init__(
        self,
        targets: WebhookTargets,
        connect_timeout: float,
        total_timeout: float,
        max_connections: int,
    ) -> None:
        self._targets = targets
        self._connect_timeout = connect_timeout
        self._total_timeout = total_timeout
        self._backend = _PinnedBackend()
        self._ssl_context = httpcore.default_ssl_context()
        self._max_idle = max_connections
        self._idle: dict[tuple[bytes, bytes, int], list[httpcore.AsyncHTTPConnection]] = {}
        self._closes: set[asyncio.Future[None]] = set()

    async def push(self, webhook_url: str, event: Signed) -> PushResult:
        try:
            async with asyncio.timeout(self._total_timeout):
                target = await asyncio.to_thread(self._targets.vet, webhook_url)
                self._backend.pin(target)
                return await self._post(target, event)
        except UnsafeTarget as exc:
            return PushResult(False, f"webhook refused: {exc}")
        except (TimeoutError, httpcore.TimeoutException):
            return PushResult(False, "timed out")
        except httpcore.ConnectError:
            return PushResult(False, "could not connect")
        except (httpcore.NetworkError, httpcore.ProtocolError, httpcore.UnsupportedProtocol):
            return PushResult(False, "connection failed")

    async def _post(self, target: Target, event: Signed) -> PushResult:
        headers = [
            (b"Content-Type", b"application/json"),
            (b"User-Agent", USER_AGENT),
            (b"webhook-id", event.id.encode()),
            (b"webhook-timestamp", str(event.timestamp).encode()),
            (b"webhook-signature", event.signature.encode()),
        ]
        timeouts = {
            "connect": self._connect_timeout,
            "read": self._total_timeout,
            "write": self._total_timeout,
            "pool": self._total_timeout,
        }
        url = httpcore.URL(target.url)
        key = (url.origin.scheme, url.origin.host, url.origin.port)
        connection = self._take(key, url.origin)
        read_to_end = False
        try:
            async with connection.stream(
                "POST", url, headers=headers, content=event.body, extensions={"timeout": timeouts}
            ) as response:
                read = 0
                async for chunk in response.aiter_stream():
                    read += len(chunk)
                    if read > MAX_ANSWER_BYTES:
                        break
                else:
                    read_to_end = True
            if 200 <= response.status < 300:
                return PushResult(True)
            return PushResult(False, f"HTTP {response.status}", _retry_after(response.headers))
        finally:
            if read_to_end and connection.is_idle():
                self._give_back(key, connection)
            else:
                await connection.aclose()

    def _take(
        self, key: tuple[bytes, bytes, int], origin: httpcore.Origin
    ) -> httpcore.AsyncHTTPConnection:
        """An idle connection to `origin` the server has not closed, else a new one."""
        idle = self._idle.get(key, [])
        while idle:
            connection = idle.pop()
            if not connection.has_expired():
                return connection
            self._closing(connection)
        return httpcore.AsyncHTTPConnection(
            origin,
            ssl_context=self._ssl_context,
            keepalive_expiry=KEEPALIVE_SECONDS,
            network_backend=self._backend,
        )

    def _give_back(
        self, key: tuple[bytes, bytes, int], connection: httpcore.AsyncHTTPConnection
    ) -> None:
        if sum(len(idle) for idle in self._idle.values()) >= self._max_idle:
            self._closing(connection)
            return
        self._idle.setdefault(key, []).append(connection)

    def _closing(self, connection: httpcore.AsyncHTTPConnection) -> None:
        task = asyncio.ensure_future(connection.aclose())
        self._closes.add(task)
        task.add_done_callback(self._closes.discard)

    async def aclose(self) -> None:
        idle = [connection for connections in self._idle.values() for connection in connections]
        self._idle.clear()
        for connection in idle:
            await connection.aclose()
        if self._closes:
            await asyncio.gather(*self._closes, return_exceptions=True)


def _retry_after(headers: list[tuple[bytes, bytes]]) -> float | None:
    for name, value in headers:
        if name.lower() == b"retry-after":
            seconds = value.strip()
            # Only delay-seconds count; an HTTP date is left to the backoff alone.
            return float(seconds) if seconds.isdigit() and len(seconds) <= 9 else None
    return None
