"""Group commit for single reports on SQLite: concurrent POSTs in one process share a
transaction.

SQLite has one writer at a time and each transaction ends in a durable commit, so one
transaction per report caps throughput at one commit per report. Here a request that
finds the writer busy queues its report; the next request to get the writer records
every queued report in one transaction, with the same set-based intake a batch uses. No
request waits on a timer.

On PostgreSQL each report has its own transaction: transactions run side by side and the
server already shares one WAL flush among concurrent commits, while one transaction
holding several hotlines' reports would take their keys out of the lock order
(docs/architecture.md) and could deadlock with another process's.
"""

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from hub.db import Database
from hub.reports import intake
from hub.reports.service import Checked, Hosting, Intake

MAX_GROUP = 1000


@dataclass
class _Slot:
    hotline_id: str
    checked: Checked
    hosting: Hosting | None
    done: threading.Event = field(default_factory=threading.Event)
    outcome: intake.Outcome | None = None
    error: BaseException | None = None


class GroupCommit:
    def __init__(self, database: Database, intake_: Intake) -> None:
        self._database = database
        self._intake = intake_
        self._queue: list[_Slot] = []
        self._queue_lock = threading.Lock()
        self._writer = threading.Lock()

    def submit(self, hotline_id: str, checked: Checked, hosting: Hosting | None) -> intake.Outcome:
        """Records one report, alone or with the others waiting; returns its outcome."""
        if self._database.dialect == "postgresql":
            with self._database.transaction() as session:
                [outcome] = intake.submit_many(
                    session, self._intake, hotline_id, [checked], [hosting]
                )
            return outcome
        slot = _Slot(hotline_id, checked, hosting)
        with self._queue_lock:
            self._queue.append(slot)
        while not slot.done.is_set():
            with self._writer:
                if slot.done.is_set():
                    break
                with self._queue_lock:
                    group, self._queue = self._queue[:MAX_GROUP], self._queue[MAX_GROUP:]
                self._record(group)
        if slot.error is not None:
            raise slot.error
        assert slot.outcome is not None
        return slot.outcome

    def _record(self, group: Sequence[_Slot]) -> None:
        by_hotline: dict[str, list[_Slot]] = {}
        for slot in group:
            by_hotline.setdefault(slot.hotline_id, []).append(slot)
        try:
            with self._database.transaction() as session:
                results = {
                    hotline_id: intake.submit_many(
                        session,
                        self._intake,
                        hotline_id,
                        [s.checked for s in slots],
                        [s.hosting for s in slots],
                    )
                    for hotline_id, slots in by_hotline.items()
                }
        except BaseException as error:  # every report of the group shares the failure
            for slot in group:
                slot.error = error
                slot.done.set()
            raise
        for hotline_id, slots in by_hotline.items():
            for slot, outcome in zip(slots, results[hotline_id], strict=True):
                slot.outcome = outcome
                slot.done.set()
