"""The one seam where an exchange event is recorded, inside the caller's transaction.

`log` appends a leaf to the signed exchange log; `notify` writes outbox events that
the delivery worker pushes and the pull feed serves. Both commit or roll back with
the change they announce, so nothing is announced that did not happen.
"""

from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session


def log(session: Session, type: str, *, actor: str, subject: Any, **fields: str | None) -> None:
    """Appends one leaf: `type`, `actor`, the non-empty `fields`, and the digest of `subject`."""
    # Filled in by the log domain (hub/log/service.py).


def notify(session: Session, type: str, recipients: Iterable[str], data: dict[str, Any]) -> None:
    """Writes one event of `type` carrying `data` for each recipient hotline."""
    # Filled in by the delivery domain (hub/delivery/outbox.py).
