"""The transactional outbox: events written in the transaction of the change they
announce; what the worker pushes and the pull feed serves is exactly these bytes, each
copy signed when it is sent.
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub import clock
from hub.canonical import canonical_json
from hub.db import Prebuilt, copy_rows, in_param, update_rows
from hub.delivery import doorbell
from hub.delivery.models import PENDING, Event, EventFeed
from hub.hotlines.models import Hotline
from hub.ids import new_id
from schemas.common import format_timestamp

_events = Event.__table__
_feed = EventFeed.__table__
_EVENT_COLUMNS = (
    "id",
    "type",
    "recipient",
    "created_at",
    "body",
    "state",
    "attempts",
    "retry_from",
    "next_attempt_at",
)


def event_body(event_id: str, type: str, created_at: str, data: dict[str, Any]) -> bytes:
    """RFC 8785 form of the event, so a puller can rebuild the signed bytes from the JSON."""
    return canonical_json({"id": event_id, "type": type, "created_at": created_at, "data": data})


@dataclass(frozen=True)
class Notice:
    """One announcement: an event of `type` with `data` for each of `recipients`."""

    type: str
    recipients: list[str]
    data: dict[str, Any]


_PUSHED_TO = Prebuilt(
    lambda dialect: doorbell.ringing(
        dialect,
        select(Hotline.id).where(
            in_param(dialect, Hotline.id, "recipients"), Hotline.webhook_url.is_not(None)
        ),
    )
)


def write_many(session: Session, notices: list[Notice]) -> list[str]:
    """The events of several notices, in order, with a fixed number of statements; returns
    their ids.

    Events are written without a pull cursor (`seq`) and queued for the sequencer, which
    numbers them in the order they were written; a push need not wait for that.
    Recipients without a webhook get pull-only events: nothing is scheduled to push.
    """
    addressed = [
        (notice, recipient) for notice in notices for recipient in dict.fromkeys(notice.recipients)
    ]
    if not addressed:
        return []
    now = clock.utcnow()
    created_at = format_timestamp(now)
    with_webhook = doorbell.announcing(
        session, _PUSHED_TO(session), {"recipients": list({r for _, r in addressed})}
    )
    rows = []
    for notice, recipient in addressed:
        event_id = new_id("evt")
        body = event_body(event_id, notice.type, created_at, notice.data)
        push_at = now if recipient in with_webhook else None
        rows.append((event_id, notice.type, recipient, now, body, PENDING, 0, now, push_at))
    copy_rows(session, _events, _EVENT_COLUMNS, rows)
    copy_rows(session, _feed, ("event_id", "recipient"), [(row[0], row[2]) for row in rows])
    return [row[0] for row in rows]


def number_queued(session: Session, limit: int) -> int:
    """Gives the first `limit` unnumbered events their pull cursors, in the order they
    were written and after every cursor given so far; returns how many. Only the
    sequencer calls this, holding its lock."""
    queued = (
        session.execute(
            select(EventFeed.pos)
            .where(EventFeed.seq.is_(None))  # type: ignore[union-attr]
            .order_by(EventFeed.pos)
            .limit(limit)
        )
        .scalars()
        .all()
    )
    if not queued:
        return 0
    last = session.scalar(select(func.max(EventFeed.seq))) or 0
    update_rows(
        session,
        EventFeed,
        [{"pos": pos, "seq": last + offset} for offset, pos in enumerate(queued, start=1)],
        key="pos",
    )
    return len(queued)


def unnumbered(session: Session) -> int:
    """How many events wait for their pull cursor."""
    query = select(func.count()).select_from(EventFeed).where(EventFeed.seq.is_(None))  # type: ignore[union-attr]
    return session.execute(query).scalar() or 0
