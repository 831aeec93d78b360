"""Records push outcomes in batches: finished pushes queue here and one thread writes all
that gathered (up to BATCH, or what came within WINDOW seconds of the first) in one transaction.

Through a database outage a batch waits and is written when the database is back; if its
leases run out meanwhile the events are pushed again (at least once, never lost).
"""

import logging
import threading
import time
from collections.abc import Sequence

from hub.db import Database
from hub.delivery import leases
from hub.delivery.leases import Claimed
from hub.delivery.sender import PushResult
from hub.delivery.service import OnDelivered
from hub.outage import Backoff, is_outage

logger = logging.getLogger("hub.delivery")

Outcome = tuple[Claimed, PushResult]
# One transaction records at most this many outcomes...
BATCH = 200
# ...and waits at most this long after the first for others to share it.
WINDOW = 0.1


class Recorder:
    """A queue of outcomes and the thread that writes them for one worker (`owner`)."""

    def __init__(self, database: Database, owner: str, on_delivered: OnDelivered) -> None:
        self.database = database
        self.owner = owner
        self.on_delivered = on_delivered
        self._queue: list[tuple[float, Outcome]] = []
        self._writing = 0
        self._closing = False
        self._closed = threading.Event()  # the same as _closing, for waits that adds don't end
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="hub-delivery-record", daemon=True)
        self._thread.start()

    @property
    def backlog(self) -> int:
        """Outcomes queued or being written."""
        with self._changed:
            return len(self._queue) + self._writing

    def add(self, outcomes: Sequence[Outcome]) -> None:
        now = time.monotonic()
        with self._changed:
            self._queue.extend((now, outcome) for outcome in outcomes)
            self._changed.notify_all()

    def close(self) -> None:
        """Writes what is queued without waiting for more (an outage is not waited out), then
        stops the thread."""
        with self._changed:
            self._closing = True
            self._changed.notify_all()
        self._closed.set()
        self._thread.join()

    def _run(self) -> None:
        while True:
            batch = self._gather()
            if not batch:
                return
            try:
                self._write(batch)
            finally:
                with self._changed:
                    self._writing = 0

    def _gather(self) -> list[Outcome]:
        with self._changed:
            while not self._queue and not self._closing:
                self._changed.wait()
            if self._queue and not self._closing:
                deadline = self._queue[0][0] + WINDOW
                while len(self._queue) < BATCH and not self._closing:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    self._changed.wait(remaining)
            taken, self._queue = self._queue[:BATCH], self._queue[BATCH:]
            self._writing = len(taken)
            return [outcome for _, outcome in taken]

    def _write(self, batch: list[Outcome]) -> None:
        backoff = Backoff()
        while True:
            try:
                with self.database.transaction() as session:
                    states = leases.record(session, self.owner, batch, self.on_delivered)
            except Exception as exc:
                if is_outage(exc):
                    self.database.outage.failed(exc)
                    if self._wait(backoff.next()):
                        continue
                    return  # stopping: the leases run out and the events are pushed again
                if len(batch) > 1:
                    # One bad outcome must not hold the others back: write them one by one.
                    for outcome in batch:
                        self._write([outcome])
                    return
                logger.exception("could not record a push", extra={"event": batch[0][0].event.id})
                return
            break
        for (item, result), state in zip(batch, states, strict=True):
            logger.info(
                "event pushed" if result.delivered else "push failed",
                extra={
                    "event": item.event.id,
                    "type": item.type,
                    "hotline": item.recipient,
                    "state": state,
                    "error": result.error,
                },
            )

    def _wait(self, seconds: float) -> bool:
        """Sleeps `seconds` unless closing; True when the write should be tried again."""
        return not self._closed.wait(seconds)
