"""Purges cases closed longer than HUB_RETENTION_DAYS, as SCARt does.

A purge erases the URL (key and hash), the hosting addresses, the content hashes no
kept case needs, and the outbox events that carried them; it keeps status, country,
classification and every timestamp for statistics, and logs a `retention.purged`
leaf per case. Log leaves never held the purged data, so the log stays verifiable.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, or_, select, text, update
from sqlalchemy.orm import Session

from hub import exchange
from hub.cases.models import Case
from hub.clock import utcnow
from hub.db import Database
from hub.delivery.models import Event, EventFeed
from hub.exchange import Entry
from hub.matching.models import ContentHash, PdqHash
from hub.reports.models import Report
from schemas.common import format_timestamp

logger = logging.getLogger("hub.retention")

# Cases purged per transaction: the exchange lock is held for one batch at a time.
BATCH = 500
# Events read at once while looking for those that name a purged case.
EVENT_CHUNK = 2000
PURGED_LEAF = "retention.purged"
_PURGE_LOCK = 0x48554252  # "HUBR"


@dataclass
class Purge:
    """What a purge erased (or, in a dry run, would erase)."""

    cases: int = 0
    reports: int = 0
    content_hashes: int = 0
    events: int = 0
    case_ids: list[str] = field(default_factory=list)

    def add(self, other: "Purge") -> None:
        self.cases += other.cases
        self.reports += other.reports
        self.content_hashes += other.content_hashes
        self.events += other.events
        self.case_ids.extend(other.case_ids)


def cutoff(days: int, now: datetime | None = None) -> datetime:
    return (now or utcnow()) - timedelta(days=days)


def purge(database: Database, days: int, *, dry_run: bool = False, actor: str = "hub") -> Purge:
    """Purges every case closed before `days` ago, one batch per transaction."""
    before = cutoff(days)
    total = Purge()
    while True:
        if dry_run:
            with database.session(write=False) as session:
                batch = purge_batch(session, before, dry_run=True, actor=actor, skip=total.case_ids)
        else:
            with database.transaction() as session:
                _hold_purge_lock(session)
                batch = purge_batch(session, before, dry_run=False, actor=actor, skip=[])
        total.add(batch)
        if batch.cases < BATCH:
            return total


def _hold_purge_lock(session: Session) -> None:
    """One purger at a time across processes (SQLite's write lock already is one)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PURGE_LOCK})


def purge_batch(
    session: Session, before: datetime, *, dry_run: bool, actor: str, skip: list[str]
) -> Purge:
    query = (
        select(Case.id, Case.content_id, Case.hosting_country)
        .where(Case.closed_at.is_not(None), Case.closed_at <= before, Case.purged_at.is_(None))
        .order_by(Case.id)
        .limit(BATCH)
    )
    if dry_run and skip:
        query = query.where(Case.id > skip[-1])
    cases = session.execute(query).all()
    if not cases:
        return Purge()
    ids = [row.id for row in cases]
    reports = session.execute(
        select(Report.id, Report.content_id).where(Report.case_id.in_(ids))
    ).all()
    contents = {row.content_id for row in cases} | {r.content_id for r in reports if r.content_id}
    unneeded = contents - _still_needed(session, contents, ids)
    hashes = (
        session.scalar(
            select(func.count())
            .select_from(ContentHash)
            .where(ContentHash.content_id.in_(unneeded))
        )
        or 0
    )
    events = _events_naming(session, ids)
    result = Purge(len(ids), len(reports), hashes, len(events), ids)
    if dry_run:
        return result
    now = utcnow()
    session.execute(
        update(Case)
        .where(Case.id.in_(ids))
        .values(url_key="", url_hash="", hosting_ip=None, purged_at=now)
    )
    session.execute(update(Report).where(Report.case_id.in_(ids)).values(hosting_ip=None))
    session.execute(delete(ContentHash).where(ContentHash.content_id.in_(unneeded)))
    session.execute(delete(PdqHash).where(PdqHash.content_id.in_(unneeded)))
    for start in range(0, len(events), BATCH):
        chunk = events[start : start + BATCH]
        session.execute(delete(EventFeed).where(EventFeed.event_id.in_(chunk)))
        session.execute(delete(Event).where(Event.id.in_(chunk)))
    at = format_timestamp(now)
    exchange.log_many(
        session,
        [
            Entry(
                PURGED_LEAF,
                actor,
                {"case": row.id, "purged_at": at},
                {"case": row.id, "country": row.hosting_country},
            )
            for row in cases
        ],
    )
    logger.info("cases purged", extra={"cases": len(ids), "events": len(events)})
    return result


def _still_needed(session: Session, contents: set[str], purged: list[str]) -> set[str]:
    """Contents a case that is not being purged still points at, directly or by a report."""
    if not contents:
        return set()
    kept_case = and_(Case.purged_at.is_(None), Case.id.not_in(purged))
    by_case = session.scalars(
        select(Case.content_id).where(Case.content_id.in_(contents), kept_case)
    ).all()
    by_report = session.scalars(
        select(Report.content_id)
        .join(Case, Case.id == Report.case_id, isouter=True)
        .where(
            Report.content_id.in_(contents),
            or_(Report.case_id.is_(None), kept_case),
        )
    ).all()
    return set(by_case) | set(by_report)


def _events_naming(session: Session, case_ids: list[str]) -> list[str]:
    """Outbox events whose signed body names one of the cases (and so carries its URL)."""
    needles = [f'"{case_id}"'.encode() for case_id in case_ids]
    found: list[str] = []
    after = ""
    while True:
        rows = session.execute(
            select(Event.id, Event.body)
            .where(Event.id > after)
            .order_by(Event.id)
            .limit(EVENT_CHUNK)
        ).all()
        for row in rows:
            body = bytes(row.body)
            if any(needle in body for needle in needles):
                found.append(row.id)
        if len(rows) < EVENT_CHUNK:
            return found
        after = rows[-1].id
