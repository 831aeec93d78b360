"""Leases on events due for a push: a worker claims a batch and commits, pushes outside any
transaction, then records each outcome only if it still holds the lease.

Claiming moves `next_attempt_at` to the lease's end, so an event whose worker died is due
again, for anyone, as soon as its lease runs out.
"""

import random
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session

from hub import clock
from hub.delivery import schedule
from hub.delivery.models import DEAD, DELIVERED, PENDING, Event
from hub.delivery.sender import PushResult, Signed
from hub.delivery.service import announce_delivery
from hub.hotlines.models import Hotline

MAX_ERROR_LENGTH = 200


@dataclass(frozen=True)
class Claimed:
    """An event this worker holds the lease on, with the webhook to push it to."""

    event: Signed
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
) -> list[Claimed]:
    """Leases up to `limit` due events to `owner`, skipping recipients it is busy with.

    PostgreSQL: SELECT … FOR UPDATE SKIP LOCKED, so concurrent workers take disjoint rows.
    SQLite: one UPDATE … WHERE under BEGIN IMMEDIATE, which already excludes other writers.
    """
    now = clock.utcnow()
    until = now + lease
    due = select(Event.id).where(Event.next_attempt_at <= now)
    if busy_recipients:
        due = due.where(Event.recipient.not_in(list(busy_recipients)))
    due = due.order_by(Event.next_attempt_at).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        ids = list(session.scalars(due.with_for_update(skip_locked=True)))
        if not ids:
            return []
        chosen = Event.id.in_(ids)
    else:
        chosen = Event.id.in_(due.scalar_subquery())
    rows = session.execute(
        update(Event)
        .where(chosen)
        .values(lease_owner=owner, lease_until=until, next_attempt_at=until)
        .returning(
            Event.id,
            Event.type,
            Event.recipient,
            Event.body,
            Event.timestamp,
            Event.signature,
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
            Signed(row.id, row.timestamp, row.signature, row.body),
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
    rng: random.Random | None = None,
) -> list[str]:
    """Writes the outcomes of pushes; returns each event's state, or "lost" without the lease.

    Every event row is updated (in id order) before any referral is touched, because
    marking a referral delivered takes the exchange lock, which must come last.
    """
    now = clock.utcnow()
    states: dict[str, str] = {}
    for claimed, result in sorted(outcomes, key=lambda outcome: outcome[0].event.id):
        states[claimed.event.id] = _write_outcome(session, owner, claimed, result, now, rng)
    for claimed, _result in outcomes:
        if states[claimed.event.id] == DELIVERED:
            announce_delivery(session, claimed.type, claimed.event.body, now)
    return [states[claimed.event.id] for claimed, _result in outcomes]


def _write_outcome(
    session: Session,
    owner: str,
    claimed: Claimed,
    result: PushResult,
    now: datetime,
    rng: random.Random | None,
) -> str:
    held = (
        Event.id == claimed.event.id,
        Event.lease_owner == owner,
        Event.state == PENDING,
        Event.lease_until.is_not(None),
    )
    if result.delivered:
        state = DELIVERED
        values: dict[str, object] = {
            "state": state,
            "delivered_at": now,
            "next_attempt_at": None,
            "last_error": None,
        }
    else:
        next_at = schedule.next_attempt(
            claimed.attempts + 1, claimed.retry_from, now, result.retry_after, rng
        )
        state = PENDING if next_at is not None else DEAD
        values = {
            "state": state,
            "next_attempt_at": next_at,
            "last_error": (result.error or "failed")[:MAX_ERROR_LENGTH],
        }
    changed = session.execute(
        update(Event).where(*held).values(attempts=Event.attempts + 1, lease_until=None, **values),
        execution_options={"synchronize_session": False},
    ).rowcount
    return state if changed else "lost"


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
