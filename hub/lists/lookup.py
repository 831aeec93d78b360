"""Which lists hold a report's hashes: exact values through the (alg, value) index, PDQ
through a PDQ matcher of the published list hashes, kept up to date in each process.
"""

import threading
from typing import Any

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from hub.lists.models import ListEntry, ListRetraction, ListVersion
from hub.matching.pdq import IndexMatcher

# Rows per IN (...) list, well under every driver's parameter limit.
CHUNK = 400
Hit = dict[str, Any]  # {"id": list id, "category": str | None}


def _visible() -> Any:
    return (
        select(ListEntry.alg, ListEntry.value, ListEntry.list_id, ListEntry.category)
        .join(
            ListVersion,
            (ListVersion.list_id == ListEntry.list_id) & (ListVersion.version == ListEntry.version),
        )
        .where(ListVersion.state == "published", ListEntry.retracted_at.is_(None))
    )


def listed(session: Session, keys: list[tuple[str, str]]) -> dict[tuple[str, str], list[Hit]]:
    """The lists (and categories) that hold each (alg, value), for the keys on any list."""
    unique = list(dict.fromkeys(keys))
    found: dict[tuple[str, str], list[Hit]] = {}
    for start in range(0, len(unique), CHUNK):
        rows = session.execute(
            _visible().where(
                tuple_(ListEntry.alg, ListEntry.value).in_(unique[start : start + CHUNK])
            )
        )
        for alg, value, list_id, category in rows:
            hits = found.setdefault((alg, value), [])
            hit = {"id": list_id, "category": category}
            if hit not in hits:
                hits.append(hit)
    for hits in found.values():
        hits.sort(key=lambda hit: (hit["id"], hit["category"] or ""))
    return found


def merge(*groups: list[Hit]) -> list[Hit]:
    """Hits of several hashes as one sorted list without repeats."""
    unique = {(hit["id"], hit["category"]): hit for group in groups for hit in group}
    return [unique[key] for key in sorted(unique, key=lambda k: (k[0], k[1] or ""))]


class ListPdqIndex:
    """The PDQ hashes of every published list version, in this process's matcher.

    A newly published version is added on the next lookup; after any retraction the
    matcher is rebuilt, so a retracted hash never hides a live one behind it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._matcher = IndexMatcher()
        self._versions: set[tuple[str, int]] = set()
        self._retractions = 0

    def catch_up(self, session: Session) -> None:
        published = {
            (list_id, version)
            for list_id, version in session.execute(
                select(ListVersion.list_id, ListVersion.version).where(
                    ListVersion.state == "published"
                )
            )
        }
        retractions = session.scalar(select(func.max(ListRetraction.seq))) or 0
        with self._lock:
            if retractions != self._retractions or self._versions - published:
                self._matcher, self._versions = IndexMatcher(), set()
                self._retractions = retractions
            for list_id, version in sorted(published - self._versions):
                rows = session.execute(
                    select(ListEntry.value).where(
                        ListEntry.alg == "pdq",
                        ListEntry.list_id == list_id,
                        ListEntry.version == version,
                        ListEntry.retracted_at.is_(None),
                    )
                ).scalars()
                for value in rows:
                    # The matcher's "content" is the hash itself: hits are looked up after.
                    self._matcher.add(value, bytes.fromhex(value))
                self._versions.add((list_id, version))

    def nearest(
        self, session: Session, pdq: str, threshold: int
    ) -> tuple[str, int, list[Hit]] | None:
        """The closest listed PDQ hash within threshold, its distance and its lists."""
        self.catch_up(session)
        found = self._matcher.nearest(bytes.fromhex(pdq), threshold)
        if found is None:
            return None
        hits = listed(session, [("pdq", found.content_id)]).get(("pdq", found.content_id))
        return (found.content_id, found.distance, hits) if hits else None


def on_lists(
    hashes: list[Any],
    exact: dict[tuple[str, str], list[Hit]],
    pdq_index: "ListPdqIndex | None",
    session: Session,
    threshold: int,
    order: tuple[str, ...],
) -> tuple[str, int, list[Hit]] | None:
    """How a report's hashes are on lists: the alg and distance of the first hit in
    `order`, then PDQ, and every list any of its hashes is on; None when on none."""
    by_alg = {h.alg: h for h in hashes}
    groups = [exact.get((h.alg, h.value), []) for h in hashes]
    first = next(
        (alg for alg in order if alg in by_alg and exact.get((alg, by_alg[alg].value))),
        None,
    )
    distance = 0
    pdq = by_alg.get("pdq")
    if pdq is not None and pdq_index is not None:
        near = pdq_index.nearest(session, pdq.value, threshold)
        if near is not None:
            groups.append(near[2])
            if first is None:
                first, distance = "pdq", near[1]
    if first is None:
        first = next((h.alg for h in hashes if exact.get((h.alg, h.value))), None)
    if first is None:
        return None
    return first, distance, merge(*groups)
