"""The one seam where an exchange event is recorded, inside the caller's transaction.

`log` queues a leaf for the signed exchange log (`hub.log.queue`); `notify` writes outbox
events that the delivery worker pushes and the pull feed serves. Both commit or roll back
with the change they announce, so nothing is announced that did not happen; neither
takes a lock that another writer waits on: the sequencer (`hub.exchange.sequencer`)
orders them after commit. The registry (`hub.hotlines`) sits below the outbox and only
logs, so it calls `hub.log.queue` itself.
"""

from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from hub.delivery.outbox import Notice, write_many
from hub.log.queue import Entry, log, log_many

__all__ = ["Entry", "Notice", "log", "log_many", "notify", "notify_many"]


def notify(session: Session, type: str, recipients: Iterable[str], data: dict[str, Any]) -> None:
    """Writes one signed event of `type` carrying `data` for each recipient hotline."""
    notify_many(session, [Notice(type, list(recipients), data)])


def notify_many(session: Session, notices: list[Notice]) -> None:
    """Writes the events of several notices, in order, with a fixed number of statements."""
    write_many(session, notices)
