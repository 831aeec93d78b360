"""The pull feed and acks of a hotline's own events, and the admin's dead letters.

A hotline only ever sees or acknowledges events addressed to it; other ids count as absent.
"""

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hub import clock
from hub.delivery import signer
from hub.delivery.models import DELIVERED, PENDING, Event, EventFeed
from hub.errors import Conflict, Invalid, NotFound, field_error
from hub.signing import HubKey


def parse_cursor(after: str | None) -> int:
    """Event cursors are the events' sequence numbers, as decimal strings."""
    if after is None:
        return 0
    if not after.isdigit() or len(after) > 19:
        raise Invalid([field_error(["query", "after"], "is not a cursor this list gave out")])
    return int(after)


Numbered = tuple[int, Event]  # an event and its cursor

OnDelivered = Callable[[Session, Sequence[tuple[str, bytes]], datetime], None]
"""What the hub does, in the same transaction, when events (type, body) first reach their
hotline by push or ack at a time: the referrals domain moves referrals to `delivered`.
Delivery knows nothing of referrals; the worker and the ack route pass this in."""


def feed(session: Session, hotline_id: str, after: int, limit: int) -> list[Numbered]:
    """The caller's numbered events after the cursor `after`, in cursor order."""
    query = (
        select(EventFeed.seq, Event)
        .join(Event, Event.id == EventFeed.event_id)
        .where(EventFeed.recipient == hotline_id, EventFeed.seq > after)  # type: ignore[operator]
        .order_by(EventFeed.seq)
        .limit(limit)
    )
    return [(seq, event) for seq, event in session.execute(query)]


def to_pulled(event: Event, key: HubKey) -> dict[str, Any]:
    """The stored JSON, with a signature and timestamp made now, as a push would have."""
    item = json.loads(event.body)
    item["timestamp"], item["signature"] = signer.sign_now(key, event.id, event.body)
    return item


def feed_page(session: Session, events: Sequence[Numbered]) -> dict[str, Any]:
    """A page of the feed; `next` is where to resume, null only when nothing new was there."""
    cursor = str(events[-1][0]) if events else None
    key = signer.key_of(session)
    return {"items": [to_pulled(e, key) for _, e in events], "next": cursor}


def ack(session: Session, hotline_id: str, ids: Sequence[str], on_delivered: OnDelivered) -> int:
    """Marks the caller's events among `ids` delivered; returns how many were the caller's."""
    now = clock.utcnow()
    # Event rows are locked in id order before any referral is touched, as the worker does,
    # so two acks, or an ack and a worker, never wait on each other in a circle.
    mine = session.execute(
        select(Event.id, Event.type, Event.body, Event.state)
        .where(Event.id.in_(sorted(set(ids))), Event.recipient == hotline_id)
        .order_by(Event.id)
        .with_for_update()
    ).all()
    fresh = [row for row in mine if row.state != DELIVERED]
    if fresh:
        session.execute(
            update(Event)
            .where(Event.id.in_([row.id for row in fresh]))
            .values(state=DELIVERED, delivered_at=now, next_attempt_at=None, lease_until=None),
            execution_options={"synchronize_session": False},
        )
        on_delivered(session, [(row.type, row.body) for row in fresh], now)
    return len(mine)


def deliveries(session: Session, state: str, after: int, limit: int) -> list[Numbered]:
    """Numbered events in `state` after the cursor `after`, in cursor order."""
    query = (
        select(EventFeed.seq, Event)
        .join(Event, Event.id == EventFeed.event_id)
        .where(Event.state == state, EventFeed.seq > after)  # type: ignore[operator]
        .order_by(EventFeed.seq)
        .limit(limit)
    )
    return [(seq, event) for seq, event in session.execute(query)]


def to_delivery(event: Event) -> dict[str, Any]:
    return {
        "id": event.id,
        "type": event.type,
        "recipient": event.recipient,
        "state": event.state,
        "attempts": event.attempts,
        "last_error": event.last_error,
        "created_at": event.created_at,
        "next_attempt_at": event.next_attempt_at if event.state == PENDING else None,
        "delivered_at": event.delivered_at,
    }


def retry(session: Session, event_id: str) -> Event:
    """Puts a dead (or waiting) event back in line now, with a fresh retry window."""
    event = session.get(Event, event_id, with_for_update=True)
    if event is None:
        raise NotFound(f"no event '{event_id}'")
    if event.state == DELIVERED:
        raise Conflict(f"event '{event_id}' was delivered; it stays pullable")
    now = clock.utcnow()
    event.state = PENDING
    event.attempts = 0
    event.retry_from = now
    event.next_attempt_at = now
    event.lease_owner = None
    event.lease_until = None
    event.last_error = None
    session.flush()
    return event
