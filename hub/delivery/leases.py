"""Leases on events due for a push: a worker claims a batch and commits, pushes outside any
transaction, then records each outcome only if it still holds the lease.

Claiming moves `next_attempt_at` to the lease's end, so an event whose worker died is due
again, for anyone, as soon as its lease runs out.
"""

import random
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, exists, select, update
from sqlalchemy.orm import Session

from hub import clock
from hub.delivery import schedule
from hub.delivery.models import DEAD, DELIVERED, PENDING, Event
from hub.delivery.sender import Outgoing, PushResult
from hub.delivery.service import OnDelivered
from hub.hotlines.models import Hotline

MAX_ERROR_LENGTH = 200


@dataclass(frozen=True)
class Claimed:
    """An event this worker holds the lease on, with the webhook to push it to."""

    event: Outgoing
    type: str
    recipient: str
    webhook_url: str
    attempts: int
    retry_from: datetime


def any_due(session: Session) -> bool:
    return bool(session.scalar(select(exists().where(Event.next_attempt_at <= clock.utcnow()))))


def claim(
    session: Session,
    owner: str,
    limit: int,
    lease: timedelta,
    busy_recipients: Collection[str] = (),
    room: Mapping[str, int] | None = None,
    per_recipient: int | None = None,
) -> list[Claimed]:
    """Leases up to `limit` due events to `owner`, skipping recipients it is busy with and
    taking at most `room[r]` (else `per_recipient`) events of any one recipient `r`.

    PostgreSQL: SELECT … FOR UPDATE SKIP LOCKED, so concurrent workers take disjoint rows.
    SQLite: the same under BEGIN IMMEDIATE, which already excludes other writers.
    """
    now = clock.utcnow()
    until = now + lease
    due = select(Event.id, Event.recipient).where(Event.next_attempt_at <= now)
    if busy_recipients:
        due = due.where(Event.recipient.not_in(list(busy_recipients)))
    due = due.order_by(Event.next_attempt_at).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    taken: Counter[str] = Counter()
    ids = []
    for event_id, recipient in session.execute(due):
        allowed = (room or {}).get(recipient, per_recipient)
        if allowed is None or taken[recipient] < allowed:
            taken[recipient] += 1
            ids.append(event_id)
    if not ids:
        return []
    chosen = Event.id.in_(ids)
    rows = session.execute(
        update(Event)
        .where(chosen)
        .values(lease_owner=owner, lease_until=until, next_attempt_at=until)
        .returning(
            Event.id,
            Event.type,
            Event.recipient,
            Event.body,
            Event.attempts,
            Event.retry_from,
        ),
        execution_options={"synchronize_session": False},
    ).all()
    if not rows:
        return []
    webhooks = dict(
        session.execute(
            select(Hotline.id, Hotline.webhook_url).where(
                Hotline.id.in_({row.recipient for row in rows})
            )
        ).all()
    )
    pull_only = [row.id for row in rows if not webhooks.get(row.recipient)]
    if pull_only:
        # The hotline dropped its webhook: the event stays pending, for pull only.
        session.execute(
            update(Event)
            .where(Event.id.in_(pull_only))
            .values(next_attempt_at=None, lease_until=None),
            execution_options={"synchronize_session": False},
        )
    return [
        Claimed(
            Outgoing(row.id, row.body),
            row.type,
            row.recipient,
            webhooks[row.recipient],
            row.attempts,
            row.retry_from,
        )
        for row in rows
        if webhooks.get(row.recipient)
    ]


def record(
    session: Session,
    owner: str,
    outcomes: Sequence[tuple[Claimed, PushResult]],
    on_delivered: OnDelivered,
    rng: random.Random | None = None,
) -> list[str]:
    """Writes the outcomes of pushes; returns each event's state, or "lost" without the lease.

    Locks the event rows still leased to `owner` in id order, writes every delivered one
    with one statement and the failed ones with another, then tells `on_delivered`, all in the caller's transaction (a fixed number of statements).
    """
    now = clock.utcnow()
    ids = sorted({claimed.event.id for claimed, _ in outcomes})
    held = set(
        session.scalars(
            select(Event.id)
            .where(
                Event.id.in_(ids),
                Event.lease_owner == owner,
                Event.state == PENDING,
                Event.lease_until.is_not(None),
            )
            .order_by(Event.id)
            .with_for_update()
        )
    )
    states: dict[str, str] = {}
    delivered: list[Claimed] = []
    failed: list[dict[str, object]] = []
    for claimed, result in outcomes:
        event_id = claimed.event.id
        if event_id not in held or event_id in states:
            states.setdefault(event_id, "lost")
            continue
        if result.delivered:
            states[event_id] = DELIVERED
            delivered.append(claimed)
            continue
        next_at = schedule.next_attempt(
            claimed.attempts + 1, claimed.retry_from, now, result.retry_after, rng
        )
        states[event_id] = PENDING if next_at is not None else DEAD
        failed.append(
            {
                "event_id": event_id,
                "new_state": states[event_id],
                "next_at": next_at,
                "error": (result.error or "failed")[:MAX_ERROR_LENGTH],
            }
        )
    if delivered:
        session.execute(
            update(Event)
            .where(Event.id.in_(sorted(c.event.id for c in delivered)))
            .values(
                state=DELIVERED,
                delivered_at=now,
                next_attempt_at=None,
                last_error=None,
                attempts=Event.attempts + 1,
                lease_until=None,
            ),
            execution_options={"synchronize_session": False},
        )
    if failed:
        # The table, not the entity: one Core statement run for each row's own values.
        events = Event.__table__
        session.execute(
            update(events)
            .where(events.c.id == bindparam("event_id"))
            .values(
                state=bindparam("new_state"),
                next_attempt_at=bindparam("next_at"),
                last_error=bindparam("error"),
                attempts=events.c.attempts + 1,
                lease_until=None,
            ),
            sorted(failed, key=lambda row: str(row["event_id"])),
        )
    on_delivered(session, [(c.type, c.event.body) for c in delivered], now)
    return [states[claimed.event.id] for claimed, _ in outcomes]


def release(session: Session, owner: str, ids: Sequence[str]) -> None:
    """Gives back leases of pushes that were cut short, so they are due again at once."""
    if not ids:
        return
    session.execute(
        update(Event)
        .where(Event.id.in_(list(ids)), Event.lease_owner == owner, Event.state == PENDING)
        .values(next_attempt_at=clock.utcnow(), lease_until=None),
        execution_options={"synchronize_session": False},
    )
