"""The contents' PDQ index of a serving process, started from a snapshot file (checked
against `pdq_hashes`, then caught up with the rows after it) and saved again after builds.

Without a usable snapshot the process reads every row in bulk and builds, as before.
"""

import logging
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from hub.db import Database
from hub.matching.service import PdqIndex
from hub.pdq import snapshot

logger = logging.getLogger("hub.matching")

_LAST_BELOW = "SELECT count(*), max(seq) FROM pdq_hashes WHERE seq <= :low"
_ROW = "SELECT content_id, value FROM pdq_hashes WHERE seq = :seq"


class SnapshotPdqIndex(PdqIndex):
    """A PdqIndex that starts from the snapshot at `path` when it still matches the
    database, and rewrites it after a build once MIN_ROWS, and a tenth more than the
    last snapshot held, are indexed. path None: no snapshot, as PdqIndex."""

    MIN_ROWS = 100_000

    def __init__(self, database: Database, path: Path | None) -> None:
        super().__init__(database)
        self._path = path
        self._restore_lock = threading.Lock()
        self._restored = path is None
        self._saved_rows = 0
        self._matcher.on_built.append(self._after_build)

    def catch_up(self) -> None:
        if not self._restored:
            with self._restore_lock:
                if not self._restored:
                    self._restore()
                    self._restored = True
        # One build after the whole catch-up, not one per step of a first load.
        with self._matcher.loading():
            super().catch_up()

    def _restore(self) -> None:
        assert self._path is not None
        started = time.perf_counter()
        found = snapshot.read(self._path)
        if found is None:
            return
        with self._database.session(write=False) as session:
            if _facts(session, int(found.facts["low"])) != found.facts["check"]:
                logger.info("PDQ snapshot is stale (the database changed); loading rows")
                return
        with self._lock:
            self._matcher = found.matcher
            self._seen = int(found.facts["seen"])
            self._added = np.array(found.facts["window"], dtype=np.int64)
            self._saved_rows = len(found.matcher)
        found.matcher.on_built.append(self._after_build)
        logger.info(
            "PDQ index restored from its snapshot",
            extra={"rows": len(found.matcher), "seconds": round(time.perf_counter() - started, 2)},
        )

    def _after_build(self) -> None:
        """Runs on the build thread: saves a snapshot when enough rows are new."""
        if self._path is None:
            return
        rows = len(self._matcher)
        if rows < self.MIN_ROWS or rows - self._saved_rows < max(self.MIN_ROWS, rows // 10):
            return
        # The catch-up lock: rows, high-water mark and window describe the same moment.
        with self._lock:
            state = self._matcher.state()
            seen, window = self._seen, self._added.tolist()
        low = seen - self.SLACK
        with self._database.session(write=False) as session:
            check = _facts(session, low)
        if check[0] != len(state.hashes) - len(window):
            return  # rows were purged since they were loaded: a fresh load is cleaner
        existing = snapshot.read_facts(self._path)
        if existing is not None and int(existing.get("seen", 0)) >= seen:
            self._saved_rows = len(state.hashes)  # another process saved as much
            return
        started = time.perf_counter()
        facts = {"seen": seen, "window": window, "low": low, "check": check}
        snapshot.write(self._path, state, facts)
        self._saved_rows = len(state.hashes)
        logger.info(
            "PDQ snapshot written",
            extra={"rows": len(state.hashes), "seconds": round(time.perf_counter() - started, 2)},
        )


def _facts(session: Session, low: int) -> list[Any]:
    """What a snapshot is checked by: how many rows lie at or below `low`, and the last
    of them. A purge, a restore or another database changes these."""
    count, last = session.execute(text(_LAST_BELOW), {"low": low}).one()
    row = session.execute(text(_ROW), {"seq": last}).one_or_none() if last is not None else None
    return [int(count), last, *(row or (None, None))]
