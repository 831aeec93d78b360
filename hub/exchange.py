"""The one seam where an exchange event is recorded, inside the caller's transaction.

`log` appends a leaf to the signed exchange log; `notify` writes outbox events that
the delivery worker pushes and the pull feed serves. Both commit or roll back with
the change they announce, so nothing is announced that did not happen.
"""

from collections.abc import Iterable
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from hub.delivery import outbox
from hub.log import storage

_EXCHANGE_LOCK = 0x48554232  # "HUB2"


def hold_lock(session: Session) -> None:
    """Serialises exchange writers until this transaction ends.

    Log sequence numbers and event cursors are taken under this lock, so they follow
    commit order even with several processes on PostgreSQL; SQLite's BEGIN IMMEDIATE
    already serialises writers. Taking it twice in one transaction costs nothing.
    """
    transaction = session.get_transaction()
    if transaction is None or session.info.get("exchange_lock") is transaction:
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _EXCHANGE_LOCK})
    session.info["exchange_lock"] = transaction


def log(session: Session, type: str, *, actor: str, subject: Any, **fields: str | None) -> None:
    """Appends one leaf: `type`, `actor`, the non-empty `fields`, and the digest of `subject`.

    Field names and values are checked against the leaf schema (docs/log.md): an unknown
    field, a URL or anything shaped like a content hash raises `LeafRejected`.
    """
    log_many(session, [storage.Entry(type, actor, subject, fields)])


def log_many(session: Session, entries: list[storage.Entry]) -> None:
    """Appends several leaves, in order, with a fixed number of statements."""
    hold_lock(session)
    storage.append_many(session, entries)


def notify(session: Session, type: str, recipients: Iterable[str], data: dict[str, Any]) -> None:
    """Writes one signed event of `type` carrying `data` for each recipient hotline."""
    notify_many(session, [outbox.Notice(type, list(recipients), data)])


def notify_many(session: Session, notices: list[outbox.Notice]) -> None:
    """Writes the events of several notices, in order, with a fixed number of statements."""
    hold_lock(session)
    outbox.write_many(session, notices)
