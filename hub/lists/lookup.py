"""Which lists hold a report's hashes: exact values through the (alg, value) index, PDQ
through a PDQ matcher of the published list hashes, kept up to date in each process.
"""

import logging
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.db import Database, Prebuilt, execute, in_param
from hub.lists import pdqload
from hub.lists.models import ListEntry, ListVersion
from hub.pdq import snapshot
from hub.pdq.index import IndexMatcher

# Rows per IN (...) list, well under every driver's parameter limit.
CHUNK = 400
Hit = dict[str, Any]  # {"id": list id, "category": str | None}
_CAUGHT_UP = "hub.lists.pdq_caught_up"

logger = logging.getLogger("hub.lists")


def visible(dialect: str) -> Any:
    """(alg, value, list id, category) of the published, unretracted entries whose
    alg is in the `algs` parameter and value in `values` (matched separately: callers
    keep the pairs they asked for, as `hits` does)."""
    return (
        select(ListEntry.alg, ListEntry.value, ListEntry.list_id, ListEntry.category)
        .join(
            ListVersion,
            (ListVersion.list_id == ListEntry.list_id) & (ListVersion.version == ListEntry.version),
        )
        .where(
            ListVersion.state == "published",
            ListEntry.retracted_at.is_(None),
            in_param(dialect, ListEntry.alg, "algs"),
            in_param(dialect, ListEntry.value, "values"),
        )
    )


_LISTED = Prebuilt(visible)


def listed(session: Session, keys: list[tuple[str, str]]) -> dict[tuple[str, str], list[Hit]]:
    """The lists (and categories) that hold each (alg, value), for the keys on any list."""
    rows: list[Any] = []
    for params in key_params(keys):
        rows.extend(execute(session, _LISTED(session), params))
    return hits(keys, rows)


def key_params(keys: list[tuple[str, str]]) -> Iterator[dict[str, list[str]]]:
    """The `algs` and `values` parameters of a statement matching (alg, value) keys, a
    chunk of values at a time: one array each, so rows come back for every alg and value
    asked for and callers keep the pairs they wanted."""
    algs = list({alg for alg, _ in keys})
    values = list(dict.fromkeys(value for _, value in keys))
    for start in range(0, len(values), CHUNK):
        yield {"algs": algs, "values": values[start : start + CHUNK]}


def hits(keys: list[tuple[str, str]], rows: Iterable[Any]) -> dict[tuple[str, str], list[Hit]]:
    """`visible` rows as the hits of each key asked for, sorted, without repeats."""
    wanted = set(keys)
    found: dict[tuple[str, str], list[Hit]] = {}
    for alg, value, list_id, category in rows:
        if (alg, value) not in wanted:  # algs and values are matched separately
            continue
        found_hits = found.setdefault((alg, value), [])
        hit = {"id": list_id, "category": category}
        if hit not in found_hits:
            found_hits.append(hit)
    for found_hits in found.values():
        found_hits.sort(key=lambda hit: (hit["id"], hit["category"] or ""))
    return found


def merge(*groups: list[Hit]) -> list[Hit]:
    """Hits of several hashes as one sorted list without repeats."""
    unique = {(hit["id"], hit["category"]): hit for group in groups for hit in group}
    return [unique[key] for key in sorted(unique, key=lambda k: (k[0], k[1] or ""))]


