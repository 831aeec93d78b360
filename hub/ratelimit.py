"""Per-principal token buckets: a caller over its rate gets 429 with Retry-After.

Buckets live in each process, so N hub processes allow up to N times the rate.
"""

import math
import threading
import time


class RateLimiter:
    def __init__(self, per_second: float, burst: int) -> None:
        self.per_second = per_second
        self.burst = burst
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, key: str, cost: float = 1.0) -> int:
        """0 when the call may go ahead (and is counted), else seconds to wait."""
        if self.per_second <= 0:
            return 0
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.per_second)
            if tokens >= cost:
                self._buckets[key] = (tokens - cost, now)
                return 0
            self._buckets[key] = (tokens, now)
            return max(1, math.ceil((cost - tokens) / self.per_second))
