"""When a failed push is tried again: exponential backoff with full jitter, 26 hours long.

The last try falls on the window's end, so every event is retried for more than 24 hours.
"""

import random
from datetime import datetime, timedelta

BASE = timedelta(seconds=30)
CAP = timedelta(hours=1)
WINDOW = timedelta(hours=26)
# A floor, so a jitter of almost nothing cannot turn a failing receiver into a hot loop.
MIN_DELAY = timedelta(seconds=1)


def ceiling(failures: int) -> timedelta:
    """The longest wait after the `failures`-th failed attempt (1-based): 30 s·2^(n-1), ≤ 1 h."""
    exponent = min(max(failures - 1, 0), 16)
    return min(CAP, BASE * 2**exponent)


def next_attempt(
    failures: int,
    retry_from: datetime,
    now: datetime,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> datetime | None:
    """The time of the next attempt, or None when the event is dead.

    `retry_after` is the receiver's `Retry-After` in seconds; it is honoured up to the cap.
    """
    deadline = retry_from + WINDOW
    if now >= deadline:
        return None
    bound = ceiling(failures).total_seconds()
    delay = timedelta(seconds=(rng or random).uniform(0, bound))
    if retry_after is not None:
        delay = max(delay, min(timedelta(seconds=retry_after), CAP))
    return min(now + max(delay, MIN_DELAY), deadline)
