"""Delivery workers' heartbeats: each worker upserts its row; readiness reads the newest."""

import logging

from hub.clock import utcnow
from hub.db import Database
from hub.metrics.models import WorkerHeartbeat
from hub.outage import is_outage

logger = logging.getLogger("hub.metrics")

# A worker checks in this often; readiness wants one seen within STALE_AFTER.
INTERVAL = 5.0
STALE_AFTER = 30.0


def beat(database: Database, owner: str) -> None:
    try:
        with database.transaction() as session:
            row = session.get(WorkerHeartbeat, owner)
            if row is None:
                session.add(WorkerHeartbeat(owner=owner, seen_at=utcnow()))
            else:
                row.seen_at = utcnow()
    except Exception as exc:
        if is_outage(exc):
            database.outage.failed(exc)  # logged once for the whole outage
        else:
            logger.warning("could not record the worker heartbeat", exc_info=True)


def forget(database: Database, owner: str) -> None:
    """A stopping worker takes its row away, so readiness does not count it."""
    try:
        with database.transaction() as session:
            row = session.get(WorkerHeartbeat, owner)
            if row is not None:
                session.delete(row)
    except Exception:
        logger.warning("could not remove the worker heartbeat", exc_info=True)
