"""Hub-wide counters: added to inside a transaction, or tallied in memory and flushed.

`add` writes in the caller's transaction (a push outcome counts exactly when it is
recorded); `Tally` buffers what has no transaction of its own (rejected requests,
request latency) and `flush` adds it with one upsert per counter.
"""

import threading
from collections import Counter
from collections.abc import Mapping

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hub.db import Database
from hub.metrics.models import MetricCounter

Key = tuple[str, str]  # (counter name, encoded labels)


def labels(**pairs: str) -> str:
    """The stored form of label pairs: `k=v,k=v` sorted by name (values are codes)."""
    return ",".join(f"{name}={value}" for name, value in sorted(pairs.items()))


def parse_labels(encoded: str) -> dict[str, str]:
    return dict(pair.split("=", 1) for pair in encoded.split(",")) if encoded else {}


def add(session: Session, increments: Mapping[Key, int]) -> None:
    """Adds to the counters in the caller's transaction; keys in one order for every
    process, so two concurrent flushes cannot deadlock on each other's rows."""
    rows = [
        {"name": name, "labels": encoded, "value": amount}
        for (name, encoded), amount in sorted(increments.items())
        if amount
    ]
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(MetricCounter.__table__)  # type: ignore[attr-defined]
    statement = statement.on_conflict_do_update(
        index_elements=["name", "labels"],
        set_={"value": MetricCounter.__table__.c.value + statement.excluded.value},  # type: ignore[attr-defined]
    )
    for row in rows:
        session.execute(statement, row)


class Tally:
    """This process's counts not yet in the database."""

    def __init__(self) -> None:
        self._pending: Counter[Key] = Counter()
        self._lock = threading.Lock()

    def count(self, name: str, encoded: str = "", amount: int = 1) -> None:
        with self._lock:
            self._pending[(name, encoded)] += amount

    def flush(self, database: Database) -> None:
        """Adds the pending counts to the database; on failure they stay pending."""
        with self._lock:
            pending, self._pending = self._pending, Counter()
        if not pending:
            return
        try:
            with database.transaction() as session:
                add(session, pending)
        except Exception:
            with self._lock:
                self._pending.update(pending)
            raise
