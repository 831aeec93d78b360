"""Token buckets: per principal (a caller over its rate gets 429 with Retry-After), and per
client address for failed token checks (docs/protocol.md section 3).

Buckets live in each process, so N hub processes allow up to N times the rate.
"""

import ipaddress
import math
import threading
import time

# Past this many buckets, the full ones (idle callers) are dropped, then the oldest.
MAX_BUCKETS = 100_000


class RateLimiter:
    def __init__(self, per_second: float, burst: int, max_buckets: int = MAX_BUCKETS) -> None:
        self.per_second = per_second
        self.burst = burst
        self.max_buckets = max_buckets
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, key: str, cost: float = 1.0) -> int:
        """0 when the call may go ahead (and is counted), else seconds to wait."""
        return self._take(key, cost, count=True)

    def waiting(self, key: str) -> int:
        """Seconds until `key` may spend one token, 0 if it may now; counts nothing."""
        return self._take(key, 1.0, count=False)

    def _take(self, key: str, cost: float, count: bool) -> int:
        if self.per_second <= 0:
            return 0
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.per_second)
            if tokens >= cost:
                if count:
                    self._keep(key, tokens - cost, now)
                return 0
            self._keep(key, tokens, now)
            return max(1, math.ceil((cost - tokens) / self.per_second))

    def _keep(self, key: str, tokens: float, now: float) -> None:
        if key not in self._buckets and len(self._buckets) >= self.max_buckets:
            refilled = now - self.burst / self.per_second
            self._buckets = {k: v for k, v in self._buckets.items() if v[1] > refilled}
            while len(self._buckets) >= self.max_buckets:
                del self._buckets[next(iter(self._buckets))]
        self._buckets[key] = (tokens, now)


def client_key(host: str | None) -> str:
    """The bucket of a client address: the address, for IPv6 its /64 (one subscriber)."""
    try:
        address = ipaddress.ip_address(host or "")
    except ValueError:
        return host or "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)
