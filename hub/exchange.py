"""The one seam where an exchange event is recorded, inside the caller's transaction.

`log` appends a leaf to the signed exchange log; `notify` writes outbox events that
the delivery worker pushes and the pull feed serves. Both commit or roll back with
the change they announce, so nothing is announced that did not happen.
"""

from collections.abc import Iterable
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

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
    """Appends one leaf: `type`, `actor`, the non-empty `fields`, and the digest of `subject`."""
    hold_lock(session)
    # The leaf itself is written by the log domain (hub/log/service.py).


def notify(session: Session, type: str, recipients: Iterable[str], data: dict[str, Any]) -> None:
    """Writes one event of `type` carrying `data` for each recipient hotline."""
    hold_lock(session)
    # The events themselves are written by the delivery domain (hub/delivery/outbox.py).
