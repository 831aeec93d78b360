"""Wakes idle workers when new events commit, so a push need not wait for the next poll:
in-process after the writing session commits, and across processes by PostgreSQL NOTIFY.

Polling stays the safety net; a missed ring only costs one poll interval.
"""

import logging
import threading
from collections.abc import Callable
from typing import Any

import psycopg
from sqlalchemy import Select, event, func
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from hub.db import connect_args, execute
from hub.outage import Backoff, OutageWatch, is_outage

logger = logging.getLogger("hub.delivery")

CHANNEL = "hub_events"
_WRITTEN = "hub.delivery.events_written"
_listeners: list[Callable[[], None]] = []
_lock = threading.Lock()


def ringing(dialect: str, pushed_to: Select[tuple[str]]) -> Select[Any]:
    """`pushed_to` (which recipients of new events take pushes) as `announcing` runs it:
    on PostgreSQL the same statement NOTIFYs, once per row, which PostgreSQL delivers once
    per transaction."""
    if dialect == "postgresql":
        return pushed_to.add_columns(func.pg_notify(CHANNEL, ""))
    return pushed_to


def announcing(session: Session, statement: Select[Any], params: dict[str, Any]) -> set[str]:
    """Runs a `ringing` statement in the writing transaction; if it finds any recipient,
    rings the workers once that commits."""
    found = {row[0] for row in execute(session, statement, params)}
    if found:
        session.info[_WRITTEN] = True
    return found


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop(_WRITTEN, False):
        ring()


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_WRITTEN, None)


def ring() -> None:
    with _lock:
        listeners = list(_listeners)
    for listener in listeners:
        listener()


def subscribe(listener: Callable[[], None]) -> Callable[[], None]:
    """Calls `listener` on every ring; returns the function that unsubscribes it."""
    with _lock:
        _listeners.append(listener)

    def unsubscribe() -> None:
        with _lock:
            _listeners.remove(listener)

    return unsubscribe


def listen_postgres(database_url: str, stop: threading.Event, watch: OutageWatch) -> None:
    """Rings on every NOTIFY from other processes until `stop` is set (run in a thread).

    Through an outage it polls only, tells `watch` (which logs it once) and reconnects."""
    conninfo = make_url(database_url).set(drivername="postgresql").render_as_string(False)
    backoff = Backoff(first=0.5)
    while not stop.is_set():
        try:
            with psycopg.connect(
                conninfo, autocommit=True, **connect_args(database_url)
            ) as connection:
                connection.execute(f"LISTEN {CHANNEL}")
                backoff.reset()
                ring()  # whatever was announced while this was away
                while not stop.is_set():
                    for _ in connection.notifies(timeout=0.5, stop_after=1):
                        ring()
        except psycopg.Error as exc:
            if is_outage(exc):
                watch.failed(exc)
            else:
                logger.warning(
                    "event notifications lost; polling only", extra={"error": type(exc).__name__}
                )
            stop.wait(backoff.next())
