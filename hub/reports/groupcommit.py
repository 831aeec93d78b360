"""Group commit: concurrent POSTs and batches in one process share a transaction.

A transaction costs a fixed number of statements and a durable commit whatever it holds
(about 30 ms of CPU for one report, 1.5 ms a report in a batch of 1,000), so one
transaction per report caps throughput. Here a request that finds its lane's writer busy
queues its report; the next request to get the writer records every queued report in one
transaction, with the same set-based intake a batch uses. No request waits on a timer.

Lanes: SQLite has one writer at a time, so one lane holds every hotline's reports. On
PostgreSQL each hotline has its own lane and lanes run side by side: a transaction then
holds one hotline's reports, whose keys intake takes in the lock order
(docs/architecture.md); several hotlines' reports in one transaction would take them out
of order and could deadlock with another process's.
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


@dataclass
class _Lane:
    queue: list[_Slot] = field(default_factory=list)
    writer: threading.Lock = field(default_factory=threading.Lock)


class GroupCommit:
    def __init__(self, database: Database, intake_: Intake) -> None:
        self._database = database
        self._intake = intake_
        self._per_hotline = database.dialect == "postgresql"
        self._lanes: dict[str, _Lane] = {}
        self._queue_lock = threading.Lock()

    def submit(self, hotline_id: str, checked: Checked, hosting: Hosting | None) -> intake.Outcome:
        """Records one report, alone or with the others waiting; returns its outcome."""
        [outcome] = self.submit_many(hotline_id, [checked], [hosting])
        return outcome

    def submit_many(
        self, hotline_id: str, checked: Sequence[Checked], hostings: Sequence[Hosting | None]
    ) -> list[intake.Outcome]:
        """Records a hotline's reports (a batch, or one POST) in its lane; returns their
        outcomes in order. A transaction holds at most MAX_GROUP reports."""
        slots = [_Slot(hotline_id, c, h) for c, h in zip(checked, hostings, strict=True)]
        if not slots:
            return []
        with self._queue_lock:
            lane = self._lanes.setdefault(hotline_id if self._per_hotline else "", _Lane())
            lane.queue.extend(slots)
        last = slots[-1]
        while not last.done.is_set():
            with lane.writer:
                if last.done.is_set():
                    break
                with self._queue_lock:
                    group, lane.queue = lane.queue[:MAX_GROUP], lane.queue[MAX_GROUP:]
                self._record(group)
        outcomes = []
        for slot in slots:
            slot.done.wait()  # slots are recorded in queue order: done before the last one
            if slot.error is not None:
                raise slot.error
            assert slot.outcome is not None
            outcomes.append(slot.outcome)
        return outcomes

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
        except Exception as error:  # every report of the group shares the failure
            for slot in group:
                slot.error = error
                slot.done.set()
            return
        for hotline_id, slots in by_hotline.items():
            for slot, outcome in zip(slots, results[hotline_id], strict=True):
                slot.outcome = outcome
                slot.done.set()
