"""Content identity: which known content a report's hashes belong to, if any.

Exact algorithms match through the unique (alg, value) key; PDQ through the in-memory
matcher, which first catches up with PDQ rows other processes have committed.
"""

import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from hub import clock
from hub.db import Database, insert_ignore
from hub.ids import new_id
from hub.matching.models import Content, ContentHash, PdqHash
from hub.matching.pdq import ScanMatcher, hamming

MIN_PDQ_QUALITY = 50
# Order in which a report's hashes are tried; the first that is known names the content.
EXACT_ORDER = ("sha256", "sha1", "md5", "photodna")


@dataclass(frozen=True)
class Identity:
    content_id: str
    known: bool
    match: dict[str, Any] | None


class PdqIndex:
    """This process's PDQ matcher, kept up to date with committed `pdq_hashes` rows.

    On PostgreSQL a row can commit after one with a higher `seq`; re-reading a window
    of SLACK rows below the high-water mark picks such late rows up.
    """

    SLACK = 256

    def __init__(self, database: Database) -> None:
        self._database = database
        self._matcher = ScanMatcher()
        self._added: set[int] = set()
        self._seen = 0
        self._lock = threading.Lock()

    def catch_up(self) -> None:
        # A session of its own: only committed rows enter the long-lived matcher.
        with self._database.session(write=False) as session, self._lock:
            rows = session.execute(
                select(PdqHash.seq, PdqHash.content_id, PdqHash.value)
                .where(PdqHash.seq > self._seen - self.SLACK)
                .order_by(PdqHash.seq)
            ).all()
            for seq, content_id, value in rows:
                if seq not in self._added:
                    self._matcher.add(content_id, bytes.fromhex(value))
                    self._added.add(seq)
                    self._seen = max(self._seen, seq)
            self._added = {seq for seq in self._added if seq > self._seen - self.SLACK}

    def nearest(self, session: Session, value: str, threshold: int) -> tuple[str, int] | None:
        """The closest content within `threshold`, counting the caller's uncommitted rows."""
        self.catch_up()
        pdq = bytes.fromhex(value)
        found = self._matcher.nearest(pdq, threshold)
        best = None if found is None else (found.content_id, found.distance)
        newer = session.execute(
            select(PdqHash.content_id, PdqHash.value)
            .where(PdqHash.seq > self._seen)
            .order_by(PdqHash.seq)
        ).all()
        for content_id, other in newer:
            distance = hamming(pdq, bytes.fromhex(other))
            if distance <= threshold and (best is None or distance < best[1]):
                best = (content_id, distance)
        return best


def identify(
    session: Session, kind: str, hashes: list[Any], pdq_index: PdqIndex, threshold: int
) -> Identity:
    """Finds or creates the content these hashes describe, and binds new hashes to it."""
    by_alg = {h.alg: h for h in hashes}
    found = _exact_match(session, by_alg)
    if found is None:
        found = _pdq_match(session, by_alg.get("pdq"), pdq_index, threshold)
    if found is None:
        content_id = new_id("cnt")
        session.add(Content(id=content_id, kind=kind, created_at=clock.utcnow()))
        session.flush()
        match = None
    else:
        content_id, match = found
    _bind_hashes(session, content_id, hashes)
    return Identity(content_id=content_id, known=found is not None, match=match)


def _exact_match(session: Session, by_alg: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    keys = [(alg, by_alg[alg].value) for alg in EXACT_ORDER if alg in by_alg]
    if "pdq" in by_alg:  # an identical PDQ value is an exact match at distance 0
        keys.append(("pdq", by_alg["pdq"].value))
    if not keys:
        return None
    rows = session.execute(
        select(ContentHash.alg, ContentHash.content_id).where(
            tuple_(ContentHash.alg, ContentHash.value).in_(keys)
        )
    ).all()
    owners = dict(rows)
    for alg, _value in keys:
        if alg in owners:
            return owners[alg], {"alg": alg, "distance": 0, "content": owners[alg]}
    return None


def _pdq_match(
    session: Session, pdq: Any, pdq_index: PdqIndex, threshold: int
) -> tuple[str, dict[str, Any]] | None:
    if pdq is None or pdq.quality < MIN_PDQ_QUALITY:
        return None
    nearest = pdq_index.nearest(session, pdq.value, threshold)
    if nearest is None:
        return None
    content_id, distance = nearest
    return content_id, {"alg": "pdq", "distance": distance, "content": content_id}


def _bind_hashes(session: Session, content_id: str, hashes: list[Any]) -> None:
    rows = [
        {
            "alg": h.alg,
            "value": h.value,
            "content_id": content_id,
            "quality": getattr(h, "quality", None),
        }
        for h in hashes
    ]
    # A value already bound (to this or, after a race, another content) keeps its owner.
    insert_ignore(session, ContentHash, rows, ["alg", "value"])
    pdq = next((h for h in hashes if h.alg == "pdq"), None)
    if pdq is not None and pdq.quality >= MIN_PDQ_QUALITY:
        insert_ignore(session, PdqHash, {"content_id": content_id, "value": pdq.value}, ["value"])


def hashes_of(session: Session, content_id: str) -> list[dict[str, Any]]:
    rows = session.execute(
        select(ContentHash.alg, ContentHash.value, ContentHash.quality)
        .where(ContentHash.content_id == content_id)
        .order_by(ContentHash.alg)
    ).all()
    return [
        {"alg": alg, "value": value, **({"quality": quality} if alg == "pdq" else {})}
        for alg, value, quality in rows
    ]
