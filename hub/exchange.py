"""The one seam where an exchange event is recorded, inside the caller's transaction.

`log` queues a leaf for the signed exchange log; `notify` writes outbox events that the
delivery worker pushes and the pull feed serves. Both commit or roll back with the change
they announce, so nothing is announced that did not happen; neither takes a lock that
another writer waits on: the sequencer (`hub.log.sequencer`) orders them after commit.
"""

from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from hub.delivery.outbox import Notice, write_many
from hub.log.queue import Entry, enqueue

__all__ = ["Entry", "Notice", "log", "log_many", "notify", "notify_many"]


def log(session: Session, type: str, *, actor: str, subject: Any, **fields: str | None) -> None:
    """Logs one leaf: `type`, `actor`, the non-empty `fields`, and the digest of `subject`.

    Field names and values are checked against the leaf schema (docs/log.md) before
    anything is written: an unknown field, a URL or anything shaped like a content hash
    raises `LeafRejected`.
    """
    log_many(session, [Entry(type, actor, subject, fields)])


def log_many(session: Session, entries: list[Entry]) -> None:
    """Logs several leaves, in order, with one statement."""
    enqueue(session, entries)


def notify(session: Session, type: str, recipients: Iterable[str], data: dict[str, Any]) -> None:
    """Writes one signed event of `type` carrying `data` for each recipient hotline."""
    notify_many(session, [Notice(type, list(recipients), data)])


def notify_many(session: Session, notices: list[Notice]) -> None:
    """Writes the events of several notices, in order, with a fixed number of statements."""
    write_many(session, notices)