class ListPdqIndex:
    """The PDQ hashes of every published list version, in this process's matcher.

    Each transaction first asks (two small queries, once) which versions are published
    and which retraction was the last. A newly published version is read in bulk and
    added; after a retraction the matcher is rebuilt from the database, so a retracted
    hash never hides a live one behind it. Up to INLINE_ENTRIES entries that is done
    before the lookup; a larger load runs on a background thread while lookups use the
    matcher as it was: for that while (about a second per million entries) the new
    version's PDQ hashes are not matched yet and a retracted one may hide a live one.
    Exact hashes are looked up in the database and never wait for this.

    With a snapshot path, a process starts from the snapshot when every version it
    holds is still published and no retraction came after it, then adds the rest.
    """

    INLINE_ENTRIES = 100_000
    MIN_SNAPSHOT_ROWS = 100_000

    def __init__(self, database: Database | None = None, path: Path | None = None) -> None:
        self._database = database
        self._path = path
        self._lock = threading.Lock()
        self._loaded = _Loaded(self._matcher_for(IndexMatcher()), {}, 0)
        self._loading = False
        self._restored = path is None
        self._saved_rows = 0

    @property
    def matcher(self) -> IndexMatcher:
        return self._loaded.matcher

    def catch_up(self, session: Session) -> None:
        """Brings the matcher up to what this transaction sees (once per transaction)."""
        if session.info.get(_CAUGHT_UP) is self:
            return
        session.info[_CAUGHT_UP] = self
        if self._loading:
            return  # a large load is under way: use the matcher as it is
        target = pdqload.published(session)
        with self._lock:
            if self._loading:
                return
            if not self._restored:
                self._restore(target)
            work = self._work(target)
            if work is None:
                return
            rebuild, versions = work
            if self._database is not None and (
                sum(target.entries[v] for v in versions) > self.INLINE_ENTRIES
            ):
                self._loading = True
                threading.Thread(target=self._load_later, name="hub-list-pdq", daemon=True).start()
                return
            self._load(session, target, rebuild, versions)

    def wait_for_loads(self, timeout: float = 60) -> None:
        """Blocks until no background load runs (tests, benches)."""
        deadline = time.monotonic() + timeout
        while self._loading and time.monotonic() < deadline:
            time.sleep(0.01)
        self.matcher.wait_for_builds(max(0.0, deadline - time.monotonic()))

    def _work(self, target: pdqload.Published) -> tuple[bool, list[pdqload.Version]] | None:
        """What to read: (True, every version) to rebuild, (False, new versions) to add."""
        loaded = self._loaded
        gone = any(target.versions.get(v) != at for v, at in loaded.versions.items())
        if gone or target.retractions != loaded.retractions:
            return True, sorted(target.versions)
        new = sorted(set(target.versions) - set(loaded.versions))
        return (False, new) if new else None

    def _load(
        self,
        session: Session,
        target: pdqload.Published,
        rebuild: bool,
        versions: list[pdqload.Version],
    ) -> None:
        # Called with the lock held. A rebuild fills a new matcher; lookups keep the old.
        matcher = self._matcher_for(IndexMatcher()) if rebuild else self._loaded.matcher
        with matcher.loading():
            for hashes in pdqload.live_hashes(session, versions):
                matcher.add_many(np.zeros(len(hashes), dtype="S1"), hashes)
        held = {} if rebuild else dict(self._loaded.versions)
        held.update({v: target.versions[v] for v in versions})
        self._loaded = _Loaded(matcher, held, target.retractions)

    def _load_later(self) -> None:
        assert self._database is not None
        try:
            while True:
                with self._database.session(write=False) as session, self._lock:
                    target = pdqload.published(session)
                    work = self._work(target)
                    if work is None:
                        return
                    self._load(session, target, *work)
        except Exception:
            logger.exception("loading list PDQ hashes failed; the next lookup retries")
        finally:
            self._loading = False

    def _restore(self, target: pdqload.Published) -> None:
        # Called with the lock held, once.
        self._restored = True
        assert self._path is not None
        facts = snapshot.read_facts(self._path)
        if facts is None:
            return
        versions = {(v[0], int(v[1])): v[2] for v in facts.get("versions", [])}
        still = all(target.versions.get(v) == at for v, at in versions.items())
        if not still or facts.get("retractions") != target.retractions:
            logger.info("list PDQ snapshot is stale (the lists changed); loading entries")
            return
        found = snapshot.read(self._path)
        if found is None:
            return
        self._loaded = _Loaded(self._matcher_for(found.matcher), versions, target.retractions)
        self._saved_rows = len(found.matcher)

    def _matcher_for(self, matcher: IndexMatcher) -> IndexMatcher:
        matcher.on_built.append(lambda: self._after_build(matcher))
        return matcher

    def _after_build(self, matcher: IndexMatcher) -> None:
        """Runs on the build thread: saves a snapshot when enough rows are new."""
        rows = len(matcher)
        enough = max(self.MIN_SNAPSHOT_ROWS, rows // 10)
        if self._path is None or rows < self.MIN_SNAPSHOT_ROWS or rows - self._saved_rows < enough:
            return
        with self._lock:  # no load in between: the rows are those of the versions named
            loaded = self._loaded
            if loaded.matcher is not matcher:
                return  # replaced by a rebuild
            state = matcher.state()
        facts = {
            "versions": [[*version, at] for version, at in sorted(loaded.versions.items())],
            "retractions": loaded.retractions,
        }
        snapshot.write(self._path, state, facts)
        self._saved_rows = len(state.hashes)
        logger.info("list PDQ snapshot written", extra={"rows": len(state.hashes)})

    def nearest(
        self, session: Session, pdq: str, threshold: int
    ) -> tuple[str, int, list[Hit]] | None:
        """The closest listed PDQ hash within threshold, its distance and its lists."""
        self.catch_up(session)
        found = self.matcher.nearest_hashes([bytes.fromhex(pdq)], threshold)[0]
        if found is None:
            return None
        value, distance = found[0].hex(), found[1]
        hits = listed(session, [("pdq", value)]).get(("pdq", value))
        return (value, distance, hits) if hits else None


@dataclass(frozen=True)
class _Loaded:
    """A matcher and what it holds: versions (with when published), the last retraction."""

    matcher: IndexMatcher
    versions: dict[pdqload.Version, str]
    retractions: int


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
