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


@dataclass(frozen=True)
class PushResult:
    delivered: bool
    error: str | None = None  # a short reason, never a URL
    retry_after: float | None = None


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
    """One connection pool for every push of a worker; TLS names the URL's host (SNI)."""

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
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpcore.default_ssl_context(),
            max_connections=max_connections,
            keepalive_expiry=30.0,
            network_backend=self._backend,
        )

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
        async with self._pool.stream(
            "POST",
            target.url,
            headers=headers,
            content=event.body,
            extensions={"timeout": timeouts},
        ) as response:
            read = 0
            async for chunk in response.aiter_stream():
                read += len(chunk)
                if read > MAX_ANSWER_BYTES:
                    break
            if 200 <= response.status < 300:
                return PushResult(True)
            return PushResult(False, f"HTTP {response.status}", _retry_after(response.headers))

    async def aclose(self) -> None:
        await self._pool.aclose()


def _retry_after(headers: list[tuple[bytes, bytes]]) -> float | None:
    for name, value in headers:
        if name.lower() == b"retry-after":
            seconds = value.strip()
            # Only delay-seconds count; an HTTP date is left to the backoff alone.
            return float(seconds) if seconds.isdigit() and len(seconds) <= 9 else None
    return None
