"""ASGI middleware that times every request and counts refused report submissions.

Counts go to the process's `Tally`, flushed to the shared counters (hub/metrics/counters).
No path is recorded, only the route template, so no id or URL becomes a label.
"""

import time
from collections.abc import Awaitable, Callable
from typing import Any

from hub.metrics import counters
from hub.metrics.collector import LATENCY, MICROS, REJECTED, bucket_of
from hub.metrics.counters import Tally

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

REPORT_PATHS = frozenset({"/v1/reports", "/v1/reports:batch"})
REASONS = {
    400: "malformed",
    401: "unauthenticated",
    403: "forbidden",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
    503: "unavailable",
}


def rejection_reason(status: int) -> str:
    return REASONS.get(status, "internal" if status >= 500 else "other")


def count_rejected(tally: Tally, statuses: list[int]) -> None:
    """Reports of a batch refused one by one (the batch itself was answered 200)."""
    for status in statuses:
        tally.count(REJECTED, counters.labels(reason=rejection_reason(status)))


class RequestMetrics:
    def __init__(self, app: App, tally: Tally) -> None:
        self.app = app
        self.tally = tally

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def watch(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            self._record(scope, status, time.perf_counter() - started)

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        route = getattr(scope.get("route"), "path", None) or "unmatched"
        method = scope["method"]
        for le in (bucket_of(seconds), "sum"):
            amount = round(seconds * MICROS) if le == "sum" else 1
            self.tally.count(LATENCY, counters.labels(method=method, route=route, le=le), amount)
        if method == "POST" and scope["path"] in REPORT_PATHS and status >= 400:
            self.tally.count(REJECTED, counters.labels(reason=rejection_reason(status)))
