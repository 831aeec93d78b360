"""The transactional outbox: events written in the transaction of the change they
announce; what the worker pushes and the pull feed serves is exactly these bytes, each
copy signed when it is sent.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from hub import clock
from hub.canonical import canonical_json
from hub.delivery import doorbell, signer
from hub.delivery.models import PENDING, Event
from hub.hotlines.models import Hotline
from hub.ids import new_id
from schemas.common import format_timestamp


def event_body(event_id: str, type: str, created_at: str, data: dict[str, Any]) -> bytes:
    """RFC 8785 form of the event, so a puller can rebuild the signed bytes from the JSON."""
    return canonical_json({"id": event_id, "type": type, "created_at": created_at, "data": data})


@dataclass(frozen=True)
class Notice:
    """One announcement: an event of `type` with `data` for each of `recipients`."""

    type: str
    recipients: list[str]
    data: dict[str, Any]


def write_events(
    session: Session, type: str, recipients: Iterable[str], data: dict[str, Any]
) -> list[str]:
    """One event per recipient; returns their ids. The caller holds the exchange lock."""
    return write_many(session, [Notice(type, list(recipients), data)])


def write_many(session: Session, notices: list[Notice]) -> list[str]:
    """The events of several notices, in order, with three statements; returns their ids.

    The caller holds the exchange lock. Recipients without a webhook get pull-only
    events: nothing is scheduled to push.
    """
    addressed = [
        (notice, recipient) for notice in notices for recipient in dict.fromkeys(notice.recipients)
    ]
    if not addressed:
        return []
    key = signer.key_of(session)
    now = clock.utcnow()
    created_at = format_timestamp(now)
    timestamp = int(now.timestamp())
    with_webhook = set(
        session.scalars(
            select(Hotline.id).where(
                Hotline.id.in_({r for _, r in addressed}), Hotline.webhook_url.is_not(None)
            )
        )
    )
    # Under the exchange lock no other writer can take the next number before we commit.
    last_seq = session.scalar(select(func.max(Event.seq))) or 0
    rows = []
    for offset, (notice, recipient) in enumerate(addressed, start=1):
        event_id = new_id("evt")
        body = event_body(event_id, notice.type, created_at, notice.data)
        rows.append(
            {
                "id": event_id,
                "seq": last_seq + offset,
                "type": notice.type,
                "recipient": recipient,
                "created_at": now,
                "body": body,
                "timestamp": timestamp,
                "signature": signer.sign(key, event_id, timestamp, body),
                "state": PENDING,
                "attempts": 0,
                "retry_from": now,
                "next_attempt_at": now if recipient in with_webhook else None,
            }
        )
    session.execute(insert(Event), rows)
    doorbell.announce(session)
    return [row["id"] for row in rows]
