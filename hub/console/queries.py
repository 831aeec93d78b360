"""What the console's pages read that no API service answers as such: the overview's
counts, reports per week and a hotline's tokens. Reads only; every change is a service call."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub import clock
from hub.auth.models import Token
from hub.cases.models import Case
from hub.delivery.models import DEAD, PENDING, Event
from hub.hotlines.models import Hotline
from hub.log import signer, storage
from hub.reports.models import Report

WEEKS_PLOTTED = 12


@dataclass(frozen=True)
class Overview:
    reports_today: int
    reports_this_week: int
    open_cases: int
    unassigned: int
    outbox_depth: int
    oldest_undelivered: timedelta | None
    dead_deliveries: int
    log_size: int
    checkpoint_age: timedelta | None


def start_of_week(day: date) -> date:
    """The Monday of `day`'s ISO week."""
    return day - timedelta(days=day.weekday())


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _count(session: Session, *where: object) -> int:
    return session.scalar(select(func.count()).where(*where)) or 0  # type: ignore[arg-type]


def overview(session: Session) -> Overview:
    now = clock.utcnow()
    today = now.date()
    oldest = session.scalar(select(func.min(Event.created_at)).where(Event.state == PENDING))
    newest_checkpoint = signer.latest(session)
    return Overview(
        reports_today=_count(session, Report.received_at >= _midnight(today)),
        reports_this_week=_count(session, Report.received_at >= _midnight(start_of_week(today))),
        open_cases=_count(session, Case.closed_at.is_(None)),
        unassigned=_count(session, Case.unassigned.is_(True)),
        outbox_depth=_count(session, Event.state == PENDING),
        oldest_undelivered=_age(now, oldest),
        dead_deliveries=_count(session, Event.state == DEAD),
        log_size=storage.size(session),
        checkpoint_age=_age(now, newest_checkpoint.signed_at if newest_checkpoint else None),
    )


def _age(now: datetime, then: datetime | None) -> timedelta | None:
    if then is None:
        return None
    # The UTC column type reads back aware datetimes on both databases.
    return max(now - then, timedelta(0))


def reports_per_week(session: Session, weeks: int = WEEKS_PLOTTED) -> list[tuple[date, int]]:
    """Reports received in each of the last `weeks` ISO weeks, oldest first, zeros included."""
    this_week = start_of_week(clock.utcnow().date())
    first = this_week - timedelta(weeks=weeks - 1)
    received = session.scalars(
        select(Report.received_at).where(Report.received_at >= _midnight(first))
    )
    counts = {first + timedelta(weeks=n): 0 for n in range(weeks)}
    for at in received:
        counts[start_of_week(at.date())] += 1
    return sorted(counts.items())


def active_hotlines(session: Session) -> list[Hotline]:
    return list(
        session.scalars(select(Hotline).where(Hotline.active.is_(True)).order_by(Hotline.id))
    )


def tokens_of(session: Session, subject: str) -> list[Token]:
    query = (
        select(Token)
        .where(Token.principal == "hotline", Token.subject == subject)
        .order_by(Token.created_at, Token.id)
    )
    return list(session.scalars(query))
