"""Database outages: telling one (unreachable, restarting, connection dropped, out of a
resource, read-only) from a bug, and riding it out: capped exponential backoff, one
warning when it starts, one info when it ends.

The API answers an outage 503 (hub/problems.py); background loops wait it out and go on.
"""

import logging
import random
import threading
import time
from collections.abc import Callable
from typing import TypeVar

import psycopg
from sqlalchemy.exc import TimeoutError as PoolTimeout

logger = logging.getLogger("hub.outage")
T = TypeVar("T")

# Connection exceptions (class 08); the server short of a resource (class 53: disk full,
# out of memory, too many clients); the server shutting down or killing the backend
# (57P01 admin, 57P02 crash, 57P03 not accepting connections yet); and a database that
# takes no writes (25006: a primary demoted in a failover, or a standby).
OUTAGE_CLASSES = frozenset({"08", "53"})
READ_ONLY = "25006"
OUTAGE_SQLSTATES = frozenset({"57P01", "57P02", "57P03", READ_ONLY})
FIRST_DELAY = 0.1
MAX_DELAY = 5.0


def is_outage(exc: BaseException) -> bool:
    """True when `exc` (or what it wraps) says the database could not be reached, dropped
    the connection, ran out of a resource or takes no writes; False for every other
    failure, SQLite's included."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if getattr(current, "connection_invalidated", False):
            return True  # SQLAlchemy saw the connection die under the statement
        if isinstance(current, PoolTimeout):
            return True  # no connection to be had in time: a hung server, or all stuck on one
        if isinstance(current, psycopg.Error):
            code = current.sqlstate
            if code is None:
                # No SQLSTATE: refused, timed out or closed before the server said anything.
                return isinstance(current, psycopg.OperationalError)
            return code[:2] in OUTAGE_CLASSES or code in OUTAGE_SQLSTATES
        current = getattr(current, "orig", None) or current.__cause__ or current.__context__
    return False


def sqlstate_of(exc: BaseException) -> str | None:
    """The SQLSTATE in `exc`'s chain, a code and never data; None without one."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        code = getattr(current, "sqlstate", None)
        if isinstance(code, str):
            return code
        current = getattr(current, "orig", None) or current.__cause__ or current.__context__
    return None


class Backoff:
    """Capped exponential delays with jitter, so processes failing together spread out."""

    def __init__(self, first: float = FIRST_DELAY, cap: float = MAX_DELAY) -> None:
        self.first = first
        self.cap = cap
        self._failures = 0

    def next(self) -> float:
        ceiling = min(self.cap, self.first * 2.0**self._failures)
        self._failures += 1
        return ceiling / 2 + random.uniform(0, ceiling / 2)

    def reset(self) -> None:
        self._failures = 0


class OutageWatch:
    """Whether this process sees the database down: the first failure of an outage logs a
    warning, the first success after it an info line; everything between stays quiet.
    A database that takes no writes still answers connections and reads, so only a
    success that has seen it take writes again ends that outage."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._down_since: float | None = None
        self._read_only = False

    @property
    def down(self) -> bool:
        return self._down_since is not None

    def failed(self, exc: BaseException) -> None:
        with self._lock:
            if self._down_since is not None:
                return
            self._down_since = time.monotonic()
            self._read_only = sqlstate_of(exc) == READ_ONLY
        logger.warning(
            "database unavailable; waiting for it",
            extra={"error": type(exc).__name__, "sqlstate": sqlstate_of(exc)},
        )

    def recovered(self, takes_writes: Callable[[], bool] | None = None) -> None:
        """A success; `takes_writes` asks the database whether it takes writes (called
        only to end an outage of a database that took none)."""
        if self._down_since is None:
            return
        if self._read_only and (takes_writes is None or not takes_writes()):
            return
        with self._lock:
            since, self._down_since = self._down_since, None
        if since is not None:
            logger.info(
                "database available again",
                extra={"down_seconds": round(time.monotonic() - since, 1)},
            )


def run_through_outages(
    step: Callable[[], T], stop: threading.Event, watch: OutageWatch
) -> T | None:
    """`step()`, tried again with backoff for as long as the database is unavailable; None
    if `stop` was set first. Any other error propagates."""
    backoff = Backoff()
    while not stop.is_set():
        try:
            result = step()
        except Exception as exc:
            if not is_outage(exc):
                raise
            watch.failed(exc)
            stop.wait(backoff.next())
            continue
        watch.recovered()
        return result
    return None


def every(
    interval: float,
    step: Callable[[], object],
    stop: threading.Event,
    watch: OutageWatch,
    what: str,
) -> None:
    """A background loop: `step` every `interval` seconds until `stop`. An outage is waited
    out (logged once); any other error is logged, as types and frames only, and the loop
    goes on."""
    while not stop.wait(interval):
        try:
            run_through_outages(step, stop, watch)
        except Exception:
            logger.exception("%s failed; trying again in %s s", what, interval)
