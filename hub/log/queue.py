"""Exchange events waiting for a sequence number: what a request writes instead of a leaf.

A request checks its events against the leaf schema and writes them here in its own
transaction, taking no lock that another request waits on. The sequencer
(`hub.exchange.sequencer`) later takes committed rows in `id` order, gives each its `seq`,
and appends the leaves.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from hub import clock
from hub.db import among, copy_rows
from hub.log.leaves import checked_fields, leaf_template, subject_digest
from hub.log.models import LogPending
from schemas.common import format_timestamp

_pending = LogPending.__table__


@dataclass(frozen=True)
class Entry:
    """One exchange event to log: its type, who caused it, what it is about, its fields."""

    type: str
    actor: str
    subject: Any
    fields: Mapping[str, str | None]


class Queued(NamedTuple):
    """An event as the sequencer reads it back: its leaf at seq 0 and the subject's digest."""

    id: int
    leaf: str
    digest: str


def log(session: Session, type: str, *, actor: str, subject: Any, **fields: str | None) -> None:
    """Logs one leaf: `type`, `actor`, the non-empty `fields`, and the digest of `subject`.

    Field names and values are checked against the leaf schema (docs/log.md) before
    anything is written: an unknown field, a URL or anything shaped like a content hash
    raises `LeafRejected`.
    """
    log_many(session, [Entry(type, actor, subject, fields)])


def log_many(session: Session, entries: list[Entry]) -> None:
    """Checks and writes `entries`, in order, with one statement in the caller's
    transaction; raises `LeafRejected` (writing nothing) if any field is outside the leaf
    schema."""
    if entries:
        copy_rows(session, _pending, ("leaf", "digest"), pending(entries))


def pending(entries: list[Entry]) -> list[tuple[str, str]]:
    """The (leaf at seq 0, digest) of each entry, all stamped now; raises `LeafRejected`
    for a field outside the leaf schema."""
    at = format_timestamp(clock.utcnow())
    digests: dict[int, str] = {}  # a report's answer is the subject of two leaves
    rows = []
    for entry in entries:
        digest = digests.get(id(entry.subject))
        if digest is None:
            digest = digests[id(entry.subject)] = subject_digest(entry.subject)
        fields = checked_fields(entry.type, entry.actor, entry.fields)
        rows.append((leaf_template(entry.type, at, entry.actor, digest, fields), digest))
    return rows


def take(session: Session, limit: int) -> list[Queued]:
    """The first `limit` committed events in the order they were written."""
    query = select(_pending.c.id, _pending.c.leaf, _pending.c.digest)
    # Fetched at once: row by row, fetching the events cost more than sequencing them.
    rows = session.execute(query.order_by(_pending.c.id).limit(limit)).all()
    return [Queued(*row) for row in rows]


def drop(session: Session, ids: list[int]) -> None:
    """Removes events the sequencer has appended as leaves: exactly these ids, since a
    row with an id between them may be one that had not committed when they were taken."""
    session.execute(delete(_pending).where(among(session, _pending.c.id, ids)))


def count(session: Session) -> int:
    """How many events wait for the sequencer."""
    return session.execute(select(func.count()).select_from(_pending)).scalar() or 0
